package esx

// The host's command socket (hostproto.SocketPath inside the host): the ESXi commands
// of labsim/cmd/esxcmd ask the lab what only the world knows.
//
//	run               esxcli, net-stats, vmware, vdf, df, uname, osfs-mkdir: the lab
//	                  computes their output and exit status (cmds.go)
//	pktcap-hello      pktcap-uw: the host's version, uplinks and stderr style
//	pktcap-subscribe  pktcap-uw: the frames of its port or uplink, until "stop"

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"path/filepath"

	"labsim/esx/hostproto"
	"labsim/esx/pktcap"
	"labsim/world"
)

func (h *Host) serveCommands() {
	for {
		c, err := h.ns.ln.Accept()
		if err != nil {
			return
		}
		go h.serveCommand(c)
	}
}

func readRequest(br *bufio.Reader) (hostproto.Request, error) {
	var r hostproto.Request
	line, err := br.ReadBytes('\n')
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(line, &r)
}

func (h *Host) serveCommand(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	enc := json.NewEncoder(c)
	req, err := readRequest(br)
	if err != nil || len(req.Argv) == 0 && req.Cmd == "run" {
		return
	}
	switch req.Cmd {
	case "run":
		name := filepath.Base(req.Argv[0])
		fn := commands[name]
		var out, errb bytes.Buffer
		status := 127
		if fn == nil {
			errb.WriteString("sh: " + name + ": not found\n")
		} else {
			args := append([]string{name}, req.Argv[1:]...)
			status = fn(&cmdCtx{h: h, args: args, cwd: req.Cwd, stdout: &out, stderr: &errb})
		}
		enc.Encode(hostproto.RunReply{Stdout: out.Bytes(), Stderr: errb.Bytes(), Status: status})
	case "pktcap-hello":
		h.servePktcap(c, br, enc)
	}
}

func (h *Host) servePktcap(c net.Conn, br *bufio.Reader, enc *json.Encoder) {
	messages := h.w.GetSettings().PktcapMessages
	if messages == "" {
		messages = "version"
	}
	enc.Encode(hostproto.PktcapHello{Version: h.hs.Version, Build: h.version().build,
		Uplinks: append([]string{}, h.hs.Uplinks...), Messages: messages})
	req, err := readRequest(br)
	if err != nil || req.Cmd != "pktcap-subscribe" {
		return
	}
	o, err := pktcap.Parse(req.Argv, pktcap.ParseVersion(h.hs.Version))
	if err != nil {
		enc.Encode(hostproto.PktcapSubscribed{Error: err.Error()})
		return
	}
	host := h.name
	sub := h.w.Subscribe(8192, func(f *world.Frame) bool {
		return f.Host == host && o.Selects(f.Port, f.Uplink, f.Dir, f.Data)
	})
	unsubscribed := false
	defer func() {
		if !unsubscribed {
			h.w.Unsubscribe(sub)
		}
	}()
	vport := h.allocVsockPort()
	defer h.releaseVsockPort(vport)
	if err := enc.Encode(hostproto.PktcapSubscribed{VsockPort: vport, ClientPort: 1024 + vport%1000,
		Session: h.newSessionID()}); err != nil {
		return
	}
	stop := make(chan bool, 1) // true: the process asked to stop; false: it is gone
	go func() {
		r, err := readRequest(br)
		stop <- err == nil && r.Cmd == "stop"
	}()
	bw := bufio.NewWriterSize(c, 64<<10)
	send := func(f *world.Frame) error {
		// The host's clock, read at each frame: a skew set during a capture applies
		// from the next frame on.
		return hostproto.WriteFrame(bw, f.Time.Add(h.clockSkew()), f.Data)
	}
	for {
		select {
		case f := <-sub.C:
			if send(f) != nil {
				return
			}
			if len(sub.C) == 0 && bw.Flush() != nil {
				return
			}
		case asked := <-stop:
			if !asked {
				return
			}
			h.w.Unsubscribe(sub)
			unsubscribed = true
			// What the capture's queue holds still goes to the process.
			for len(sub.C) > 0 {
				if send(<-sub.C) != nil {
					return
				}
			}
			hostproto.WriteEnd(bw, sub.Dropped)
			bw.Flush()
			return
		case <-h.done:
			return
		}
	}
}

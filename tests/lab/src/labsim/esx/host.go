// Package esx simulates ESXi hosts: one SSH server per host on loopback, with ESXi's
// host keys, algorithms and authentication (sshd.go), and a small shell offering
// the commands vm-capture runs (esxcli, net-stats, vmware, vdf, ps, kill, cat, rm,
// pktcap-uw, ...) with the output formats of real ESXi. See README.md beside this file.
package esx

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"labsim/world"
)

// DefaultTmpSize is the size of a real host's /tmp ramdisk.
const DefaultTmpSize = 256 << 20

type Config struct {
	StateDir           string // host keys are kept here (<StateDir>/hostkeys/<host>_ecdsa, ...), reused across restarts
	ListenAddr         string // "127.0.0.1:0"
	User, Password     string
	AuthorizedKeysFile string   // optional: public key auth
	TmpSize            int64    // /tmp ramdisk size; 0 = DefaultTmpSize (256 MB)
	HostKeyTypes       []string // "ecdsa", "rsa", "ed25519"; nil = DefaultHostKeyTypes (ECDSA P-256 and RSA 2048)
}

type Host struct {
	w      *world.World
	name   string
	hs     *world.HostState
	cfg    Config
	server *sshd // keys, listener, authentication (sshd.go)
	procs  *procTable
	fs     *fsys
	done   chan struct{}
	wg     sync.WaitGroup // connections and their sessions
	bg     sync.WaitGroup // background jobs (cmd &)

	mu               sync.Mutex
	conns            map[net.Conn]struct{}
	unreachableUntil time.Time
	closed           bool
	vsockPorts       map[int]bool
	nextSession      int
}

// Start starts host hostName's SSH server.
func Start(w *world.World, hostName string, cfg Config) (*Host, error) {
	hs := w.Hosts[hostName]
	if hs == nil {
		return nil, fmt.Errorf("esx: no host %q in the world; add it with World.AddHost first", hostName)
	}
	if cfg.StateDir == "" {
		return nil, fmt.Errorf("esx: Config.StateDir is empty; give a directory for host keys and files")
	}
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if cfg.TmpSize <= 0 {
		cfg.TmpSize = DefaultTmpSize
	}
	fs, err := newFS(w, hostName, cfg.StateDir, cfg.TmpSize)
	if err != nil {
		return nil, fmt.Errorf("esx %s: filesystem under %s: %v", hostName, cfg.StateDir, err)
	}
	f := fnv.New32a()
	f.Write([]byte(hostName))
	h := &Host{w: w, name: hostName, hs: hs, cfg: cfg, fs: fs,
		procs: newProcTable(2100000 + int(f.Sum32()%50000)*8), done: make(chan struct{}),
		conns: map[net.Conn]struct{}{}, vsockPorts: map[int]bool{}, nextSession: 1}
	if h.server, err = newSSHD(h, cfg); err != nil {
		return nil, err
	}
	if err := h.server.start(cfg.ListenAddr); err != nil {
		return nil, err
	}
	return h, nil
}

func loadAuthorizedKeys(path string) ([]ssh.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("esx: authorized keys file: %v", err)
	}
	var keys []ssh.PublicKey
	for len(bytes.TrimSpace(b)) > 0 {
		k, _, _, rest, err := ssh.ParseAuthorizedKey(b)
		if err != nil {
			return nil, fmt.Errorf("esx: authorized keys file %s: %v", path, err)
		}
		keys = append(keys, k)
		b = rest
	}
	return keys, nil
}

// Port and Addr stay the same while TSM-SSH is stopped and started again.
func (h *Host) Port() int              { return h.server.addr.Port }
func (h *Host) Addr() string           { return h.server.addr.String() }
func (h *Host) HostKey() ssh.PublicKey { return h.server.signers[0].PublicKey() } // the first of HostKeys
func (h *Host) Name() string           { return h.name }

// HostKeys are every host key the server offers (ECDSA P-256, then RSA, by default).
func (h *Host) HostKeys() []ssh.PublicKey {
	keys := make([]ssh.PublicKey, len(h.server.signers))
	for i, s := range h.server.signers {
		keys[i] = s.PublicKey()
	}
	return keys
}

// KnownHostsLine is the known_hosts entry of the first host key (ECDSA by default).
func (h *Host) KnownHostsLine() string { return h.KnownHostsLines()[0] }

// KnownHostsLines are the host's known_hosts entries, one per host key:
// "[127.0.0.1]:PORT ecdsa-sha2-nistp256 AAAA...".
func (h *Host) KnownHostsLines() []string {
	host, port, _ := net.SplitHostPort(h.Addr())
	var lines []string
	for _, k := range h.HostKeys() {
		lines = append(lines, fmt.Sprintf("[%s]:%s %s", host, port, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))))
	}
	return lines
}

// Close stops the server, drops every connection and kills every process.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.mu.Unlock()
	close(h.done)
	err := h.server.close()
	h.DropConnections()
	h.procs.killAll()
	waitTimeout(&h.wg, 5*time.Second)
	waitTimeout(&h.bg, 5*time.Second)
	return err
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	select {
	case <-ch:
	case <-time.After(d):
	}
}

// DropConnections closes every SSH connection now. Processes keep running until they
// write to their closed stdout (like pktcap-uw -o -); captures to a file go on.
func (h *Host) DropConnections() {
	h.mu.Lock()
	conns := make([]net.Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// SetUnreachable blackholes the host for d: new TCP connections get no SSH banner and
// are closed when d ends, and existing connections stall (no bytes either way) until then.
func (h *Host) SetUnreachable(d time.Duration) {
	h.mu.Lock()
	h.unreachableUntil = time.Now().Add(d)
	h.mu.Unlock()
}

// waitReachable blocks while the host is unreachable; false when the host closed.
func (h *Host) waitReachable() bool {
	for {
		h.mu.Lock()
		until := h.unreachableUntil
		h.mu.Unlock()
		d := time.Until(until)
		if d <= 0 {
			return true
		}
		if d > 20*time.Millisecond {
			d = 20 * time.Millisecond // notice SetUnreachable(0) soon
		}
		select {
		case <-time.After(d):
		case <-h.done:
			return false
		}
	}
}

func (h *Host) unreachable() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return time.Now().Before(h.unreachableUntil)
}

// Fill adds bytes to "/tmp" or to the datastore named target (bytes <= 0: fill it up),
// as a file lab-fill.bin there that rm can remove.
func (h *Host) Fill(target string, bytes int64) error { return h.fs.fill(target, bytes) }

// clockSkew is the host's clock offset for capture timestamps (Settings.ClockSkew).
func (h *Host) clockSkew() time.Duration { return h.w.ClockSkew(h.name) }

func (h *Host) allocVsockPort() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := 7799
	for h.vsockPorts[p] {
		p++
	}
	h.vsockPorts[p] = true
	return p
}

func (h *Host) releaseVsockPort(p int) {
	h.mu.Lock()
	delete(h.vsockPorts, p)
	h.mu.Unlock()
}

func (h *Host) newSessionID() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextSession++
	return h.nextSession
}

// stallConn delays every read and write while the host is unreachable.
type stallConn struct {
	net.Conn
	h *Host
}

func (c stallConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if !c.h.waitReachable() {
		return 0, io.EOF
	}
	return n, err
}

func (c stallConn) Write(b []byte) (int, error) {
	if !c.h.waitReachable() {
		return 0, io.ErrClosedPipe
	}
	return c.Conn.Write(b)
}

// acceptLoop serves one listener until it closes (TSM-SSH stopped, or Close).
func (h *Host) acceptLoop(ln net.Listener) {
	defer h.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			c.Close()
			return
		}
		h.conns[c] = struct{}{}
		h.mu.Unlock()
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			defer func() {
				h.mu.Lock()
				delete(h.conns, c)
				h.mu.Unlock()
				c.Close()
			}()
			if h.unreachable() {
				h.waitReachable() // blackhole: say nothing, then drop
				return
			}
			h.serveConn(stallConn{c, h})
		}()
	}
}

func (h *Host) serveConn(c net.Conn) {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(c, h.server.serverConfig())
	if err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	var slots sessionSlots
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only session channels are supported")
			continue
		}
		ch, creqs, ok := h.server.acceptSession(&slots, nc)
		if !ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer slots.release()
			h.serveSession(ch, creqs, sc.User())
		}()
	}
	wg.Wait()
}

// channelWriter fails every write once the channel is closed; inflight lets the
// session wait, like sshd, until what a process wrote reached the client.
type channelWriter struct {
	mu       sync.Mutex
	w        io.Writer
	closed   bool
	inflight sync.WaitGroup
}

func (c *channelWriter) Write(b []byte) (int, error) {
	c.mu.Lock()
	closed := c.closed
	if !closed {
		c.inflight.Add(1)
	}
	c.mu.Unlock()
	if closed {
		return 0, io.ErrClosedPipe
	}
	defer c.inflight.Done()
	n, err := c.w.Write(b)
	if err != nil {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
	}
	return n, err
}

func (c *channelWriter) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
}

func (h *Host) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request, user string) {
	started := false
	var top *proc
	finished := make(chan struct{})
	stdout := &channelWriter{w: ch}
	stderrCh := &channelWriter{w: ch.Stderr()}
	stderr := newAsyncWriter(stderrCh)
	defer func() {
		if started {
			// The client may close early: keep reading requests until the command ends.
			<-finished
		}
		stdout.close()
		stderrCh.close()
		stderr.close()
		ch.Close()
	}()
	for {
		var req *ssh.Request
		var ok bool
		select {
		case req, ok = <-reqs:
			if !ok {
				// Channel closed by the client: the command goes on until it writes.
				stdout.close()
				stderrCh.close()
				stderr.close()
				return
			}
		case <-finished:
			return
		}
		switch req.Type {
		case "exec":
			var payload struct{ Command string }
			if started || ssh.Unmarshal(req.Payload, &payload) != nil {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			started = true
			top = h.procs.spawn("sh", []string{"sh", "-c", payload.Command})
			go func(cmd string) {
				defer close(finished)
				sh := &shell{h: h, p: top, args: []string{"sh"}, stdin: ch, stdout: stdout, stderr: stderr}
				status := sh.run(cmd)
				h.procs.exit(top) // the process is gone; sshd may still be delivering its output
				// Deliver what the command wrote before its exit status, as sshd does.
				stdout.inflight.Wait()
				stderr.flush()
				if top.killedBy != "" {
					ch.SendRequest("exit-signal", false, ssh.Marshal(struct {
						Signal     string
						CoreDumped bool
						Error      string
						Lang       string
					}{top.killedBy, false, "", ""}))
				} else {
					ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
				}
				ch.CloseWrite()
			}(payload.Command)
		case "signal":
			var payload struct{ Signal string }
			if ssh.Unmarshal(req.Payload, &payload) == nil && top != nil {
				h.procs.signal(top.pid, strings.TrimPrefix(payload.Signal, "SIG"))
			}
			req.Reply(true, nil)
		case "pty-req", "env", "window-change":
			req.Reply(true, nil)
		case "shell", "subsystem":
			// No interactive shell or sftp in the lab: clients run commands with exec.
			req.Reply(false, nil)
		default:
			req.Reply(false, nil)
		}
	}
}

package esx

// pktcap-uw: subscribes to the world's frames for its port/uplink, directions and
// filters, and writes classic pcap (microseconds, linktype 1), pcapng (--ng) or a text
// dump (no -o) to stdout or a file of the host's filesystem. It prints pktcap-uw's
// stderr lines before packets flow and its counts when it ends (on -c, on INT/TERM/HUP,
// or when the file system is full); KILL ends it silently.

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"labsim/world"
)

// frameSink writes captured frames in one output format.
type frameSink interface {
	header() []byte
	record(ts time.Time, data []byte, origLen int) []byte
}

type pcapSink struct{ snaplen int }

func (s pcapSink) header() []byte {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(b[4:], 2)
	binary.LittleEndian.PutUint16(b[6:], 4)
	binary.LittleEndian.PutUint32(b[16:], uint32(s.snaplen))
	binary.LittleEndian.PutUint32(b[20:], 1)
	return b
}

func (s pcapSink) record(ts time.Time, data []byte, origLen int) []byte {
	b := make([]byte, 16+len(data))
	us := ts.UnixNano() / 1000
	binary.LittleEndian.PutUint32(b[0:], uint32(us/1e6))
	binary.LittleEndian.PutUint32(b[4:], uint32(us%1e6))
	binary.LittleEndian.PutUint32(b[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(b[12:], uint32(origLen))
	copy(b[16:], data)
	return b
}

type pcapngSink struct{ snaplen int }

func (s pcapngSink) header() []byte {
	shb := make([]byte, 28)
	binary.LittleEndian.PutUint32(shb[0:], 0x0A0D0D0A)
	binary.LittleEndian.PutUint32(shb[4:], 28)
	binary.LittleEndian.PutUint32(shb[8:], 0x1A2B3C4D)
	binary.LittleEndian.PutUint16(shb[12:], 1)
	binary.LittleEndian.PutUint64(shb[16:], 0xffffffffffffffff)
	binary.LittleEndian.PutUint32(shb[24:], 28)
	idb := make([]byte, 20)
	binary.LittleEndian.PutUint32(idb[0:], 1)
	binary.LittleEndian.PutUint32(idb[4:], 20)
	binary.LittleEndian.PutUint16(idb[8:], 1)
	binary.LittleEndian.PutUint32(idb[12:], uint32(s.snaplen))
	binary.LittleEndian.PutUint32(idb[16:], 20)
	return append(shb, idb...)
}

func (s pcapngSink) record(ts time.Time, data []byte, origLen int) []byte {
	padded := (len(data) + 3) &^ 3
	total := 32 + padded
	b := make([]byte, total)
	us := uint64(ts.UnixNano() / 1000)
	binary.LittleEndian.PutUint32(b[0:], 6)
	binary.LittleEndian.PutUint32(b[4:], uint32(total))
	binary.LittleEndian.PutUint32(b[12:], uint32(us>>32))
	binary.LittleEndian.PutUint32(b[16:], uint32(us))
	binary.LittleEndian.PutUint32(b[20:], uint32(len(data)))
	binary.LittleEndian.PutUint32(b[24:], uint32(origLen))
	copy(b[28:], data)
	binary.LittleEndian.PutUint32(b[total-4:], uint32(total))
	return b
}

// textSink: what pktcap-uw prints without -o.
type textSink struct {
	n     *int
	point string
}

func (s textSink) header() []byte { return nil }

func (s textSink) record(ts time.Time, data []byte, origLen int) []byte {
	*s.n++
	var b strings.Builder
	fmt.Fprintf(&b, "%s[%d] Captured at %s point, TSO not enabled, Checksum not offloaded and not verified, length %d.\n",
		ts.Format("15:04:05.000000"), *s.n, s.point, origLen)
	fmt.Fprintf(&b, "\tSegment[0] ---- %d bytes:\n", len(data))
	for off := 0; off < len(data); off += 16 {
		end := off + 16
		if end > len(data) {
			end = len(data)
		}
		h := hex.EncodeToString(data[off:end])
		var groups []string
		for i := 0; i < len(h); i += 4 {
			j := i + 4
			if j > len(h) {
				j = len(h)
			}
			groups = append(groups, h[i:j])
		}
		fmt.Fprintf(&b, "\t0x%04x:  %s\n", off, strings.Join(groups, " "))
	}
	return []byte(b.String())
}

// pointDirs maps capture points to the directions they see on a port or an uplink.
func pointDirs(points []string) map[int]bool {
	d := map[int]bool{}
	for _, p := range points {
		switch p {
		case "VnicTx", "Vmxnet3Tx", "PortInput", "UplinkRcv", "UplinkRcvKernel":
			d[0] = true
		case "VnicRx", "Vmxnet3Rx", "PortOutput", "UplinkSnd", "UplinkSndKernel":
			d[1] = true
		}
	}
	return d
}

func cmdPktcap(c *cmdCtx) int {
	h := c.h
	v := h.version()
	o, err := parsePktcapArgs(c.args[1:], v)
	if err != nil {
		fmt.Fprintln(c.stderr, err.Error())
		if _, ok := err.(*usageError); ok {
			io.WriteString(c.stderr, pktcapUsage)
		}
		return 1
	}
	if o.help {
		io.WriteString(c.stdout, pktcapUsage)
		return 0
	}
	if o.listPoints {
		fmt.Fprintln(c.stdout, "Supported capture points:")
		for i, p := range capturePoints(v) {
			fmt.Fprintf(c.stdout, "\t%d: %s\n", i+1, p)
		}
		return 0
	}
	dirs := o.dirs
	point := map[bool]string{false: "PortInput", true: "PortOutput"}[dirs[1] && !dirs[0]]
	if len(o.capture) > 0 {
		dirs = pointDirs(o.capture)
		point = o.capture[0]
	}
	// Validate the target before anything is printed, like the real tool.
	var targetLine string
	switch {
	case o.hasPort:
		targetLine = fmt.Sprintf("The switch port id is 0x%08x.", o.switchport)
	case o.uplink != "":
		ok := false
		for _, u := range h.hs.Uplinks {
			ok = ok || u == o.uplink
		}
		if !ok {
			fmt.Fprintf(c.stderr, "The name of the uplink is %s.\nerror: Failed to find the uplink %s. Check the name with esxcli network nic list.\n", o.uplink, o.uplink)
			return 1
		}
		targetLine = fmt.Sprintf("The name of the uplink is %s.", o.uplink)
	case o.vmk != "":
		if o.vmk != "vmk0" {
			fmt.Fprintf(c.stderr, "The name of the vmk is %s.\nerror: Failed to find the vmknic %s.\n", o.vmk, o.vmk)
			return 1
		}
		targetLine = fmt.Sprintf("The name of the vmk is %s.", o.vmk)
	case o.dvfilter != "":
		fmt.Fprintf(c.stderr, "error: Failed to find the dvfilter %s.\n", o.dvfilter)
		return 1
	}

	host := h.name
	flt := o.flt
	match := func(f *world.Frame) bool {
		if f.Host != host || !dirs[f.Dir] {
			return false
		}
		switch {
		case o.hasPort:
			if f.Uplink != "" || f.Port != o.switchport {
				return false
			}
		case o.uplink != "":
			if f.Uplink != o.uplink {
				return false
			}
		default:
			return false // the lab sends no vmkernel traffic
		}
		return flt.match(f.Data)
	}
	sub := h.w.Subscribe(8192, match)
	unsubscribed := false
	unsub := func() {
		if !unsubscribed {
			h.w.Unsubscribe(sub)
			unsubscribed = true
		}
	}
	defer unsub()

	snaplen := o.snaplen
	if snaplen == 0 {
		snaplen = 65535
	}
	var sink frameSink = pcapSink{snaplen: snaplen}
	if o.ng {
		sink = pcapngSink{snaplen: snaplen}
	}
	outName := "-"
	var out io.Writer
	// A client that stops reading blocks the write; signals still end the capture.
	stdout := &sigWriter{w: c.stdout, p: c.p}
	var bw *bufio.Writer
	var fw *fileWriter
	if !o.hasOut {
		n := 0
		sink = textSink{n: &n, point: point}
		bw = bufio.NewWriterSize(stdout, 64<<10)
		out = bw
	} else if o.out == "-" {
		bw = bufio.NewWriterSize(stdout, 64<<10)
		out = bw
	} else {
		outName = o.out
	}

	fmt.Fprintln(c.stderr, targetLine)
	if o.hasOut {
		fmt.Fprintf(c.stderr, "pktcap: The output file is %s.\n", outName)
	}
	if outName != "-" {
		fw, err = h.fs.create(outName, false)
		if err != nil {
			fmt.Fprintf(c.stderr, "error: Failed to open the output file %s: %s\n", outName, errReason(err))
			return 1
		}
		defer fw.Close()
		out = fw
	}
	vport := h.allocVsockPort()
	defer h.releaseVsockPort(vport)
	session := h.newSessionID()
	fmt.Fprintf(c.stderr, "pktcap: No server port specifed, select %d as the port.\n", vport)
	fmt.Fprintln(c.stderr, "pktcap: Local CID 2.")
	fmt.Fprintf(c.stderr, "pktcap: Listen on port %d.\n", vport)
	fmt.Fprintln(c.stderr, "pktcap: Accept...")
	fmt.Fprintf(c.stderr, "pktcap: Vsock connection from port %d cid 2.\n", 1024+vport%1000)

	var dumped int64
	fileErr := false
	outBroken := false
	if hdr := sink.header(); len(hdr) > 0 {
		if _, err := out.Write(hdr); err != nil {
			fileErr = fw != nil
			outBroken = fw == nil
		}
	}
	finish := func(status int) int {
		unsub()
		if bw != nil {
			bw.Flush()
		}
		drop := int64(sub.Dropped)
		fe := 0
		if fileErr {
			fe = 1
		}
		fmt.Fprintf(c.stderr, "Dump: %d, broken : 0, drop: %d, file err: %d\n", dumped, drop, fe)
		if fileErr {
			fmt.Fprintln(c.stderr, "error: Error writing 16 bytes of pkt header to file")
			fmt.Fprintln(c.stderr, "Join with dump thread failed")
		}
		fmt.Fprintf(c.stderr, "Destroying session %d\n", session)
		fmt.Fprintf(c.stderr, "Dumped %d packet to file %s, dropped %d packets.\n", dumped, outName, drop)
		fmt.Fprintln(c.stderr, "Done.")
		return status
	}
	if fileErr {
		return finish(1)
	}
	// write stores one frame; done is true when the capture must end with status.
	write := func(f *world.Frame) (done bool, status int) {
		data := f.Data
		if o.snaplen > 0 && len(data) > o.snaplen {
			data = data[:o.snaplen]
		}
		// The host's clock, read at each frame: a skew set during a capture applies from then on.
		rec := sink.record(f.Time.Add(h.clockSkew()), data, len(f.Data))
		if _, err := out.Write(rec); err != nil {
			if fw != nil {
				fileErr = true
				return true, finish(1)
			}
			outBroken = true
			return true, 0
		}
		dumped++
		if o.count > 0 && dumped >= o.count {
			return true, finish(0)
		}
		return false, 0
	}
	for !outBroken {
		select {
		case f := <-sub.C:
			if done, st := write(f); done && !outBroken {
				return st
			}
			if bw != nil && len(sub.C) == 0 && !outBroken {
				if err := bw.Flush(); err != nil {
					outBroken = true
				}
			}
		case sig := <-c.p.sig:
			switch sig {
			case "INT", "TERM", "HUP":
				if fw != nil {
					// Frames already handed to the dump thread are written before exit.
					for len(sub.C) > 0 && !fileErr {
						if done, st := write(<-sub.C); done {
							return st
						}
					}
				} else {
					stdout.sig = sig // never block on a client that stopped reading
				}
				return finish(0)
			case "KILL":
				c.p.killedBy = "KILL"
				return 128 + 9
			}
		case <-h.done:
			c.p.killedBy = "KILL"
			return 128 + 9
		}
	}
	switch stdout.sig {
	case "":
	case "KILL":
		c.p.killedBy = "KILL"
		return 128 + 9
	default: // a signal interrupted a write the client was not reading
		return finish(0)
	}
	// stdout is gone (the SSH channel closed): like a write to a closed pipe.
	c.p.killedBy = "PIPE"
	return 128 + 13
}

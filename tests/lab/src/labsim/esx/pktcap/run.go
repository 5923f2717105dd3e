package pktcap

// pktcap-uw as a process of the simulated host: it asks the lab (over the host's
// command socket) what the host is and for the frames of its port or uplink, and
// writes them itself to its stdout or to a file of the host. INT, TERM and HUP end the
// capture with its closing lines; KILL ends it silently; a write to a closed stdout
// kills it with SIGPIPE (the Go runtime raises SIGPIPE for EPIPE on fd 1 and 2, the
// default disposition of a C program); a full file system (ENOSPC) ends it with the
// error lines and exit status 1.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"labsim/esx/hostproto"
)

// Parse parses pktcap-uw's arguments as the host of version v does.
func Parse(args []string, v Version) (*pktcapOpts, error) { return parsePktcapArgs(args, v) }

// Dirs is the set of directions the capture sees (0 input, 1 output).
func (o *pktcapOpts) Dirs() map[int]bool {
	if len(o.capture) > 0 {
		return pointDirs(o.capture)
	}
	return o.dirs
}

// Selects says whether a frame crossing a VM port (uplink "") or an uplink of the
// host, in direction dir, is captured.
func (o *pktcapOpts) Selects(port int64, uplink string, dir int, data []byte) bool {
	if !o.Dirs()[dir] {
		return false
	}
	switch {
	case o.hasPort:
		if uplink != "" || port != o.switchport {
			return false
		}
	case o.uplink != "":
		if uplink != o.uplink {
			return false
		}
	default:
		return false // the lab sends no vmkernel traffic
	}
	return o.flt.match(data)
}

// Main runs pktcap-uw; conn is the host's command socket. It returns the exit status.
func Main(args []string, conn net.Conn) int {
	// INT, TERM and HUP end a capture with its closing lines, from the start on.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	enc := json.NewEncoder(conn)
	br := bufio.NewReaderSize(conn, 256<<10)
	var hello hostproto.PktcapHello
	if err := enc.Encode(hostproto.Request{Cmd: "pktcap-hello", PID: os.Getpid()}); err != nil {
		return fatal(err)
	}
	if err := readJSONLine(br, &hello); err != nil {
		return fatal(err)
	}
	v := ParseVersion(hello.Version)
	o, err := parsePktcapArgs(args, v)
	if err != nil {
		fmt.Fprintln(os.Stderr, err.Error())
		if _, ok := err.(*usageError); ok {
			io.WriteString(os.Stderr, pktcapUsage)
		}
		return 1
	}
	if o.help {
		io.WriteString(os.Stdout, pktcapUsage)
		return 0
	}
	if o.listPoints {
		fmt.Fprintln(os.Stdout, "Supported capture points:")
		for i, p := range capturePoints(v) {
			fmt.Fprintf(os.Stdout, "\t%d: %s\n", i+1, p)
		}
		return 0
	}
	// Check the target before anything is printed, like the real tool.
	var target string
	switch {
	case o.hasPort:
		target = fmt.Sprintf("The switch port id is 0x%08x.", o.switchport)
	case o.uplink != "":
		ok := false
		for _, u := range hello.Uplinks {
			ok = ok || u == o.uplink
		}
		if !ok {
			fmt.Fprintf(os.Stderr, "The name of the uplink is %s.\nerror: Failed to find the uplink %s. Check the name with esxcli network nic list.\n", o.uplink, o.uplink)
			return 1
		}
		target = fmt.Sprintf("The name of the uplink is %s.", o.uplink)
	case o.vmk != "":
		if o.vmk != "vmk0" {
			fmt.Fprintf(os.Stderr, "The name of the vmk is %s.\nerror: Failed to find the vmknic %s.\n", o.vmk, o.vmk)
			return 1
		}
		target = fmt.Sprintf("The name of the vmk is %s.", o.vmk)
	case o.dvfilter != "":
		fmt.Fprintf(os.Stderr, "error: Failed to find the dvfilter %s.\n", o.dvfilter)
		return 1
	}

	// Subscribe before the first line: packets flow only after the lines, and none
	// that crossed the port after the subscription is missed.
	if err := enc.Encode(hostproto.Request{Cmd: "pktcap-subscribe", Argv: args, PID: os.Getpid()}); err != nil {
		return fatal(err)
	}
	var sub hostproto.PktcapSubscribed
	if err := readJSONLine(br, &sub); err != nil {
		return fatal(err)
	}
	if sub.Error != "" {
		fmt.Fprintln(os.Stderr, "error: "+sub.Error)
		return 1
	}
	style := StyleFor(v, hello.Messages)
	st := start{target: target, count: o.count, vsock: sub.VsockPort, client: sub.ClientPort, session: sub.Session}
	if len(o.capture) > 0 {
		st.point = o.capture[0]
	}
	if o.hasOut {
		st.out = o.out
	}
	os.Stderr.WriteString(style.head(st))

	c := &capture{o: o, style: style, st: st, enc: enc, stopCh: make(chan struct{})}
	c.snaplen = o.snaplen
	if c.snaplen == 0 {
		c.snaplen = 65535
	}
	var sink frameSink = pcapSink{snaplen: c.snaplen}
	if o.ng {
		sink = pcapngSink{snaplen: c.snaplen}
	}
	point := map[bool]string{false: "PortInput", true: "PortOutput"}[o.dirs[1] && !o.dirs[0]]
	if len(o.capture) > 0 {
		point = o.capture[0]
	}
	switch {
	case !o.hasOut:
		n := 0
		sink = textSink{n: &n, point: point}
		c.stdout = bufio.NewWriterSize(os.Stdout, 64<<10)
	case o.out == "-":
		c.stdout = bufio.NewWriterSize(os.Stdout, 64<<10)
	default:
		f, err := os.OpenFile(o.out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "error: Failed to open the output file %s: %s\n", o.out, errText(err))
			return 1
		}
		defer f.Close()
		c.file = f
	}
	c.sink = sink
	os.Stderr.WriteString(style.connected(st))
	return c.run(br, sigs)
}

type capture struct {
	o       *pktcapOpts
	style   Style
	st      start
	enc     *json.Encoder
	encMu   sync.Mutex
	sink    frameSink
	snaplen int
	stdout  *bufio.Writer // -o - and the console
	file    *os.File      // -o FILE
	offset  int64         // end of the last whole record in file
	dumped  atomic.Int64
	fileErr bool
	stopped atomic.Bool
	stopCh  chan struct{} // closed by stop
	dropped atomic.Uint64
	ended   chan struct{} // closed when the lab's end record arrived
	// writing is when the current write to the output began (Unix ns), 0 between writes.
	writing  atomic.Int64
	tailOnce sync.Once
}

// stop asks the lab to end the subscription; it answers with the frames still queued
// and then the end record.
func (c *capture) stop() {
	if c.stopped.Swap(true) {
		return
	}
	close(c.stopCh)
	c.encMu.Lock()
	c.enc.Encode(hostproto.Request{Cmd: "stop"})
	c.encMu.Unlock()
}

// write stores one record; false when the file system is full.
func (c *capture) write(rec []byte) bool {
	c.writing.Store(time.Now().UnixNano())
	defer c.writing.Store(0)
	if c.file == nil {
		c.stdout.Write(rec) // EPIPE kills us with SIGPIPE, as it would pktcap-uw
		return true
	}
	n, err := c.file.Write(rec)
	if err != nil || n < len(rec) {
		// The file keeps only whole records.
		c.file.Truncate(c.offset)
		c.file.Seek(c.offset, io.SeekStart)
		return false
	}
	c.offset += int64(n)
	return true
}

func (c *capture) flush() {
	if c.stdout == nil {
		return
	}
	c.writing.Store(time.Now().UnixNano())
	c.stdout.Flush()
	c.writing.Store(0)
}

func (c *capture) frame(r hostproto.Record) {
	data := r.Data
	if c.o.snaplen > 0 && len(data) > c.o.snaplen {
		data = data[:c.o.snaplen]
	}
	if !c.write(c.sink.record(r.Time, data, len(r.Data))) {
		c.fileErr = true
		c.stop()
		return
	}
	c.dumped.Add(1)
	if c.reached() {
		c.stop()
	}
}

// done says whether no more frames are to be written.
func (c *capture) done() bool { return c.fileErr || c.reached() }

func (c *capture) tail() {
	c.tailOnce.Do(func() { os.Stderr.WriteString(c.style.tail(c.end())) })
}

func (c *capture) run(br *bufio.Reader, sigs chan os.Signal) int {
	frames := make(chan hostproto.Record, 512)
	c.ended = make(chan struct{})
	console := c.file == nil
	go func() {
		defer close(c.ended)
		for {
			r, err := hostproto.ReadRecord(br)
			if err != nil {
				return // the lab went away: end as if stopped
			}
			if r.End {
				c.dropped.Store(r.Dropped)
				return
			}
			if console {
				select {
				case frames <- r:
				case <-c.stopCh: // never hold the end record behind a client that stopped reading
				}
				continue
			}
			frames <- r
		}
	}()
	mainSigs := sigs
	if console {
		mainSigs = nil // the goroutine below takes them
		// A write to a client that stopped reading blocks; INT, TERM and HUP still end
		// the capture with its closing lines (pktcap-uw's main thread does not wait
		// for its dump thread: "Join with dump thread failed.").
		go func() {
			<-sigs
			c.stop()
			<-c.ended
			for {
				if t := c.writing.Load(); t != 0 && time.Since(time.Unix(0, t)) > 50*time.Millisecond {
					c.tail()
					os.Exit(0)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	if hdr := c.sink.header(); len(hdr) > 0 && !c.write(hdr) {
		c.fileErr = true
		c.stop()
	}
	for {
		select {
		case r := <-frames:
			if !c.done() {
				c.frame(r)
			}
			if len(frames) == 0 {
				c.flush()
			}
		case <-mainSigs:
			c.stop() // to a file: what the lab already sent is written before the end
		case <-c.ended:
		drain:
			for !c.done() {
				select {
				case r := <-frames:
					c.frame(r)
				default:
					break drain
				}
			}
			c.flush()
			c.tail()
			if c.fileErr {
				return 1
			}
			return 0
		}
	}
}

func (c *capture) reached() bool { return c.o.count > 0 && c.dumped.Load() >= c.o.count }

func (c *capture) end() end {
	return end{dumped: c.dumped.Load(), dropped: int64(c.dropped.Load()), out: c.st.out, session: c.st.session, fileErr: c.fileErr}
}

func readJSONLine(br *bufio.Reader, v interface{}) error {
	line, err := br.ReadBytes('\n')
	if err != nil {
		return err
	}
	return json.Unmarshal(line, v)
}

func fatal(err error) int {
	fmt.Fprintf(os.Stderr, "pktcap-uw: lost the connection to the host: %v\n", err)
	return 1
}

// errText is the strerror text of a file error ("No such file or directory").
func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		t := pe.Err.Error()
		return strings.ToUpper(t[:1]) + t[1:]
	}
	return err.Error()
}

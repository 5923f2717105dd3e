package esx

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"labsim/esx/esxtest"
	"labsim/world"
)

func TestMain(m *testing.M) { esxtest.Main(m) }

const (
	mac1  = "00:50:56:aa:00:01"
	mac2a = "00:50:56:aa:00:02"
	mac2b = "00:50:56:aa:00:03"
	mac3  = "00:50:56:aa:00:04"
)

type lab struct {
	w     *world.World
	dir   string
	hosts map[string]*Host
}

// newLab builds esx01 (8.0.3, 2-uplink LAG), esx03 (6.5.0) and a few VMs, and starts
// both hosts' SSH servers.
func newLab(t *testing.T, tmpSize int64) *lab {
	t.Helper()
	dir := t.TempDir()
	seedHostKeys(t, dir)
	w, err := world.NewWorld(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	w.AddHost(&world.HostState{Name: "esx01", Version: "8.0.3", Build: "24022510", Cluster: "cluster1",
		Uplinks: []string{"vmnic0", "vmnic1"}, LAGs: map[string][]string{"lag1": {"vmnic0", "vmnic1"}},
		Vswitch: "vSwitch0", DVSName: "DSwitch"})
	w.AddHost(&world.HostState{Name: "esx03", Version: "6.5.0", Build: "4564106", Uplinks: []string{"vmnic0"}, Vswitch: "vSwitch0"})
	w.AddDatastore(&world.DatastoreState{Name: "datastore1", Capacity: 1 << 30, Hosts: []string{"esx01", "esx03"}})
	w.AddDatastore(&world.DatastoreState{Name: "vsanDatastore", Type: "vsan", Capacity: 1 << 30, Hosts: []string{"esx01"}})
	w.AddVM(&world.VMState{Name: "testvm1", Folder: "vm", Host: "esx01",
		Nics: []world.NicSpec{{Label: "Network adapter 1", MAC: mac1, Portgroup: "VM Network"}}})
	w.AddVM(&world.VMState{Name: "testvm2", Folder: "vm", Host: "esx01",
		Nics: []world.NicSpec{{Label: "Network adapter 1", MAC: mac2a, Portgroup: "VM Network"},
			{Label: "Network adapter 2", MAC: mac2b, Portgroup: "dvpg-lag", DVS: true, DVPort: "12"}}})
	w.AddVM(&world.VMState{Name: "a VM with a very long name, spaces and ünïcödé", Folder: "vm", Host: "esx03",
		Nics: []world.NicSpec{{Label: "Network adapter 1", MAC: mac3, Portgroup: "VM Network"}}})
	for _, v := range []string{"testvm1", "testvm2", "a VM with a very long name, spaces and ünïcödé"} {
		if err := w.PowerOn(v, "lab"); err != nil {
			t.Fatal(err)
		}
	}
	l := &lab{w: w, dir: dir, hosts: map[string]*Host{}}
	for _, name := range []string{"esx01", "esx03"} {
		h, err := Start(w, name, Config{StateDir: dir, ListenAddr: "127.0.0.1:0", User: "root", Password: "secret",
			TmpSize: tmpSize, Commands: esxtest.Commands(t)})
		if err != nil {
			t.Fatal(err)
		}
		l.hosts[name] = h
	}
	t.Cleanup(func() {
		for _, h := range l.hosts {
			h.Close()
		}
		w.Close()
	})
	return l
}

func (l *lab) client(t *testing.T, host string) *ssh.Client {
	t.Helper()
	h := l.hosts[host]
	c, err := ssh.Dial("tcp", h.Addr(), &ssh.ClientConfig{User: "root", Auth: passwordAuth("secret"),
		HostKeyCallback: ssh.FixedHostKey(h.HostKey()), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type result struct {
	stdout, stderr string
	status         int
	signal         string
}

// run runs cmd over a new SSH connection and waits for it.
func (l *lab) run(t *testing.T, host, cmd string) result {
	t.Helper()
	c := l.client(t, host)
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errb bytes.Buffer
	s.Stdout, s.Stderr = &out, &errb
	err = s.Run(cmd)
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*ssh.ExitError); ok {
		r.status, r.signal = ee.ExitStatus(), ee.Signal()
	} else if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return r
}

// started is a command running in its own SSH session.
type started struct {
	sess   *ssh.Session
	stdout io.Reader
	stderr *syncBuf
	done   chan error
}

type syncBuf struct {
	ch  chan struct{}
	buf bytes.Buffer
	mu  chanMutex
}

type chanMutex chan struct{}

func (m chanMutex) lock()   { m <- struct{}{} }
func (m chanMutex) unlock() { <-m }

func newSyncBuf() *syncBuf { return &syncBuf{ch: make(chan struct{}, 1), mu: make(chanMutex, 1)} }

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.lock()
	n, err := b.buf.Write(p)
	b.mu.unlock()
	select {
	case b.ch <- struct{}{}:
	default:
	}
	return n, err
}

func (b *syncBuf) String() string {
	b.mu.lock()
	defer b.mu.unlock()
	return b.buf.String()
}

// waitFor waits until the buffer contains s (bounded so a broken lab fails, not hangs).
func (b *syncBuf) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for !strings.Contains(b.String(), s) {
		select {
		case <-b.ch:
		case <-deadline:
			t.Fatalf("never saw %q; got:\n%s", s, b.String())
		}
	}
}

func (l *lab) start(t *testing.T, host, cmd string) *started {
	t.Helper()
	c := l.client(t, host)
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	st := &started{sess: s, stdout: out, stderr: newSyncBuf(), done: make(chan error, 1)}
	s.Stderr = st.stderr
	if err := s.Start(cmd); err != nil {
		t.Fatal(err)
	}
	go func() { st.done <- s.Wait() }()
	return st
}

// eventually waits (bounded) until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// running says whether ps on host lists pid.
func (l *lab) running(t *testing.T, host, pid string) bool {
	t.Helper()
	for _, ln := range strings.Split(l.run(t, host, "ps").stdout, "\n") {
		if f := strings.Fields(ln); len(f) >= 3 && f[0] == pid {
			return true
		}
	}
	return false
}

func (s *started) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatalf("command did not end; stderr:\n%s", s.stderr.String())
	}
	return nil
}

// feed emits frames on a port (both directions) until stop is closed.
func feed(w *world.World, host string, port int64, mac string, stop chan struct{}, size int) {
	seq := uint64(0)
	for {
		select {
		case <-stop:
			return
		default:
		}
		seq++
		data := make([]byte, size)
		copy(data[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		m := []byte{0, 0x50, 0x56, 0xaa, 0, 1}
		copy(data[6:12], m)
		binary.BigEndian.PutUint16(data[12:], 0x88b5)
		binary.BigEndian.PutUint64(data[14:], seq)
		w.Emit(&world.Frame{Time: time.Now(), Host: host, Port: port, Dir: int(seq % 2), VM: "testvm1", MAC: mac, Kind: "udp", Seq: seq, Data: data})
		time.Sleep(200 * time.Microsecond)
	}
}

// capturing is in the last line pktcap-uw prints before packets flow, on every release
// ("pktcap: Vsock connection from port N cid 2." on 7.0+, "Accept...Vsock connection
// from port N cid 2" on 6.x).
const capturing = "Vsock connection from port"

type pcapRec struct {
	ts      time.Time
	caplen  int
	origLen int
	data    []byte
}

// readPcap parses a classic little-endian microsecond pcap stream.
func readPcap(b []byte) (linktype uint32, recs []pcapRec, err error) {
	if len(b) < 24 {
		return 0, nil, fmt.Errorf("pcap: %d bytes, want a 24-byte header", len(b))
	}
	if binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		return 0, nil, fmt.Errorf("pcap: bad magic %x", b[:4])
	}
	linktype = binary.LittleEndian.Uint32(b[20:])
	b = b[24:]
	for len(b) > 0 {
		if len(b) < 16 {
			return linktype, recs, fmt.Errorf("pcap: truncated record header (%d bytes)", len(b))
		}
		caplen := int(binary.LittleEndian.Uint32(b[8:]))
		if len(b) < 16+caplen {
			return linktype, recs, fmt.Errorf("pcap: truncated record (%d of %d bytes)", len(b)-16, caplen)
		}
		sec, us := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
		recs = append(recs, pcapRec{ts: time.Unix(int64(sec), int64(us)*1000), caplen: caplen,
			origLen: int(binary.LittleEndian.Uint32(b[12:])), data: append([]byte{}, b[16:16+caplen]...)})
		b = b[16+caplen:]
	}
	return linktype, recs, nil
}

func portOf(t *testing.T, w *world.World, vm, mac string) int64 {
	t.Helper()
	v := w.FindVM(vm)
	if v == nil || v.Ports[mac] == 0 {
		t.Fatalf("%s has no port for %s", vm, mac)
	}
	return v.Ports[mac]
}

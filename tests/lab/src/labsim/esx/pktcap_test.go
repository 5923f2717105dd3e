package esx

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"labsim/world"
)

func TestPktcapOptionErrors(t *testing.T) {
	l := newLab(t, 0)
	cases := []struct{ host, args, stderrPrefix string }{
		{"esx01", "--frob", "pktcap-uw: unrecognized option '--frob'\nPacket Capture and Trace command usage:"},
		{"esx01", "--switchport", "pktcap-uw: option '--switchport' requires an argument\nPacket Capture and Trace command usage:"},
		{"esx01", "-x", "pktcap-uw: invalid option -- 'x'\nPacket Capture and Trace command usage:"},
		{"esx01", "--switchport 33554440 --capture Bogus", "error: No such capture point: Bogus\n"},
		{"esx03", "--switchport 33555440 --capture VnicRx", "error: No such capture point: VnicRx\n"},
		{"esx03", "--switchport 33555440 --rcf udp", "pktcap-uw: unrecognized option '--rcf'\n"},
		{"esx01", "--switchport 33554440 --dir 3", "error: Invalid direction 3."},
		{"esx01", "--uplink vmnic7", "The name of the uplink is vmnic7.\nerror: Failed to find the uplink vmnic7."},
		{"esx01", "--switchport 1 --uplink vmnic0", "error: Only one of"},
		{"esx01", "--switchport 33554440 --rcf 'udp or tcp'", "error: Failed to compile the filter expression"},
	}
	for _, c := range cases {
		r := l.run(t, c.host, "pktcap-uw "+c.args)
		if r.status != 1 || !strings.HasPrefix(r.stderr, c.stderrPrefix) || r.stdout != "" {
			t.Errorf("%s pktcap-uw %s: status %d stdout %q stderr %q", c.host, c.args, r.status, r.stdout, r.stderr)
		}
	}
	if r := l.run(t, "esx01", "pktcap-uw -A"); r.status != 0 || !strings.Contains(r.stdout, "VnicRx") {
		t.Fatalf("-A on 8.0: %+v", r)
	}
	if r := l.run(t, "esx03", "pktcap-uw -A"); !strings.Contains(r.stdout, "Vmxnet3Rx") || strings.Contains(r.stdout, "VnicRx") {
		t.Fatalf("-A on 6.5: %+v", r)
	}
}

func TestPktcapDir2RefusedOn65AcceptedOn80(t *testing.T) {
	l := newLab(t, 0)
	p3 := portOf(t, l.w, "a VM with a very long name, spaces and ünïcödé", mac3)
	r := l.run(t, "esx03", fmt.Sprintf("pktcap-uw --switchport %d --dir 2 -o - -c 1", p3))
	if r.status != 1 || r.stderr != "error: Invalid direction 2. Valid values are 0 (input) and 1 (output).\n" || r.stdout != "" {
		t.Fatalf("6.5 --dir 2: %+v", r)
	}
	r = l.run(t, "esx03", fmt.Sprintf("pktcap-uw --switchport %d --dir input -c 1", p3))
	if r.status != 1 || !strings.HasPrefix(r.stderr, "error: Invalid direction input.") {
		t.Fatalf("6.5 --dir input: %+v", r)
	}
	// On 8.0 the same command starts a capture: it prints the start lines and waits.
	p1 := portOf(t, l.w, "testvm1", mac1)
	s := l.start(t, "esx01", fmt.Sprintf("pktcap-uw --switchport %d --dir 2 -o - -c 1", p1))
	s.stderr.waitFor(t, capturing)
	s.sess.Close()
}

// The acceptance stream: --dir 2 -o - -c 20 gives a pcap of exactly 20 frames, both
// directions, timestamps shifted by the host's clock skew, and the real stderr lines.
func TestPktcapStreamsCountFramesAsPcap(t *testing.T) {
	l := newLab(t, 0)
	l.w.Settings.ClockSkew["esx01"] = time.Hour
	p := portOf(t, l.w, "testvm1", mac1)
	s := l.start(t, "esx01", fmt.Sprintf("pktcap-uw --switchport %d --dir 2 -o - -c 20", p))
	s.stderr.waitFor(t, capturing)
	stop := make(chan struct{})
	go feed(l.w, "esx01", p, mac1, stop, 100)
	// Frames on another port and on an uplink must not show up.
	other := portOf(t, l.w, "testvm2", mac2a)
	l.w.Emit(&world.Frame{Time: time.Now(), Host: "esx01", Port: other, Dir: 0, Data: make([]byte, 60)})
	l.w.Emit(&world.Frame{Time: time.Now(), Host: "esx01", Uplink: "vmnic0", Dir: 0, Data: make([]byte, 60)})
	out, err := io.ReadAll(s.stdout)
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.wait(t); err != nil {
		t.Fatalf("exit: %v\n%s", err, s.stderr.String())
	}
	lt, recs, err := readPcap(out)
	if err != nil || lt != 1 || len(recs) != 20 {
		t.Fatalf("pcap: linktype %d, %d records, err %v", lt, len(recs), err)
	}
	dirs := map[uint64]bool{}
	for _, r := range recs {
		if r.caplen != 100 || r.origLen != 100 || binary.BigEndian.Uint16(r.data[12:]) != 0x88b5 {
			t.Fatalf("record %+v is not a fed frame", r)
		}
		dirs[binary.BigEndian.Uint64(r.data[14:])%2] = true
		if d := time.Until(r.ts); d < 50*time.Minute || d > 70*time.Minute {
			t.Fatalf("timestamp %v is not shifted by the 1h skew", r.ts)
		}
	}
	if len(dirs) != 2 {
		t.Fatalf("--dir 2 captured only one direction")
	}
	// ESXi 8.0's lines (the 7.0+ form: thread lines, "Join with dump thread failed." on
	// a normal stop).
	want := fmt.Sprintf("The switch port id is 0x%08x.\nTo capture 20 packets.\npktcap: The output file is -.\n"+
		"pktcap: No server port specifed, select 7799 as the port.\npktcap: Local CID 2.\npktcap: Listen on port 7799.\n"+
		"pktcap: Main thread: 955358325568.\npktcap: Dump Thread: 955358861056.\npktcap: Recv Thread: 955359389440.\n"+
		"pktcap: Accept...\npktcap: Vsock connection from port 1823 cid 2.\n"+
		"Receive thread exiting...\nDump thread exiting...\nJoin with dump thread failed.\nJoin with recvthread failed.\n"+
		"Destroying session 2.\nDumped 20 packet to file -, dropped 0 packets.\nDone.\n", p)
	if got := s.stderr.String(); got != want {
		t.Fatalf("stderr:\n%s\nwant:\n%s", got, want)
	}
	// tshark agrees.
	f := filepath.Join(t.TempDir(), "c.pcap")
	os.WriteFile(f, out, 0o644)
	tsharkCount(t, f, 20)
}

func tsharkCount(t *testing.T, file string, want int) []string {
	t.Helper()
	out, err := exec.Command("tshark", "-r", file, "-T", "fields", "-e", "frame.cap_len").Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v\n%s", file, err, out)
	}
	lines := strings.Fields(string(out))
	if len(lines) != want {
		t.Fatalf("tshark read %d frames, want %d:\n%s", len(lines), want, out)
	}
	return lines
}

func TestPktcapPcapngSnaplenToDatastoreFile(t *testing.T) {
	l := newLab(t, 0)
	p := portOf(t, l.w, "testvm1", mac1)
	path := "/vmfs/volumes/datastore1/c.pcapng"
	s := l.start(t, "esx01", fmt.Sprintf("pktcap-uw --switchport %d --dir 1 --ng -s 40 -c 5 -o %s", p, path))
	s.stderr.waitFor(t, capturing)
	stop := make(chan struct{})
	go feed(l.w, "esx01", p, mac1, stop, 100)
	err := s.wait(t)
	close(stop)
	if err != nil || !strings.Contains(s.stderr.String(), "Dumped 5 packet to file "+path+", dropped 0 packets.\nDone.\n") {
		t.Fatalf("exit %v\n%s", err, s.stderr.String())
	}
	r := l.run(t, "esx01", "cat "+path)
	if !strings.HasPrefix(r.stdout, "\x0a\x0d\x0d\x0a") {
		t.Fatalf("not pcapng: %q", r.stdout[:8])
	}
	if st := l.run(t, "esx01", "stat -c %s "+path); strings.TrimSpace(st.stdout) != strconv.Itoa(len(r.stdout)) {
		t.Fatalf("stat %q vs cat %d bytes", st.stdout, len(r.stdout))
	}
	if ds := l.w.DatastoreSnapshot()[0]; ds.Used != (int64(len(r.stdout))+4095)/4096*4096 {
		t.Fatalf("datastore used %d, file is %d bytes (whole 4 KiB blocks)", ds.Used, len(r.stdout))
	}
	f := filepath.Join(t.TempDir(), "c.pcapng")
	os.WriteFile(f, []byte(r.stdout), 0o644)
	for _, cl := range tsharkCount(t, f, 5) {
		if cl != "40" {
			t.Fatalf("cap_len %s, want 40 (-s 40)", cl)
		}
	}
}

// startCapture starts `sh -c 'echo $$; exec pktcap-uw ARGS'` and returns its PID.
func startCapture(t *testing.T, l *lab, host, args string) (*started, string) {
	t.Helper()
	s := l.start(t, host, fmt.Sprintf(`sh -c 'echo $$; exec pktcap-uw %s'`, args))
	buf := make([]byte, 32)
	n, err := s.stdout.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	s.stderr.waitFor(t, capturing)
	return s, strings.TrimSpace(string(buf[:n]))
}

func TestKillStopsOnlyTheNamedCapture(t *testing.T) {
	l := newLab(t, 0)
	p := portOf(t, l.w, "testvm1", mac1)
	a, pidA := startCapture(t, l, "esx01", fmt.Sprintf("--switchport %d -o /tmp/a.pcap", p))
	b, pidB := startCapture(t, l, "esx01", fmt.Sprintf("--switchport %d -o /tmp/b.pcap", p))
	if pidA == pidB {
		t.Fatalf("same PID %s", pidA)
	}
	if !strings.Contains(b.stderr.String(), "select 7800 as the port") {
		t.Fatalf("second capture should take the next vsock port:\n%s", b.stderr.String())
	}
	// kill from a third session.
	if r := l.run(t, "esx01", "kill "+pidA); r.status != 0 {
		t.Fatalf("kill: %+v", r)
	}
	if err := a.wait(t); err != nil || !strings.HasSuffix(a.stderr.String(), "Dumped 0 packet to file /tmp/a.pcap, dropped 0 packets.\nDone.\n") {
		t.Fatalf("A: %v\n%s", err, a.stderr.String())
	}
	ps := l.run(t, "esx01", "ps -c")
	if strings.Contains(ps.stdout, pidA+" ") || !strings.Contains(ps.stdout, pidB+"   "+pidB+"   pktcap-uw            pktcap-uw --switchport") {
		t.Fatalf("after kill %s:\n%s", pidA, ps.stdout)
	}
	l.run(t, "esx01", "kill -9 "+pidB)
	if err := b.wait(t); err == nil || !strings.Contains(err.Error(), "KILL") || strings.Contains(b.stderr.String(), "Done.") {
		t.Fatalf("kill -9 should end B silently by signal: %v\n%s", err, b.stderr.String())
	}
}

// A full /tmp stops a capture with the real error lines, leaves a readable pcap, and
// leaves a parallel capture to a datastore running.
func TestTmpFillsWithRealErrorLines(t *testing.T) {
	l := newLab(t, 64<<10)
	p := portOf(t, l.w, "testvm1", mac1)
	a, _ := startCapture(t, l, "esx01", fmt.Sprintf("--switchport %d --dir 2 -o /tmp/a.pcap", p))
	b, pidB := startCapture(t, l, "esx01", fmt.Sprintf("--switchport %d --dir 2 -o /vmfs/volumes/datastore1/b.pcap", p))
	stop := make(chan struct{})
	go feed(l.w, "esx01", p, mac1, stop, 1000)
	errA := a.wait(t)
	close(stop)
	if errA == nil || !strings.Contains(errA.Error(), "status 1") {
		t.Fatalf("A should fail with status 1: %v", errA)
	}
	lines := strings.Split(a.stderr.String(), "\n")
	n := len(lines)
	if n < 9 || lines[n-1] != "" || lines[n-2] != "Done." || lines[n-4] != "Destroying session 2." ||
		strings.Join(lines[n-9:n-4], "|") != "error: Error writing 16 bytes of pkt header to file|Receive thread exiting...|"+
			"Dump thread exiting...|Join with dump thread failed.|Join with recvthread failed." {
		t.Fatalf("A stderr:\n%s", a.stderr.String())
	}
	var dumped int
	fmt.Sscanf(lines[n-3], "Dumped %d packet to file /tmp/a.pcap", &dumped)
	r := l.run(t, "esx01", "cat /tmp/a.pcap")
	_, recs, err := readPcap([]byte(r.stdout))
	if err != nil || len(recs) != dumped || dumped < 50 || len(r.stdout) > 64<<10 {
		t.Fatalf("a.pcap: %d records (stderr says %d), %d bytes, err %v", len(recs), dumped, len(r.stdout), err)
	}
	if r := l.run(t, "esx01", "vdf -h"); !strings.Contains(r.stdout, "\ntmp                        64K") {
		t.Fatalf("vdf:\n%s", r.stdout)
	}
	if ps := l.run(t, "esx01", "ps"); !strings.Contains(ps.stdout, pidB+"   pktcap-uw") {
		t.Fatalf("the datastore capture should still run:\n%s", ps.stdout)
	}
	l.run(t, "esx01", "kill -INT "+pidB)
	if err := b.wait(t); err != nil || !strings.HasSuffix(b.stderr.String(), "Done.\n") {
		t.Fatalf("B: %v\n%s", err, b.stderr.String())
	}
	// rm frees the ramdisk.
	l.run(t, "esx01", "rm /tmp/a.pcap")
	if _, used := l.hosts["esx01"].tmpUsage(); used != 0 {
		t.Fatalf("tmp used %d after rm", used)
	}
}

// A capture pinned to a port that went away keeps running and captures nothing.
func TestCaptureGoesDeafAfterPortChange(t *testing.T) {
	l := newLab(t, 0)
	old := portOf(t, l.w, "testvm1", mac1)
	s, pid := startCapture(t, l, "esx01", fmt.Sprintf("--switchport %d --dir 2 -o /tmp/d.pcap", old))
	emit := func(port int64, n int) {
		for i := 0; i < n; i++ {
			l.w.Emit(&world.Frame{Time: time.Now(), Host: "esx01", Port: port, Dir: i % 2, Data: make([]byte, 60)})
		}
	}
	emit(old, 3) // captured
	if err := l.w.Reset("testvm1", "api"); err != nil {
		t.Fatal(err)
	}
	now := portOf(t, l.w, "testvm1", mac1)
	if now == old {
		t.Fatal("reset kept the port")
	}
	emit(now, 10) // the VM's traffic is on the new port now
	if ps := l.run(t, "esx01", "ps"); !strings.Contains(ps.stdout, pid+"   pktcap-uw") {
		t.Fatalf("capture on the old port should still run:\n%s", ps.stdout)
	}
	if r := l.run(t, "esx01", "esxcli network vm port list -w "+strconv.FormatInt(l.w.FindVM("testvm1").WorldID, 10)); !strings.Contains(r.stdout, fmt.Sprintf("Port ID: %d\n", now)) {
		t.Fatalf("port list after reset:\n%s", r.stdout)
	}
	l.run(t, "esx01", "kill "+pid)
	if err := s.wait(t); err != nil || !strings.Contains(s.stderr.String(), "Dumped 3 packet to file /tmp/d.pcap") {
		t.Fatalf("%v\n%s", err, s.stderr.String())
	}
}

func TestPktcapTextOutputWithoutO(t *testing.T) {
	l := newLab(t, 0)
	p := portOf(t, l.w, "testvm1", mac1)
	s := l.start(t, "esx01", fmt.Sprintf("pktcap-uw --switchport %d -c 1", p))
	s.stderr.waitFor(t, capturing)
	l.w.Emit(&world.Frame{Time: time.Now(), Host: "esx01", Port: p, Dir: 0, Data: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x50, 0x56, 0xaa, 0, 1, 8, 6}})
	out, _ := io.ReadAll(s.stdout)
	s.wait(t)
	if !strings.Contains(string(out), "[1] Captured at PortInput point, TSO not enabled, Checksum not offloaded and not verified, length 14.\n\tSegment[0] ---- 14 bytes:\n\t0x0000:  ffff ffff ffff 0050 56aa 0001 0806\n") {
		t.Fatalf("text output:\n%s", out)
	}
}

// A client that stops reading blocks pktcap-uw's writes; kill still ends it, and the
// session closes once the client drains what was written.
func TestKillEndsCaptureWhoseReaderStalled(t *testing.T) {
	l := newLab(t, 0)
	p := portOf(t, l.w, "testvm1", mac1)
	s := l.start(t, "esx01", fmt.Sprintf(`sh -c 'echo $$; exec pktcap-uw --switchport %d -o -'`, p))
	br := bufio.NewReader(s.stdout)
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(line)
	s.stderr.waitFor(t, capturing)
	data := make([]byte, 1400)
	for i := 0; i < 4000; i++ { // ~5.6 MB: far more than the SSH window
		l.w.Emit(&world.Frame{Time: time.Now(), Host: "esx01", Port: p, Dir: 0, Data: data})
	}
	if r := l.run(t, "esx01", "kill "+pid); r.status != 0 {
		t.Fatalf("kill: %+v", r)
	}
	gone := false
	for i := 0; i < 2000 && !gone; i++ {
		gone = !strings.Contains(l.run(t, "esx01", "ps").stdout, pid+"   pktcap-uw")
		if !gone {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if !gone {
		t.Fatal("pktcap-uw blocked on a stalled reader survived kill")
	}
	io.Copy(io.Discard, br)
	if err := s.wait(t); err != nil || !strings.HasSuffix(s.stderr.String(), "Done.\n") {
		t.Fatalf("%v\n%s", err, s.stderr.String())
	}
}

// ESXi 6.5 prints pktcap-uw's messages without the "pktcap: " prefix and runs some
// together on one line; a full file system gives the real log's lines.
func TestPktcapStderrOn65(t *testing.T) {
	l := newLab(t, 64<<10)
	p := portOf(t, l.w, "a VM with a very long name, spaces and ünïcödé", mac3)
	s := l.start(t, "esx03", fmt.Sprintf("pktcap-uw --switchport %d -o /tmp/c.pcap -c 2", p))
	s.stderr.waitFor(t, capturing)
	for i := 0; i < 2; i++ {
		l.w.Emit(&world.Frame{Time: time.Now(), Host: "esx03", Port: p, Dir: 0, Data: make([]byte, 60)})
	}
	if err := s.wait(t); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("The switch port id is 0x%08x.\nThe output file is /tmp/c.pcap.\n"+
		"No server port specifed, select 7799 as the port.\nLocal CID 2\nListen on port 7799\n"+
		"Accept...Vsock connection from port 1823 cid 2\n"+
		"Dump: 2, broken : 0, drop: 0, file err: 0Destroying session 2\n\n"+
		"Dumped 2 packet to file /tmp/c.pcap, dropped 0 packets.\nDone.\n", p)
	if got := s.stderr.String(); got != want {
		t.Fatalf("stderr:\n%s\nwant:\n%s", got, want)
	}
	// A full /tmp.
	s = l.start(t, "esx03", fmt.Sprintf("pktcap-uw --switchport %d -o /tmp/d.pcap", p))
	s.stderr.waitFor(t, capturing)
	stop := make(chan struct{})
	go feed(l.w, "esx03", p, mac3, stop, 1000)
	err := s.wait(t)
	close(stop)
	if err == nil || !strings.Contains(err.Error(), "status 1") {
		t.Fatalf("want exit status 1: %v\n%s", err, s.stderr.String())
	}
	tail := s.stderr.String()[strings.Index(s.stderr.String(), "Dump: "):]
	var n int
	fmt.Sscanf(tail, "Dump: %d,", &n)
	if want := fmt.Sprintf("Dump: %d, broken : 0, drop: 0, file err: 0error: Error writing 16 bytes of pkt header to file\n"+
		"Join with dump thread failedDestroying session 3\n\nDumped %d packet to file /tmp/d.pcap, dropped 0 packets.\nDone.\n", n, n); tail != want || n < 10 {
		t.Fatalf("tail:\n%s\nwant:\n%s", tail, want)
	}
}

// pktcap_messages=legacy brings back the lab's first lines on every host.
func TestPktcapLegacyMessagesSetting(t *testing.T) {
	l := newLab(t, 0)
	st := l.w.GetSettings()
	st.PktcapMessages = "legacy"
	l.w.SetSettings(st)
	p := portOf(t, l.w, "testvm1", mac1)
	s := l.start(t, "esx01", fmt.Sprintf("pktcap-uw --switchport %d --dir 2 -o - -c 3", p))
	s.stderr.waitFor(t, capturing)
	for i := 0; i < 3; i++ {
		l.w.Emit(&world.Frame{Time: time.Now(), Host: "esx01", Port: p, Dir: i % 2, Data: make([]byte, 60)})
	}
	io.Copy(io.Discard, s.stdout)
	if err := s.wait(t); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("The switch port id is 0x%08x.\npktcap: The output file is -.\npktcap: No server port specifed, select 7799 as the port.\n"+
		"pktcap: Local CID 2.\npktcap: Listen on port 7799.\npktcap: Accept...\npktcap: Vsock connection from port 1823 cid 2.\n"+
		"Dump: 3, broken : 0, drop: 0, file err: 0\nDestroying session 2\nDumped 3 packet to file -, dropped 0 packets.\nDone.\n", p)
	if got := s.stderr.String(); got != want {
		t.Fatalf("stderr:\n%s\nwant:\n%s", got, want)
	}
}

// HUP ends a capture like INT and TERM, with its closing lines; on the console the
// count line says "to console".
func TestPktcapHUPAndConsoleCount(t *testing.T) {
	l := newLab(t, 0)
	p := portOf(t, l.w, "testvm1", mac1)
	s := l.start(t, "esx01", fmt.Sprintf(`sh -c 'echo $$ >&2; exec pktcap-uw --switchport %d'`, p))
	s.stderr.waitFor(t, capturing)
	pid := strings.SplitN(s.stderr.String(), "\n", 2)[0]
	l.w.Emit(&world.Frame{Time: time.Now(), Host: "esx01", Port: p, Dir: 0, Data: make([]byte, 60)})
	out := newSyncBuf()
	go io.Copy(out, s.stdout)
	eventually(t, "the frame is printed", func() bool { return out.String() != "" })
	l.run(t, "esx01", "kill -HUP "+pid)
	if err := s.wait(t); err != nil || !strings.HasSuffix(s.stderr.String(), "Dumped 1 packet to console, dropped 0 packets.\nDone.\n") {
		t.Fatalf("%v\n%s", err, s.stderr.String())
	}
}

// A reader that stops reading fills the capture's queue in the lab: the frames that do
// not fit are counted in "dropped".
func TestPktcapCountsDropsOfAStalledReader(t *testing.T) {
	l := newLab(t, 0)
	p := portOf(t, l.w, "testvm1", mac1)
	s, pid := startCapture(t, l, "esx01", fmt.Sprintf("--switchport %d -o -", p))
	const n = 100000
	for i := 0; i < n; i++ {
		l.w.Emit(&world.Frame{Time: time.Now(), Host: "esx01", Port: p, Dir: 0, Data: make([]byte, 60)})
	}
	l.run(t, "esx01", "kill "+pid)
	eventually(t, "pktcap-uw ends", func() bool { return !l.running(t, "esx01", pid) })
	// Its last lines share the channel's window with the stdout the client left unread.
	go io.Copy(io.Discard, s.stdout)
	s.stderr.waitFor(t, "Done.\n")
	var dumped, dropped int
	i := strings.Index(s.stderr.String(), "Dumped ")
	fmt.Sscanf(s.stderr.String()[i:], "Dumped %d packet to file -, dropped %d packets.", &dumped, &dropped)
	if dropped == 0 || dumped+dropped > n {
		t.Fatalf("dumped %d, dropped %d of %d\n%s", dumped, dropped, n, s.stderr.String()[i:])
	}
	s.wait(t)
}

package mirror

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"labsim/mirror/mirrortest"
	"labsim/world"
)

const (
	mac1 = "00:50:56:80:00:01"
	mac2 = "00:50:56:80:00:02"
	mac3 = "00:50:56:80:00:03"
)

type rig struct {
	t     *testing.T
	w     *world.World
	e     *Engine
	c     *mirrortest.Collector
	truth string
}

// newRig: esx01 (vmk0 127.0.1.1) runs vm1 (dvport 5) and vm3 (standard portgroup),
// esx02 (127.0.1.2) runs vm2 (dvport 6); a raw-socket collector; the engine.
func newRig(t *testing.T) *rig {
	t.Helper()
	s, err := NewRawSender()
	if err != nil {
		t.Fatalf("the lab tests run as root: %v", err)
	}
	return newRigWith(t, s)
}

func newRigWith(t *testing.T, s Sender) *rig {
	t.Helper()
	dir := t.TempDir()
	truth := filepath.Join(dir, "truth.jsonl")
	w, err := world.NewWorld(truth)
	if err != nil {
		t.Fatal(err)
	}
	w.AddHost(&world.HostState{Name: "esx01", VmkIP: "127.0.1.1", DVSName: "dvs1", Uplinks: []string{"vmnic0"}})
	w.AddHost(&world.HostState{Name: "esx02", VmkIP: "127.0.1.2", DVSName: "dvs1", Uplinks: []string{"vmnic0"}})
	w.AddVM(&world.VMState{Name: "vm1", Folder: "vm", Host: "esx01",
		Nics: []world.NicSpec{{MAC: mac1, Portgroup: "dvpg-lag", DVS: true, DVPort: "5"}}})
	w.AddVM(&world.VMState{Name: "vm2", Folder: "vm", Host: "esx02",
		Nics: []world.NicSpec{{MAC: mac2, Portgroup: "dvpg-lag", DVS: true, DVPort: "6"}}})
	w.AddVM(&world.VMState{Name: "vm3", Folder: "vm", Host: "esx01",
		Nics: []world.NicSpec{{MAC: mac3, Portgroup: "VM Network"}}})
	for _, v := range []string{"vm1", "vm2", "vm3"} {
		if err := w.PowerOn(v, "lab"); err != nil {
			t.Fatal(err)
		}
	}
	r := &rig{t: t, w: w, c: mirrortest.NewCollector(t), truth: truth}
	r.e = Start(w, s)
	t.Cleanup(func() { r.e.Close(); w.Close() })
	return r
}

func (r *rig) session(key string, encap string, f func(*world.VspanSession)) world.VspanSession {
	s := world.VspanSession{Key: key, Name: "s" + key, Enabled: true, Type: "encapsulatedRemoteMirrorSource",
		Encap: encap, ErspanID: 40, SamplingRate: 1, Transmitted: []string{"5", "6"}, Received: []string{"5", "6"},
		DestIPs: []string{r.c.Addr.String()}}
	if f != nil {
		f(&s)
	}
	return s
}

func (r *rig) settings(f func(*world.MirrorSettings)) {
	st := r.w.GetSettings()
	f(&st.Mirror)
	r.w.SetSettings(st)
}

// waitSettings waits until the engine has taken the current settings.
func (r *rig) waitSettings() {
	want := r.w.GetSettings().Mirror
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r.e.mu.Lock()
		got := r.e.st.Mirror
		r.e.mu.Unlock()
		if got == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.t.Fatal("the engine did not take the settings")
}

// frame emits one frame of n bytes on vm's port in direction dir; its bytes carry seq.
func (r *rig) frame(vm string, dir int, seq uint64, n int) []byte {
	r.t.Helper()
	v := r.w.FindVM(vm)
	mac := v.Nics[0].MAC
	data := make([]byte, n)
	copy(data, []byte{0, 0x50, 0x56, 0xaa, 0xbb, 0xcc, 0, 0x50, 0x56, 0x80, 0, 1, 0x08, 0x00})
	for i := 14; i < n; i++ {
		data[i] = byte(int(seq)*7 + i)
	}
	binary.BigEndian.PutUint64(data[14:], seq)
	f := &world.Frame{Time: time.Now(), Host: v.Host, Port: v.Ports[mac], Dir: dir, VM: vm, MAC: mac,
		Kind: "udp", Seq: seq, Data: data}
	if !r.w.EmitLive(f) {
		r.t.Fatalf("%s: port gone", vm)
	}
	return data
}

// records reads truth.jsonl's mirror records until n are there (or the deadline).
func (r *rig) records(n int) []map[string]any {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.w.FlushTruth()
		var out []map[string]any
		f, err := os.Open(r.truth)
		if err != nil {
			r.t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			d.UseNumber() // nanosecond times do not fit a float64
			if err := d.Decode(&m); err != nil {
				r.t.Fatal(err)
			}
			if m["ev"] == "mirror" {
				out = append(out, m)
			}
		}
		f.Close()
		if len(out) >= n || time.Now().After(deadline) {
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func num(m map[string]any, k string) int64 {
	v, _ := m[k].(json.Number)
	n, _ := v.Int64()
	return n
}

func TestEncapsulateLayouts(t *testing.T) {
	frame := []byte{1, 2, 3, 4}
	cases := []struct {
		name string
		h    Header
		want string
	}{
		{"gre seq", Header{Encap: "gre", Seq: 0x01020304}, "1000 6558 01020304 01020304"},
		{"gre plain", Header{Encap: "gre", GREHeader: "plain", Seq: 9}, "0000 6558 01020304"},
		{"gre key-seq", Header{Encap: "gre", GREHeader: "key-seq", Seq: 2, Key: 40}, "3000 6558 00000028 00000002 01020304"},
		// Ver 1 | VLAN 0; COS 5, En 0, T 1, session 0x123; index 0x54321.
		{"erspan2", Header{Encap: "erspan2", Seq: 7, COS: 5, Truncated: true, SessionID: 0x123, Index: 0xf54321},
			"1000 88be 00000007 1000 a523 00054321 01020304"},
		// Ver 2; COS 0, BSO 01 (short), T 0, session 1; timestamp; SGT 0; P 1, FT 0,
		// HwID 0, D 1, Gra 01, O 0.
		{"erspan3", Header{Encap: "erspan3", Seq: 1, SessionID: 1, OrigLen: 4, Timestamp: 0xdeadbeef, Egress: true, Gra: 1},
			"1000 22eb 00000001 2000 0801 deadbeef 0000 800a 01020304"},
		// O 1 with Platf ID 3 and info 5.
		{"erspan3 subheader", Header{Encap: "erspan3", Seq: 1, OrigLen: 64, Gra: 0, Subheader: true, PlatformID: 3, PlatInfo: 5},
			"1000 22eb 00000001 2000 0000 00000000 0000 8001 0c00000000000005 01020304"},
		{"erspan3 oversized", Header{Encap: "erspan3", OrigLen: 1515}, "1000 22eb 00000000 2000 1000 00000000 0000 8000 01020304"},
	}
	for _, c := range cases {
		want, _ := hex.DecodeString(string(bytes.ReplaceAll([]byte(c.want), []byte(" "), nil)))
		if got := Encapsulate(c.h, frame); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got % x\nwant % x", c.name, got, want)
		}
	}
	at := time.Unix(1700000000, 123456789)
	if got, want := Erspan3Timestamp(at, 0, ""), uint32(at.UnixNano()/100000); got != want {
		t.Errorf("100 µs ticks: %d, want %d", got, want)
	}
	if got, want := Erspan3Timestamp(at, 1, "draft"), uint32(at.UnixNano()/100); got != want {
		t.Errorf("100 ns ticks: %d, want %d", got, want)
	}
	if got, want := Erspan3Timestamp(at, 0, "vmware-doc"), uint32(at.UnixNano()/1000); got != want {
		t.Errorf("µs ticks: %d, want %d", got, want)
	}
	if got, want := Erspan3Timestamp(at, 1, "vmware-doc"), uint32(at.UnixNano()); got != want {
		t.Errorf("ns ticks: %d, want %d", got, want)
	}
}

// TestCopiesOnTheWire: every frame crossing a mirrored dvport arrives once per
// session as a real GRE packet from its host's vmk0 address, in each encapsulation,
// with its headers as truth.jsonl says and the frame's bytes; frames on ports or in
// directions not mirrored do not.
func TestCopiesOnTheWire(t *testing.T) {
	for _, encap := range []string{"gre", "erspan2", "erspan3"} {
		t.Run(encap, func(t *testing.T) {
			r := newRig(t)
			r.w.SetVspanSessions("dvs1", []world.VspanSession{r.session("1", encap, func(s *world.VspanSession) {
				s.Transmitted = []string{"6"} // vm2: both directions; vm1: only what it sends
				s.Received = []string{"5", "6"}
				s.COS = 3
				s.GraNanosec = true
			})})
			var sent [][]byte
			var dirs []int
			for i := 0; i < 6; i++ {
				sent = append(sent, r.frame("vm1", 0, uint64(i), 100+i))
				r.frame("vm1", 1, uint64(i), 90) // to vm1: its port's transmit side is not mirrored
				r.frame("vm3", 0, uint64(i), 80) // a standard portgroup: no dvport
				sent = append(sent, r.frame("vm2", i%2, uint64(100+i), 120))
				dirs = append(dirs, 0, i%2)
			}
			pkts := r.c.Collect(len(sent), 10*time.Second)
			if len(pkts) != len(sent) {
				t.Fatalf("%d packets, want %d", len(pkts), len(sent))
			}
			if extra := r.c.Quiet(200 * time.Millisecond); len(extra) != 0 {
				t.Fatalf("an unexpected copy: %+v", extra[0])
			}
			recs := r.records(len(sent))
			if len(recs) != len(sent) {
				t.Fatalf("%d truth records, want %d", len(recs), len(sent))
			}
			seqs := map[string]uint32{}
			for i, p := range pkts {
				rec := recs[i]
				host := map[string]string{"127.0.1.1": "esx01", "127.0.1.2": "esx02"}[p.Src.String()]
				if rec["fate"] != "sent" || rec["host"] != host || rec["src"] != p.Src.String() || rec["dst"] != r.c.Addr.String() {
					t.Fatalf("packet %d from %s: truth %v", i, p.Src, rec)
				}
				if !bytes.Equal(p.Frame, sent[i]) || num(rec, "len") != int64(len(sent[i])) || int(num(rec, "dir")) != dirs[i] {
					t.Fatalf("packet %d: frame % x, want % x (truth %v)", i, p.Frame, sent[i], rec)
				}
				seqs[host]++
				if p.Seq == nil || *p.Seq != seqs[host] || num(rec, "gre_seq") != int64(*p.Seq) {
					t.Fatalf("packet %d from %s: GRE sequence %v, want %d (truth %v)", i, host, p.Seq, seqs[host], rec["gre_seq"])
				}
				if p.TTL == 0 || p.Key != nil {
					t.Fatalf("packet %d: TTL %d, key %v", i, p.TTL, p.Key)
				}
				switch encap {
				case "gre":
					if p.Proto != 0x6558 || p.Flags != 0x1000 {
						t.Fatalf("gre: protocol %#x flags %#x", p.Proto, p.Flags)
					}
				case "erspan2":
					dv := map[string]uint32{"esx01": 5, "esx02": 6}[host]
					if p.Proto != 0x88BE || p.Ver != 1 || p.Session != 40 || p.Cos != 3 || p.Truncated || p.Index != dv || p.Vlan != 0 || p.En != 0 {
						t.Fatalf("erspan2 header %+v", p)
					}
				case "erspan3":
					if p.Proto != 0x22EB || p.Ver != 2 || p.Session != 40 || p.Cos != 3 || !p.P || p.Ft != 0 || p.Gra != 1 ||
						p.Egress != (dirs[i] == 1) || p.O || p.Timestamp != uint32(num(rec, "timestamp")) {
						t.Fatalf("erspan3 header %+v (truth %v)", p, rec)
					}
					// 100 ns ticks of the frame's time.
					if want := uint32(num(rec, "t") / 100); p.Timestamp != want {
						t.Fatalf("timestamp %d, want %d", p.Timestamp, want)
					}
				}
			}
		})
	}
}

func TestTruncationSamplingAndDisabled(t *testing.T) {
	r := newRig(t)
	r.w.SetVspanSessions("dvs1", []world.VspanSession{
		r.session("1", "erspan3", func(s *world.VspanSession) { s.MirroredLen = 60; s.ErspanID = 1 }),
		r.session("2", "erspan2", func(s *world.VspanSession) { s.SamplingRate = 3; s.ErspanID = 2 }),
		r.session("3", "erspan2", func(s *world.VspanSession) { s.Enabled = false; s.ErspanID = 3 }),
	})
	var frames [][]byte
	for i := 0; i < 7; i++ {
		frames = append(frames, r.frame("vm1", 0, uint64(i), 200))
	}
	// Session 1: all 7, cut to 60 bytes; session 2: frames 0, 3, 6; session 3: none.
	pkts := r.c.Collect(10, 10*time.Second)
	if len(pkts) != 10 {
		t.Fatalf("%d packets, want 10", len(pkts))
	}
	var s1, s2 []mirrortest.Packet
	for _, p := range pkts {
		switch p.Session {
		case 1:
			s1 = append(s1, p)
		case 2:
			s2 = append(s2, p)
		default:
			t.Fatalf("a copy of session %d", p.Session)
		}
	}
	if len(s1) != 7 || len(s2) != 3 {
		t.Fatalf("session 1: %d, session 2: %d", len(s1), len(s2))
	}
	for i, p := range s1 {
		if len(p.Frame) != 60 || !p.Truncated || !bytes.Equal(p.Frame, frames[i][:60]) || p.En != 0 {
			t.Fatalf("truncated copy %d: %d bytes, T %v", i, len(p.Frame), p.Truncated)
		}
	}
	for i, p := range s2 {
		if !bytes.Equal(p.Frame, frames[3*i]) || p.Truncated || *p.Seq != uint32(i+1) {
			t.Fatalf("sampled copy %d: seq %d, frame %x", i, *p.Seq, p.Frame[14:22])
		}
	}
	for _, rec := range r.records(10) {
		if rec["session"] == "1" && (rec["truncated"] != true || num(rec, "mirrored_len") != 60 || num(rec, "len") != 200) {
			t.Fatalf("truth %v", rec)
		}
	}
}

func TestLossAndReorder(t *testing.T) {
	r := newRig(t)
	r.settings(func(m *world.MirrorSettings) { m.Loss, m.Reorder = 0.2, 0.2 })
	r.waitSettings()
	r.w.SetVspanSessions("dvs1", []world.VspanSession{r.session("1", "erspan3", nil)})
	const n = 300
	for i := 0; i < n; i++ {
		r.frame("vm1", i%2, uint64(i), 100)
	}
	recs := r.records(n)
	var sent, lost, reordered int
	for _, rec := range recs {
		switch rec["fate"] {
		case "sent":
			sent++
			if rec["reordered"] == true {
				reordered++
			}
		case "lost":
			lost++
		}
	}
	if sent+lost != n || lost == 0 || reordered == 0 {
		t.Fatalf("%d sent, %d lost, %d reordered of %d", sent, lost, reordered, n)
	}
	pkts := r.c.Collect(sent, 10*time.Second)
	if len(pkts) != sent {
		t.Fatalf("%d packets, want %d", len(pkts), sent)
	}
	// The wire has truth's sent copies in truth's order: lost ones leave gaps in the
	// sequence numbers, reordered ones come after a later one.
	i, gaps, backwards := 0, 0, 0
	var last uint32
	for _, rec := range recs {
		if rec["fate"] != "sent" {
			continue
		}
		if uint32(num(rec, "gre_seq")) != *pkts[i].Seq || uint64(num(rec, "seq")) != binary.BigEndian.Uint64(pkts[i].Frame[14:]) {
			t.Fatalf("packet %d: seq %d, truth %v", i, *pkts[i].Seq, rec)
		}
		if *pkts[i].Seq > last+1 {
			gaps++
		}
		if *pkts[i].Seq < last {
			backwards++
		}
		last = *pkts[i].Seq
		i++
	}
	if gaps == 0 || backwards != reordered {
		t.Fatalf("%d gaps, %d steps back for %d reordered", gaps, backwards, reordered)
	}
	st := r.e.Stats()
	if st.Sent != uint64(sent) || st.Lost != uint64(lost) || st.Reordered != uint64(reordered) {
		t.Fatalf("stats %+v", st)
	}
}

func TestOnlyLoopbackDestinations(t *testing.T) {
	r := newRig(t)
	r.w.SetVspanSessions("dvs1", []world.VspanSession{r.session("1", "gre", func(s *world.VspanSession) {
		s.DestIPs = []string{"192.0.2.10", r.c.Addr.String()}
	})})
	r.frame("vm1", 0, 1, 100)
	if pkts := r.c.Collect(1, 5*time.Second); len(pkts) != 1 {
		t.Fatalf("%d packets to the loopback collector", len(pkts))
	}
	recs := r.records(2)
	if len(recs) != 2 || recs[0]["fate"] != "blocked" || recs[0]["dst"] != "192.0.2.10" || recs[1]["fate"] != "sent" {
		t.Fatalf("truth %v", recs)
	}
	if st := r.e.Stats(); st.Blocked != 1 || st.Sent != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestGREHeaderSettings(t *testing.T) {
	r := newRig(t)
	r.w.SetVspanSessions("dvs1", []world.VspanSession{r.session("1", "gre", nil)})
	for i, hdr := range []string{"plain", "key-seq", "seq"} {
		r.settings(func(m *world.MirrorSettings) { m.GREHeader = hdr })
		r.waitSettings()
		r.frame("vm1", 0, uint64(i), 100)
		pkts := r.c.Collect(1, 5*time.Second)
		if len(pkts) != 1 {
			t.Fatalf("%s: no packet", hdr)
		}
		p := pkts[0]
		switch hdr {
		case "plain":
			if p.Flags != 0 || p.Seq != nil || p.Key != nil {
				t.Errorf("plain: flags %#x", p.Flags)
			}
		case "key-seq":
			if p.Flags != 0x3000 || p.Key == nil || *p.Key != 40 || p.Seq == nil || *p.Seq != 2 {
				t.Errorf("key-seq: flags %#x key %v seq %v", p.Flags, p.Key, p.Seq)
			}
		case "seq":
			if p.Flags != 0x1000 || p.Key != nil || p.Seq == nil || *p.Seq != 3 {
				t.Errorf("seq: flags %#x seq %v", p.Flags, p.Seq)
			}
		}
	}
	recs := r.records(3)
	if _, has := recs[0]["gre_seq"]; has || num(recs[1], "gre_seq") != 2 {
		t.Errorf("truth %v", recs)
	}
}

func TestErspan3Settings(t *testing.T) {
	r := newRig(t)
	r.w.SetVspanSessions("dvs1", []world.VspanSession{r.session("1", "erspan3", nil)}) // Gra 00b
	st := r.w.GetSettings()
	st.ClockSkew["esx01"] = 3 * time.Second
	st.Mirror.Erspan3Subheader, st.Mirror.Erspan3Ticks = true, "vmware-doc"
	r.w.SetSettings(st)
	r.waitSettings()
	r.frame("vm1", 1, 1, 100)
	pkts := r.c.Collect(1, 5*time.Second)
	if len(pkts) != 1 {
		t.Fatal("no packet")
	}
	p, rec := pkts[0], r.records(1)[0]
	// The skewed host stamps 3 s late; "vmware-doc" ticks: Gra 00b counts microseconds.
	want := uint32((num(rec, "t") + int64(3*time.Second)) / 1000)
	if p.Gra != 0 || p.Timestamp != want || !p.O || p.PlatformID != 3 || p.PlatInfo != 5 || !p.Egress {
		t.Fatalf("header %+v, want timestamp %d", p, want)
	}
	// Back to the draft's ticks, no subheader.
	r.settings(func(m *world.MirrorSettings) { m.Erspan3Subheader, m.Erspan3Ticks = false, "" })
	r.waitSettings()
	r.frame("vm1", 0, 2, 100)
	p = r.c.Collect(1, 5*time.Second)[0]
	rec = r.records(2)[1]
	if want := uint32((num(rec, "t") + int64(3*time.Second)) / 100000); p.Timestamp != want || p.O || p.Egress {
		t.Fatalf("header %+v, want timestamp %d", p, want)
	}
}

// A session follows its dvports: a VM that moves keeps its key and the copies come
// from the new host's address; a reset changes the switchport, not the copies.
func TestSessionFollowsTheDVPort(t *testing.T) {
	r := newRig(t)
	r.w.SetVspanSessions("dvs1", []world.VspanSession{r.session("1", "erspan2", nil)})
	r.frame("vm1", 0, 1, 100)
	if err := r.w.Reset("vm1", "api"); err != nil {
		t.Fatal(err)
	}
	r.frame("vm1", 0, 2, 100)
	if err := r.w.Migrate("vm1", "esx02", "api"); err != nil {
		t.Fatal(err)
	}
	r.frame("vm1", 0, 3, 100)
	pkts := r.c.Collect(3, 5*time.Second)
	if len(pkts) != 3 || pkts[0].Src.String() != "127.0.1.1" || pkts[1].Src.String() != "127.0.1.1" || pkts[2].Src.String() != "127.0.1.2" {
		t.Fatalf("%d packets: %+v", len(pkts), pkts)
	}
	recs := r.records(3)
	if recs[0]["port"] == recs[1]["port"] || recs[2]["host"] != "esx02" || recs[2]["dvport"] != "5" || pkts[2].Index != 5 {
		t.Fatalf("truth %v", recs)
	}
}

// Without a raw socket nothing is sent: each copy is recorded "unsent" with the reason.
func TestNoRawSocketFallback(t *testing.T) {
	r := newRigWith(t, noSender{why: "raw IPPROTO_GRE socket: operation not permitted (needs CAP_NET_RAW)"})
	if tr := r.e.Transport(); tr != "none: raw IPPROTO_GRE socket: operation not permitted (needs CAP_NET_RAW)" {
		t.Fatalf("transport %q", tr)
	}
	r.w.SetVspanSessions("dvs1", []world.VspanSession{r.session("1", "erspan2", nil)})
	r.frame("vm1", 0, 1, 100)
	recs := r.records(1)
	if len(recs) != 1 || recs[0]["fate"] != "unsent" || recs[0]["why"] != "raw IPPROTO_GRE socket: operation not permitted (needs CAP_NET_RAW)" {
		t.Fatalf("truth %v", recs)
	}
	if pkts := r.c.Quiet(200 * time.Millisecond); len(pkts) != 0 {
		t.Fatalf("a packet went out: %+v", pkts[0])
	}
	if st := r.e.Stats(); st.Unsent != 1 || st.Sent != 0 {
		t.Fatalf("stats %+v", st)
	}
}

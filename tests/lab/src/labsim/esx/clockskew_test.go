package esx

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"labsim/world"
)

func setSkew(w *world.World, host string, d time.Duration) {
	s := w.GetSettings()
	s.ClockSkew[host] = d
	w.SetSettings(s)
}

// readRecords reads the pcap header (once) and n 60-byte frame records from a stream.
func readRecords(t *testing.T, r io.Reader, header bool, n int) []pcapRec {
	t.Helper()
	size := n * (16 + 60)
	if header {
		size += 24
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatalf("reading %d records: %v", n, err)
	}
	if !header {
		b = append(make([]byte, 24), b...)
		copy(b, []byte{0xd4, 0xc3, 0xb2, 0xa1})
	}
	_, recs, err := readPcap(b)
	if err != nil || len(recs) != n {
		t.Fatalf("%d records, err %v", len(recs), err)
	}
	return recs
}

// A host's clock skew shifts its capture timestamps (read at each frame, so a change
// applies from then on); other hosts and truth.jsonl keep true times, and truth
// records each skew change.
func TestClockSkewShiftsCaptureTimestampsNotTruth(t *testing.T) {
	l := newLab(t, 0)
	setSkew(l.w, "esx01", -3*time.Second)
	p1 := portOf(t, l.w, "testvm1", mac1)
	p3 := portOf(t, l.w, "a VM with a very long name, spaces and ünïcödé", mac3)
	a := l.start(t, "esx01", fmt.Sprintf("pktcap-uw --switchport %d --dir 2 -o - -c 4", p1))
	b := l.start(t, "esx03", fmt.Sprintf("pktcap-uw --switchport %d -o - -c 1", p3))
	a.stderr.waitFor(t, capturing)
	b.stderr.waitFor(t, capturing)

	base := time.Unix(1700000000, 123456000)
	emit := func(host string, port int64, i int) {
		l.w.Emit(&world.Frame{Time: base.Add(time.Duration(i) * time.Second), Host: host, Port: port, Dir: i % 2,
			Kind: "udp", Seq: uint64(i), Data: make([]byte, 60)})
	}
	emit("esx01", p1, 0)
	emit("esx01", p1, 1)
	emit("esx03", p3, 0)
	recs := readRecords(t, a.stdout, true, 2) // written: the next frames see the new skew
	setSkew(l.w, "esx01", 2*time.Second)
	emit("esx01", p1, 2)
	emit("esx01", p1, 3)
	recs = append(recs, readRecords(t, a.stdout, false, 2)...)
	want := []time.Duration{-3 * time.Second, 1*time.Second - 3*time.Second, 2*time.Second + 2*time.Second, 3*time.Second + 2*time.Second}
	for i, r := range recs {
		if w := base.Add(want[i]); !r.ts.Equal(w) {
			t.Errorf("esx01 frame %d: pcap time %v, want %v (true %v)", i, r.ts, w, base.Add(time.Duration(i)*time.Second))
		}
	}
	if r := readRecords(t, b.stdout, true, 1); !r[0].ts.Equal(base) {
		t.Errorf("esx03 (no skew): pcap time %v, want the true %v", r[0].ts, base)
	}
	a.wait(t)
	b.wait(t)

	// truth.jsonl: the two skew changes, then frames at their true times.
	l.w.FlushTruth()
	f, err := os.Open(filepath.Join(l.dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var skews []string
	var frames []int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec struct {
			Ev, Host, Skew string
			T, Port        int64
			SkewNs         int64 `json:"skew_ns"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("truth line %q: %v", sc.Text(), err)
		}
		switch {
		case rec.Ev == "clock-skew":
			skews = append(skews, fmt.Sprintf("%s %s %d", rec.Host, rec.Skew, rec.SkewNs))
		case rec.Ev == "frame" && rec.Port == p1:
			frames = append(frames, rec.T)
		}
	}
	if len(skews) != 2 || skews[0] != "esx01 -3s -3000000000" || skews[1] != "esx01 2s 2000000000" {
		t.Errorf("clock-skew truth records %q", skews)
	}
	if len(frames) != 4 {
		t.Fatalf("%d truth frames on esx01's port, want 4", len(frames))
	}
	for i, ns := range frames {
		if want := base.Add(time.Duration(i) * time.Second).UnixNano(); ns != want {
			t.Errorf("truth frame %d at %d, want the true time %d", i, ns, want)
		}
	}
}

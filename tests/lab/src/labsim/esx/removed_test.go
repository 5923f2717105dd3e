package esx

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"labsim/world"
)

// A capture pinned to the port of a VM that is destroyed keeps running and captures
// nothing more, as after a reset; the host no longer lists the VM.
func TestCaptureOnDestroyedVMPortGoesDeaf(t *testing.T) {
	l := newLab(t, 0)
	p := portOf(t, l.w, "testvm1", mac1)
	s, pid := startCapture(t, l, "esx01", fmt.Sprintf("--switchport %d --dir 2 -o /tmp/r.pcap", p))
	live := func() bool {
		return l.w.EmitLive(&world.Frame{Time: time.Now(), Host: "esx01", Port: p, Dir: 0, Data: make([]byte, 60)})
	}
	for i := 0; i < 3; i++ {
		if !live() {
			t.Fatal("frame on a live port dropped")
		}
	}
	if err := l.w.PowerOff("testvm1", "api"); err != nil { // the destroy endpoint powers off first
		t.Fatal(err)
	}
	if err := l.w.Remove("testvm1", "api"); err != nil {
		t.Fatal(err)
	}
	if live() {
		t.Fatal("frame on the destroyed VM's port got through")
	}
	if ps := l.run(t, "esx01", "ps"); !strings.Contains(ps.stdout, pid+"   pktcap-uw") {
		t.Fatalf("capture on the freed port should still run:\n%s", ps.stdout)
	}
	if r := l.run(t, "esx01", "esxcli network vm list"); strings.Contains(r.stdout, "testvm1") || !strings.Contains(r.stdout, "testvm2") {
		t.Fatalf("vm list after destroy:\n%s", r.stdout)
	}
	l.run(t, "esx01", "kill "+pid)
	if err := s.wait(t); err != nil || !strings.Contains(s.stderr.String(), "Dumped 3 packet to file /tmp/r.pcap") {
		t.Fatalf("%v\n%s", err, s.stderr.String())
	}
}

package world

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Remove frees a running VM's ports, forgets the VM, notifies ChRemoved and records
// it; no frame on a freed port gets through EmitLive afterwards.
func TestRemoveFreesPortsAndSilencesThem(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWorld(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	w.AddHost(&HostState{Name: "esx01", Version: "8.0.3"})
	w.AddVM(&VMState{Name: "vm1", Moref: "vm-7", Folder: "vm", Host: "esx01", Nics: []NicSpec{{MAC: "00:50:56:00:00:01"}}})
	var got []Change
	w.OnChange(func(c Change) { got = append(got, c) })
	if err := w.PowerOn("vm1", "api"); err != nil {
		t.Fatal(err)
	}
	port := w.FindVM("vm1").Ports["00:50:56:00:00:01"]
	sub := w.Subscribe(10, func(f *Frame) bool { return f.Port == port })
	if !w.EmitLive(&Frame{Time: time.Now(), Host: "esx01", Port: port, Data: make([]byte, 60)}) || len(sub.C) != 1 {
		t.Fatalf("a frame on a live port was not delivered")
	}
	if err := w.Remove("vm-7", "lab"); err != nil {
		t.Fatal(err)
	}
	if w.FindVM("vm1") != nil || w.PortExists("esx01", port) || len(w.HostPorts("esx01")) != 0 {
		t.Fatalf("after Remove: VM %v, port %d exists %v", w.FindVM("vm1"), port, w.PortExists("esx01", port))
	}
	if len(got) != 2 || got[1].Kind != ChRemoved || got[1].OldPorts["00:50:56:00:00:01"] != port || got[1].FromHost != "esx01" {
		t.Fatalf("changes: %+v", got)
	}
	if w.EmitLive(&Frame{Time: time.Now(), Host: "esx01", Port: port, Data: make([]byte, 60)}) || len(sub.C) != 1 {
		t.Fatalf("a frame on the freed port got through")
	}
	if err := w.Remove("vm1", "lab"); err == nil || !strings.Contains(err.Error(), `"vm1"`) {
		t.Errorf("removing twice: %v", err)
	}
	w.Close()
	b, _ := os.ReadFile(filepath.Join(dir, "truth.jsonl"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	n := len(lines)
	if n < 4 || !strings.Contains(lines[n-2], `"ev":"port-release"`) ||
		!strings.Contains(lines[n-1], `"ev":"removed"`) || !strings.Contains(lines[n-1], `"moref":"vm-7"`) ||
		!strings.Contains(lines[n-1], `"reason":"lab"`) || strings.Count(string(b), `"ev":"frame"`) != 1 {
		t.Fatalf("truth.jsonl:\n%s", b)
	}
}

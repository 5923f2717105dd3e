package world

import (
	"path/filepath"
	"testing"
)

func testWorld(t *testing.T) *World {
	w, err := NewWorld(filepath.Join(t.TempDir(), "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	w.AddHost(&HostState{Name: "esx01", Version: "8.0.3", Uplinks: []string{"vmnic0", "vmnic1"}})
	w.AddHost(&HostState{Name: "esx02", Version: "8.0.3", Uplinks: []string{"vmnic0", "vmnic1"}})
	w.AddVM(&VMState{Name: "vm1", Folder: "vm", Host: "esx01", Nics: []NicSpec{{Label: "Network adapter 1", MAC: "00:50:56:00:00:01"}}})
	return w
}

func TestResetGivesNewPortUnlessKept(t *testing.T) {
	w := testWorld(t)
	if err := w.PowerOn("vm1", "api"); err != nil {
		t.Fatal(err)
	}
	p1 := w.FindVM("vm1").Ports["00:50:56:00:00:01"]
	w.Reset("vm1", "api")
	p2 := w.FindVM("vm1").Ports["00:50:56:00:00:01"]
	if p1 == p2 || p2 == 0 {
		t.Fatalf("reset kept port %d -> %d", p1, p2)
	}
	if w.PortExists("esx01", p1) {
		t.Fatalf("old port %d still exists", p1)
	}
	w.Settings.ResetKeepsPort = true
	w.Reset("vm1", "api")
	if p3 := w.FindVM("vm1").Ports["00:50:56:00:00:01"]; p3 != p2 {
		t.Fatalf("reset with keep setting changed port %d -> %d", p2, p3)
	}
}

func TestMigrateMovesPortsAndNotifies(t *testing.T) {
	w := testWorld(t)
	var got []Change
	w.OnChange(func(c Change) { got = append(got, c) })
	w.PowerOn("vm1", "api")
	if err := w.Migrate("vm1", "esx02", "drs"); err != nil {
		t.Fatal(err)
	}
	if len(w.HostPorts("esx01")) != 0 || len(w.HostPorts("esx02")) != 1 {
		t.Fatalf("ports not moved: %v %v", w.HostPorts("esx01"), w.HostPorts("esx02"))
	}
	if len(got) != 2 || got[1].Kind != ChMigrate || got[1].FromHost != "esx01" || got[1].Reason != "drs" {
		t.Fatalf("changes: %+v", got)
	}
}

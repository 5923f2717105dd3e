package vc

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// inventory/default.json documents the default inventory: it must say the same.
func TestDefaultInventoryFileMatches(t *testing.T) {
	inv, err := LoadInventory("../../../inventory/default.json")
	if err != nil {
		t.Fatal(err)
	}
	if def := DefaultInventory(); !reflect.DeepEqual(inv, def) {
		t.Errorf("inventory/default.json differs from DefaultInventory():\nfile %+v\ncode %+v", inv, def)
	}
}

func TestScaleInventoryFiles(t *testing.T) {
	for file, n := range map[string]int{"scale-1000.json": 1000, "scale-5000.json": 5000} {
		inv, err := LoadInventory("../../../inventory/" + file)
		if err != nil {
			t.Fatal(err)
		}
		macs := map[string]bool{}
		for _, v := range inv.VMs {
			for _, nic := range v.Nics {
				if macs[nic.MAC] {
					t.Fatalf("%s: MAC %s twice", file, nic.MAC)
				}
				macs[nic.MAC] = true
			}
		}
		if len(inv.VMs) != n {
			t.Errorf("%s: %d VMs", file, len(inv.VMs))
		}
	}
}

func TestLabMACsAreDistinctAndInRange(t *testing.T) {
	seen := map[string]bool{}
	for i := 1; i < 1<<18; i++ {
		m := labMAC(i)
		if seen[m] || len(m) != 17 || m[:10] < "00:50:56:8" || m[:10] > "00:50:56:b" {
			t.Fatalf("labMAC(%d) = %s (dup %v)", i, m, seen[m])
		}
		seen[m] = true
	}
}

func TestStaleDatastoreDirsOfDeadLabsGo(t *testing.T) {
	dir := t.TempDir()
	dead := filepath.Join(dir, "vmc-lab-datastores-99999999-abc")
	mine := filepath.Join(dir, fmt.Sprintf("vmc-lab-datastores-%d-def", os.Getpid()))
	other := filepath.Join(dir, "unrelated-99999999-")
	for _, d := range []string{dead, mine, other} {
		if err := os.MkdirAll(filepath.Join(d, "datastore1"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removeStaleDatastoreDirs(dir)
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("dead lab's dir kept: %v", err)
	}
	for _, d := range []string{mine, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s removed: %v", d, err)
		}
	}
}

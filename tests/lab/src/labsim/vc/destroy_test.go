package vc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25/mo"
)

// Destroy_Task refuses a powered-on VM with InvalidPowerState; the control
// operation powers it off first. Either way the VM leaves vCenter (host, pool,
// folder, port lists) and the world, with the events vCenter posts.
func TestDestroyVM(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	vm := l.vm("testvm1")
	ref := vm.Reference()
	mac := firstMAC(l.vmProps(vm))
	port := l.w.FindVM("testvm1").Ports[mac]
	var vmo mo.VirtualMachine
	if err := vm.Properties(ctx, ref, []string{"resourcePool"}, &vmo); err != nil || vmo.ResourcePool == nil {
		t.Fatalf("testvm1's resource pool: %v", err)
	}
	pool := *vmo.ResourcePool

	task, err := vm.Destroy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(ctx); err == nil || !strings.Contains(err.Error(), "InvalidPowerState") {
		t.Fatalf("Destroy_Task on a powered-on VM: %v, want InvalidPowerState", err)
	}
	if l.w.FindVM("testvm1") == nil || len(l.vmPortKeys("esx01", mac)) != 1 {
		t.Fatalf("a refused destroy changed the VM")
	}

	tl := l.tail(l.dc.Reference())
	if err := l.v.VMOp(ref.Value, "destroy", ""); err != nil {
		t.Fatal(err)
	}
	evs := tl.expect(t, "VmStoppingEvent", "VmPoweredOffEvent", "VmRemovedEvent")
	if e := evs[2].GetEvent(); e.Vm == nil || e.Vm.Vm != ref || e.Host == nil || e.Host.Name != "esx01" || e.Datacenter == nil {
		t.Errorf("VmRemovedEvent arguments: vm %+v host %+v dc %+v", e.Vm, e.Host, e.Datacenter)
	}
	if _, err := l.f.VirtualMachine(ctx, "testvm1"); err == nil {
		t.Errorf("vCenter still finds testvm1")
	}
	if hostHasVM(l.hostProps("esx01"), ref) || len(l.vmPortKeys("esx01", mac)) != 0 {
		t.Errorf("esx01 still lists testvm1 or its port")
	}
	var rp mo.ResourcePool
	if err := l.c.RetrieveOne(ctx, pool, []string{"vm"}, &rp); err != nil || simulatorHas(rp.Vm, ref) {
		t.Errorf("resource pool %v still lists testvm1 (%v)", pool, err)
	}
	if l.w.FindVM("testvm1") != nil || l.w.PortExists("esx01", port) {
		t.Errorf("the world still has testvm1 or its port %d", port)
	}
	if err := l.v.VMOp(ref.Value, "destroy", ""); err == nil || !strings.Contains(err.Error(), ref.Value) {
		t.Errorf("destroying again: %v, want an error naming %s", err, ref.Value)
	}

	// A powered-off VM is destroyed without power events.
	spare := l.vm("spare-off").Reference()
	if err := l.v.VMOp(spare.Value, "destroy", ""); err != nil {
		t.Fatal(err)
	}
	for _, e := range tl.expect(t, "VmRemovedEvent") {
		if e.GetEvent().Vm.Vm != spare {
			t.Errorf("VmRemovedEvent for %v, want spare-off", e.GetEvent().Vm.Vm)
		}
	}
	l.w.FlushTruth()
	b, err := os.ReadFile(filepath.Join(l.v.cfg.StateDir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"testvm1", "spare-off"} {
		found := false
		for _, line := range strings.Split(string(b), "\n") {
			found = found || strings.Contains(line, `"ev":"removed"`) && strings.Contains(line, `"vm":"`+name+`"`)
		}
		if !found {
			t.Errorf("truth.jsonl has no removed record for %s", name)
		}
	}
}

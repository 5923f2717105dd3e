package vc

import (
	"context"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"
)

// runtime.bootTime "is updated when the virtual machine is powered on from the
// poweredOff state, and is cleared when the virtual machine is powered off" (API
// reference): a reset, a guest reboot, a suspend and a resume leave it; an HA
// restart (the VM stops and boots again) sets it anew. reset_sets_boottime restores
// the lab's old behaviour (set at a reset and a resume, cleared at a suspend).
func TestBootTime(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	vm := l.vm("testvm1")
	op := func(name, arg string) {
		t.Helper()
		if err := l.v.VMOp(vm.Reference().Value, name, arg); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	boot := func() *time.Time {
		t.Helper()
		m := l.vmProps(vm)
		if m.Summary.Runtime.BootTime == nil != (m.Runtime.BootTime == nil) ||
			(m.Runtime.BootTime != nil && !m.Summary.Runtime.BootTime.Equal(*m.Runtime.BootTime)) {
			t.Errorf("summary.runtime.bootTime %v, runtime.bootTime %v", m.Summary.Runtime.BootTime, m.Runtime.BootTime)
		}
		return m.Runtime.BootTime
	}
	same := func(what string, a, b *time.Time) {
		t.Helper()
		if a == nil || b == nil || !a.Equal(*b) {
			t.Errorf("%s changed bootTime %v -> %v", what, a, b)
		}
	}
	later := func(what string, a, b *time.Time) {
		t.Helper()
		if a == nil || b == nil || !b.After(*a) {
			t.Errorf("%s: bootTime %v -> %v, want a later one", what, a, b)
		}
	}
	b0 := boot()
	if b0 == nil {
		t.Fatal("a powered-on VM has no bootTime")
	}
	op("reset", "")
	same("a reset", b0, boot())
	op("ha-reset", "")
	same("an HA VM-monitoring reset", b0, boot())
	op("reboot", "")
	same("a guest reboot", b0, boot())
	l.run(vm.Reset(ctx)) // through the API too
	same("ResetVM_Task", b0, boot())

	op("suspend", "")
	same("a suspend", b0, boot())
	op("poweron", "") // resume: powered on from suspended, not from poweredOff
	same("a resume", b0, boot())

	op("poweroff", "")
	if b := boot(); b != nil {
		t.Errorf("powered off, bootTime %v; want none", b)
	}
	op("poweron", "")
	b1 := boot()
	later("a power-on from poweredOff", b0, b1)

	op("ha-restart", "esx02")
	b2 := boot()
	later("an HA restart", b1, b2)

	// The old behaviour, for product tests that still need it.
	l.v.SetOptions(Options{ResetSetsBootTime: true})
	op("reset", "")
	b3 := boot()
	later("a reset with reset_sets_boottime", b2, b3)
	op("suspend", "")
	if b := boot(); b != nil {
		t.Errorf("suspended with reset_sets_boottime, bootTime %v; want none", b)
	}
	op("poweron", "")
	later("a resume with reset_sets_boottime", b3, boot())
	if m := l.vmProps(vm); m.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("powerState %s", m.Runtime.PowerState)
	}
}

package vc

import (
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestUpdateHubLogsChangesAndWakes(t *testing.T) {
	h := newUpdateHub(func() time.Duration { return 0 })
	vm := &mo.VirtualMachine{}
	vm.Self = types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-1"}
	c, ch := h.since(0)
	if c.upTo != 0 || len(c.props) != 0 || c.membership || isClosed(ch) {
		t.Fatalf("empty hub: %+v closed=%v", c, isClosed(ch))
	}
	h.UpdateObject(vm, []types.PropertyChange{{Name: "runtime.powerState"}, {Name: "runtime.bootTime"}})
	if !isClosed(ch) {
		t.Fatalf("an update did not wake the waiter")
	}
	c, ch = h.since(0)
	if c.upTo != 1 || c.membership || !c.props[vm.Self]["runtime.powerState"] || !c.props[vm.Self]["runtime.bootTime"] {
		t.Fatalf("after one update: %+v", c)
	}
	h.PutObject(vm)
	h.poke()
	c, _ = h.since(1)
	if c.upTo != 3 || !c.membership || len(c.props) != 1 || len(c.props[vm.Self]) != 0 {
		t.Fatalf("after a put and a poke: %+v (the poke wakes, it is no change)", c)
	}
	if !isClosed(ch) {
		t.Fatalf("a put did not wake the waiter")
	}
	for i := 0; i < hubLogSize; i++ {
		h.UpdateObject(vm, []types.PropertyChange{{Name: "name"}})
	}
	if c, _ := h.since(3); !c.overflow {
		t.Errorf("%d changes after seq 3 and no overflow", hubLogSize)
	}
	if c, _ := h.since(4); c.overflow || len(c.props[vm.Self]) != 1 {
		t.Errorf("the last %d changes: %+v, want them all, no overflow", hubLogSize-1, c)
	}

	end := h.endSignal()
	h.endWaits(false)
	if !isClosed(end) || isClosed(h.endSignal()) {
		t.Errorf("endWaits(false) must end waits in progress only")
	}
	h.endWaits(true)
	if !isClosed(h.endSignal()) {
		t.Errorf("after endWaits(true) every later wait must end at once")
	}
	h.endWaits(true) // twice is fine
}

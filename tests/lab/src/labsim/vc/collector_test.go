package vc

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// rawWatch drives a property collector of its own session with raw WaitForUpdatesEx
// calls, as vm-capture does.
type rawWatch struct {
	t       *testing.T
	c       *vim25.Client
	pc      types.ManagedObjectReference
	version string
	seen    []string // versions returned, in order
}

func (l *lab) rawWatch(specs ...types.PropertyFilterSpec) *rawWatch {
	l.t.Helper()
	ctx := context.Background()
	c := l.login().Client
	res, err := methods.CreatePropertyCollector(ctx, c, &types.CreatePropertyCollector{This: c.ServiceContent.PropertyCollector})
	if err != nil {
		l.t.Fatal(err)
	}
	w := &rawWatch{t: l.t, c: c, pc: res.Returnval}
	for _, s := range specs {
		if _, err := methods.CreateFilter(ctx, c, &types.CreateFilter{This: w.pc, Spec: s}); err != nil {
			l.t.Fatal(err)
		}
	}
	return w
}

// wait makes one WaitForUpdatesEx call (maxWait seconds; 0 = one calculation).
func (w *rawWatch) wait(maxWait int32) (*types.UpdateSet, error) {
	res, err := methods.WaitForUpdatesEx(context.Background(), w.c, &types.WaitForUpdatesEx{This: w.pc,
		Version: w.version, Options: &types.WaitOptions{MaxWaitSeconds: &maxWait}})
	if err != nil {
		return nil, err
	}
	if res.Returnval != nil {
		w.version = res.Returnval.Version
		w.seen = append(w.seen, w.version)
	}
	return res.Returnval, nil
}

func (w *rawWatch) mustWait(maxWait int32) *types.UpdateSet {
	w.t.Helper()
	set, err := w.wait(maxWait)
	if err != nil {
		w.t.Fatalf("WaitForUpdatesEx(version %q, maxWait %d): %v", w.version, maxWait, err)
	}
	return set
}

// checkVersions fails unless every version returned is a number greater than the one before.
func (w *rawWatch) checkVersions() {
	w.t.Helper()
	prev := -1
	for _, v := range w.seen {
		n, err := strconv.Atoi(v)
		if err != nil || n <= prev {
			w.t.Fatalf("update set versions %v: want increasing numbers", w.seen)
		}
		prev = n
	}
}

// updatesFor lists the object updates about obj in a set (any filter).
func updatesFor(set *types.UpdateSet, obj types.ManagedObjectReference) []types.ObjectUpdate {
	var out []types.ObjectUpdate
	if set == nil {
		return nil
	}
	for _, fu := range set.FilterSet {
		for _, ou := range fu.ObjectSet {
			if ou.Obj == obj {
				out = append(out, ou)
			}
		}
	}
	return out
}

func changeNamed(ou types.ObjectUpdate, name string) (types.PropertyChange, bool) {
	for _, c := range ou.ChangeSet {
		if c.Name == name {
			return c, true
		}
	}
	return types.PropertyChange{}, false
}

func vmSpec(vm types.ManagedObjectReference, paths ...string) types.PropertyFilterSpec {
	return types.PropertyFilterSpec{ObjectSet: []types.ObjectSpec{{Obj: vm}},
		PropSet: []types.PropertySpec{{Type: "VirtualMachine", PathSet: paths}}}
}

// waitUntil calls wait (up to 30 s each) until have reports everything wanted.
func (w *rawWatch) waitUntil(have func(*types.UpdateSet) bool) {
	w.t.Helper()
	for i := 0; i < 10; i++ {
		if have(w.mustWait(30)) {
			return
		}
	}
	w.t.Fatalf("10 update sets (versions %v) without the expected update", w.seen)
}

func TestCollectorFullStateThenPromptUpdates(t *testing.T) {
	l := startLab(t, nil)
	vm := l.vm("testvm1").Reference()
	esx01 := l.host("esx01").Reference()
	spec := vmSpec(vm, "name", "runtime.powerState", "runtime.host")
	spec.ObjectSet = append(spec.ObjectSet, types.ObjectSpec{Obj: esx01})
	spec.PropSet = append(spec.PropSet, types.PropertySpec{Type: "HostSystem", PathSet: []string{"config.network.portgroup"}})
	w := l.rawWatch(spec)

	// Empty version: the full state at once, every object entering.
	set := w.mustWait(0)
	vu, hu := updatesFor(set, vm), updatesFor(set, esx01)
	if len(vu) != 1 || vu[0].Kind != types.ObjectUpdateKindEnter || len(vu[0].ChangeSet) != 3 {
		t.Fatalf("first update for testvm1: %+v, want one enter with name, runtime.powerState, runtime.host", vu)
	}
	if c, _ := changeNamed(vu[0], "runtime.powerState"); c.Val != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("initial runtime.powerState %v", c.Val)
	}
	if len(hu) != 1 || hu[0].Kind != types.ObjectUpdateKindEnter {
		t.Fatalf("first update for esx01: %+v", hu)
	}
	// Nothing changed since: one calculation, no update set.
	if set := w.mustWait(0); set != nil {
		t.Fatalf("no change, yet an update set: %+v", set)
	}

	// A change made while the call waits ends the wait with just that change.
	type result struct {
		set *types.UpdateSet
		err error
	}
	done := make(chan result, 1)
	go func() {
		set, err := w.wait(60)
		done <- result{set, err}
	}()
	time.Sleep(100 * time.Millisecond) // let the call start waiting (it works either way)
	if err := l.v.VMOp(vm.Value, "poweroff", ""); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.set == nil {
		t.Fatalf("wait during a power-off: %v, set %v", r.err, r.set)
	}
	vu = updatesFor(r.set, vm)
	if len(vu) != 1 || vu[0].Kind != types.ObjectUpdateKindModify || len(vu[0].ChangeSet) != 1 {
		t.Fatalf("power-off update for testvm1: %+v, want one modify of runtime.powerState only", vu)
	}
	if c := vu[0].ChangeSet[0]; c.Name != "runtime.powerState" || c.Val != types.VirtualMachinePowerStatePoweredOff {
		t.Errorf("power-off change %+v", c)
	}
	// The host's port list follows (in the same set or the next).
	if len(updatesFor(r.set, esx01)) == 0 {
		w.waitUntil(func(s *types.UpdateSet) bool { return len(updatesFor(s, esx01)) > 0 })
	}
	w.checkVersions()
}

func TestCollectorUpdateBatchSetting(t *testing.T) {
	l := startLab(t, nil)
	vm := l.vm("testvm1").Reference()
	w := l.rawWatch(vmSpec(vm, "runtime.powerState"))
	l.v.SetOptions(Options{UpdateBatch: time.Hour})
	if set := w.mustWait(0); len(updatesFor(set, vm)) != 1 {
		t.Fatalf("the full state comes at once whatever the batch: %+v", set)
	}
	// With a one-hour batch, a change waits for the batch: a 1 s wait ends empty.
	if err := l.v.VMOp(vm.Value, "poweroff", ""); err != nil {
		t.Fatal(err)
	}
	if set := w.mustWait(1); set != nil {
		t.Fatalf("update_batch 1h delivered within a 1 s wait: %+v", set)
	}
	// 250ms (the bare simulator): the change arrives, at the next tick.
	l.v.SetOptions(Options{UpdateBatch: 250 * time.Millisecond})
	set := w.mustWait(30)
	if vu := updatesFor(set, vm); len(vu) != 1 || vu[0].ChangeSet[0].Val != types.VirtualMachinePowerStatePoweredOff {
		t.Fatalf("update_batch 250ms: %+v", set)
	}
	// 0: at once, even for a single calculation right after the change.
	l.v.SetOptions(Options{})
	if err := l.v.VMOp(vm.Value, "poweron", ""); err != nil {
		t.Fatal(err)
	}
	set = w.mustWait(0)
	if vu := updatesFor(set, vm); len(vu) != 1 || vu[0].ChangeSet[0].Val != types.VirtualMachinePowerStatePoweredOn {
		t.Fatalf("update_batch 0, one calculation after power-on: %+v", set)
	}
	w.checkVersions()
}

func TestCollectorCoalescesChangesBetweenWaits(t *testing.T) {
	l := startLab(t, nil)
	vm := l.vm("testvm1").Reference()
	esx01, esx02 := l.host("esx01").Reference(), l.host("esx02").Reference()
	spec := vmSpec(vm, "name", "runtime.powerState", "runtime.host", "runtime.bootTime")
	spec.ObjectSet = append(spec.ObjectSet, types.ObjectSpec{Obj: esx01}, types.ObjectSpec{Obj: esx02})
	spec.PropSet = append(spec.PropSet, types.PropertySpec{Type: "HostSystem", PathSet: []string{"config.network.portgroup"}})
	w := l.rawWatch(spec)
	w.mustWait(0)
	first := w.version

	// Off, on, migrate: powerState ends where it began, host and bootTime changed.
	for _, op := range [][2]string{{"poweroff", ""}, {"poweron", ""}, {"migrate", "esx02"}} {
		if err := l.v.VMOp(vm.Value, op[0], op[1]); err != nil {
			t.Fatalf("%s: %v", op[0], err)
		}
	}
	set := w.mustWait(0)
	vu := updatesFor(set, vm)
	if len(vu) != 1 || vu[0].Kind != types.ObjectUpdateKindModify {
		t.Fatalf("testvm1 after three operations: %+v, want one modify", vu)
	}
	names := map[string]int{}
	for _, c := range vu[0].ChangeSet {
		names[c.Name]++
	}
	if names["runtime.host"] != 1 || names["runtime.bootTime"] != 1 || names["runtime.powerState"] != 0 || names["name"] != 0 {
		t.Errorf("coalesced changes %v: want runtime.host and runtime.bootTime once, not powerState (unchanged) nor name", names)
	}
	if c, _ := changeNamed(vu[0], "runtime.host"); c.Val != esx02 {
		t.Errorf("runtime.host %v, want esx02 %v", c.Val, esx02)
	}
	for _, h := range []types.ManagedObjectReference{esx01, esx02} {
		if hu := updatesFor(set, h); len(hu) != 1 || len(hu[0].ChangeSet) != 1 {
			t.Errorf("%s: %+v, want one modify of config.network.portgroup", h.Value, hu)
		}
	}
	if set.Version == first {
		t.Errorf("version stayed %q", first)
	}
	if set := w.mustWait(0); set != nil {
		t.Errorf("the same changes again: %+v", set)
	}
	w.checkVersions()
}

func TestCollectorEnterAndLeave(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	spare, web, t1 := l.vm("spare-off").Reference(), l.vm("web01").Reference(), l.vm("testvm1").Reference()

	// A container view of every VM, a list view of testvm1, and spare-off directly.
	cv, err := methods.CreateContainerView(ctx, l.c.Client, &types.CreateContainerView{This: *l.c.ServiceContent.ViewManager,
		Container: l.c.ServiceContent.RootFolder, Type: []string{"VirtualMachine"}, Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	lv, err := methods.CreateListView(ctx, l.c.Client, &types.CreateListView{This: *l.c.ServiceContent.ViewManager, Obj: []types.ManagedObjectReference{t1}})
	if err != nil {
		t.Fatal(err)
	}
	viewSpec := func(view types.ManagedObjectReference, typ string) types.PropertyFilterSpec {
		return types.PropertyFilterSpec{
			ObjectSet: []types.ObjectSpec{{Obj: view, Skip: types.NewBool(true), SelectSet: []types.BaseSelectionSpec{
				&types.TraversalSpec{Type: typ, Path: "view"}}}},
			PropSet: []types.PropertySpec{{Type: "VirtualMachine", PathSet: []string{"name"}}}}
	}
	// The views are objects of l.c's session: watch them from that session.
	w := &rawWatch{t: t, c: l.c.Client}
	res, err := methods.CreatePropertyCollector(ctx, l.c.Client, &types.CreatePropertyCollector{This: l.c.ServiceContent.PropertyCollector})
	if err != nil {
		t.Fatal(err)
	}
	w.pc = res.Returnval
	filters := map[string]types.ManagedObjectReference{}
	for name, spec := range map[string]types.PropertyFilterSpec{
		"container": viewSpec(cv.Returnval, "ContainerView"), "list": viewSpec(lv.Returnval, "ListView"),
		"direct": vmSpec(spare, "name")} {
		f, err := methods.CreateFilter(ctx, l.c.Client, &types.CreateFilter{This: w.pc, Spec: spec})
		if err != nil {
			t.Fatal(err)
		}
		filters[name] = f.Returnval
	}
	byFilter := func(set *types.UpdateSet, name string) []types.ObjectUpdate {
		if set == nil {
			return nil
		}
		for _, fu := range set.FilterSet {
			if fu.Filter == filters[name] {
				return fu.ObjectSet
			}
		}
		return nil
	}
	set := w.mustWait(0)
	if n := len(byFilter(set, "container")); n != len(l.w.VMsSnapshot()) {
		t.Errorf("container view filter: %d objects entered, the lab has %d VMs", n, len(l.w.VMsSnapshot()))
	}
	if ou := byFilter(set, "list"); len(ou) != 1 || ou[0].Obj != t1 || ou[0].Kind != types.ObjectUpdateKindEnter {
		t.Errorf("list view filter: %+v, want testvm1 entering", ou)
	}
	if ou := byFilter(set, "direct"); len(ou) != 1 || ou[0].Obj != spare {
		t.Errorf("direct filter: %+v, want spare-off entering", ou)
	}

	// The list view gains web01 and loses testvm1: enter, leave.
	if _, err := methods.ModifyListView(ctx, l.c.Client, &types.ModifyListView{This: lv.Returnval,
		Add: []types.ManagedObjectReference{web}, Remove: []types.ManagedObjectReference{t1}}); err != nil {
		t.Fatal(err)
	}
	set = w.mustWait(0)
	kinds := map[types.ManagedObjectReference]types.ObjectUpdateKind{}
	for _, ou := range byFilter(set, "list") {
		kinds[ou.Obj] = ou.Kind
	}
	if len(kinds) != 2 || kinds[web] != types.ObjectUpdateKindEnter || kinds[t1] != types.ObjectUpdateKindLeave {
		t.Errorf("list view after the change: %v, want web01 enter and testvm1 leave", kinds)
	}
	if n := len(byFilter(set, "container")) + len(byFilter(set, "direct")); n != 0 {
		t.Errorf("%d updates from filters the change does not concern", n)
	}

	// Destroying spare-off: it leaves both the container view's filter and the direct one.
	l.run(l.vm("spare-off").Destroy(ctx))
	left := map[string]bool{}
	w.waitUntil(func(s *types.UpdateSet) bool {
		for _, name := range []string{"container", "direct"} {
			for _, ou := range byFilter(s, name) {
				if ou.Obj == spare && ou.Kind == types.ObjectUpdateKindLeave {
					left[name] = true
				}
			}
		}
		return left["container"] && left["direct"]
	})
	w.checkVersions()
}

func TestCollectorCancelWait(t *testing.T) {
	l := startLab(t, nil)
	vm := l.vm("testvm1").Reference()
	w := l.rawWatch(vmSpec(vm, "name"))
	w.mustWait(0)
	done := make(chan error, 1)
	go func() {
		// No MaxWaitSeconds: only a change or a cancel ends it.
		_, err := methods.WaitForUpdatesEx(context.Background(), w.c, &types.WaitForUpdatesEx{This: w.pc, Version: w.version})
		done <- err
	}()
	var err error
	for cancelled := false; !cancelled; {
		if _, err := methods.CancelWaitForUpdates(context.Background(), w.c, &types.CancelWaitForUpdates{This: w.pc}); err != nil {
			t.Fatal(err)
		}
		select {
		case err = <-done:
			cancelled = true
		case <-time.After(50 * time.Millisecond): // the wait may not have started yet: cancel again
		}
	}
	if err == nil || !soap.IsSoapFault(err) {
		t.Fatalf("cancelled wait returned %v, want a RequestCanceled fault", err)
	}
	if _, ok := soap.ToSoapFault(err).VimFault().(types.RequestCanceled); !ok {
		t.Fatalf("cancelled wait: %v, want RequestCanceled", err)
	}
	// The collector still works after a cancel.
	if err := l.v.VMOp(vm.Value, "poweroff", ""); err != nil {
		t.Fatal(err)
	}
	w2 := l.rawWatch(vmSpec(vm, "runtime.powerState"))
	if set := w2.mustWait(0); len(updatesFor(set, vm)) != 1 {
		t.Fatalf("new collector after the cancel: %+v", set)
	}
}

// The filter vm-capture makes: its event collector's latestPage first (a session
// object), the VMs' properties, the hosts' portgroups. A reset changes the page and the ports.
func TestCollectorProductFilterSeesEventsVMAndHost(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	vm := l.vm("testvm1").Reference()
	esx01 := l.host("esx01").Reference()
	w := l.rawWatch()
	ec, err := methods.CreateCollectorForEvents(ctx, w.c, &types.CreateCollectorForEvents{This: *w.c.ServiceContent.EventManager,
		Filter: types.EventFilterSpec{MaxCount: 100, Entity: &types.EventFilterSpecByEntity{Entity: vm,
			Recursion: types.EventFilterSpecRecursionOptionSelf}}})
	if err != nil {
		t.Fatal(err)
	}
	spec := types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: ec.Returnval}, {Obj: vm}, {Obj: esx01}},
		PropSet: []types.PropertySpec{
			{Type: "EventHistoryCollector", PathSet: []string{"latestPage"}},
			{Type: "VirtualMachine", PathSet: []string{"name", "runtime.host", "runtime.powerState", "runtime.bootTime", "config.hardware.device"}},
			{Type: "HostSystem", PathSet: []string{"config.network.portgroup"}}}}
	if _, err := methods.CreateFilter(ctx, w.c, &types.CreateFilter{This: w.pc, Spec: spec}); err != nil {
		t.Fatal(err)
	}
	if set := w.mustWait(0); len(updatesFor(set, ec.Returnval)) != 1 || len(updatesFor(set, vm)) != 1 || len(updatesFor(set, esx01)) != 1 {
		t.Fatalf("full state: %+v", set)
	}
	if err := l.v.VMOp(vm.Value, "reset", ""); err != nil {
		t.Fatal(err)
	}
	// (A reset leaves runtime.bootTime alone: TestBootTime.)
	var sawEvent, sawPorts bool
	w.waitUntil(func(s *types.UpdateSet) bool {
		for _, ou := range updatesFor(s, ec.Returnval) {
			if c, ok := changeNamed(ou, "latestPage"); ok {
				page, _ := c.Val.(types.ArrayOfEvent)
				for _, e := range page.Event {
					sawEvent = sawEvent || eventName(e) == "VmResettingEvent"
				}
			}
		}
		sawPorts = sawPorts || len(updatesFor(s, esx01)) > 0
		return sawEvent && sawPorts
	})
	w.checkVersions()
}

package vc

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// collector makes an EventHistoryCollector in c's session.
func (l *lab) collector(c *govmomi.Client, spec types.EventFilterSpec) types.ManagedObjectReference {
	l.t.Helper()
	ref, err := l.tryCollector(c, spec)
	if err != nil {
		l.t.Fatalf("CreateCollectorForEvents(%+v): %v", spec, err)
	}
	return ref
}

func (l *lab) tryCollector(c *govmomi.Client, spec types.EventFilterSpec) (types.ManagedObjectReference, error) {
	res, err := methods.CreateCollectorForEvents(context.Background(), c, &types.CreateCollectorForEvents{
		This: *c.ServiceContent.EventManager, Filter: spec})
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	return res.Returnval, nil
}

// page reads a collector's latestPage with the PropertyCollector, oldest first.
func (l *lab) page(c *govmomi.Client, ref types.ManagedObjectReference) []types.BaseEvent {
	l.t.Helper()
	var m mo.EventHistoryCollector
	if err := property.DefaultCollector(c.Client).RetrieveOne(context.Background(), ref, []string{"latestPage"}, &m); err != nil {
		l.t.Fatal(err)
	}
	sort.Slice(m.LatestPage, func(i, j int) bool { return m.LatestPage[i].GetEvent().Key < m.LatestPage[j].GetEvent().Key })
	return m.LatestPage
}

func names(evs []types.BaseEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = eventName(e)
	}
	return out
}

func keysOf(evs []types.BaseEvent) []int32 {
	out := make([]int32, len(evs))
	for i, e := range evs {
		out[i] = e.GetEvent().Key
	}
	return out
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// faultOf is the vim fault of a SOAP fault (a value such as types.InvalidArgument).
func (l *lab) burst(n int, kinds ...string) []int32 {
	l.t.Helper()
	keys, err := l.v.PostBurst(n, kinds)
	if err != nil {
		l.t.Fatal(err)
	}
	return keys
}

func (l *lab) op(vm, op, arg string) {
	l.t.Helper()
	if err := l.v.VMOp(l.vm(vm).Reference().Value, op, arg); err != nil {
		l.t.Fatalf("%s %s: %v", op, vm, err)
	}
}

// The type filter takes the classes named and their subclasses (a filter on
// VmMigratedEvent takes DrsVmMigratedEvent), or, with event_type_subclasses=false,
// the classes named only; eventTypeId takes an EventEx by its id and other events by
// their own class only.
func TestEventFilterTypes(t *testing.T) {
	l := startLab(t, nil)
	migrated := l.collector(l.c, types.EventFilterSpec{Type: []string{"VmMigratedEvent"}})
	vmEvents := l.collector(l.c, types.EventFilterSpec{Type: []string{"VmEvent"}})
	das := l.collector(l.c, types.EventFilterSpec{Type: []string{"VmDasBeingResetEvent"}})
	byID := l.collector(l.c, types.EventFilterSpec{EventTypeId: []string{"VmMigratedEvent", "com.vmware.vc.ha.VmRestartedByHAEvent"}})
	ex := l.collector(l.c, types.EventFilterSpec{Type: []string{"EventEx"}})
	l.op("testvm1", "migrate", "esx02")
	if _, err := l.v.DRSPass(); err != nil {
		t.Fatal(err)
	}
	l.op("testvm2", "ha-reset", "")
	l.op("web01", "ha-restart", "esx02")
	l.burst(7)

	got := names(l.page(l.c, migrated))
	if !has(got, "VmMigratedEvent") || !has(got, "DrsVmMigratedEvent") || has(got, "VmBeingHotMigratedEvent") {
		t.Errorf("type VmMigratedEvent took %v", got)
	}
	for _, n := range got {
		if n != "VmMigratedEvent" && n != "DrsVmMigratedEvent" {
			t.Errorf("type VmMigratedEvent took a %s", n)
		}
	}
	got = names(l.page(l.c, vmEvents))
	if !has(got, "VmBeingHotMigratedEvent") || !has(got, "VmResettingEvent") || !has(got, "VmAcquiredTicketEvent") ||
		has(got, "UserLoginSessionEvent") || has(got, "AlarmStatusChangedEvent") || has(got, "TaskEvent") {
		t.Errorf("type VmEvent took %v", got)
	}
	if got = names(l.page(l.c, das)); !reflect.DeepEqual(got, []string{"VmDasBeingResetWithScreenshotEvent"}) {
		t.Errorf("type VmDasBeingResetEvent took %v", got)
	}
	got = names(l.page(l.c, byID))
	if !has(got, "VmMigratedEvent") || has(got, "DrsVmMigratedEvent") || !has(got, "com.vmware.vc.ha.VmRestartedByHAEvent") {
		t.Errorf("eventTypeId took %v", got)
	}
	got = names(l.page(l.c, ex))
	if !reflect.DeepEqual(got, []string{"com.vmware.vc.ha.VmRestartedByHAEvent", "com.vmware.vc.guestOperations.GuestOperation",
		"esx.audit.ssh.session.opened"}) {
		t.Errorf("type EventEx took %v", got)
	}

	// Exact classes only.
	l.v.SetOptions(Options{EventTypeExact: true})
	exact := l.collector(l.c, types.EventFilterSpec{Type: []string{"VmMigratedEvent", "VmDasBeingResetEvent"}})
	if got := names(l.page(l.c, exact)); !reflect.DeepEqual(got, []string{"VmMigratedEvent"}) {
		t.Errorf("exact type VmMigratedEvent, VmDasBeingResetEvent took %v", got)
	}
	l.op("testvm2", "ha-reset", "")
	if got := names(l.page(l.c, exact)); !reflect.DeepEqual(got, []string{"VmMigratedEvent"}) {
		t.Errorf("exact: after an HA reset with a screenshot %v", got)
	}

	// event_filtering=false: the bare simulator's collector took every event.
	l.v.SetOptions(Options{EventFilterOff: true})
	all := l.collector(l.c, types.EventFilterSpec{Type: []string{"VmResettingEvent"}, EventTypeId: []string{"x"}})
	keys := l.burst(3, "login")
	if got := keysOf(l.page(l.c, all)); !reflect.DeepEqual(got[len(got)-3:], keys) {
		t.Errorf("event_filtering=false: page ends %v, want the logins %v", got, keys)
	}
}

// Filters vCenter refuses with InvalidArgument.
func TestEventFilterRefused(t *testing.T) {
	l := startLab(t, nil)
	vm := l.vm("testvm1").Reference()
	for _, c := range []struct {
		spec types.EventFilterSpec
		prop string
	}{
		{types.EventFilterSpec{Type: []string{"NoSuchEvent"}}, "type"},
		{types.EventFilterSpec{Type: []string{"VirtualMachine"}}, "type"},
		{types.EventFilterSpec{Type: []string{"VmEvent"}, EventTypeId: []string{"VmEvent"}}, "eventTypeId"},
		{types.EventFilterSpec{Entity: &types.EventFilterSpecByEntity{Entity: vm, Recursion: "parent"}}, "recursion"},
		{types.EventFilterSpec{Entity: &types.EventFilterSpecByEntity{Entity: types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-nope"},
			Recursion: "self"}}, "entity"},
		{types.EventFilterSpec{MaxCount: 1001}, "maxCount"},
		{types.EventFilterSpec{MaxCount: -1}, "maxCount"},
	} {
		_, err := l.tryCollector(l.c, c.spec)
		if f, ok := faultOf(err).(types.InvalidArgument); !ok || f.InvalidProperty != c.prop {
			t.Errorf("filter %+v: %v, want InvalidArgument %s", c.spec, err, c.prop)
		}
	}
	ref := l.collector(l.c, types.EventFilterSpec{})
	for _, n := range []int32{-1, 1001} {
		_, err := methods.SetCollectorPageSize(context.Background(), l.c, &types.SetCollectorPageSize{This: ref, MaxCount: n})
		if f, ok := faultOf(err).(types.InvalidArgument); !ok || f.InvalidProperty != "maxCount" {
			t.Errorf("SetCollectorPageSize(%d): %v", n, err)
		}
	}
	_, err := methods.ReadNextEvents(context.Background(), l.c, &types.ReadNextEvents{This: ref, MaxCount: 0})
	if _, ok := faultOf(err).(types.InvalidArgument); !ok {
		t.Errorf("ReadNextEvents(0): %v", err)
	}
}

// Entity and recursion: self, children, all, and folders and pools standing for
// what they contain.
func TestEventFilterEntity(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	vm1 := l.vm("testvm1").Reference()
	esx01 := l.host("esx01").Reference()
	cl, err := l.f.ClusterComputeResource(ctx, "cluster1")
	if err != nil {
		t.Fatal(err)
	}
	folders, err := l.dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := cl.ResourcePool(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root := l.c.ServiceContent.RootFolder
	by := func(e types.ManagedObjectReference, r types.EventFilterSpecRecursionOption) types.EventFilterSpec {
		return types.EventFilterSpec{Entity: &types.EventFilterSpecByEntity{Entity: e, Recursion: r}}
	}
	cols := map[string]types.ManagedObjectReference{}
	specs := map[string]types.EventFilterSpec{
		"vm1 self":       by(vm1, "self"),
		"vm1 children":   by(vm1, "children"),
		"esx01 self":     by(esx01, "self"),
		"cluster self":   by(cl.Reference(), "self"),
		"dc self":        by(l.dc.Reference(), "self"),
		"dc children":    by(l.dc.Reference(), "children"),
		"root self":      by(root, "self"),
		"root all":       by(root, "all"),
		"root children":  by(root, "children"),
		"vmfolder self":  by(folders.VmFolder.Reference(), "self"),
		"vmfolder all":   by(folders.VmFolder.Reference(), "all"),
		"pool all":       by(pool.Reference(), "all"),
		"hostfolder all": by(folders.HostFolder.Reference(), "all"),
	}
	for n, s := range specs {
		cols[n] = l.collector(l.c, s)
	}
	l.op("testvm1", "reset", "")
	l.op("testvm2", "reset", "")
	l.op("legacy01", "reset", "") // esx03, standalone
	login := l.burst(1, "login")
	vmsOf := func(n string) map[string]bool {
		out := map[string]bool{}
		for _, e := range l.page(l.c, cols[n]) {
			switch {
			case e.GetEvent().Key == login[0]:
				out["login"] = true
			case eventName(e) == "VmResettingEvent":
				out[e.GetEvent().Vm.Name] = true
			}
		}
		return out
	}
	want := map[string]map[string]bool{
		"vm1 self":       {"testvm1": true},
		"vm1 children":   {},
		"esx01 self":     {"testvm1": true},
		"cluster self":   {"testvm1": true, "testvm2": true},
		"dc self":        {"testvm1": true, "testvm2": true, "legacy01": true},
		"dc children":    {"testvm1": true, "testvm2": true, "legacy01": true},
		"root self":      {"testvm1": true, "testvm2": true, "legacy01": true, "login": true},
		"root all":       {"testvm1": true, "testvm2": true, "legacy01": true, "login": true},
		"root children":  {"testvm1": true, "testvm2": true, "legacy01": true},
		"vmfolder self":  {"testvm1": true, "testvm2": true, "legacy01": true},
		"vmfolder all":   {"testvm1": true, "testvm2": true, "legacy01": true},
		"pool all":       {"testvm1": true, "testvm2": true},
		"hostfolder all": {"testvm1": true, "testvm2": true, "legacy01": true},
	}
	for n, w := range want {
		if got := vmsOf(n); !reflect.DeepEqual(got, w) {
			t.Errorf("%s: resets of %v, want %v", n, got, w)
		}
	}
	// A VM in a subfolder is below the VM folder, not in it.
	sub := l.collector(l.c, by(folders.VmFolder.Reference(), "self"))
	subAll := l.collector(l.c, by(folders.VmFolder.Reference(), "children"))
	app := l.vm("team-a/app").Reference()
	if err := l.v.VMOp(app.Value, "reset", ""); err != nil {
		t.Fatal(err)
	}
	inPage := func(ref types.ManagedObjectReference) bool {
		for _, e := range l.page(l.c, ref) {
			if e.GetEvent().Vm != nil && e.GetEvent().Vm.Vm == app {
				return true
			}
		}
		return false
	}
	if inPage(sub) || !inPage(subAll) {
		t.Errorf("team-a/app reset: in vm folder self %v (want false), children %v (want true)", inPage(sub), inPage(subAll))
	}
}

// time and userName filters.
func TestEventFilterTimeAndUser(t *testing.T) {
	l := startLab(t, nil)
	past := time.Now().Add(-time.Hour)
	future := time.Now().Add(time.Hour)
	until := l.collector(l.c, types.EventFilterSpec{Time: &types.EventFilterSpecByTime{EndTime: &past}})
	from := l.collector(l.c, types.EventFilterSpec{Time: &types.EventFilterSpecByTime{BeginTime: &future}})
	window := l.collector(l.c, types.EventFilterSpec{Time: &types.EventFilterSpecByTime{BeginTime: &past, EndTime: &future}})
	admin := l.collector(l.c, types.EventFilterSpec{UserName: &types.EventFilterSpecByUsername{UserList: []string{l.v.User()}}})
	system := l.collector(l.c, types.EventFilterSpec{UserName: &types.EventFilterSpecByUsername{SystemUser: true,
		UserList: []string{"nobody@vsphere.local"}}})
	users := l.collector(l.c, types.EventFilterSpec{UserName: &types.EventFilterSpecByUsername{}})
	l.op("testvm1", "reset", "")             // administrator
	if _, err := l.v.DRSPass(); err != nil { // system
		t.Fatal(err)
	}
	burst := l.burst(2, "login", "alarm") // svc-backup, system
	if p := l.page(l.c, until); len(p) != 0 {
		t.Errorf("endTime an hour ago took %v", names(p))
	}
	if p := l.page(l.c, from); len(p) != 0 {
		t.Errorf("beginTime in an hour took %v", names(p))
	}
	if p := keysOf(l.page(l.c, window)); len(p) == 0 || p[len(p)-1] != burst[1] {
		t.Errorf("the last hour and next: %v", p)
	}
	for _, e := range l.page(l.c, admin) {
		if e.GetEvent().UserName != l.v.User() {
			t.Errorf("userList administrator took %s by %q", eventName(e), e.GetEvent().UserName)
		}
	}
	if !has(names(l.page(l.c, admin)), "VmResettingEvent") {
		t.Errorf("userList administrator: %v", names(l.page(l.c, admin)))
	}
	sys := l.page(l.c, system)
	for _, e := range sys {
		if e.GetEvent().UserName != "" {
			t.Errorf("systemUser took %s by %q", eventName(e), e.GetEvent().UserName)
		}
	}
	if n := names(sys); !has(n, "DrsVmMigratedEvent") || !has(n, "AlarmStatusChangedEvent") {
		t.Errorf("systemUser: %v", n)
	}
	u := l.page(l.c, users)
	if n := names(u); !has(n, "VmResettingEvent") || !has(n, "UserLoginSessionEvent") || has(n, "DrsVmMigratedEvent") {
		t.Errorf("every user, no system: %v", n)
	}
}

// Each collector keeps a latestPage of its page size: new events push the oldest
// out. ReadNextEvents/ReadPreviousEvents scroll the whole history the filter takes.
func TestEventPageEvictionAndScrolling(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	logins := types.EventFilterSpec{Type: []string{"UserLoginSessionEvent"}, MaxCount: 5}
	ref := l.collector(l.c, logins)
	keys := l.burst(40, "login", "alarm") // 20 logins
	var want []int32
	for i := 0; i < 40; i += 2 {
		want = append(want, keys[i])
	}
	if got := keysOf(l.page(l.c, ref)); !reflect.DeepEqual(got, want[15:]) {
		t.Fatalf("latestPage %v, want the newest five logins %v", got, want[15:])
	}
	// The logins before the collector (the tests' own) come first in the history.
	read := func(next bool, n int32) []int32 {
		t.Helper()
		var evs []types.BaseEvent
		if next {
			res, err := methods.ReadNextEvents(ctx, l.c, &types.ReadNextEvents{This: ref, MaxCount: n})
			if err != nil {
				t.Fatal(err)
			}
			evs = res.Returnval
		} else {
			res, err := methods.ReadPreviousEvents(ctx, l.c, &types.ReadPreviousEvents{This: ref, MaxCount: n})
			if err != nil {
				t.Fatal(err)
			}
			evs = res.Returnval
		}
		for _, e := range evs {
			if eventName(e) != "UserLoginSessionEvent" {
				t.Errorf("read a %s", eventName(e))
			}
		}
		return keysOf(evs)
	}
	var all []int32
	for {
		k := read(true, 7) // from the oldest (a new collector's position)
		if len(k) == 0 {
			break
		}
		all = append(all, k...)
	}
	if len(all) < 20 || !reflect.DeepEqual(all[len(all)-20:], want) || !sort.SliceIsSorted(all, func(i, j int) bool { return all[i] < all[j] }) {
		t.Fatalf("ReadNextEvents from the start: %v; want oldest first ending with %v", all, want)
	}
	if k := read(true, 5); len(k) != 0 {
		t.Errorf("at the end ReadNextEvents gave %v", k)
	}
	// ResetCollector: just before the latest page; reading back gives the rest, newest first.
	if _, err := methods.ResetCollector(ctx, l.c, &types.ResetCollector{This: ref}); err != nil {
		t.Fatal(err)
	}
	if k := read(false, 3); !reflect.DeepEqual(k, []int32{want[14], want[13], want[12]}) {
		t.Errorf("after reset ReadPreviousEvents(3) %v, want %v", k, []int32{want[14], want[13], want[12]})
	}
	if k := read(true, 4); !reflect.DeepEqual(k, []int32{want[12], want[13], want[14], want[15]}) {
		t.Errorf("then ReadNextEvents(4) %v", k)
	}
	// RewindCollector: back to the oldest.
	if _, err := methods.RewindCollector(ctx, l.c, &types.RewindCollector{This: ref}); err != nil {
		t.Fatal(err)
	}
	if k := read(true, 2); !reflect.DeepEqual(k, all[:2]) {
		t.Errorf("after rewind %v, want %v", k, all[:2])
	}
	if k := read(false, 10); !reflect.DeepEqual(k, []int32{all[1], all[0]}) {
		t.Errorf("reading back to the head: %v", k)
	}
	if k := read(false, 10); len(k) != 0 {
		t.Errorf("at the head ReadPreviousEvents gave %v", k)
	}
	// SetCollectorPageSize refills the page from the history, and shrinks it.
	if _, err := methods.SetCollectorPageSize(ctx, l.c, &types.SetCollectorPageSize{This: ref, MaxCount: 12}); err != nil {
		t.Fatal(err)
	}
	if got := keysOf(l.page(l.c, ref)); !reflect.DeepEqual(got, want[8:]) {
		t.Errorf("page of 12: %v, want %v", got, want[8:])
	}
	if _, err := methods.SetCollectorPageSize(ctx, l.c, &types.SetCollectorPageSize{This: ref, MaxCount: 2}); err != nil {
		t.Fatal(err)
	}
	if got := keysOf(l.page(l.c, ref)); !reflect.DeepEqual(got, want[18:]) {
		t.Errorf("page of 2: %v, want %v", got, want[18:])
	}
	more := l.burst(1, "login")
	if got := keysOf(l.page(l.c, ref)); !reflect.DeepEqual(got, []int32{want[19], more[0]}) {
		t.Errorf("page of 2 after one more: %v", got)
	}
	// DestroyCollector: the collector is gone.
	if _, err := methods.DestroyCollector(ctx, l.c, &types.DestroyCollector{This: ref}); err != nil {
		t.Fatal(err)
	}
	if _, err := methods.ReadNextEvents(ctx, l.c, &types.ReadNextEvents{This: ref, MaxCount: 1}); err == nil {
		t.Errorf("ReadNextEvents on a destroyed collector worked")
	}
}

// The default page (maxCount unset) holds 1000 events; event_page_size changes it.
func TestEventDefaultPageSize(t *testing.T) {
	l := startLab(t, nil)
	ref := l.collector(l.c, types.EventFilterSpec{})
	l.burst(1100)
	if n := len(l.page(l.c, ref)); n != DefaultEventPageSize {
		t.Errorf("default page holds %d events, want %d", n, DefaultEventPageSize)
	}
	l.v.SetOptions(Options{EventPageSize: 10})
	small := l.collector(l.c, types.EventFilterSpec{})
	if n := len(l.page(l.c, small)); n != 10 {
		t.Errorf("event_page_size 10: page holds %d", n)
	}
	res, err := methods.QueryEvents(context.Background(), l.c, &types.QueryEvents{This: *l.c.ServiceContent.EventManager,
		Filter: types.EventFilterSpec{Type: []string{"TaskEvent"}, MaxCount: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if n := names(res.Returnval); !reflect.DeepEqual(n, []string{"TaskEvent", "TaskEvent", "TaskEvent"}) {
		t.Errorf("QueryEvents: %v", n)
	}
}

// A slow reader of a whole-inventory collector loses a reset to a burst: the page
// that reaches WaitForUpdatesEx no longer holds it.
func TestEventBurstPushesResetOutOfWatchedPage(t *testing.T) {
	l := startLab(t, nil)
	w := l.rawWatch()
	ec, err := methods.CreateCollectorForEvents(context.Background(), w.c, &types.CreateCollectorForEvents{
		This: *w.c.ServiceContent.EventManager, Filter: types.EventFilterSpec{MaxCount: 20,
			Entity: &types.EventFilterSpecByEntity{Entity: w.c.ServiceContent.RootFolder, Recursion: "all"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := methods.CreateFilter(context.Background(), w.c, &types.CreateFilter{This: w.pc, Spec: types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: ec.Returnval}},
		PropSet:   []types.PropertySpec{{Type: "EventHistoryCollector", PathSet: []string{"latestPage"}}}}}); err != nil {
		t.Fatal(err)
	}
	w.mustWait(0)
	l.op("testvm1", "reset", "")
	burst := l.burst(30)
	set := w.mustWait(30)
	ous := updatesFor(set, ec.Returnval)
	if len(ous) != 1 {
		t.Fatalf("update %+v", set)
	}
	c, _ := changeNamed(ous[0], "latestPage")
	page := c.Val.(types.ArrayOfEvent).Event
	sort.Slice(page, func(i, j int) bool { return page[i].GetEvent().Key < page[j].GetEvent().Key })
	if got := keysOf(page); !reflect.DeepEqual(got, burst[10:]) {
		t.Errorf("page after the burst %v, want the burst's last 20 %v", got, burst[10:])
	}
	// A tail that keeps up sees both.
	tl := l.tail(l.c.ServiceContent.RootFolder)
	l.op("testvm1", "reset", "")
	l.burst(5)
	tl.expect(t, "VmResettingEvent", "UserLoginSessionEvent")
}

// maxCollector per session: the 33rd collector of a session is refused with
// InvalidState; other sessions are not counted; destroying one frees its place.
func TestEventMaxCollectorPerSession(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	var em mo.EventManager
	if err := property.DefaultCollector(l.c.Client).RetrieveOne(ctx, *l.c.ServiceContent.EventManager, []string{"maxCollector"}, &em); err != nil {
		t.Fatal(err)
	}
	if em.MaxCollector != DefaultEventMaxCollectors {
		t.Errorf("EventManager.maxCollector %d, want %d", em.MaxCollector, DefaultEventMaxCollectors)
	}
	var refs []types.ManagedObjectReference
	for i := 0; i < DefaultEventMaxCollectors; i++ {
		refs = append(refs, l.collector(l.c, types.EventFilterSpec{}))
	}
	if _, err := l.tryCollector(l.c, types.EventFilterSpec{}); !isInvalidState(err) {
		t.Fatalf("collector %d: %v, want InvalidState", DefaultEventMaxCollectors+1, err)
	}
	other := l.login()
	l.collector(other, types.EventFilterSpec{})
	if _, err := methods.DestroyCollector(ctx, l.c, &types.DestroyCollector{This: refs[0]}); err != nil {
		t.Fatal(err)
	}
	l.collector(l.c, types.EventFilterSpec{})
	// A session that ends takes its collectors with it.
	if err := other.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	l.v.events.mu.Lock()
	n := 0
	for _, c := range l.v.events.collectors {
		if c.session != "lab-internal" {
			n++
		}
	}
	l.v.events.mu.Unlock()
	if n != DefaultEventMaxCollectors {
		t.Errorf("%d collectors after the other session's logout, want %d", n, DefaultEventMaxCollectors)
	}
	// event_max_collectors.
	l.v.SetOptions(Options{EventMaxCollectors: 1})
	third := l.login()
	l.collector(third, types.EventFilterSpec{})
	if _, err := l.tryCollector(third, types.EventFilterSpec{}); !isInvalidState(err) {
		t.Errorf("second collector with event_max_collectors=1 accepted")
	}
	if err := property.DefaultCollector(l.c.Client).RetrieveOne(ctx, *l.c.ServiceContent.EventManager, []string{"maxCollector"}, &em); err != nil || em.MaxCollector != 1 {
		t.Errorf("maxCollector %d (%v), want 1", em.MaxCollector, err)
	}
}

func isInvalidState(err error) bool {
	_, ok := faultOf(err).(types.InvalidState)
	return ok
}

// Events carry what vCenter fills: increasing keys, createdTime, userName (the
// user's, or none for vCenter's own), the entity arguments; the events of one
// operation share a chainId, the key of the first.
func TestEventFields(t *testing.T) {
	l := startLab(t, nil)
	ref := l.collector(l.c, types.EventFilterSpec{})
	init := l.page(l.c, ref)
	start := init[len(init)-1].GetEvent().Key
	l.op("testvm1", "poweroff", "")
	l.op("testvm1", "poweron", "")
	l.op("testvm1", "migrate", "esx02")
	before := l.page(l.c, ref)
	lastByUser := before[len(before)-1].GetEvent().Key
	if _, err := l.v.DRSPass(); err != nil {
		t.Fatal(err)
	}
	page := l.page(l.c, ref)
	var prev types.BaseEvent
	chains := map[int32][]string{}
	for _, e := range page {
		ev := e.GetEvent()
		if prev != nil && (ev.Key <= prev.GetEvent().Key || ev.CreatedTime.Before(prev.GetEvent().CreatedTime)) {
			t.Errorf("%s key %d at %v after %d at %v", eventName(e), ev.Key, ev.CreatedTime, prev.GetEvent().Key, prev.GetEvent().CreatedTime)
		}
		prev = e
		if _, isVM := e.(types.BaseVmEvent); !isVM || ev.Key <= start {
			continue
		}
		chains[ev.ChainId] = append(chains[ev.ChainId], eventName(e))
		if ev.Vm == nil || ev.Host == nil || ev.ComputeResource == nil || ev.Datacenter == nil ||
			ev.Datacenter.Name != "dc1" || ev.ComputeResource.Name != "cluster1" {
			t.Errorf("%s arguments: vm %+v host %+v cr %+v dc %+v", eventName(e), ev.Vm, ev.Host, ev.ComputeResource, ev.Datacenter)
		}
		want := l.v.User() // the operations above, as the lab's user
		if ev.Key > lastByUser {
			want = "" // the DRS pass: vCenter itself
		}
		if ev.UserName != want {
			t.Errorf("%s of %s by %q, want %q", eventName(e), ev.Vm.Name, ev.UserName, want)
		}
	}
	for head, evs := range chains {
		found := false
		for _, e := range page {
			if e.GetEvent().Key == head {
				found = eventName(e) == evs[0]
			}
		}
		if !found || len(evs) != 2 {
			t.Errorf("chain %d: %v (want two events, the first one's key as chainId)", head, evs)
		}
	}
	want := [][]string{{"VmStoppingEvent", "VmPoweredOffEvent"}, {"VmStartingEvent", "VmPoweredOnEvent"},
		{"VmBeingHotMigratedEvent", "VmMigratedEvent"}}
	for _, w := range want {
		found := false
		for _, evs := range chains {
			found = found || reflect.DeepEqual(evs, w)
		}
		if !found {
			t.Errorf("no chain %v in %v", w, chains)
		}
	}
	var em mo.EventManager
	if err := property.DefaultCollector(l.c.Client).RetrieveOne(context.Background(), *l.c.ServiceContent.EventManager, []string{"latestEvent"}, &em); err != nil {
		t.Fatal(err)
	}
	if em.LatestEvent == nil || em.LatestEvent.GetEvent().Key != page[len(page)-1].GetEvent().Key {
		t.Errorf("EventManager.latestEvent %+v, want key %d", em.LatestEvent, page[len(page)-1].GetEvent().Key)
	}
}

// The burst: the kinds asked for, in turn, with their arguments.
func TestEventBurst(t *testing.T) {
	l := startLab(t, nil)
	ref := l.collector(l.c, types.EventFilterSpec{})
	keys, err := l.v.PostBurst(len(BurstKinds), nil)
	if err != nil {
		t.Fatal(err)
	}
	page := l.page(l.c, ref)
	page = page[len(page)-len(keys):]
	if !reflect.DeepEqual(keysOf(page), keys) {
		t.Fatalf("keys %v, page %v", keys, keysOf(page))
	}
	want := []string{"UserLoginSessionEvent", "AlarmStatusChangedEvent", "TaskEvent", "VmAcquiredTicketEvent",
		"com.vmware.vc.guestOperations.GuestOperation", "UserLogoutSessionEvent", "esx.audit.ssh.session.opened"}
	if got := names(page); !reflect.DeepEqual(got, want) {
		t.Errorf("burst %v, want %v", got, want)
	}
	for _, e := range page {
		ev := e.GetEvent()
		switch x := e.(type) {
		case *types.UserLoginSessionEvent:
			if x.SessionId == "" || x.IpAddress == "" || ev.UserName == "" {
				t.Errorf("login %+v", x)
			}
		case *types.AlarmStatusChangedEvent:
			if x.Alarm.Name == "" || x.Entity.Entity.Value == "" || ev.Datacenter == nil || ev.UserName != "" {
				t.Errorf("alarm %+v", x)
			}
		case *types.TaskEvent:
			if x.Info.Entity == nil || ev.Vm == nil || ev.Vm.Vm != *x.Info.Entity || ev.Host == nil {
				t.Errorf("task %+v", x)
			}
		}
	}
	if _, err := l.v.PostBurst(1, []string{"nonsense"}); err == nil {
		t.Errorf("unknown kind accepted")
	}
	if keys, err := l.v.PostBurst(4, []string{"task"}); err != nil || len(keys) != 4 {
		t.Errorf("4 tasks: %v %v", keys, err)
	}
}

// DestroyCollector and SetCollectorPageSize while events are posted: the bare
// simulator could hang both (lock order); the lab's collectors take one lock.
func TestEventCollectorCallsDuringPosting(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
				l.v.PostBurst(20, nil)
			}
		}
	}()
	finished := make(chan error, 1)
	go func() {
		for i := 0; i < 60; i++ {
			ref, err := l.tryCollector(l.c, types.EventFilterSpec{MaxCount: 5})
			if err == nil {
				_, err = methods.SetCollectorPageSize(ctx, l.c, &types.SetCollectorPageSize{This: ref, MaxCount: int32(1 + i%20)})
			}
			if err == nil {
				_, err = methods.DestroyCollector(ctx, l.c, &types.DestroyCollector{This: ref})
			}
			if err != nil {
				finished <- fmt.Errorf("round %d: %v", i, err)
				return
			}
		}
		finished <- nil
	}()
	select {
	case err := <-finished:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(60 * time.Second):
		t.Error("collector calls during posting did not finish within 60 s (hang)")
	}
	close(done)
	wg.Wait()
}

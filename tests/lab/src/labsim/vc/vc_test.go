package vc

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"labsim/world"
)

type lab struct {
	t  *testing.T
	v  *VCenter
	w  *world.World
	c  *govmomi.Client
	f  *find.Finder
	dc *object.Datacenter
}

func startLab(t *testing.T, inv *Inventory) *lab {
	t.Helper()
	dir := t.TempDir()
	w, err := world.NewWorld(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{StateDir: dir, Inventory: inv}
	if os.Getenv("LAB_VC_LOG") != "" {
		cfg.Log = os.Stderr
	}
	v, err := Start(w, cfg)
	if err != nil {
		w.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close(); w.Close() })
	v.SetOptions(testOptions())
	if err := v.PowerOnInitial(); err != nil {
		t.Fatal(err)
	}
	l := &lab{t: t, v: v, w: w}
	l.c = l.login()
	l.f = find.NewFinder(l.c.Client, false)
	l.dc, err = l.f.Datacenter(context.Background(), v.Datacenter())
	if err != nil {
		t.Fatal(err)
	}
	l.f.SetDatacenter(l.dc)
	return l
}

// testOptions are the lab's defaults except that host port lists follow the world at
// once: most tests check what follows a change, not the lag (hostports_test.go does).
func testOptions() Options {
	o := DefaultOptions()
	o.HostPortlistLag = 0
	return o
}

// login connects over HTTPS, trusting only the lab's CA file.
func (l *lab) login() *govmomi.Client {
	l.t.Helper()
	ctx := context.Background()
	u, _ := url.Parse(l.v.URL())
	sc := soap.NewClient(u, false)
	if err := sc.SetRootCAs(l.v.CAPath()); err != nil {
		l.t.Fatal(err)
	}
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		l.t.Fatal(err)
	}
	c := &govmomi.Client{Client: vc, SessionManager: session.NewManager(vc)}
	if err := c.Login(ctx, url.UserPassword(l.v.User(), l.v.Password())); err != nil {
		l.t.Fatal(err)
	}
	return c
}

func (l *lab) vm(path string) *object.VirtualMachine {
	l.t.Helper()
	vm, err := l.f.VirtualMachine(context.Background(), path)
	if err != nil {
		l.t.Fatal(err)
	}
	return vm
}

func (l *lab) host(name string) *object.HostSystem {
	l.t.Helper()
	h, err := l.f.HostSystem(context.Background(), name)
	if err != nil {
		l.t.Fatal(err)
	}
	return h
}

func (l *lab) vmProps(vm *object.VirtualMachine) mo.VirtualMachine {
	l.t.Helper()
	var m mo.VirtualMachine
	if err := vm.Properties(context.Background(), vm.Reference(), []string{"name", "runtime", "config.hardware.device", "summary.runtime"}, &m); err != nil {
		l.t.Fatal(err)
	}
	return m
}

func (l *lab) hostProps(name string) mo.HostSystem {
	l.t.Helper()
	var m mo.HostSystem
	h := l.host(name)
	if err := h.Properties(context.Background(), h.Reference(), []string{"name", "vm", "config.product", "config.network.portgroup", "summary.config.product"}, &m); err != nil {
		l.t.Fatal(err)
	}
	return m
}

// vmPortKeys lists the port keys a host's portgroups give the MAC (type virtualMachine).
func (l *lab) vmPortKeys(host, mac string) []string {
	var keys []string
	for _, pg := range l.hostProps(host).Config.Network.Portgroup {
		for _, p := range pg.Port {
			if p.Type == "virtualMachine" && len(p.Mac) == 1 && p.Mac[0] == mac {
				keys = append(keys, p.Key)
			}
		}
	}
	return keys
}

func firstMAC(m mo.VirtualMachine) string {
	for _, d := range m.Config.Hardware.Device {
		if n, ok := d.(types.BaseVirtualEthernetCard); ok {
			return n.GetVirtualEthernetCard().MacAddress
		}
	}
	return ""
}

func (l *lab) run(task *object.Task, err error) {
	t := l.t
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// tail follows an EventHistoryCollector's latestPage with WaitForUpdatesEx, as
// vm-capture does, and delivers each new event once (de-duplicated by key).
type tail struct {
	events chan types.BaseEvent
	cancel context.CancelFunc
	done   chan error
}

func (l *lab) tail(entity types.ManagedObjectReference) *tail {
	l.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := l.login() // its own session: WaitForUpdatesEx blocks the connection
	req := types.CreateCollectorForEvents{This: *c.Client.ServiceContent.EventManager,
		Filter: types.EventFilterSpec{MaxCount: 200, Entity: &types.EventFilterSpecByEntity{Entity: entity,
			Recursion: types.EventFilterSpecRecursionOptionAll}}}
	cres, err := methods.CreateCollectorForEvents(ctx, c, &req)
	if err != nil {
		l.t.Fatal(err)
	}
	res := cres.Returnval
	tl := &tail{events: make(chan types.BaseEvent, 1000), cancel: cancel, done: make(chan error, 1)}
	var lastKey int32 = -1
	first := true
	ready := make(chan struct{})
	go func() {
		pc := property.DefaultCollector(c.Client)
		err := property.Wait(ctx, pc, res, []string{"latestPage"}, func(changes []types.PropertyChange) bool {
			for _, ch := range changes {
				page, _ := ch.Val.(types.ArrayOfEvent)
				max := lastKey
				// The SDK says a page is unordered: oldest (smallest key) first, like a client must.
				sort.Slice(page.Event, func(i, j int) bool { return page.Event[i].GetEvent().Key < page.Event[j].GetEvent().Key })
				for _, e := range page.Event {
					k := e.GetEvent().Key
					if k > lastKey {
						if !first {
							tl.events <- e
						}
						if k > max {
							max = k
						}
					}
				}
				lastKey = max
			}
			if first {
				first = false
				close(ready)
			}
			return false
		})
		tl.done <- err
	}()
	<-ready
	l.t.Cleanup(func() { cancel() })
	return tl
}

// expect waits for events of the given types (in order, others in between allowed).
func (tl *tail) expect(t *testing.T, kinds ...string) []types.BaseEvent {
	t.Helper()
	var got []types.BaseEvent
	var seen []string
	for len(kinds) > 0 {
		select {
		case e := <-tl.events:
			name := eventName(e)
			seen = append(seen, name)
			if name == kinds[0] {
				got = append(got, e)
				kinds = kinds[1:]
			}
		case err := <-tl.done:
			t.Fatalf("event tail ended (%v); saw %v, still waiting for %v", err, seen, kinds)
		case <-time.After(20 * time.Second):
			t.Fatalf("saw %v, still waiting for %v", seen, kinds)
		}
	}
	return got
}

func eventName(e types.BaseEvent) string {
	if x, ok := e.(*types.EventEx); ok {
		return x.EventTypeId
	}
	return reflect.TypeOf(e).Elem().Name()
}

func TestDefaultInventory(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	for name, want := range map[string]string{"esx01": "8.0.3", "esx02": "8.0.3", "esx03": "6.5.0"} {
		h := l.hostProps(name)
		if h.Config.Product.Version != want || h.Summary.Config.Product.Version != want {
			t.Errorf("%s: config.product.version %q, summary %q, want %q", name, h.Config.Product.Version,
				h.Summary.Config.Product.Version, want)
		}
	}
	if a := l.c.ServiceContent.About; a.ApiVersion != "8.0.3.0" || a.ApiType != "VirtualCenter" {
		t.Errorf("about: %s %s", a.ApiType, a.ApiVersion)
	}
	cl, err := l.f.ClusterComputeResource(ctx, "cluster1")
	if err != nil {
		t.Fatal(err)
	}
	var cm mo.ClusterComputeResource
	if err := cl.Properties(ctx, cl.Reference(), []string{"configurationEx", "host"}, &cm); err != nil {
		t.Fatal(err)
	}
	drs := cm.ConfigurationEx.(*types.ClusterConfigInfoEx).DrsConfig
	if !*drs.Enabled || drs.DefaultVmBehavior != types.DrsBehaviorFullyAutomated || !*drs.EnableVmBehaviorOverrides || len(cm.Host) != 2 {
		t.Errorf("cluster1: drs %+v, %d hosts", drs, len(cm.Host))
	}

	vms, err := l.f.VirtualMachineList(ctx, "/"+l.v.Datacenter()+"/vm/...")
	if err != nil {
		t.Fatal(err)
	}
	macs := map[string]string{}
	names := map[string]int{}
	for _, vm := range vms {
		m := l.vmProps(vm)
		names[m.Name]++
		for _, d := range m.Config.Hardware.Device {
			if n, ok := d.(types.BaseVirtualEthernetCard); ok {
				mac := n.GetVirtualEthernetCard().MacAddress
				if !strings.HasPrefix(mac, "00:50:56:") {
					t.Errorf("%s: MAC %s outside 00:50:56", m.Name, mac)
				}
				if other, dup := macs[mac]; dup {
					t.Errorf("MAC %s on both %s and %s", mac, other, m.Name)
				}
				macs[mac] = m.Name
			}
		}
	}
	if names["app"] != 2 || names["Café Büro 01"] != 1 || names["testvm1"] != 1 {
		t.Errorf("VM names: %v", names)
	}
	t1 := l.vmProps(l.vm("testvm1"))
	nics := 0
	for _, d := range t1.Config.Hardware.Device {
		if _, ok := d.(types.BaseVirtualEthernetCard); ok {
			nics++
		}
	}
	if nics != 1 || *t1.Runtime.Host != l.host("esx01").Reference() || t1.Runtime.PowerState != "poweredOn" {
		t.Errorf("testvm1: %d nics, host %v, %s", nics, t1.Runtime.Host, t1.Runtime.PowerState)
	}
	if t1.Runtime.BootTime == nil {
		t.Errorf("testvm1: runtime.bootTime not set after power-on")
	}
	if st := l.w.FindVM(t1.Self.Value); st == nil || st.Host != "esx01" || !st.PoweredOn {
		t.Errorf("world: testvm1 = %+v", st)
	}
	// testvm1's port is listed on esx01 as the world has it.
	st := l.w.FindVM("testvm1")
	mac := firstMAC(t1)
	keys := l.vmPortKeys("esx01", mac)
	if len(keys) != 1 || keys[0] != PortKey(st.Ports[mac]) {
		t.Errorf("esx01 port keys for %s: %v, world port %d", mac, keys, st.Ports[mac])
	}
	// The distributed switch has the LAG.
	var dvs mo.DistributedVirtualSwitch
	nets, err := l.f.NetworkList(ctx, DVSName)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.c.RetrieveOne(ctx, nets[0].Reference(), []string{"config"}, &dvs); err != nil {
		t.Fatal(err)
	}
	lacp := dvs.Config.(*types.VMwareDVSConfigInfo).LacpGroupConfig
	if len(lacp) != 1 || lacp[0].Name != "lag1" || lacp[0].UplinkNum != 2 {
		t.Errorf("lacp config: %+v", lacp)
	}
}

func TestResetPostsEventAndGivesNewPort(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	vm := l.vm("testvm1")
	before := l.vmProps(vm)
	mac := firstMAC(before)
	oldKeys := l.vmPortKeys("esx01", mac)
	tl := l.tail(vm.Reference()) // tail started before the reset: events arrive through WaitForUpdatesEx
	time.Sleep(10 * time.Millisecond)
	l.run(vm.Reset(ctx))
	evs := tl.expect(t, "VmResettingEvent")
	e := evs[0].GetEvent()
	if e.Vm == nil || e.Vm.Vm != vm.Reference() || e.Host == nil || e.Host.Name != "esx01" || e.Datacenter == nil || e.ComputeResource == nil {
		t.Errorf("VmResettingEvent arguments: vm %+v host %+v dc %+v cr %+v", e.Vm, e.Host, e.Datacenter, e.ComputeResource)
	}
	newKeys := l.vmPortKeys("esx01", mac)
	if len(oldKeys) != 1 || len(newKeys) != 1 || oldKeys[0] == newKeys[0] {
		t.Fatalf("port keys before %v after %v: want one each, different", oldKeys, newKeys)
	}
	if want := PortKey(l.w.FindVM("testvm1").Ports[mac]); newKeys[0] != want {
		t.Errorf("API port %s, world port %s", newKeys[0], want)
	}
	after := l.vmProps(vm)
	if after.Runtime.BootTime == nil || !after.Runtime.BootTime.Equal(*before.Runtime.BootTime) ||
		after.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("a reset changed bootTime %v -> %v (or powerState %s)", before.Runtime.BootTime, after.Runtime.BootTime, after.Runtime.PowerState)
	}

	// With the setting, the port survives the reset.
	l.w.Settings.ResetKeepsPort = true
	l.run(vm.Reset(ctx))
	tl.expect(t, "VmResettingEvent")
	if kept := l.vmPortKeys("esx01", mac); len(kept) != 1 || kept[0] != newKeys[0] {
		t.Errorf("reset_keeps_port: %v -> %v", newKeys, kept)
	}
}

func TestResetPowerEventsOption(t *testing.T) {
	l := startLab(t, nil)
	vm := l.vm("testvm1")
	tl := l.tail(vm.Reference())
	l.v.SetOptions(Options{ResetPowerEvents: true})
	l.run(vm.Reset(context.Background()))
	tl.expect(t, "VmResettingEvent", "VmPoweredOffEvent", "VmPoweredOnEvent")
}

func TestPowerOffOnFreesAndAssignsPorts(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	vm := l.vm("testvm1")
	mac := firstMAC(l.vmProps(vm))
	old := l.vmPortKeys("esx01", mac)
	tl := l.tail(vm.Reference())
	l.run(vm.PowerOff(ctx))
	tl.expect(t, "VmStoppingEvent", "VmPoweredOffEvent")
	m := l.vmProps(vm)
	if m.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff || m.Runtime.BootTime != nil {
		t.Errorf("after power-off: %s bootTime %v", m.Runtime.PowerState, m.Runtime.BootTime)
	}
	if keys := l.vmPortKeys("esx01", mac); len(keys) != 0 {
		t.Errorf("ports after power-off: %v", keys)
	}
	// Powering off twice fails like vCenter (InvalidPowerState).
	task, err := vm.PowerOff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(ctx); err == nil || !strings.Contains(err.Error(), "InvalidPowerState") {
		t.Errorf("second power-off: %v", err)
	}
	l.run(vm.PowerOn(ctx))
	tl.expect(t, "VmStartingEvent", "VmPoweredOnEvent")
	m = l.vmProps(vm)
	keys := l.vmPortKeys("esx01", mac)
	if m.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn || m.Runtime.BootTime == nil ||
		m.Summary.Runtime.BootTime == nil || len(keys) != 1 || keys[0] == old[0] {
		t.Errorf("after power-on: %s bootTime %v ports %v (old %v)", m.Runtime.PowerState, m.Runtime.BootTime, keys, old)
	}
}

func TestRebootGuestKeepsPort(t *testing.T) {
	l := startLab(t, nil)
	vm := l.vm("testvm1")
	m := l.vmProps(vm)
	mac := firstMAC(m)
	old := l.vmPortKeys("esx01", mac)
	boots := l.w.FindVM("testvm1").Boots
	tl := l.tail(vm.Reference())
	if err := vm.RebootGuest(context.Background()); err != nil {
		t.Fatal(err)
	}
	tl.expect(t, "VmGuestRebootEvent")
	if keys := l.vmPortKeys("esx01", mac); !reflect.DeepEqual(keys, old) {
		t.Errorf("reboot changed ports %v -> %v", old, keys)
	}
	if got := l.w.FindVM("testvm1").Boots; got != boots+1 {
		t.Errorf("world boots %d -> %d", boots, got)
	}
	if after := l.vmProps(vm); !after.Runtime.BootTime.Equal(*m.Runtime.BootTime) {
		t.Errorf("guest reboot changed the VM's bootTime %v -> %v", m.Runtime.BootTime, after.Runtime.BootTime)
	}
}

func hostHasVM(h mo.HostSystem, ref types.ManagedObjectReference) bool {
	for _, r := range h.Vm {
		if r == ref {
			return true
		}
	}
	return false
}

func TestMigrateAndRelocateMoveTheVM(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	vm := l.vm("testvm1")
	mac := firstMAC(l.vmProps(vm))
	tl := l.tail(vm.Reference())
	esx02 := l.host("esx02")
	l.run(vm.Migrate(ctx, nil, esx02, types.VirtualMachineMovePriorityDefaultPriority, ""))
	evs := tl.expect(t, "VmBeingHotMigratedEvent", "VmMigratedEvent")
	if d := evs[0].(*types.VmBeingHotMigratedEvent); d.DestHost.Name != "esx02" || d.Host.Name != "esx01" {
		t.Errorf("VmBeingHotMigratedEvent host %s dest %s", d.Host.Name, d.DestHost.Name)
	}
	if m := evs[1].(*types.VmMigratedEvent); m.SourceHost.Name != "esx01" || m.Host.Name != "esx02" {
		t.Errorf("VmMigratedEvent host %s source %s", m.Host.Name, m.SourceHost.Name)
	}
	m := l.vmProps(vm)
	if *m.Runtime.Host != esx02.Reference() || *m.Summary.Runtime.Host != esx02.Reference() {
		t.Errorf("runtime.host %v", m.Runtime.Host)
	}
	if hostHasVM(l.hostProps("esx01"), vm.Reference()) || !hostHasVM(l.hostProps("esx02"), vm.Reference()) {
		t.Errorf("host vm lists not fixed")
	}
	if len(l.vmPortKeys("esx01", mac)) != 0 || len(l.vmPortKeys("esx02", mac)) != 1 {
		t.Errorf("ports: esx01 %v esx02 %v", l.vmPortKeys("esx01", mac), l.vmPortKeys("esx02", mac))
	}

	// Relocate to the standalone 6.5 host: relocate events, resource pool follows.
	esx03 := l.host("esx03")
	ref := esx03.Reference()
	l.run(vm.Relocate(ctx, types.VirtualMachineRelocateSpec{Host: &ref}, types.VirtualMachineMovePriorityDefaultPriority))
	evs = tl.expect(t, "VmBeingRelocatedEvent", "VmRelocatedEvent")
	if r := evs[1].(*types.VmRelocatedEvent); r.SourceHost.Name != "esx02" || r.Host.Name != "esx03" {
		t.Errorf("VmRelocatedEvent host %s source %s", r.Host.Name, r.SourceHost.Name)
	}
	if len(l.vmPortKeys("esx03", mac)) != 1 || l.w.FindVM("testvm1").Host != "esx03" {
		t.Errorf("after relocate: esx03 ports %v, world host %s", l.vmPortKeys("esx03", mac), l.w.FindVM("testvm1").Host)
	}
	var vmo mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"resourcePool"}, &vmo); err != nil {
		t.Fatal(err)
	}
	pool, err := esx03.ResourcePool(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if *vmo.ResourcePool != pool.Reference() {
		t.Errorf("resourcePool %v, want esx03's %v", vmo.ResourcePool, pool.Reference())
	}
}

func setOverride(t *testing.T, l *lab, vm *object.VirtualMachine, op types.ArrayUpdateOperation, behavior types.DrsBehavior) {
	t.Helper()
	ctx := context.Background()
	cl, err := l.f.ClusterComputeResource(ctx, "cluster1")
	if err != nil {
		t.Fatal(err)
	}
	spec := &types.ClusterConfigSpecEx{DrsVmConfigSpec: []types.ClusterDrsVmConfigSpec{{
		ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: op},
		Info:            &types.ClusterDrsVmConfigInfo{Key: vm.Reference(), Enabled: types.NewBool(true), Behavior: behavior}}}}
	l.run(cl.Reconfigure(ctx, spec, true))
}

func TestDRSPassHonoursOverrides(t *testing.T) {
	l := startLab(t, nil)
	vm := l.vm("testvm1")
	pinned := l.w.FindVM("pinned-manual")
	tl := l.tail(l.dc.Reference())
	moves, err := l.v.DRSPass()
	if err != nil {
		t.Fatal(err)
	}
	moved := map[string]Move{}
	for _, m := range moves {
		moved[m.Moref] = m
	}
	if m, ok := moved[vm.Reference().Value]; !ok || m.From != "esx01" || m.To != "esx02" {
		t.Errorf("testvm1 not moved esx01->esx02: %+v", moves)
	}
	if _, ok := moved[pinned.Moref]; ok {
		t.Errorf("VM with a manual override moved: %+v", moves)
	}
	for _, m := range moves {
		if m.From == "esx03" || m.To == "esx03" {
			t.Errorf("standalone host in a DRS move: %+v", m)
		}
	}
	if st := l.w.FindVM("spare-off"); moved[st.Moref].VM != "" {
		t.Errorf("powered-off VM moved")
	}
	evs := tl.expect(t, "VmBeingHotMigratedEvent", "DrsVmMigratedEvent")
	if d := evs[1].(*types.DrsVmMigratedEvent); d.Vm == nil || d.SourceHost.Name == d.Host.Name {
		t.Errorf("DrsVmMigratedEvent %+v", d)
	}

	// A manual override added through the API stops the next pass moving testvm1.
	setOverride(t, l, vm, types.ArrayUpdateOperationAdd, types.DrsBehaviorManual)
	moves, err = l.v.DRSPass()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range moves {
		if m.Moref == vm.Reference().Value {
			t.Errorf("testvm1 moved under a manual override: %+v", m)
		}
	}
	if len(moves) == 0 {
		t.Errorf("second pass moved nothing; other fullyAutomated VMs should move")
	}
	// Editing it back to fullyAutomated lets DRS move it again.
	setOverride(t, l, vm, types.ArrayUpdateOperationEdit, types.DrsBehaviorFullyAutomated)
	moves, _ = l.v.DRSPass()
	found := false
	for _, m := range moves {
		found = found || m.Moref == vm.Reference().Value
	}
	if !found {
		t.Errorf("testvm1 not moved after override edited to fullyAutomated: %+v", moves)
	}
}

func TestDRSPassApplyingRecommendationsMovesManualVMs(t *testing.T) {
	l := startLab(t, nil)
	pinned := l.w.FindVM("pinned-manual")
	from := pinned.Host
	moves, err := l.v.DRSPassApplyingRecommendations()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range moves {
		if m.Moref == pinned.Moref {
			found = true
			if m.From != from || m.To == from {
				t.Errorf("pinned-manual move %+v, was on %s", m, from)
			}
		}
	}
	if !found {
		t.Errorf("pinned-manual (manual override) not moved when recommendations are applied: %+v", moves)
	}
	if now := l.w.FindVM("pinned-manual"); now.Host == from {
		t.Errorf("world still has pinned-manual on %s", from)
	}
	if st := l.w.FindVM("spare-off"); st != nil {
		for _, m := range moves {
			if m.Moref == st.Moref {
				t.Errorf("powered-off VM moved: %+v", m)
			}
		}
	}
}

func TestHARestartAndReset(t *testing.T) {
	l := startLab(t, nil)
	vm := l.vm("testvm1")
	tl := l.tail(vm.Reference())
	if err := l.v.VMOp(vm.Reference().Value, "ha-reset", ""); err != nil {
		t.Fatal(err)
	}
	evs := tl.expect(t, "VmDasBeingResetWithScreenshotEvent", "VmResettingEvent")
	shot := evs[0].(*types.VmDasBeingResetWithScreenshotEvent)
	if shot.ScreenshotFilePath != "[datastore1] testvm1/testvm1-1.png" || shot.Reason != "vmtoolsHeartbeatFailure" ||
		shot.UserName != "" || shot.Vm == nil || shot.Host == nil || shot.ComputeResource == nil || shot.Datacenter == nil {
		t.Errorf("HA reset event %+v", shot)
	}
	// ha_reset_screenshot=false: a host that cannot take the screenshot.
	l.v.SetOptions(Options{HAResetPlain: true})
	if err := l.v.VMOp(vm.Reference().Value, "ha-reset", ""); err != nil {
		t.Fatal(err)
	}
	evs = tl.expect(t, "VmDasBeingResetEvent", "VmResettingEvent")
	if plain := evs[0].(*types.VmDasBeingResetEvent); plain.Reason != "vmtoolsHeartbeatFailure" {
		t.Errorf("plain HA reset event %+v", plain)
	}
	if err := l.v.VMOp(vm.Reference().Value, "ha-restart", "esx02"); err != nil {
		t.Fatal(err)
	}
	evs = tl.expect(t, "com.vmware.vc.ha.VmRestartedByHAEvent")
	if e := evs[0].GetEvent(); e.Host == nil || e.Host.Name != "esx02" {
		t.Errorf("HA restart event host %+v", e.Host)
	}
	if m := l.vmProps(vm); *m.Runtime.Host != l.host("esx02").Reference() || m.Runtime.PowerState != "poweredOn" {
		t.Errorf("after HA restart: host %v %s", m.Runtime.Host, m.Runtime.PowerState)
	}
}

func TestRestartKeepsInventoryAndEndsSessions(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	ref := l.vm("testvm1").Reference()
	if err := l.v.Restart(100 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	_, err := methods.GetCurrentTime(ctx, l.c.Client)
	if !isNotAuthenticated(err) {
		t.Fatalf("old session after restart: %v, want NotAuthenticated", err)
	}
	c := l.login()
	f := find.NewFinder(c.Client, false)
	f.SetDatacenter(object.NewDatacenter(c.Client, l.dc.Reference()))
	vm, err := f.VirtualMachine(ctx, "testvm1")
	if err != nil {
		t.Fatal(err)
	}
	if vm.Reference() != ref {
		t.Errorf("testvm1 was %v, now %v", ref, vm.Reference())
	}
	if !strings.HasSuffix(l.v.URL(), c.URL().Host+"/sdk") {
		t.Errorf("URL changed: %s vs %s", l.v.URL(), c.URL())
	}
}

func isNotAuthenticated(err error) bool {
	if err == nil || !soap.IsSoapFault(err) {
		return false
	}
	_, ok := soap.ToSoapFault(err).VimFault().(types.NotAuthenticated)
	return ok
}

func TestDatastoreFreeSpaceFollowsWorld(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	ds, err := l.f.Datastore(ctx, "datastore1")
	if err != nil {
		t.Fatal(err)
	}
	free := func() (int64, int64) {
		var m mo.Datastore
		if err := ds.Properties(ctx, ds.Reference(), []string{"summary"}, &m); err != nil {
			t.Fatal(err)
		}
		return m.Summary.FreeSpace, m.Summary.Capacity
	}
	f0, c0 := free()
	if c0 != 500<<30 || f0 != 380<<30 {
		t.Fatalf("datastore1 capacity %d free %d, want 500 GiB / 380 GiB", c0, f0)
	}
	if err := l.w.DatastoreUse("datastore1", 3<<30); err != nil {
		t.Fatal(err)
	}
	l.v.SyncDatastores()
	if f1, _ := free(); f1 != f0-3<<30 {
		t.Errorf("free %d after using 3 GiB from %d", f1, f0)
	}
}

func TestInventoryFileScale(t *testing.T) {
	inv, err := ParseInventory("scale.json", []byte(`{
	  "datacenter": "dc1",
	  "clusters": [{"name": "cluster1", "drs_behavior": "fullyAutomated", "hosts": ["esx01", "esx02"]}],
	  "hosts": [{"name": "esx01", "dvs": true}, {"name": "esx02", "dvs": true}],
	  "generate": [{"count": 1000, "prefix": "scale", "hosts": ["esx01", "esx02"]}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	l := startLab(t, inv)
	t.Logf("1000-VM lab ready in %v", time.Since(start))
	vms, err := l.f.VirtualMachineList(context.Background(), "/dc1/vm/scale-*")
	if err != nil {
		t.Fatal(err)
	}
	if len(vms) != 1000 || len(l.w.VMsSnapshot()) != 1000 {
		t.Fatalf("%d VMs in vCenter, %d in the world", len(vms), len(l.w.VMsSnapshot()))
	}
	ports := len(l.w.HostPorts("esx01")) + len(l.w.HostPorts("esx02"))
	if ports != 1000 {
		t.Errorf("%d live ports, want 1000", ports)
	}

	// Most of these VMs are in-memory copies of the first of their shape: each must
	// be its own VM (name, MAC, host lists) and behave like the others.
	ctx := context.Background()
	m := view.NewManager(l.c.Client)
	cv, err := m.CreateContainerView(ctx, l.c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		t.Fatal(err)
	}
	var all []mo.VirtualMachine
	if err := cv.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "config.hardware.device", "runtime.host", "guest.net"}, &all); err != nil {
		t.Fatal(err)
	}
	macs := map[string]string{}
	for _, vm := range all {
		mac := firstMAC(vm)
		if other, dup := macs[mac]; dup || mac == "" {
			t.Fatalf("MAC %q on %s and %s", mac, other, vm.Name)
		}
		macs[mac] = vm.Name
		if st := l.w.FindVM(vm.Self.Value); st == nil || st.Name != vm.Name || st.Nics[0].MAC != mac {
			t.Fatalf("API %s %s %s, world %+v", vm.Self.Value, vm.Name, mac, st)
		}
		if len(vm.Guest.Net) != 1 || vm.Guest.Net[0].MacAddress != mac {
			t.Fatalf("%s guest.net %+v, MAC %s", vm.Name, vm.Guest.Net, mac)
		}
	}
	if len(macs) != 1000 {
		t.Fatalf("%d distinct MACs", len(macs))
	}
	proto, clone := l.vm("scale-00001"), l.vm("scale-00501")
	if !hostHasVM(l.hostProps("esx01"), clone.Reference()) {
		t.Errorf("scale-00501 not in esx01's vm list")
	}
	mac := firstMAC(l.vmProps(clone))
	before := l.vmPortKeys("esx01", mac)
	l.run(clone.Reset(ctx))
	if after := l.vmPortKeys("esx01", mac); len(before) != 1 || len(after) != 1 || before[0] == after[0] {
		t.Errorf("reset of a copied VM: ports %v -> %v", before, after)
	}
	l.run(clone.PowerOff(ctx))
	if p := l.vmProps(proto); p.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("powering off a copy powered off its prototype too (%s)", p.Runtime.PowerState)
	}
	if c := l.vmProps(clone); c.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff || c.Name != "scale-00501" {
		t.Errorf("copy after power-off: %s %s", c.Name, c.Runtime.PowerState)
	}
}

func TestInventoryErrorsNameTheProblem(t *testing.T) {
	cases := map[string]string{
		`{"hosts":[{"name":"esx01"}],"vms":[{"name":"a","host":"esx09"}]}`:                                    `unknown host "esx09"`,
		`{"hosts":[{"name":"esx01"}],"vms":[{"name":"a","host":"esx01","nics":[{"portgroup":"Nope"}]}]}`:      `portgroup "Nope"`,
		`{"hosts":[{"name":"esx01"}],"vms":[{"name":"a","host":"esx01"},{"name":"a","host":"esx01"}]}`:        `listed twice`,
		`{"hosts":[{"name":"esx01"}],"clusters":[{"name":"c","drs_behavior":"sometimes","hosts":["esx01"]}]}`: `drs_behavior "sometimes"`,
		`{"hosts":[{"name":"esx01"}],"vm":[]}`:                                                                `unknown field "vm"`,
	}
	for in, want := range cases {
		_, err := ParseInventory("x.json", []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to mention %s", in, err, want)
		}
	}
}

// watch follows properties of one object with WaitForUpdatesEx (own session) and
// returns once cond holds for the accumulated values.
func (l *lab) watch(obj types.ManagedObjectReference, props []string, cond func(map[string]types.AnyType) bool) chan error {
	c := l.login()
	done := make(chan error, 1)
	ready := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	l.t.Cleanup(cancel)
	go func() {
		vals := map[string]types.AnyType{}
		first := true
		done <- property.Wait(ctx, property.DefaultCollector(c.Client), obj, props, func(changes []types.PropertyChange) bool {
			for _, ch := range changes {
				vals[ch.Name] = ch.Val
			}
			if first {
				first = false
				close(ready)
				return false // the initial state does not count
			}
			return cond(vals)
		})
	}()
	<-ready
	return done
}

func TestWatchersSeePortsAndHostChange(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	vm := l.vm("testvm1")
	mac := firstMAC(l.vmProps(vm))
	old := l.vmPortKeys("esx01", mac)[0]
	portsDone := l.watch(l.host("esx01").Reference(), []string{"config.network.portgroup"}, func(v map[string]types.AnyType) bool {
		pgs, _ := v["config.network.portgroup"].(types.ArrayOfHostPortGroup)
		for _, pg := range pgs.HostPortGroup {
			for _, p := range pg.Port {
				if p.Type == "virtualMachine" && p.Mac[0] == mac && p.Key != old {
					return true
				}
			}
		}
		return false
	})
	l.run(vm.Reset(ctx))
	if err := <-portsDone; err != nil {
		t.Fatalf("watching esx01's portgroups for testvm1's new port: %v", err)
	}
	esx02 := l.host("esx02").Reference()
	hostDone := l.watch(vm.Reference(), []string{"runtime.host"}, func(v map[string]types.AnyType) bool {
		h, _ := v["runtime.host"].(types.ManagedObjectReference)
		return h == esx02
	})
	vmsDone := l.watch(esx02, []string{"vm"}, func(v map[string]types.AnyType) bool {
		refs, _ := v["vm"].(types.ArrayOfManagedObjectReference)
		return simulatorHas(refs.ManagedObjectReference, vm.Reference())
	})
	l.run(vm.Migrate(ctx, nil, l.host("esx02"), types.VirtualMachineMovePriorityDefaultPriority, ""))
	if err := <-hostDone; err != nil {
		t.Fatalf("watching runtime.host: %v", err)
	}
	if err := <-vmsDone; err != nil {
		t.Fatalf("watching esx02's vm list: %v", err)
	}
}

func simulatorHas(refs []types.ManagedObjectReference, ref types.ManagedObjectReference) bool {
	for _, r := range refs {
		if r == ref {
			return true
		}
	}
	return false
}

func TestShutdownSuspendAndDestroyFollowTheWorld(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	web := l.vm("web01")
	mac := firstMAC(l.vmProps(web))
	tl := l.tail(l.dc.Reference())
	if err := web.ShutdownGuest(ctx); err != nil {
		t.Fatal(err)
	}
	tl.expect(t, "VmGuestShutdownEvent", "VmPoweredOffEvent")
	if st := l.w.FindVM("web01"); st.PoweredOn || len(l.vmPortKeys("esx01", mac)) != 0 {
		t.Errorf("after guest shutdown: world on=%v, ports %v", st.PoweredOn, l.vmPortKeys("esx01", mac))
	}

	db := l.vm("db01")
	l.run(db.Suspend(ctx))
	tl.expect(t, "VmSuspendingEvent", "VmSuspendedEvent")
	if p := l.vmProps(db); p.Runtime.PowerState != types.VirtualMachinePowerStateSuspended || l.w.FindVM("db01").PoweredOn {
		t.Errorf("after suspend: %s, world on=%v", p.Runtime.PowerState, l.w.FindVM("db01").PoweredOn)
	}
	l.run(db.PowerOn(ctx))
	if !l.w.FindVM("db01").PoweredOn {
		t.Errorf("resume did not power on in the world")
	}

	// Destroying a powered-on VM fails as in vCenter; powered off, it leaves the world.
	spare := l.vm("spare-off")
	moref := spare.Reference().Value
	l.run(spare.Destroy(ctx))
	if l.w.FindVM(moref) != nil {
		t.Errorf("destroyed VM still in the world")
	}
	task, err := l.vm("testvm1").Destroy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(ctx); err == nil || l.w.FindVM("testvm1") == nil {
		t.Errorf("destroying a powered-on VM: %v; world still has it: %v", err, l.w.FindVM("testvm1") != nil)
	}
}

func TestDRSInterval(t *testing.T) {
	l := startLab(t, nil)
	drsMoves := make(chan world.Change, 100)
	l.w.OnChange(func(c world.Change) {
		if c.Kind == world.ChMigrate && c.Reason == "drs" {
			select {
			case drsMoves <- c:
			default:
			}
		}
	})
	var mu sync.Mutex
	every := time.Duration(0)
	interval := func() time.Duration { mu.Lock(); defer mu.Unlock(); return every }
	l.v.RunDRSEvery(interval, func(err error) { t.Error(err) })
	select {
	case c := <-drsMoves:
		t.Fatalf("DRS moved %s with the interval at 0", c.VM)
	case <-time.After(1500 * time.Millisecond): // the loop re-reads a 0 interval every second
	}
	mu.Lock()
	every = 20 * time.Millisecond
	mu.Unlock()
	select {
	case c := <-drsMoves:
		if c.FromHost == c.ToHost || c.ToHost == "esx03" {
			t.Errorf("DRS move %s %s -> %s", c.VM, c.FromHost, c.ToHost)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no DRS move within 20 s at a 20 ms interval")
	}
	mu.Lock()
	every = 0
	mu.Unlock()
}

package vc

import (
	"fmt"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"labsim/world"
)

// mirror is the world's change listener: it makes the simulator show what happened
// (properties, host port lists, events). It runs in the goroutine that changed the
// world; when that is an API call or VMOp, the VM is already locked, so mirror
// never locks the VM itself (hosts, pools and the event manager it does lock).
func (v *VCenter) mirror(c world.Change) {
	vm, _ := simulator.Map.Get(vmRef(c.Moref)).(*labVM)
	switch c.Kind {
	case world.ChPowerOn:
		if vm != nil {
			// runtime.bootTime "is updated when the virtual machine is powered on from
			// the poweredOff state" (API reference VirtualMachineRuntimeInfo): a resume
			// from suspended keeps it.
			resumed := vm.Runtime.PowerState == types.VirtualMachinePowerStateSuspended
			v.setPowerState(vm, types.VirtualMachinePowerStatePoweredOn)
			if !resumed || v.Options().ResetSetsBootTime {
				v.setBootTime(vm, &c.Time)
			}
			v.postEvents(vm, "power-on:"+c.Reason, c.ToHost, "")
		}
		v.refreshHostPorts(c.ToHost)
	case world.ChPowerOff:
		if vm != nil {
			state := types.VirtualMachinePowerStatePoweredOff
			if c.Reason == "suspend" {
				state = types.VirtualMachinePowerStateSuspended
			}
			v.setPowerState(vm, state)
			// "... and is cleared when the virtual machine is powered off": a suspended
			// VM keeps it.
			if state == types.VirtualMachinePowerStatePoweredOff || v.Options().ResetSetsBootTime {
				v.setBootTime(vm, nil)
			}
			v.postEvents(vm, "power-off:"+c.Reason, c.FromHost, "")
		}
		v.refreshHostPorts(c.FromHost)
	case world.ChReset:
		if vm != nil {
			// A reset keeps powerState poweredOn and bootTime (only VmResettingEvent
			// tells), unless reset_sets_boottime restores the lab's old behaviour.
			if v.Options().ResetSetsBootTime {
				v.setBootTime(vm, &c.Time)
			}
			v.postEvents(vm, "reset:"+c.Reason, c.ToHost, "")
		}
		v.refreshHostPorts(c.ToHost)
	case world.ChGuestReboot:
		if vm != nil {
			v.postEvents(vm, "guest-reboot", c.ToHost, "")
		}
	case world.ChMigrate:
		if vm != nil {
			v.moveVM(vm, c.FromHost, c.ToHost)
			v.postEvents(vm, "migrate:"+c.Reason, c.FromHost, c.ToHost)
		}
		v.refreshHostPorts(c.FromHost)
		v.refreshHostPorts(c.ToHost)
	case world.ChRemoved:
		v.refreshHostPorts(c.FromHost)
	}
}

func vmRef(moref string) types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VirtualMachine", Value: moref}
}

func (v *VCenter) setPowerState(vm *labVM, state types.VirtualMachinePowerState) {
	changes := []types.PropertyChange{
		{Name: "runtime.powerState", Val: state},
		{Name: "summary.runtime.powerState", Val: state},
	}
	tools := types.VirtualMachineToolsRunningStatusGuestToolsNotRunning
	toolsStatus := types.VirtualMachineToolsStatusToolsNotRunning
	if state == types.VirtualMachinePowerStatePoweredOn {
		tools = types.VirtualMachineToolsRunningStatusGuestToolsRunning
		toolsStatus = types.VirtualMachineToolsStatusToolsOk
	}
	changes = append(changes,
		types.PropertyChange{Name: "guest.toolsRunningStatus", Val: string(tools)},
		types.PropertyChange{Name: "guest.toolsStatus", Val: toolsStatus},
		types.PropertyChange{Name: "guestHeartbeatStatus", Val: heartbeat(state)})
	simulator.Map.Update(vm, changes)
}

func heartbeat(state types.VirtualMachinePowerState) types.ManagedEntityStatus {
	if state == types.VirtualMachinePowerStatePoweredOn {
		return types.ManagedEntityStatusGreen
	}
	return types.ManagedEntityStatusGray
}

// setBootTime sets runtime.bootTime (the simulator never does) and its summary copy;
// nil clears it (powered off).
func (v *VCenter) setBootTime(vm *labVM, t *time.Time) {
	var val types.AnyType
	if t != nil {
		val = *t
	}
	simulator.Map.Update(vm, []types.PropertyChange{
		{Name: "runtime.bootTime", Val: val},
		{Name: "summary.runtime.bootTime", Val: val},
	})
}

// moveVM fixes runtime.host, both hosts' vm lists and, across compute resources,
// the resource pool.
func (v *VCenter) moveVM(vm *labVM, from, to string) {
	toRef := v.hostRef[to]
	if fh, ok := simulator.Map.Get(v.hostRef[from]).(*simulator.HostSystem); ok {
		simulator.Map.WithLock(fh, func() {
			var list []types.ManagedObjectReference
			for _, r := range fh.Vm {
				if r != vm.Self {
					list = append(list, r)
				}
			}
			simulator.Map.Update(fh, []types.PropertyChange{{Name: "vm", Val: list}})
		})
	}
	if th, ok := simulator.Map.Get(toRef).(*simulator.HostSystem); ok {
		simulator.Map.WithLock(th, func() {
			list := append([]types.ManagedObjectReference{}, th.Vm...)
			if simulator.FindReference(list, vm.Self) == nil {
				list = append(list, vm.Self)
			}
			simulator.Map.Update(th, []types.PropertyChange{{Name: "vm", Val: list}})
		})
	}
	changes := []types.PropertyChange{
		{Name: "runtime.host", Val: toRef},
		{Name: "summary.runtime.host", Val: toRef},
	}
	newPool := v.poolOf(to)
	if vm.ResourcePool != nil && *vm.ResourcePool != newPool {
		if old, ok := simulator.Map.Get(*vm.ResourcePool).(*simulator.ResourcePool); ok {
			simulator.Map.WithLock(old, func() {
				var list []types.ManagedObjectReference
				for _, r := range old.Vm {
					if r != vm.Self {
						list = append(list, r)
					}
				}
				simulator.Map.Update(old, []types.PropertyChange{{Name: "vm", Val: list}})
			})
		}
		if np, ok := simulator.Map.Get(newPool).(*simulator.ResourcePool); ok {
			simulator.Map.WithLock(np, func() {
				list := append(append([]types.ManagedObjectReference{}, np.Vm...), vm.Self)
				simulator.Map.Update(np, []types.PropertyChange{{Name: "vm", Val: list}})
			})
		}
		changes = append(changes, types.PropertyChange{Name: "resourcePool", Val: newPool})
	}
	simulator.Map.Update(vm, changes)
}

// PortKey is how HostSystem.config.network.portgroup[].port[].key names a port.
func PortKey(id int64) string { return fmt.Sprintf("key-vim.host.PortGroup.Port-%d", id) }

// refreshHostPorts brings vCenter's copy of a host's port lists up to date with
// the world, after the host port-list lag (hostports.go).
func (v *VCenter) refreshHostPorts(host string) {
	v.batchMu.Lock()
	if v.batching {
		v.dirtyHosts[host] = true
		v.batchMu.Unlock()
		return
	}
	v.batchMu.Unlock()
	v.scheduleHostPorts(host)
}

// eventBase fills the entity arguments of a VM event for the VM on `host`.
func (v *VCenter) eventBase(vm *labVM, host string) types.VmEvent {
	e := types.VmEvent{Event: types.Event{
		Datacenter: &types.DatacenterEventArgument{Datacenter: v.dc, EntityEventArgument: types.EntityEventArgument{Name: v.dcName}},
		Vm:         &types.VmEventArgument{Vm: vm.Self, EntityEventArgument: types.EntityEventArgument{Name: vm.Name}},
	}}
	if h := v.hostArg(host); h != nil {
		e.Host = h
		if hs, ok := simulator.Map.Get(v.hostRef[host]).(*simulator.HostSystem); ok && hs.Parent != nil {
			var name string
			switch p := simulator.Map.Get(*hs.Parent).(type) {
			case *simulator.ClusterComputeResource:
				name = p.Name
			case *mo.ComputeResource:
				name = p.Name
			}
			e.ComputeResource = &types.ComputeResourceEventArgument{ComputeResource: *hs.Parent,
				EntityEventArgument: types.EntityEventArgument{Name: name}}
		}
	}
	return e
}

func (v *VCenter) hostArg(host string) *types.HostEventArgument {
	ref, ok := v.hostRef[host]
	if !ok {
		return nil
	}
	return &types.HostEventArgument{Host: ref, EntityEventArgument: types.EntityEventArgument{Name: host}}
}

// postEvents posts the events vCenter shows for one kind of change. what is
// "<kind>:<reason>"; from/to are host names.
func (v *VCenter) postEvents(vm *labVM, what, from, to string) {
	src := v.eventBase(vm, from)
	user := v.cfg.User
	var evs []types.BaseEvent
	switch what {
	case "power-on:api", "power-on:lab":
		evs = append(evs, &types.VmStartingEvent{VmEvent: src}, &types.VmPoweredOnEvent{VmEvent: src})
	case "power-on:ha":
		user = ""
		evs = append(evs, &types.EventEx{Event: src.Event, EventTypeId: "com.vmware.vc.ha.VmRestartedByHAEvent",
			Severity: "warning", ObjectId: vm.Self.Value, ObjectType: "VirtualMachine", ObjectName: vm.Name,
			Message: fmt.Sprintf("vSphere HA restarted virtual machine %s on host %s", vm.Name, from)})
	case "power-off:api", "power-off:lab":
		evs = append(evs, &types.VmStoppingEvent{VmEvent: src}, &types.VmPoweredOffEvent{VmEvent: src})
	case "power-off:guest-shutdown":
		evs = append(evs, &types.VmGuestShutdownEvent{VmEvent: src}, &types.VmPoweredOffEvent{VmEvent: src})
	case "power-off:suspend":
		evs = append(evs, &types.VmSuspendingEvent{VmEvent: src}, &types.VmSuspendedEvent{VmEvent: src})
	case "power-off:ha":
		// The host failed: vCenter sees no orderly power-off.
	case "reset:api", "reset:lab", "reset:ha":
		if what == "reset:ha" {
			user = ""
			// VM monitoring resets a VM whose VMware Tools heartbeat stopped. vCenter
			// posts VmDasBeingResetWithScreenshotEvent, or VmDasBeingResetEvent "on
			// hosts that do not support the create screenshot api or if the
			// createscreenshot api fails" (API reference).
			das := types.VmDasBeingResetEvent{VmEvent: src, Reason: string(types.VmDasBeingResetEventReasonCodeVmtoolsHeartbeatFailure)}
			if v.Options().HAResetPlain {
				evs = append(evs, &das)
			} else {
				evs = append(evs, &types.VmDasBeingResetWithScreenshotEvent{VmDasBeingResetEvent: das,
					ScreenshotFilePath: v.screenshotPath(vm)})
			}
		}
		evs = append(evs, &types.VmResettingEvent{VmEvent: src})
		if v.Options().ResetPowerEvents {
			evs = append(evs, &types.VmStoppingEvent{VmEvent: src}, &types.VmPoweredOffEvent{VmEvent: src},
				&types.VmStartingEvent{VmEvent: src}, &types.VmPoweredOnEvent{VmEvent: src})
		}
	case "guest-reboot":
		evs = append(evs, &types.VmGuestRebootEvent{VmEvent: src})
	case "migrate:api", "migrate:lab", "migrate:drs":
		dst := v.eventBase(vm, to)
		if vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
			evs = append(evs, &types.VmBeingHotMigratedEvent{VmEvent: src, DestHost: *v.hostArg(to), DestDatacenter: dst.Datacenter})
		} else {
			evs = append(evs, &types.VmBeingMigratedEvent{VmEvent: src, DestHost: *v.hostArg(to), DestDatacenter: dst.Datacenter})
		}
		migrated := types.VmMigratedEvent{VmEvent: dst, SourceHost: *v.hostArg(from), SourceDatacenter: src.Datacenter}
		if what == "migrate:drs" {
			user = ""
			evs = append(evs, &types.DrsVmMigratedEvent{VmMigratedEvent: migrated})
		} else {
			evs = append(evs, &migrated)
		}
	case "migrate:relocate", "relocate":
		if to == "" {
			to = from
		}
		dst := v.eventBase(vm, to)
		evs = append(evs,
			&types.VmBeingRelocatedEvent{VmRelocateSpecEvent: types.VmRelocateSpecEvent{VmEvent: src},
				DestHost: *v.hostArg(to), DestDatacenter: dst.Datacenter},
			&types.VmRelocatedEvent{VmRelocateSpecEvent: types.VmRelocateSpecEvent{VmEvent: dst},
				SourceHost: *v.hostArg(from), SourceDatacenter: src.Datacenter})
	case "migrate:ha":
		// part of an HA restart; the restart event follows at power-on
	}
	v.post(user, evs...)
}

// post adds the events of one operation to the event manager (and every collector
// whose filter takes them); they share the first one's key as chainId.
func (v *VCenter) post(user string, evs ...types.BaseEvent) {
	if len(evs) == 0 {
		return
	}
	em := simulator.Map.EventManager()
	ctx := v.internalContext(user)
	simulator.Map.WithLock(em, func() {
		if v.events != nil {
			v.events.beginChain()
			defer v.events.endChain()
		}
		for _, e := range evs {
			em.PostEvent(ctx, &types.PostEvent{This: em.Self, EventToPost: e})
		}
	})
}

// screenshotPath is where an HA reset's screenshot goes: "the datastore path of the
// screenshot taken before resetting" (API reference), in the VM's directory, named as
// the VM's files are (vmname-N.png; the exact name is not documented).
func (v *VCenter) screenshotPath(vm *labVM) string {
	v.shotMu.Lock()
	if v.shots == nil {
		v.shots = map[string]int{}
	}
	v.shots[vm.moref()]++
	n := v.shots[vm.moref()]
	v.shotMu.Unlock()
	dir, base := "["+v.datastoreOf(vm)+"] "+vm.Name, vm.Name
	if vm.Config != nil && vm.Config.Files.VmPathName != "" {
		p := vm.Config.Files.VmPathName // "[datastore1] testvm1/testvm1.vmx"
		if i := strings.LastIndex(p, "/"); i >= 0 {
			dir, base = p[:i], strings.TrimSuffix(p[i+1:], ".vmx")
		}
	}
	return fmt.Sprintf("%s/%s-%d.png", dir, base, n)
}

func (v *VCenter) datastoreOf(vm *labVM) string {
	for _, ref := range vm.Datastore {
		if ds, ok := simulator.Map.Get(ref).(*simulator.Datastore); ok {
			return ds.Name
		}
	}
	return "datastore1"
}

// haReset: vSphere HA VM monitoring resets a VM whose heartbeat stopped.
func (v *VCenter) haReset(vm *labVM) error {
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		return fmt.Errorf("ha-reset: VM %s is %s", vm.Name, vm.Runtime.PowerState)
	}
	return v.w.Reset(vm.moref(), "ha")
}

// haRestart: the VM's host failed and HA restarts the VM on `to` (default: the
// next host of its cluster): the VM stops without a power-off event, moves, boots.
func (v *VCenter) haRestart(vm *labVM, to string) error {
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		return fmt.Errorf("ha-restart: VM %s is %s; HA restarts only running VMs", vm.Name, vm.Runtime.PowerState)
	}
	from := v.hostByRef[*vm.Runtime.Host]
	if to == "" {
		to = v.nextHost(v.hostCl[from], from)
	}
	if _, ok := v.hostRef[to]; !ok || to == "" {
		return fmt.Errorf("ha-restart: no target host %q", to)
	}
	if err := v.w.PowerOff(vm.moref(), "ha"); err != nil {
		return err
	}
	if to != from {
		if err := v.w.Migrate(vm.moref(), to, "ha"); err != nil {
			return err
		}
	}
	return v.w.PowerOn(vm.moref(), "ha")
}

// batchPorts(true) defers host port-list rewrites (many VMs powering on at start);
// batchPorts(false) rewrites every host touched meanwhile, after the port-list lag.
func (v *VCenter) batchPorts(on bool) {
	if on {
		v.batchMu.Lock()
		v.batching = true
		v.dirtyHosts = map[string]bool{}
		v.batchMu.Unlock()
		return
	}
	v.endPortBatch(false)
}

// endPortBatch ends a batch: now rewrites the hosts touched at once (the port lists
// vCenter starts with), else after the port-list lag like any change.
func (v *VCenter) endPortBatch(now bool) {
	v.batchMu.Lock()
	v.batching = false
	dirty := v.dirtyHosts
	v.dirtyHosts = map[string]bool{}
	v.batchMu.Unlock()
	for h := range dirty {
		if now {
			v.writeHostPorts(h)
		} else {
			v.scheduleHostPorts(h)
		}
	}
}

package vc

import (
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// labVM replaces each simulator VirtualMachine in the registry (same moref). It is
// embedded by value: the simulator finds the mo.VirtualMachine as the first field.
// Its methods override the simulator's for the operations that change where a VM
// runs or whether it runs; each changes the shared world, whose listener (mirror.go)
// then posts the events and updates the properties.
type labVM struct {
	simulator.VirtualMachine
	vc *VCenter
}

func (vm *labVM) moref() string { return vm.Self.Value }

func (vm *labVM) powerState() types.VirtualMachinePowerState { return vm.Runtime.PowerState }

func invalidPowerState(want, have types.VirtualMachinePowerState) types.BaseMethodFault {
	return &types.InvalidPowerState{RequestedState: want, ExistingState: have}
}

func worldFault(err error) types.BaseMethodFault {
	return &types.SystemError{RuntimeFault: types.RuntimeFault{}, Reason: err.Error()}
}

func (vm *labVM) PowerOnVMTask(ctx *simulator.Context, req *types.PowerOnVM_Task) soap.HasFault {
	task := simulator.CreateTask(vm, "powerOn", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		if vm.Config.Template {
			return nil, &types.InvalidState{}
		}
		if vm.powerState() == types.VirtualMachinePowerStatePoweredOn {
			return nil, invalidPowerState(types.VirtualMachinePowerStatePoweredOn, vm.powerState())
		}
		if err := vm.vc.w.PowerOn(vm.moref(), "api"); err != nil {
			return nil, worldFault(err)
		}
		return nil, nil
	})
	return &methods.PowerOnVM_TaskBody{Res: &types.PowerOnVM_TaskResponse{Returnval: task.Run()}}
}

func (vm *labVM) PowerOffVMTask(ctx *simulator.Context, req *types.PowerOffVM_Task) soap.HasFault {
	task := simulator.CreateTask(vm, "powerOff", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		if vm.powerState() == types.VirtualMachinePowerStatePoweredOff {
			return nil, invalidPowerState(types.VirtualMachinePowerStatePoweredOff, vm.powerState())
		}
		if vm.powerState() == types.VirtualMachinePowerStateSuspended {
			// A suspended VM has no ports in the world; only its state changes.
			vm.vc.setPowerState(vm, types.VirtualMachinePowerStatePoweredOff)
			vm.vc.setBootTime(vm, nil)
			return nil, nil
		}
		if err := vm.vc.w.PowerOff(vm.moref(), "api"); err != nil {
			return nil, worldFault(err)
		}
		return nil, nil
	})
	return &methods.PowerOffVM_TaskBody{Res: &types.PowerOffVM_TaskResponse{Returnval: task.Run()}}
}

func (vm *labVM) SuspendVMTask(ctx *simulator.Context, req *types.SuspendVM_Task) soap.HasFault {
	task := simulator.CreateTask(vm, "suspend", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		if vm.powerState() != types.VirtualMachinePowerStatePoweredOn {
			return nil, invalidPowerState(types.VirtualMachinePowerStateSuspended, vm.powerState())
		}
		if err := vm.vc.w.PowerOff(vm.moref(), "suspend"); err != nil {
			return nil, worldFault(err)
		}
		return nil, nil
	})
	return &methods.SuspendVM_TaskBody{Res: &types.SuspendVM_TaskResponse{Returnval: task.Run()}}
}

func (vm *labVM) ResetVMTask(ctx *simulator.Context, req *types.ResetVM_Task) soap.HasFault {
	task := simulator.CreateTask(vm, "reset", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		if vm.powerState() != types.VirtualMachinePowerStatePoweredOn {
			return nil, invalidPowerState(types.VirtualMachinePowerStatePoweredOn, vm.powerState())
		}
		if err := vm.vc.w.Reset(vm.moref(), "api"); err != nil {
			return nil, worldFault(err)
		}
		return nil, nil
	})
	return &methods.ResetVM_TaskBody{Res: &types.ResetVM_TaskResponse{Returnval: task.Run()}}
}

// RebootGuest restarts the guest OS (needs VMware Tools running, which the lab's
// powered-on VMs have): same VM process, same port.
func (vm *labVM) RebootGuest(ctx *simulator.Context, req *types.RebootGuest) soap.HasFault {
	body := &methods.RebootGuestBody{}
	if vm.powerState() != types.VirtualMachinePowerStatePoweredOn {
		body.Fault_ = simulator.Fault("", invalidPowerState(types.VirtualMachinePowerStatePoweredOn, vm.powerState()))
		return body
	}
	if err := vm.vc.w.GuestReboot(vm.moref(), "api"); err != nil {
		body.Fault_ = simulator.Fault(err.Error(), worldFault(err))
		return body
	}
	body.Res = &types.RebootGuestResponse{}
	return body
}

// ShutdownGuest powers the VM off from inside the guest.
func (vm *labVM) ShutdownGuest(ctx *simulator.Context, req *types.ShutdownGuest) soap.HasFault {
	body := &methods.ShutdownGuestBody{}
	if vm.powerState() != types.VirtualMachinePowerStatePoweredOn {
		body.Fault_ = simulator.Fault("", invalidPowerState(types.VirtualMachinePowerStatePoweredOn, vm.powerState()))
		return body
	}
	if err := vm.vc.w.PowerOff(vm.moref(), "guest-shutdown"); err != nil {
		body.Fault_ = simulator.Fault(err.Error(), worldFault(err))
		return body
	}
	body.Res = &types.ShutdownGuestResponse{}
	return body
}

// targetHost checks a destination host for a migration.
func (vm *labVM) targetHost(host *types.ManagedObjectReference, pool *types.ManagedObjectReference) (string, types.BaseMethodFault) {
	if host == nil && pool != nil {
		// No host: vCenter (DRS) picks one in the pool's cluster; the lab picks the next by name.
		for cl, ref := range vm.vc.clusterRef {
			if sc, ok := simulator.Map.Get(ref).(*simulator.ClusterComputeResource); ok && sc.ResourcePool != nil && *sc.ResourcePool == *pool {
				if next := vm.vc.nextHost(cl, vm.vc.hostByRef[*vm.Runtime.Host]); next != "" {
					return next, nil
				}
			}
		}
		return "", &types.InvalidArgument{InvalidProperty: "host"}
	}
	if host == nil {
		return "", &types.InvalidArgument{InvalidProperty: "host"}
	}
	name, ok := vm.vc.hostByRef[*host]
	if !ok {
		return "", &types.ManagedObjectNotFound{Obj: *host}
	}
	return name, nil
}

// MigrateVMTask (MigrateVM_Task, which the simulator lacks) moves the VM to another host.
func (vm *labVM) MigrateVMTask(ctx *simulator.Context, req *types.MigrateVM_Task) soap.HasFault {
	task := simulator.CreateTask(vm, "migrate", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		to, fault := vm.targetHost(req.Host, req.Pool)
		if fault != nil {
			return nil, fault
		}
		if req.State != "" && req.State != vm.powerState() {
			return nil, invalidPowerState(req.State, vm.powerState())
		}
		if to == vm.vc.hostByRef[*vm.Runtime.Host] {
			return nil, nil
		}
		if err := vm.vc.w.Migrate(vm.moref(), to, "api"); err != nil {
			return nil, worldFault(err)
		}
		return nil, nil
	})
	return &methods.MigrateVM_TaskBody{Res: &types.MigrateVM_TaskResponse{Returnval: task.Run()}}
}

// RelocateVMTask moves the VM to another host (and/or datastore, pool) with events.
func (vm *labVM) RelocateVMTask(ctx *simulator.Context, req *types.RelocateVM_Task) soap.HasFault {
	task := simulator.CreateTask(vm, "relocateVm", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		spec := req.Spec
		var changes []types.PropertyChange
		if ref := spec.Datastore; ref != nil {
			ds, ok := simulator.Map.Get(*ref).(*simulator.Datastore)
			if !ok {
				return nil, &types.ManagedObjectNotFound{Obj: *ref}
			}
			for _, old := range vm.Datastore {
				if o, ok := simulator.Map.Get(old).(*simulator.Datastore); ok {
					simulator.Map.RemoveReference(o, &o.Vm, vm.Self)
				}
			}
			simulator.Map.AddReference(ds, &ds.Vm, vm.Self)
			changes = append(changes, types.PropertyChange{Name: "datastore", Val: []types.ManagedObjectReference{*ref}})
		}
		if len(changes) > 0 {
			simulator.Map.Update(vm, changes)
		}
		if spec.Host != nil {
			to, fault := vm.targetHost(spec.Host, nil)
			if fault != nil {
				return nil, fault
			}
			if to != vm.vc.hostByRef[*vm.Runtime.Host] {
				if err := vm.vc.w.Migrate(vm.moref(), to, "relocate"); err != nil {
					return nil, worldFault(err)
				}
			}
		} else if spec.Datastore != nil {
			vm.vc.postEvents(vm, "relocate", vm.vc.hostByRef[*vm.Runtime.Host], "")
		}
		return nil, nil
	})
	return &methods.RelocateVM_TaskBody{Res: &types.RelocateVM_TaskResponse{Returnval: task.Run()}}
}

// DestroyTask removes the VM and the world follows. As on vCenter, a powered-on VM is
// refused with InvalidPowerState (the simulator's check); the simulator removes the VM
// from its host, pool, datastores and folder and posts VmRemovedEvent.
func (vm *labVM) DestroyTask(ctx *simulator.Context, req *types.Destroy_Task) soap.HasFault {
	res := vm.VirtualMachine.DestroyTask(ctx, req)
	if body, ok := res.(*methods.Destroy_TaskBody); ok && body.Res != nil {
		if t, ok := simulator.Map.Get(body.Res.Returnval).(*simulator.Task); ok && t.Info.State == types.TaskInfoStateSuccess {
			_ = vm.vc.w.Remove(vm.moref(), "api")
		}
	}
	return res
}

// UnregisterVM removes the VM from the inventory; the world follows.
func (vm *labVM) UnregisterVM(ctx *simulator.Context, req *types.UnregisterVM) soap.HasFault {
	res := vm.VirtualMachine.UnregisterVM(ctx, req)
	if res.Fault() == nil {
		_ = vm.vc.w.Remove(vm.moref(), "api")
	}
	return res
}

// VMOp runs one VM operation the way a vSphere client's call would run it (same
// methods, VM locked), for the control endpoint, DRS and HA. op is poweron,
// poweroff, reset, reboot, shutdown, suspend, migrate (arg = host), ha-reset,
// ha-restart (arg = host, optional), destroy (powers a running VM off first, as an
// administrator would: PowerOffVM_Task then Destroy_Task).
func (v *VCenter) VMOp(moref, op, arg string) error {
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: moref}
	vm, ok := simulator.Map.Get(ref).(*labVM)
	if !ok {
		return fmt.Errorf("no VM with moref %q", moref)
	}
	ctx := v.internalContext(v.cfg.User)
	var res soap.HasFault
	var opErr error
	simulator.Map.WithLock(vm, func() {
		ctx.Caller = &ref
		switch op {
		case "poweron":
			res = vm.PowerOnVMTask(ctx, &types.PowerOnVM_Task{This: ref})
		case "poweroff":
			res = vm.PowerOffVMTask(ctx, &types.PowerOffVM_Task{This: ref})
		case "reset":
			res = vm.ResetVMTask(ctx, &types.ResetVM_Task{This: ref})
		case "suspend":
			res = vm.SuspendVMTask(ctx, &types.SuspendVM_Task{This: ref})
		case "reboot":
			res = vm.RebootGuest(ctx, &types.RebootGuest{This: ref})
		case "shutdown":
			res = vm.ShutdownGuest(ctx, &types.ShutdownGuest{This: ref})
		case "migrate":
			h, ok := v.hostRef[arg]
			if !ok {
				opErr = fmt.Errorf("migrate: no host %q", arg)
				return
			}
			res = vm.MigrateVMTask(ctx, &types.MigrateVM_Task{This: ref, Host: &h})
		case "destroy":
			if vm.powerState() == types.VirtualMachinePowerStatePoweredOn {
				if opErr = taskError(vm.PowerOffVMTask(ctx, &types.PowerOffVM_Task{This: ref})); opErr != nil {
					opErr = fmt.Errorf("destroy: powering off first: %v", opErr)
					return
				}
			}
			res = vm.DestroyTask(ctx, &types.Destroy_Task{This: ref})
		case "drs-migrate":
			opErr = v.drsMigrate(vm, arg)
		case "ha-reset":
			opErr = v.haReset(vm)
		case "ha-restart":
			opErr = v.haRestart(vm, arg)
		default:
			opErr = fmt.Errorf("unknown VM operation %q (poweron, poweroff, reset, suspend, reboot, shutdown, migrate, ha-reset, ha-restart, destroy)", op)
		}
	})
	if opErr != nil {
		return opErr
	}
	return taskError(res)
}

// taskError turns a method's fault, or its (synchronous) task's error, into an error.
func taskError(res soap.HasFault) error {
	if res == nil {
		return nil
	}
	if f := res.Fault(); f != nil {
		return fmt.Errorf("%s: %T", f.String, f.VimFault())
	}
	v := taskRef(res)
	if v == nil {
		return nil
	}
	t, ok := simulator.Map.Get(*v).(*simulator.Task)
	if !ok || t.Info.Error == nil {
		return nil
	}
	return fmt.Errorf("task %s failed: %T", t.Info.Name, t.Info.Error.Fault)
}

func taskRef(res soap.HasFault) *types.ManagedObjectReference {
	switch b := res.(type) {
	case *methods.PowerOnVM_TaskBody:
		return &b.Res.Returnval
	case *methods.PowerOffVM_TaskBody:
		return &b.Res.Returnval
	case *methods.ResetVM_TaskBody:
		return &b.Res.Returnval
	case *methods.SuspendVM_TaskBody:
		return &b.Res.Returnval
	case *methods.MigrateVM_TaskBody:
		return &b.Res.Returnval
	case *methods.Destroy_TaskBody:
		return &b.Res.Returnval
	}
	return nil
}

package vc

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/google/uuid"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// cloneThreshold: inventories with more VMs than this build all but the first VM
// of each shape (folder, host, datastore, portgroups) by copying that first VM in
// memory, which is ~20x faster than the simulator's CreateVM_Task (no files, no
// creation events). Smaller inventories create every VM through CreateVM_Task.
const cloneThreshold = 50

type vmShape struct {
	folder, host, datastore, nics string
}

func shapeOf(vs VMSpec) vmShape {
	var pgs []string
	for _, n := range vs.Nics {
		pgs = append(pgs, n.Portgroup)
	}
	return vmShape{vs.Folder, vs.Host, vs.Datastore, strings.Join(pgs, "\x00")}
}

// cloneVM registers a copy of proto named vs.Name with vs's MACs, in the same
// folder, host, pool and datastore, and returns its reference.
func (v *VCenter) cloneVM(proto *labVM, vs VMSpec, dvports []string) (types.ManagedObjectReference, error) {
	vm := &labVM{VirtualMachine: proto.VirtualMachine, vc: v}
	deepCopy(reflect.ValueOf(&vm.VirtualMachine.VirtualMachine).Elem(), reflect.ValueOf(&proto.VirtualMachine.VirtualMachine).Elem())
	vm.Self = types.ManagedObjectReference{Type: "VirtualMachine"}
	vm.Name = vs.Name
	vm.Config.Name = vs.Name
	vm.Summary.Config.Name = vs.Name
	id := uuid.New().String()
	vm.Config.Uuid, vm.Config.InstanceUuid = id, uuid.New().String()
	vm.Summary.Config.Uuid, vm.Summary.Config.InstanceUuid = vm.Config.Uuid, vm.Config.InstanceUuid
	dir := fmt.Sprintf("[%s] %s", vs.Datastore, vs.Name)
	vm.Config.Files.VmPathName = dir + "/" + vs.Name + ".vmx"
	vm.Config.Files.LogDirectory, vm.Config.Files.SnapshotDirectory, vm.Config.Files.SuspendDirectory = dir, dir, dir
	vm.Summary.Config.VmPathName = vm.Config.Files.VmPathName
	i := 0
	for _, d := range vm.Config.Hardware.Device {
		if n, ok := d.(types.BaseVirtualEthernetCard); ok {
			if i >= len(vs.Nics) {
				return types.ManagedObjectReference{}, fmt.Errorf("vm %q: prototype has more NICs than the spec", vs.Name)
			}
			n.GetVirtualEthernetCard().MacAddress = vs.Nics[i].MAC
			if b, ok := n.GetVirtualEthernetCard().Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo); ok {
				b.Port.PortKey = dvports[i] // each copy's NIC has its own distributed port
			}
			if vm.Guest != nil && i < len(vm.Guest.Net) {
				vm.Guest.Net[i].MacAddress = vs.Nics[i].MAC
			}
			i++
		}
	}
	simulator.Map.Put(vm)
	vm.Summary.Vm = &vm.Self

	add := func(obj mo.Reference, field *[]types.ManagedObjectReference) {
		simulator.Map.WithLock(obj, func() { *field = append(*field, vm.Self) })
	}
	switch f := simulator.Map.Get(*vm.Parent).(type) {
	case *simulator.Folder:
		add(f, &f.ChildEntity)
	default:
		return types.ManagedObjectReference{}, fmt.Errorf("vm %q: parent %v is not a folder", vs.Name, vm.Parent)
	}
	if h, ok := simulator.Map.Get(*vm.Runtime.Host).(*simulator.HostSystem); ok {
		add(h, &h.Vm)
	}
	if p, ok := simulator.Map.Get(*vm.ResourcePool).(*simulator.ResourcePool); ok {
		add(p, &p.Vm)
	}
	for _, ref := range vm.Datastore {
		if ds, ok := simulator.Map.Get(ref).(*simulator.Datastore); ok {
			add(ds, &ds.Vm)
		}
	}
	return vm.Self, nil
}

// deepCopy copies src into dst (same type), duplicating what pointers, slices,
// maps and interfaces refer to, so the copy shares nothing mutable with src.
// Unexported struct fields are copied as they are (time.Time, for example).
func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Ptr:
		if src.IsNil() {
			dst.Set(reflect.Zero(src.Type()))
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Interface:
		if src.IsNil() {
			dst.Set(reflect.Zero(src.Type()))
			return
		}
		e := src.Elem()
		c := reflect.New(e.Type()).Elem()
		deepCopy(c, e)
		dst.Set(c)
	case reflect.Slice:
		if src.IsNil() {
			dst.Set(reflect.Zero(src.Type()))
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			deepCopy(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			dst.Set(reflect.Zero(src.Type()))
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			val := reflect.New(src.Type().Elem()).Elem()
			deepCopy(val, it.Value())
			m.SetMapIndex(it.Key(), val)
		}
		dst.Set(m)
	case reflect.Struct:
		dst.Set(src)
		for i := 0; i < src.NumField(); i++ {
			if f := dst.Field(i); f.CanSet() {
				deepCopy(f, src.Field(i))
			}
		}
	case reflect.Array:
		for i := 0; i < src.Len(); i++ {
			deepCopy(dst.Index(i), src.Index(i))
		}
	default:
		dst.Set(src)
	}
}

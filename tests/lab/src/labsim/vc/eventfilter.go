package vc

import (
	"reflect"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// EventFilterSpec as vCenter applies it (vSphere API reference, EventFilterSpec and
// its ByEntity, ByTime, ByUsername, RecursionOption):
//
//   - type: event class names; a class also takes its subclasses (VmMigratedEvent
//     takes DrsVmMigratedEvent) unless Options.EventTypeExact. The reference says only
//     "limits the set of collected events to those specified types"; an unknown
//     class is an InvalidArgument ("an invalid event type").
//   - eventTypeId: an EventEx's eventTypeId, an ExtendedEvent's eventTypeId, or else
//     the event's own class ("we match against the type of the Event itself"): no
//     subclasses. Both type and eventTypeId: "an exception may be thrown"; the lab
//     throws InvalidArgument.
//   - entity + recursion: an event pertains to the entities among its arguments
//     (datacenter, computeResource, host, vm, ds, net, dvs; the entity of
//     GeneralUserEvent and of alarm events; an EventEx's or ExtendedEvent's object).
//     self: one of them is the entity; children: one of them is below the entity in
//     the inventory; all: either. A Folder or ResourcePool stands for what it
//     contains ("you cannot query for events on Folders and ResourcePools themselves
//     this way"): self is its direct contents, children what is below them, all
//     both. Events with no entity argument (sessions) pertain to the root folder.
//   - time: createdTime within [beginTime, endTime], either end open.
//   - userName: systemUser takes the events vCenter posts itself (empty userName);
//     userList, if set, restricts the users' events to those users.
//   - eventChainId, alarm, scheduledTask: as named. category, tag and
//     disableFullMessage are not applied.
//
// Options.EventFilterOff: every event matches (the bare simulator ignored `type`).

// matches tells whether the collector's filter takes the event. Called with the lab
// events' lock held.
func (c *eventCollector) matches(e types.BaseEvent, opts Options) bool {
	if opts.EventFilterOff {
		return true
	}
	spec := &c.spec
	ev := e.GetEvent()
	if len(spec.Type) > 0 && !typeMatches(e, spec.Type, !opts.EventTypeExact) {
		return false
	}
	if len(spec.EventTypeId) > 0 && !contains(spec.EventTypeId, eventTypeID(e)) {
		return false
	}
	if t := spec.Time; t != nil {
		if (t.BeginTime != nil && ev.CreatedTime.Before(*t.BeginTime)) || (t.EndTime != nil && ev.CreatedTime.After(*t.EndTime)) {
			return false
		}
	}
	if u := spec.UserName; u != nil {
		if ev.UserName == "" {
			if !u.SystemUser {
				return false
			}
		} else if len(u.UserList) > 0 && !containsFold(u.UserList, ev.UserName) {
			return false
		}
	}
	if spec.EventChainId != 0 && ev.ChainId != spec.EventChainId {
		return false
	}
	if spec.Alarm != nil {
		a, ok := e.(types.BaseAlarmEvent)
		if !ok || a.GetAlarmEvent().Alarm.Alarm != *spec.Alarm {
			return false
		}
	}
	if spec.ScheduledTask != nil {
		s, ok := e.(types.BaseScheduledTaskEvent)
		if !ok || s.GetScheduledTaskEvent().ScheduledTask.ScheduledTask != *spec.ScheduledTask {
			return false
		}
	}
	if spec.Entity != nil && !c.h.entityMatches(e, spec.Entity) {
		return false
	}
	return true
}

// checkFilter refuses what vCenter refuses: "InvalidArgument: Thrown if the filter is
// null or if any of its fields is invalid, such as an invalid reference to a managed
// object, alarm, or scheduled task, or an invalid event type" (API reference
// EventManager.CreateCollectorForEvents).
func (h *labEvents) checkFilter(spec types.EventFilterSpec, opts Options) types.BaseMethodFault {
	if opts.EventFilterOff {
		return nil
	}
	if len(spec.Type) > 0 && len(spec.EventTypeId) > 0 {
		return &types.InvalidArgument{InvalidProperty: "eventTypeId"}
	}
	for _, name := range spec.Type {
		if !isEventClass(name) {
			return &types.InvalidArgument{InvalidProperty: "type"}
		}
	}
	if b := spec.Entity; b != nil {
		if _, ok := simulator.Map.Get(b.Entity).(mo.Entity); !ok {
			return &types.InvalidArgument{InvalidProperty: "entity"}
		}
		switch b.Recursion {
		case types.EventFilterSpecRecursionOptionSelf, types.EventFilterSpecRecursionOptionChildren,
			types.EventFilterSpecRecursionOptionAll:
		default:
			return &types.InvalidArgument{InvalidProperty: "recursion"}
		}
	}
	if spec.Alarm != nil && spec.Alarm.Type != "Alarm" {
		return &types.InvalidArgument{InvalidProperty: "alarm"}
	}
	if spec.ScheduledTask != nil && spec.ScheduledTask.Type != "ScheduledTask" {
		return &types.InvalidArgument{InvalidProperty: "scheduledTask"}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// eventTypeID is what EventFilterSpec.eventTypeId is compared with.
func eventTypeID(e types.BaseEvent) string {
	switch x := e.(type) {
	case *types.EventEx:
		return x.EventTypeId
	case *types.ExtendedEvent:
		return x.EventTypeId
	}
	return reflect.TypeOf(e).Elem().Name()
}

// typeMatches: the event's class, or with subclasses one of its base classes, is
// listed.
func typeMatches(e types.BaseEvent, names []string, subclasses bool) bool {
	chain := classChain(reflect.TypeOf(e).Elem())
	if !subclasses {
		chain = chain[:1]
	}
	for _, c := range chain {
		if contains(names, c) {
			return true
		}
	}
	return false
}

var classChains sync.Map // reflect.Type -> []string

// classChain is the class and its base classes up to Event: in vim25/types each
// data object embeds its base class as its first field.
func classChain(t reflect.Type) []string {
	if v, ok := classChains.Load(t); ok {
		return v.([]string)
	}
	var chain []string
	for cur := t; ; {
		chain = append(chain, cur.Name())
		if cur.Name() == "Event" || cur.Kind() != reflect.Struct || cur.NumField() == 0 {
			break
		}
		f := cur.Field(0)
		if !f.Anonymous || f.Type.Kind() != reflect.Struct {
			break
		}
		cur = f.Type
	}
	classChains.Store(t, chain)
	return chain
}

// isEventClass: the vim25 data object type exists and is Event or a subclass.
func isEventClass(name string) bool {
	t, ok := types.TypeFunc()(name)
	if !ok || t.Kind() != reflect.Struct {
		return false
	}
	chain := classChain(t)
	return chain[len(chain)-1] == "Event"
}

// eventEntities are the inventory entities an event pertains to.
func eventEntities(e types.BaseEvent) []types.ManagedObjectReference {
	ev := e.GetEvent()
	var refs []types.ManagedObjectReference
	if a := ev.Datacenter; a != nil {
		refs = append(refs, a.Datacenter)
	}
	if a := ev.ComputeResource; a != nil {
		refs = append(refs, a.ComputeResource)
	}
	if a := ev.Host; a != nil {
		refs = append(refs, a.Host)
	}
	if a := ev.Vm; a != nil {
		refs = append(refs, a.Vm)
	}
	if a := ev.Ds; a != nil {
		refs = append(refs, a.Datastore)
	}
	if a := ev.Net; a != nil {
		refs = append(refs, a.Network)
	}
	if a := ev.Dvs; a != nil {
		refs = append(refs, a.Dvs)
	}
	switch x := e.(type) {
	case *types.EventEx:
		if x.ObjectType != "" && x.ObjectId != "" {
			refs = append(refs, types.ManagedObjectReference{Type: x.ObjectType, Value: x.ObjectId})
		}
	case *types.ExtendedEvent:
		if x.ManagedObject.Value != "" {
			refs = append(refs, x.ManagedObject)
		}
	}
	// GeneralUserEvent, alarm and scheduled-task events name their entity in a
	// field "Entity".
	if f := reflect.ValueOf(e).Elem().FieldByName("Entity"); f.IsValid() {
		switch a := f.Interface().(type) {
		case types.ManagedEntityEventArgument:
			if a.Entity.Value != "" {
				refs = append(refs, a.Entity)
			}
		case *types.ManagedEntityEventArgument:
			if a != nil && a.Entity.Value != "" {
				refs = append(refs, a.Entity)
			}
		}
	}
	return refs
}

// parentsOf are the inventory objects directly containing ref: its parent, and for a
// VM also its resource pool (a VM is in a VM folder and in a pool).
func parentsOf(ref types.ManagedObjectReference) []types.ManagedObjectReference {
	obj := simulator.Map.Get(ref)
	var out []types.ManagedObjectReference
	if me, ok := obj.(mo.Entity); ok {
		if p := me.Entity().Parent; p != nil {
			out = append(out, *p)
		}
	}
	switch x := obj.(type) {
	case *labVM:
		if x.ResourcePool != nil {
			out = append(out, *x.ResourcePool)
		}
	case *simulator.VirtualMachine:
		if x.ResourcePool != nil {
			out = append(out, *x.ResourcePool)
		}
	}
	return out
}

// depthBelow is how many levels ref is below anc in the inventory (1: directly
// contained), 0 if it is not below it.
func depthBelow(ref, anc types.ManagedObjectReference) int {
	seen := map[types.ManagedObjectReference]bool{ref: true}
	level := []types.ManagedObjectReference{ref}
	for d := 1; d <= 32 && len(level) > 0; d++ {
		var next []types.ManagedObjectReference
		for _, r := range level {
			for _, p := range parentsOf(r) {
				if p == anc {
					return d
				}
				if !seen[p] {
					seen[p] = true
					next = append(next, p)
				}
			}
		}
		level = next
	}
	return 0
}

func (h *labEvents) entityMatches(e types.BaseEvent, by *types.EventFilterSpecByEntity) bool {
	refs := eventEntities(e)
	target := by.Entity
	if len(refs) == 0 {
		// Session events and the like: the root folder's.
		return target == h.root && by.Recursion != types.EventFilterSpecRecursionOptionChildren
	}
	container := target.Type == "Folder" || target.Type == "ResourcePool" || target.Type == "VirtualApp"
	for _, r := range refs {
		d := 0
		if r != target {
			if d = depthBelow(r, target); d == 0 {
				continue
			}
		}
		if container {
			d-- // the folder's contents stand for the folder
			if d < 0 {
				continue
			}
		}
		switch by.Recursion {
		case types.EventFilterSpecRecursionOptionSelf:
			if d == 0 {
				return true
			}
		case types.EventFilterSpecRecursionOptionChildren:
			if d > 0 {
				return true
			}
		case types.EventFilterSpecRecursionOptionAll:
			return true
		}
	}
	return false
}

package vc

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// BurstKinds are the kinds of unrelated events PostBurst posts, in the order it
// cycles through them. None changes a VM: on a busy vCenter they are what fills an
// event collector between two reads.
var BurstKinds = []string{"login", "alarm", "task", "ticket", "guestop", "logout", "ssh"}

// Users of the burst's sessions and tasks (service accounts of a busy vCenter).
const burstAgent = "pyvmomi Python/3.11.2 (Linux; 6.1.0-18-amd64; x86_64)"

var burstUsers = []string{"svc-backup@vsphere.local", "svc-monitor@vsphere.local", "ops@vsphere.local"}

// PostBurst posts count unrelated events at once, cycling through kinds (all of
// BurstKinds when empty), and returns their keys in order:
//
//   - login/logout: UserLoginSessionEvent/UserLogoutSessionEvent of service accounts;
//   - alarm: AlarmStatusChangedEvent of the default alarms "Host CPU usage" on a host
//     and "Datastore usage on disk" on a datastore (system, no user);
//   - task: TaskEvent "VirtualMachine.createSnapshot" on a VM;
//   - ticket: VmAcquiredTicketEvent (webmks, a console opened) on a VM;
//   - guestop: EventEx com.vmware.vc.guestOperations.GuestOperation on a VM;
//   - ssh: EventEx esx.audit.ssh.session.opened on a host.
//
// VMs and hosts are taken in turn from the inventory; arguments (datacenter,
// computeResource, host, vm) are filled as for the lab's other events.
func (v *VCenter) PostBurst(count int, kinds []string) ([]int32, error) {
	if count < 0 || count > 100000 {
		return nil, fmt.Errorf("count %d: want 0 to 100000", count)
	}
	if len(kinds) == 0 {
		kinds = BurstKinds
	}
	for _, k := range kinds {
		if !contains(BurstKinds, k) {
			return nil, fmt.Errorf("unknown event kind %q (want %s)", k, strings.Join(BurstKinds, ", "))
		}
	}
	var vms []burstVM
	for _, st := range v.w.VMsSnapshot() {
		if vm, ok := simulator.Map.Get(vmRef(st.Moref)).(*labVM); ok && st.Host != "" {
			vms = append(vms, burstVM{vm, st.Host})
		}
	}
	sort.Slice(vms, func(i, j int) bool { return vms[i].vm.Self.Value < vms[j].vm.Self.Value })
	var hosts []string
	for h := range v.hostRef {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var dss []string
	for d := range v.dsRef {
		dss = append(dss, d)
	}
	sort.Strings(dss)

	keys := make([]int32, 0, count)
	em := simulator.Map.EventManager()
	simulator.Map.WithLock(em, func() {
		for i := 0; i < count; i++ {
			user := burstUsers[i%len(burstUsers)]
			e := v.burstEvent(kinds[i%len(kinds)], i, user, vms, hosts, dss)
			if !e.user {
				user = ""
			}
			em.PostEvent(v.internalContext(user), &types.PostEvent{This: em.Self, EventToPost: e.ev})
			keys = append(keys, e.ev.GetEvent().Key)
		}
	})
	return keys, nil
}

type burstVM struct {
	vm   *labVM
	host string
}

type burstItem struct {
	ev   types.BaseEvent
	user bool // posted by the user (else by the system)
}

func (v *VCenter) burstEvent(kind string, i int, user string, vms []burstVM, hosts, dss []string) burstItem {
	now := time.Now().UTC()
	dc := &types.DatacenterEventArgument{Datacenter: v.dc, EntityEventArgument: types.EntityEventArgument{Name: v.dcName}}
	host := hosts[i%len(hosts)]
	ip := fmt.Sprintf("192.0.2.%d", 10+i%200) // documentation range: a client's address, only text
	switch kind {
	case "login", "logout":
		sid := uuid.New().String()
		if kind == "login" {
			return burstItem{ev: &types.UserLoginSessionEvent{IpAddress: ip, UserAgent: burstAgent,
				Locale: "en", SessionId: sid}, user: true}
		}
		login := now.Add(-time.Duration(1+i%50) * time.Minute)
		return burstItem{ev: &types.UserLogoutSessionEvent{IpAddress: ip, UserAgent: burstAgent,
			CallCount: int64(20 + i%300), SessionId: sid, LoginTime: &login}, user: true}
	case "alarm":
		ev := types.Event{Datacenter: dc}
		src := types.ManagedEntityEventArgument{Entity: v.dc, EntityEventArgument: types.EntityEventArgument{Name: v.dcName}}
		var ent types.ManagedEntityEventArgument
		name, alarm := "Host CPU usage", "alarm-6"
		if i%2 == 1 && len(dss) > 0 {
			ds := dss[(i/2)%len(dss)]
			name, alarm = "Datastore usage on disk", "alarm-9"
			ev.Ds = &types.DatastoreEventArgument{Datastore: v.dsRef[ds], EntityEventArgument: types.EntityEventArgument{Name: ds}}
			ent = types.ManagedEntityEventArgument{Entity: v.dsRef[ds], EntityEventArgument: types.EntityEventArgument{Name: ds}}
		} else {
			ev.Host = v.hostArg(host)
			ent = types.ManagedEntityEventArgument{Entity: v.hostRef[host], EntityEventArgument: types.EntityEventArgument{Name: host}}
		}
		from, to := "green", "yellow"
		if (i/2)%2 == 1 {
			from, to = "yellow", "green"
		}
		return burstItem{ev: &types.AlarmStatusChangedEvent{AlarmEvent: types.AlarmEvent{Event: ev,
			Alarm: types.AlarmEventArgument{Alarm: types.ManagedObjectReference{Type: "Alarm", Value: alarm},
				EntityEventArgument: types.EntityEventArgument{Name: name}}},
			Source: src, Entity: ent, From: from, To: to}}
	case "ssh":
		ev := types.Event{Datacenter: dc, Host: v.hostArg(host)}
		return burstItem{ev: &types.EventEx{Event: ev, EventTypeId: "esx.audit.ssh.session.opened", Severity: "info",
			ObjectId: v.hostRef[host].Value, ObjectType: "HostSystem", ObjectName: host,
			Arguments: []types.KeyAnyValue{{Key: "1", Value: "root"}, {Key: "2", Value: ip}}}}
	}
	if len(vms) == 0 {
		return burstItem{ev: &types.UserLoginSessionEvent{IpAddress: ip, Locale: "en", SessionId: uuid.New().String()}, user: true}
	}
	vm := vms[i%len(vms)].vm
	base := v.eventBase(vm, vms[i%len(vms)].host)
	switch kind {
	case "task":
		start := now
		key := fmt.Sprintf("task-%d", 900000+i)
		ref := vm.Self
		return burstItem{ev: &types.TaskEvent{Event: base.Event, Info: types.TaskInfo{Key: key,
			Task: types.ManagedObjectReference{Type: "Task", Value: key}, Name: "CreateSnapshot_Task",
			DescriptionId: "VirtualMachine.createSnapshot", Entity: &ref, EntityName: vm.Name,
			State: types.TaskInfoStateRunning, Cancelable: true, Reason: &types.TaskReasonUser{UserName: user},
			QueueTime: now, StartTime: &start}}, user: true}
	case "ticket":
		return burstItem{ev: &types.VmAcquiredTicketEvent{VmEvent: base, TicketType: "webmks"}, user: true}
	default: // guestop
		return burstItem{ev: &types.EventEx{Event: base.Event, EventTypeId: "com.vmware.vc.guestOperations.GuestOperation",
			Severity: "info", ObjectId: vm.Self.Value, ObjectType: "VirtualMachine", ObjectName: vm.Name}, user: true}
	}
}

package vc

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/esx"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"labsim/world"
)

// Each host's HostServiceSystem (configManager.serviceSystem) and HostAccessManager
// (configManager.hostAccessManager). The bare simulator has neither: its template
// host points every host at one "serviceSystem" that is not registered.
//
// The SSH service (TSM-SSH) and the lockdown mode are the world's (world.HostAccess):
// the host's SSH server follows them. vCenter changes them through these objects,
// the control endpoint through the same functions, and every change of the world's
// access state (whoever made it) is mirrored into serviceInfo, config.service,
// config.lockdownMode, config.adminDisabled and the access manager's lockdownMode,
// with the events a real host posts. The other services are vCenter-side only.
//
// Sources: HostServiceSystem and HostAccessManager in the vSphere API reference
// (faults: NotFound for an unknown service key; no fault for starting a running
// service or stopping a stopped one on hosts after ESX 4.1; ChangeLockdownMode to the
// current mode "will silently succeed"; normal and disabled start DCUI, strict stops
// it; EnterLockdownMode AdminDisabled, ExitLockdownMode AdminNotDisabled;
// UpdateLockdownExceptions "+"/"-" prefixes add and remove). See tests/lab/README.md.

// SSHServiceKey is the SSH service's key in serviceInfo.
const SSHServiceKey = "TSM-SSH"

// errNoService: an unknown service key (the API answers NotFound).
var errNoService = errors.New("no such service")

// hostAccessState is the vCenter side of the hosts' services and lockdown.
type hostAccessState struct {
	change   sync.Mutex // one access change at a time (read, modify, write the world)
	mu       sync.Mutex
	services map[string][]types.HostService // host -> services as vCenter shows them
	last     map[string]world.HostAccess    // host -> the access state last mirrored
	objs     map[string]*hostAccessObjects
}

type hostAccessObjects struct {
	services *labServiceSystem
	access   *labAccessManager
}

// objLock makes an object its own sync.Locker for the simulator (which locks the
// object around each method call), so that a method can release it while the world
// change it made is mirrored into every object, itself included.
type objLock struct{ mu sync.Mutex }

func (l *objLock) Lock()   { l.mu.Lock() }
func (l *objLock) Unlock() { l.mu.Unlock() }

// unlocked runs f with the object's lock released (the simulator holds it during a
// method call).
func (l *objLock) unlocked(f func() error) error {
	l.mu.Unlock()
	defer l.mu.Lock()
	return f()
}

type labServiceSystem struct {
	mo.HostServiceSystem
	objLock
	vc   *VCenter
	host string
}

type labAccessManager struct {
	mo.HostAccessManager
	objLock
	vc   *VCenter
	host string
}

// esxiServices is the service list of a host of that version, from the simulator's
// recorded host (govmomi simulator/esx HostConfigInfo) with vpxa running (the host is
// managed by vCenter) and, from 7.0, the PTP Daemon and SLP Server that ESXi 8 lists
// (DISA ESXi 8 STIG, Get-VMHostService labels).
func esxiServices(version string) []types.HostService {
	var out []types.HostService
	for _, s := range esx.HostConfigInfo.Service.Service {
		s.Ruleset = append([]string(nil), s.Ruleset...)
		if s.SourcePackage != nil {
			p := *s.SourcePackage
			s.SourcePackage = &p
		}
		if s.Key == "vpxa" {
			s.Running = true
		}
		out = append(out, s)
	}
	if !strings.HasPrefix(version, "6.") {
		base := &types.HostServiceSourcePackage{SourcePackageName: "esx-base",
			Description: "This VIB contains all of the base functionality of vSphere ESXi."}
		for _, s := range []types.HostService{
			{Key: "ptpd", Label: "PTP Daemon", Policy: "off"},
			{Key: "slpd", Label: "SLP Server", Policy: "off"},
		} {
			p := *base
			s.SourcePackage = &p
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// buildHostAccess registers a host's service system and access manager, points its
// configManager at them, and sets the world's access state from the inventory.
func (v *VCenter) buildHostAccess(h *simulator.HostSystem, hs HostSpec) {
	st := &v.access
	st.mu.Lock()
	if st.objs == nil {
		st.services = map[string][]types.HostService{}
		st.last = map[string]world.HostAccess{}
		st.objs = map[string]*hostAccessObjects{}
	}
	st.services[hs.Name] = esxiServices(hs.Version)
	id := strings.TrimPrefix(h.Self.Value, "host-")
	ss := &labServiceSystem{vc: v, host: hs.Name}
	ss.Self = types.ManagedObjectReference{Type: "HostServiceSystem", Value: "serviceSystem-" + id}
	am := &labAccessManager{vc: v, host: hs.Name}
	am.Self = types.ManagedObjectReference{Type: "HostAccessManager", Value: "hostAccessManager-" + id}
	st.objs[hs.Name] = &hostAccessObjects{services: ss, access: am}
	st.mu.Unlock()
	simulator.Map.Put(ss)
	simulator.Map.Put(am)
	ssRef, amRef := ss.Self, am.Self
	h.ConfigManager.ServiceSystem = &ssRef
	h.ConfigManager.HostAccessManager = &amRef
	v.w.SetHostAccess(hs.Name, hs.access())
}

// syncAccess mirrors a host's access state (world) and services (vCenter side)
// into every object that shows them, and posts the events for what changed since
// the last mirror. Callers hold none of those objects' locks.
func (v *VCenter) syncAccess(host string) {
	st := &v.access
	a := v.w.HostAccess(host)
	st.mu.Lock()
	objs := st.objs[host]
	if objs == nil {
		st.mu.Unlock()
		return
	}
	prev, seen := st.last[host]
	st.last[host] = a
	svcs := st.services[host]
	for i := range svcs {
		switch svcs[i].Key {
		case SSHServiceKey:
			svcs[i].Running = a.SSHRunning
			if a.SSHPolicy != "" {
				svcs[i].Policy = a.SSHPolicy
			}
		case "DCUI":
			// "lockdownStrict ... will stop service DCUI"; normal and disabled start it.
			svcs[i].Running = a.Lockdown != world.LockdownStrict
		}
	}
	info := types.HostServiceInfo{Service: copyServices(svcs)}
	st.mu.Unlock()

	mode := types.HostLockdownMode(a.Lockdown)
	if mode == "" {
		mode = types.HostLockdownModeLockdownDisabled
	}
	disabled := mode != types.HostLockdownModeLockdownDisabled
	simulator.Map.WithLock(objs.services, func() {
		simulator.Map.Update(objs.services, []types.PropertyChange{{Name: "serviceInfo", Val: info}})
	})
	simulator.Map.WithLock(objs.access, func() {
		simulator.Map.Update(objs.access, []types.PropertyChange{{Name: "lockdownMode", Val: mode}})
	})
	if h, ok := simulator.Map.Get(v.hostRef[host]).(*simulator.HostSystem); ok {
		cinfo := types.HostServiceInfo{Service: copyServices(info.Service)}
		simulator.Map.WithLock(h, func() {
			simulator.Map.Update(h, []types.PropertyChange{
				{Name: "config.service", Val: cinfo},
				{Name: "config.lockdownMode", Val: mode},
				{Name: "config.adminDisabled", Val: disabled},
			})
		})
	}
	if seen {
		v.postAccessEvents(host, prev, a)
	}
}

func copyServices(in []types.HostService) []types.HostService {
	out := make([]types.HostService, len(in))
	copy(out, in)
	for i := range out {
		out[i].Ruleset = append([]string(nil), in[i].Ruleset...)
	}
	return out
}

// hostEvent is a HostEvent's base with the datacenter, compute resource and host
// arguments filled.
func (v *VCenter) hostEvent(host string) types.HostEvent {
	e := types.HostEvent{Event: types.Event{
		Datacenter: &types.DatacenterEventArgument{Datacenter: v.dc, EntityEventArgument: types.EntityEventArgument{Name: v.dcName}},
		Host:       v.hostArg(host),
	}}
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
	return e
}

// hostEventEx is an event the host itself reports (esx.audit.*), as vCenter shows it.
func (v *VCenter) hostEventEx(host, id, msg string) *types.EventEx {
	e := v.hostEvent(host).Event
	e.FullFormattedMessage = msg
	return &types.EventEx{Event: e, EventTypeId: id, Severity: "info", Message: msg,
		ObjectId: v.hostRef[host].Value, ObjectType: "HostSystem", ObjectName: host}
}

// postAccessEvents posts what a host reports when its SSH service or lockdown
// changes (event IDs as real vCenter shows them; see tests/lab/README.md).
func (v *VCenter) postAccessEvents(host string, prev, a world.HostAccess) {
	var evs []types.BaseEvent
	if !prev.SSHRunning && a.SSHRunning {
		e := &types.RemoteTSMEnabledEvent{HostEvent: v.hostEvent(host)}
		e.FullFormattedMessage = fmt.Sprintf("SSH for the host %s has been enabled", host)
		evs = append(evs, e, v.hostEventEx(host, "esx.audit.ssh.enabled", "SSH access has been enabled."))
	}
	if prev.SSHRunning && !a.SSHRunning {
		evs = append(evs, v.hostEventEx(host, "esx.audit.ssh.disabled", "SSH access has been disabled."))
	}
	was, is := lockedDown(prev.Lockdown), lockedDown(a.Lockdown)
	if !was && is {
		evs = append(evs, v.hostEventEx(host, "esx.audit.lockdownmode.enabled",
			"Administrator access to the host has been disabled. The host is now in lockdown mode."))
	}
	if was && !is {
		evs = append(evs, v.hostEventEx(host, "esx.audit.lockdownmode.disabled",
			"Administrator access to the host has been enabled. The host is no longer in lockdown mode."))
	}
	if strings.Join(prev.ExceptionUsers, "\x00") != strings.Join(a.ExceptionUsers, "\x00") {
		evs = append(evs, v.hostEventEx(host, "esx.audit.lockdownmode.exceptions.changed",
			"List of lockdown exception users has been changed."))
	}
	v.post("", evs...)
}

func lockedDown(mode string) bool { return mode != "" && mode != world.LockdownDisabled }

// changeAccess applies f to a host's world access state (the host's SSH server and
// vCenter's objects follow through the world's listeners).
func (v *VCenter) changeAccess(host string, f func(a *world.HostAccess) error) error {
	if _, ok := v.hostRef[host]; !ok {
		return fmt.Errorf("no host %q", host)
	}
	v.access.change.Lock()
	defer v.access.change.Unlock()
	a := v.w.HostAccess(host)
	if err := f(&a); err != nil {
		return err
	}
	v.w.SetHostAccess(host, a)
	return nil
}

// SetServiceRunning starts or stops a host's service, as StartService and
// StopService do: TSM-SSH opens or closes the host's SSH listener (world), the
// others change only what vCenter shows. Starting a running service or stopping a
// stopped one changes nothing and is no error (hosts after ESX 4.1).
func (v *VCenter) SetServiceRunning(host, key string, running bool) error {
	if key == SSHServiceKey {
		return v.changeAccess(host, func(a *world.HostAccess) error {
			a.SSHRunning = running
			return nil
		})
	}
	was := false
	if err := v.editService(host, key, func(s *types.HostService) { was, s.Running = s.Running, running }); err != nil {
		return err
	}
	v.syncAccess(host)
	if key == "TSM" && was != running { // the ESXi Shell
		if running {
			e := &types.LocalTSMEnabledEvent{HostEvent: v.hostEvent(host)}
			e.FullFormattedMessage = fmt.Sprintf("ESXi Shell for the host %s has been enabled", host)
			v.post("", e, v.hostEventEx(host, "esx.audit.shell.enabled", "The ESXi command line shell has been enabled."))
		} else {
			v.post("", v.hostEventEx(host, "esx.audit.shell.disabled", "The ESXi command line shell has been disabled."))
		}
	}
	return nil
}

// SetServicePolicy sets a service's startup policy (on, off, automatic).
func (v *VCenter) SetServicePolicy(host, key, policy string) error {
	switch types.HostServicePolicy(policy) {
	case types.HostServicePolicyOn, types.HostServicePolicyOff, types.HostServicePolicyAutomatic:
	default:
		return &invalidArgument{"policy", fmt.Sprintf("policy %q is not on, off or automatic", policy)}
	}
	if key == SSHServiceKey {
		if err := v.editService(host, key, func(*types.HostService) {}); err != nil {
			return err
		}
		return v.changeAccess(host, func(a *world.HostAccess) error {
			a.SSHPolicy = policy
			return nil
		})
	}
	if err := v.editService(host, key, func(s *types.HostService) { s.Policy = policy }); err != nil {
		return err
	}
	v.syncAccess(host)
	return nil
}

// editService changes a vCenter-side service entry (errNoService for an unknown key).
func (v *VCenter) editService(host, key string, f func(*types.HostService)) error {
	v.access.mu.Lock()
	defer v.access.mu.Unlock()
	svcs, ok := v.access.services[host]
	if !ok {
		return fmt.Errorf("no host %q", host)
	}
	for i := range svcs {
		if svcs[i].Key == key {
			f(&svcs[i])
			return nil
		}
	}
	return errNoService
}

// ChangeLockdownMode sets a host's lockdown mode, as HostAccessManager's
// ChangeLockdownMode does (the current mode again changes nothing).
func (v *VCenter) ChangeLockdownMode(host, mode string) error {
	switch mode {
	case world.LockdownDisabled, world.LockdownNormal, world.LockdownStrict:
	default:
		return &invalidArgument{"mode", fmt.Sprintf("lockdown mode %q is not lockdownDisabled, lockdownNormal or lockdownStrict", mode)}
	}
	return v.changeAccess(host, func(a *world.HostAccess) error {
		a.Lockdown = mode
		return nil
	})
}

// UpdateLockdownExceptions changes a host's lockdown exception users: names with a
// "+" or "-" prefix are added or removed (an unprefixed name among them is added);
// a list without prefixes replaces the current one.
func (v *VCenter) UpdateLockdownExceptions(host string, users []string) error {
	return v.changeAccess(host, func(a *world.HostAccess) error {
		incremental := false
		for _, u := range users {
			incremental = incremental || strings.HasPrefix(u, "+") || strings.HasPrefix(u, "-")
		}
		if !incremental {
			a.ExceptionUsers = dedupe(users)
			return nil
		}
		list := append([]string(nil), a.ExceptionUsers...)
		for _, u := range users {
			if name := strings.TrimPrefix(u, "-"); name != u {
				var kept []string
				for _, x := range list {
					if x != name {
						kept = append(kept, x)
					}
				}
				list = kept
				continue
			}
			list = append(list, strings.TrimPrefix(u, "+"))
		}
		a.ExceptionUsers = dedupe(list)
		return nil
	})
}

func dedupe(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// invalidArgument is answered as InvalidArgument (invalidProperty set).
type invalidArgument struct{ prop, msg string }

func (e *invalidArgument) Error() string { return e.msg }

// accessFault turns an error of the functions above into the fault vCenter gives.
func accessFault(err error) *soap.Fault {
	var ia *invalidArgument
	switch {
	case errors.Is(err, errNoService):
		return simulator.Fault("The object or item referred to could not be found.", &types.NotFound{})
	case errors.As(err, &ia):
		return simulator.Fault("A specified parameter was not correct: "+ia.prop, &types.InvalidArgument{InvalidProperty: ia.prop})
	}
	return simulator.Fault(err.Error(), &types.HostConfigFault{})
}

func (s *labServiceSystem) StartService(ctx *simulator.Context, req *types.StartService) soap.HasFault {
	body := &methods.StartServiceBody{Res: &types.StartServiceResponse{}}
	if err := s.unlocked(func() error { return s.vc.SetServiceRunning(s.host, req.Id, true) }); err != nil {
		body.Res, body.Fault_ = nil, accessFault(err)
	}
	return body
}

func (s *labServiceSystem) StopService(ctx *simulator.Context, req *types.StopService) soap.HasFault {
	body := &methods.StopServiceBody{Res: &types.StopServiceResponse{}}
	if err := s.unlocked(func() error { return s.vc.SetServiceRunning(s.host, req.Id, false) }); err != nil {
		body.Res, body.Fault_ = nil, accessFault(err)
	}
	return body
}

// RestartService stops and starts the service (a stopped one is started).
func (s *labServiceSystem) RestartService(ctx *simulator.Context, req *types.RestartService) soap.HasFault {
	body := &methods.RestartServiceBody{Res: &types.RestartServiceResponse{}}
	err := s.unlocked(func() error {
		if err := s.vc.SetServiceRunning(s.host, req.Id, false); err != nil {
			return err
		}
		return s.vc.SetServiceRunning(s.host, req.Id, true)
	})
	if err != nil {
		body.Res, body.Fault_ = nil, accessFault(err)
	}
	return body
}

func (s *labServiceSystem) UpdateServicePolicy(ctx *simulator.Context, req *types.UpdateServicePolicy) soap.HasFault {
	body := &methods.UpdateServicePolicyBody{Res: &types.UpdateServicePolicyResponse{}}
	if err := s.unlocked(func() error { return s.vc.SetServicePolicy(s.host, req.Id, req.Policy) }); err != nil {
		body.Res, body.Fault_ = nil, accessFault(err)
	}
	return body
}

// RefreshServices re-reads the host's services (the lab mirrors them at once, so
// this only mirrors them again).
func (s *labServiceSystem) RefreshServices(ctx *simulator.Context, req *types.RefreshServices) soap.HasFault {
	s.unlocked(func() error { s.vc.syncAccess(s.host); return nil })
	return &methods.RefreshServicesBody{Res: &types.RefreshServicesResponse{}}
}

func (m *labAccessManager) ChangeLockdownMode(ctx *simulator.Context, req *types.ChangeLockdownMode) soap.HasFault {
	body := &methods.ChangeLockdownModeBody{Res: &types.ChangeLockdownModeResponse{}}
	if err := m.unlocked(func() error { return m.vc.ChangeLockdownMode(m.host, string(req.Mode)) }); err != nil {
		body.Res, body.Fault_ = nil, accessFault(err)
	}
	return body
}

func (m *labAccessManager) QueryLockdownExceptions(ctx *simulator.Context, req *types.QueryLockdownExceptions) soap.HasFault {
	return &methods.QueryLockdownExceptionsBody{Res: &types.QueryLockdownExceptionsResponse{
		Returnval: m.vc.w.HostAccess(m.host).ExceptionUsers}}
}

func (m *labAccessManager) UpdateLockdownExceptions(ctx *simulator.Context, req *types.UpdateLockdownExceptions) soap.HasFault {
	body := &methods.UpdateLockdownExceptionsBody{Res: &types.UpdateLockdownExceptionsResponse{}}
	if err := m.unlocked(func() error { return m.vc.UpdateLockdownExceptions(m.host, req.Users) }); err != nil {
		body.Res, body.Fault_ = nil, accessFault(err)
	}
	return body
}

// QuerySystemUsers: the host's local system users (the lab has none beyond root).
func (m *labAccessManager) QuerySystemUsers(ctx *simulator.Context, req *types.QuerySystemUsers) soap.HasFault {
	return &methods.QuerySystemUsersBody{Res: &types.QuerySystemUsersResponse{}}
}

// RetrieveHostAccessControlEntries: root is the host's administrator.
func (m *labAccessManager) RetrieveHostAccessControlEntries(ctx *simulator.Context, req *types.RetrieveHostAccessControlEntries) soap.HasFault {
	return &methods.RetrieveHostAccessControlEntriesBody{Res: &types.RetrieveHostAccessControlEntriesResponse{
		Returnval: []types.HostAccessControlEntry{{Principal: "root", AccessMode: types.HostAccessModeAccessAdmin}}}}
}

// EnterLockdownMode and ExitLockdownMode are HostSystem's older methods (deprecated
// since 6.0); vCenter routes them here (lockdown.go): Enter is lockdownNormal.
func (m *labAccessManager) EnterLockdownMode(ctx *simulator.Context, req *types.EnterLockdownMode) soap.HasFault {
	body := &methods.EnterLockdownModeBody{Res: &types.EnterLockdownModeResponse{}}
	if lockedDown(m.vc.w.HostAccess(m.host).Lockdown) {
		body.Res, body.Fault_ = nil, simulator.Fault("Administrator permission has already been disabled on the host.", &types.AdminDisabled{})
		return body
	}
	if err := m.unlocked(func() error { return m.vc.ChangeLockdownMode(m.host, world.LockdownNormal) }); err != nil {
		body.Res, body.Fault_ = nil, accessFault(err)
	}
	return body
}

func (m *labAccessManager) ExitLockdownMode(ctx *simulator.Context, req *types.ExitLockdownMode) soap.HasFault {
	body := &methods.ExitLockdownModeBody{Res: &types.ExitLockdownModeResponse{}}
	if !lockedDown(m.vc.w.HostAccess(m.host).Lockdown) {
		body.Res, body.Fault_ = nil, simulator.Fault("Administrator permission is not disabled on the host.", &types.AdminNotDisabled{})
		return body
	}
	if err := m.unlocked(func() error { return m.vc.ChangeLockdownMode(m.host, world.LockdownDisabled) }); err != nil {
		body.Res, body.Fault_ = nil, accessFault(err)
	}
	return body
}

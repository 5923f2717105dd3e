package vc

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"labsim/world"
)

func (l *lab) serviceSystem(host string) *object.HostServiceSystem {
	l.t.Helper()
	ss, err := l.host(host).ConfigManager().ServiceSystem(context.Background())
	if err != nil {
		l.t.Fatal(err)
	}
	return ss
}

func (l *lab) services(host string) map[string]types.HostService {
	l.t.Helper()
	list, err := l.serviceSystem(host).Service(context.Background())
	if err != nil {
		l.t.Fatal(err)
	}
	out := map[string]types.HostService{}
	for _, s := range list {
		out[s.Key] = s
	}
	return out
}

func (l *lab) accessManager(host string) types.ManagedObjectReference {
	l.t.Helper()
	m := l.hostSystem(host)
	if m.ConfigManager.HostAccessManager == nil {
		l.t.Fatalf("%s: no configManager.hostAccessManager", host)
	}
	return *m.ConfigManager.HostAccessManager
}

// faultOf is the vim fault of an API error (a value such as types.NotFound), or nil.
func faultOf(err error) interface{} {
	if err == nil || !soap.IsSoapFault(err) {
		return nil
	}
	return soap.ToSoapFault(err).VimFault()
}

// recordAccess lists the world's access changes of host (as the host's SSH server
// sees them).
func recordAccess(w *world.World, host string) func() []world.HostAccess {
	var mu sync.Mutex
	var seen []world.HostAccess
	w.OnHostAccess(func(h string, a world.HostAccess) {
		if h == host {
			mu.Lock()
			seen = append(seen, a)
			mu.Unlock()
		}
	})
	return func() []world.HostAccess {
		mu.Lock()
		defer mu.Unlock()
		return append([]world.HostAccess(nil), seen...)
	}
}

func TestHostServiceSystemListsESXiServices(t *testing.T) {
	l := startLab(t, nil)
	refs := map[types.ManagedObjectReference]string{}
	for _, h := range []string{"esx01", "esx02", "esx03"} {
		refs[l.serviceSystem(h).Reference()] = h
	}
	if len(refs) != 3 {
		t.Fatalf("service systems %v: want one per host", refs)
	}
	s := l.services("esx01")
	for key, want := range map[string]struct {
		label   string
		running bool
		policy  string
	}{
		"TSM-SSH": {"SSH", true, "on"}, // the lab's default; a real host's is stopped, off
		"TSM":     {"ESXi Shell", false, "off"},
		"DCUI":    {"Direct Console UI", true, "on"},
		"ntpd":    {"NTP Daemon", false, "off"},
		"vpxa":    {"VMware vCenter Agent", true, "on"},
		"lbtd":    {"Load-Based Teaming Daemon", true, "on"},
		"ptpd":    {"PTP Daemon", false, "off"},
	} {
		got, ok := s[key]
		if !ok || got.Label != want.label || got.Running != want.running || got.Policy != want.policy ||
			got.SourcePackage == nil || got.SourcePackage.SourcePackageName == "" {
			t.Errorf("esx01 service %s: %+v, want %+v", key, got, want)
		}
	}
	if _, ok := l.services("esx03")["ptpd"]; ok {
		t.Errorf("esx03 (6.5) lists ptpd")
	}
	// HostSystem.config.service says the same.
	var h mo.HostSystem
	if err := l.host("esx01").Properties(context.Background(), l.host("esx01").Reference(), []string{"config.service", "config.lockdownMode"}, &h); err != nil {
		t.Fatal(err)
	}
	if h.Config.Service == nil || len(h.Config.Service.Service) != len(s) || h.Config.LockdownMode != types.HostLockdownModeLockdownDisabled {
		t.Errorf("config.service %+v, config.lockdownMode %q", h.Config.Service, h.Config.LockdownMode)
	}
}

func TestSSHServiceThroughTheAPIMovesTheWorld(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	ss := l.serviceSystem("esx01")
	seen := recordAccess(l.w, "esx01")
	esx01 := l.host("esx01").Reference()
	w := l.rawWatch(types.PropertyFilterSpec{ObjectSet: []types.ObjectSpec{{Obj: ss.Reference()}},
		PropSet: []types.PropertySpec{{Type: "HostServiceSystem", PathSet: []string{"serviceInfo"}}}})
	w.mustWait(0)
	tl := l.tail(esx01)

	if err := ss.Stop(ctx, SSHServiceKey); err != nil {
		t.Fatal(err)
	}
	if a := l.w.HostAccess("esx01"); a.SSHRunning {
		t.Fatalf("after StopService(TSM-SSH) the world has SSH running: %+v", a)
	}
	if s := l.services("esx01")[SSHServiceKey]; s.Running {
		t.Errorf("serviceInfo after stop: %+v", s)
	}
	w.waitUntil(func(set *types.UpdateSet) bool {
		for _, ou := range updatesFor(set, ss.Reference()) {
			c, _ := changeNamed(ou, "serviceInfo")
			info, _ := c.Val.(types.HostServiceInfo)
			for _, s := range info.Service {
				if s.Key == SSHServiceKey && !s.Running {
					return true
				}
			}
		}
		return false
	})
	tl.expect(t, "esx.audit.ssh.disabled")
	// Stopping a stopped service, starting a started one: no fault (hosts after 4.1).
	if err := ss.Stop(ctx, SSHServiceKey); err != nil {
		t.Errorf("second stop: %v", err)
	}
	if err := ss.Start(ctx, SSHServiceKey); err != nil {
		t.Fatal(err)
	}
	evs := tl.expect(t, "RemoteTSMEnabledEvent", "esx.audit.ssh.enabled")
	if e := evs[0].GetEvent(); e.Host == nil || e.Host.Name != "esx01" || e.Datacenter == nil || e.ComputeResource == nil {
		t.Errorf("RemoteTSMEnabledEvent arguments: %+v", e)
	}
	if err := ss.Start(ctx, SSHServiceKey); err != nil {
		t.Errorf("second start: %v", err)
	}
	if !l.w.HostAccess("esx01").SSHRunning || !l.services("esx01")[SSHServiceKey].Running {
		t.Errorf("after start: world %+v", l.w.HostAccess("esx01"))
	}
	// Restart: the listener closes and opens again.
	before := len(seen())
	if err := ss.Restart(ctx, SSHServiceKey); err != nil {
		t.Fatal(err)
	}
	if got := seen()[before:]; len(got) != 2 || got[0].SSHRunning || !got[1].SSHRunning {
		t.Errorf("restart: the world saw %+v, want stopped then running", got)
	}
	// Policy.
	if err := ss.UpdatePolicy(ctx, SSHServiceKey, "automatic"); err != nil {
		t.Fatal(err)
	}
	if a := l.w.HostAccess("esx01"); a.SSHPolicy != "automatic" || l.services("esx01")[SSHServiceKey].Policy != "automatic" {
		t.Errorf("policy: world %+v, service %+v", a, l.services("esx01")[SSHServiceKey])
	}
	err := ss.UpdatePolicy(ctx, SSHServiceKey, "sometimes")
	if _, ok := faultOf(err).(types.InvalidArgument); !ok {
		t.Errorf("policy sometimes: %v (%T)", err, faultOf(err))
	}
	// Unknown key: NotFound.
	for name, call := range map[string]func() error{
		"start":   func() error { return ss.Start(ctx, "nosuchd") },
		"stop":    func() error { return ss.Stop(ctx, "nosuchd") },
		"restart": func() error { return ss.Restart(ctx, "nosuchd") },
		"policy":  func() error { return ss.UpdatePolicy(ctx, "nosuchd", "on") },
	} {
		if _, ok := faultOf(call()).(types.NotFound); !ok {
			t.Errorf("%s of an unknown service: %v, want NotFound", name, call())
		}
	}
	// Other services change only what vCenter shows.
	if err := ss.Start(ctx, "TSM"); err != nil {
		t.Fatal(err)
	}
	if !l.services("esx01")["TSM"].Running || !l.w.HostAccess("esx01").SSHRunning {
		t.Errorf("TSM start: %+v", l.services("esx01")["TSM"])
	}
	tl.expect(t, "esx.audit.shell.enabled")
	if _, err := methods.RefreshServices(ctx, l.c.Client, &types.RefreshServices{This: ss.Reference()}); err != nil {
		t.Errorf("RefreshServices: %v", err)
	}
	if l.services("esx02")[SSHServiceKey].Running != true || !l.w.HostAccess("esx02").SSHRunning {
		t.Errorf("esx02 changed with esx01")
	}
}

func TestLockdownThroughTheAPI(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	c := l.c.Client
	am := l.accessManager("esx02")
	esx02 := l.host("esx02").Reference()
	w := l.rawWatch(types.PropertyFilterSpec{ObjectSet: []types.ObjectSpec{{Obj: am}, {Obj: esx02}},
		PropSet: []types.PropertySpec{{Type: "HostAccessManager", PathSet: []string{"lockdownMode"}},
			{Type: "HostSystem", PathSet: []string{"config.lockdownMode", "config.adminDisabled"}}}})
	w.mustWait(0)
	tl := l.tail(esx02)

	change := func(mode types.HostLockdownMode) error {
		_, err := methods.ChangeLockdownMode(ctx, c, &types.ChangeLockdownMode{This: am, Mode: mode})
		return err
	}
	if err := change(types.HostLockdownModeLockdownNormal); err != nil {
		t.Fatal(err)
	}
	if a := l.w.HostAccess("esx02"); a.Lockdown != world.LockdownNormal || a.LoginAllowed("root") {
		t.Fatalf("world after lockdownNormal: %+v", a)
	}
	tl.expect(t, "esx.audit.lockdownmode.enabled")
	got := map[string]interface{}{}
	w.waitUntil(func(set *types.UpdateSet) bool {
		for _, fu := range set.FilterSet {
			for _, ou := range fu.ObjectSet {
				for _, ch := range ou.ChangeSet {
					got[ou.Obj.Type+"."+ch.Name] = ch.Val
				}
			}
		}
		return got["HostAccessManager.lockdownMode"] == types.HostLockdownModeLockdownNormal &&
			got["HostSystem.config.lockdownMode"] == types.HostLockdownModeLockdownNormal && got["HostSystem.config.adminDisabled"] == true
	})
	if !l.services("esx02")["DCUI"].Running {
		t.Errorf("lockdownNormal stopped DCUI")
	}
	if err := change(types.HostLockdownModeLockdownNormal); err != nil {
		t.Errorf("the same mode again: %v (it silently succeeds)", err)
	}
	if err := change(types.HostLockdownModeLockdownStrict); err != nil || l.services("esx02")["DCUI"].Running {
		t.Errorf("lockdownStrict: %v, DCUI %+v", err, l.services("esx02")["DCUI"])
	}
	// vCenter still manages a locked-down host: its SSH service stops and starts.
	ss := l.serviceSystem("esx02")
	if err := ss.Stop(ctx, SSHServiceKey); err != nil || l.w.HostAccess("esx02").SSHRunning {
		t.Errorf("StopService under lockdownStrict: %v, world %+v", err, l.w.HostAccess("esx02"))
	}
	if err := ss.Start(ctx, SSHServiceKey); err != nil || !l.w.HostAccess("esx02").SSHRunning {
		t.Errorf("StartService under lockdownStrict: %v, world %+v", err, l.w.HostAccess("esx02"))
	}
	if _, ok := faultOf(change("lockdownSometimes")).(types.InvalidArgument); !ok {
		t.Errorf("an unknown mode: %v", change("lockdownSometimes"))
	}

	// Exception users.
	update := func(users ...string) {
		t.Helper()
		if _, err := methods.UpdateLockdownExceptions(ctx, c, &types.UpdateLockdownExceptions{This: am, Users: users}); err != nil {
			t.Fatal(err)
		}
	}
	query := func() []string {
		t.Helper()
		res, err := methods.QueryLockdownExceptions(ctx, c, &types.QueryLockdownExceptions{This: am})
		if err != nil {
			t.Fatal(err)
		}
		return res.Returnval
	}
	update("svc1", "svc2")
	if q := query(); !reflect.DeepEqual(q, []string{"svc1", "svc2"}) {
		t.Errorf("exceptions %v", q)
	}
	tl.expect(t, "esx.audit.lockdownmode.exceptions.changed")
	update("+svc3", "-svc1")
	if q, a := query(), l.w.HostAccess("esx02"); !reflect.DeepEqual(q, []string{"svc2", "svc3"}) ||
		!reflect.DeepEqual(a.ExceptionUsers, q) || !a.LoginAllowed("svc3") || a.LoginAllowed("svc1") || a.LoginAllowed("root") {
		t.Errorf("after +svc3 -svc1: query %v, world %+v", q, a)
	}
	if res, err := methods.RetrieveHostAccessControlEntries(ctx, c, &types.RetrieveHostAccessControlEntries{This: am}); err != nil ||
		len(res.Returnval) != 1 || res.Returnval[0].Principal != "root" {
		t.Errorf("RetrieveHostAccessControlEntries: %+v %v", res, err)
	}

	// HostSystem's older methods.
	if _, err := methods.EnterLockdownMode(ctx, c, &types.EnterLockdownMode{This: esx02}); faultOf(err) == nil {
		t.Errorf("EnterLockdownMode in lockdown: %v, want AdminDisabled", err)
	} else if _, ok := faultOf(err).(types.AdminDisabled); !ok {
		t.Errorf("EnterLockdownMode in lockdown: %T", faultOf(err))
	}
	if _, err := methods.ExitLockdownMode(ctx, c, &types.ExitLockdownMode{This: esx02}); err != nil {
		t.Fatal(err)
	}
	if a := l.w.HostAccess("esx02"); a.Lockdown != world.LockdownDisabled || !a.LoginAllowed("root") {
		t.Errorf("after ExitLockdownMode: %+v", a)
	}
	tl.expect(t, "esx.audit.lockdownmode.disabled")
	if _, err := methods.ExitLockdownMode(ctx, c, &types.ExitLockdownMode{This: esx02}); faultOf(err) == nil {
		t.Errorf("ExitLockdownMode out of lockdown: %v", err)
	} else if _, ok := faultOf(err).(types.AdminNotDisabled); !ok {
		t.Errorf("ExitLockdownMode out of lockdown: %T", faultOf(err))
	}
	if _, err := methods.EnterLockdownMode(ctx, c, &types.EnterLockdownMode{This: esx02}); err != nil ||
		l.w.HostAccess("esx02").Lockdown != world.LockdownNormal {
		t.Errorf("EnterLockdownMode: %v, world %+v", err, l.w.HostAccess("esx02"))
	}
	if a := l.w.HostAccess("esx01"); a.Lockdown != world.LockdownDisabled {
		t.Errorf("esx01 changed with esx02: %+v", a)
	}
}

func TestInventorySetsHostAccess(t *testing.T) {
	inv, err := ParseInventory("x.json", []byte(`{"hosts":[
		{"name":"esx01","ssh":"stopped","lockdown":"lockdownNormal","lockdown_exceptions":["svc-capture"]},
		{"name":"esx02"}],
		"vms":[{"name":"vm1","host":"esx01"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	l := startLab(t, inv)
	a := l.w.HostAccess("esx01")
	if a.SSHRunning || a.SSHPolicy != "off" || a.Lockdown != world.LockdownNormal || !a.LoginAllowed("svc-capture") || a.LoginAllowed("root") {
		t.Errorf("esx01 at start: %+v", a)
	}
	if s := l.services("esx01")[SSHServiceKey]; s.Running || s.Policy != "off" {
		t.Errorf("esx01 TSM-SSH at start: %+v", s)
	}
	if b := l.w.HostAccess("esx02"); !b.SSHRunning || b.SSHPolicy != "on" || b.Lockdown != world.LockdownDisabled {
		t.Errorf("esx02 (defaults) at start: %+v", b)
	}
	for in, want := range map[string]string{
		`{"hosts":[{"name":"a","ssh":"off"}]}`:                  `ssh "off"`,
		`{"hosts":[{"name":"a","ssh_policy":"sometimes"}]}`:     `ssh_policy "sometimes"`,
		`{"hosts":[{"name":"a","lockdown":"strict"}]}`:          `lockdown "strict"`,
		`{"hosts":[{"name":"a","lockdown_exceptions":["+x"]}]}`: `"+x" is not a user name`,
	} {
		if _, err := ParseInventory("x.json", []byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %s", in, err, want)
		}
	}
}

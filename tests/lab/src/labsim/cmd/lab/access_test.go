package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"labsim/world"
)

// hostConfig reads a host's TSM-SSH service and lockdown mode as a vSphere client sees them.
func hostConfig(t *testing.T, l *labRun, host string) (sshRunning bool, lockdown string) {
	t.Helper()
	ctx := context.Background()
	_, f := vcClient(t, l)
	h, err := f.HostSystem(ctx, "/"+l.vc.Datacenter()+"/host/*/"+host)
	if err != nil {
		t.Fatal(err)
	}
	var m mo.HostSystem
	if err := h.Properties(ctx, h.Reference(), []string{"config.service", "config.lockdownMode"}, &m); err != nil {
		t.Fatal(err)
	}
	for _, s := range m.Config.Service.Service {
		if s.Key == "TSM-SSH" {
			sshRunning = s.Running
		}
	}
	return sshRunning, string(m.Config.LockdownMode)
}

func TestControlHostSSHAndLockdown(t *testing.T) {
	l, info := start(t)
	ctl := info.Control
	code, body := call(t, "POST", ctl+"/host/esx02/ssh?running=false", nil)
	if code != 200 || !strings.Contains(body, `"ssh_running": false`) || l.w.HostAccess("esx02").SSHRunning {
		t.Fatalf("ssh stop: %d %s", code, body)
	}
	if running, _ := hostConfig(t, l, "esx02"); running {
		t.Errorf("vCenter still shows esx02's SSH running")
	}
	code, body = call(t, "POST", ctl+"/host/esx02/lockdown?mode=lockdownNormal&exceptions=svc-a,svc-b", nil)
	a := l.w.HostAccess("esx02")
	if code != 200 || !strings.Contains(body, `"lockdown": "lockdownNormal"`) || a.Lockdown != world.LockdownNormal ||
		!a.LoginAllowed("svc-b") || a.LoginAllowed("root") {
		t.Fatalf("lockdown: %d %s (world %+v)", code, body, a)
	}
	if _, mode := hostConfig(t, l, "esx02"); mode != "lockdownNormal" {
		t.Errorf("vCenter shows lockdown %q", mode)
	}
	code, body = call(t, "GET", ctl+"/host/esx02/access", nil)
	if code != 200 || !strings.Contains(body, `"svc-a"`) {
		t.Errorf("GET access: %d %s", code, body)
	}
	for u, want := range map[string]string{
		"/host/esx09/ssh?running=true":     `no host "esx09"`,
		"/host/esx01/ssh?running=maybe":    `running="maybe"`,
		"/host/esx01/lockdown?mode=strict": `lockdown mode "strict"`,
		"/host/esx01/lockdown":             `lockdown needs mode=`,
		"/host/esx01/reboot":               `no host operation "reboot"`,
	} {
		if code, body := call(t, "POST", ctl+u, nil); code < 400 || !strings.Contains(body, strings.ReplaceAll(want, `"`, `\"`)) {
			t.Errorf("POST %s: %d %s, want an error naming %s", u, code, body, want)
		}
	}
	if a := l.w.HostAccess("esx01"); !a.SSHRunning || a.Lockdown != world.LockdownDisabled {
		t.Errorf("esx01 changed: %+v", a)
	}
}

func TestPortlistLagAndStrictRequestsFlagsAndSettings(t *testing.T) {
	o, err := parseFlags([]string{"--state-dir", "x"})
	if err != nil || o.PortlistLag != 2*time.Second || !o.StrictRequests {
		t.Fatalf("defaults: lag %v strict %v (%v)", o.PortlistLag, o.StrictRequests, err)
	}
	o, err = parseFlags([]string{"--state-dir", "x", "--host-portlist-lag", "0", "--strict-requests=false"})
	if err != nil || o.PortlistLag != 0 || o.StrictRequests {
		t.Fatalf("flags: lag %v strict %v (%v)", o.PortlistLag, o.StrictRequests, err)
	}
	if _, err := parseFlags([]string{"--state-dir", "x", "--host-portlist-lag", "-1s"}); err == nil {
		t.Errorf("negative --host-portlist-lag accepted")
	}
	l, info := start(t)
	if opts := l.vc.Options(); opts.HostPortlistLag != 2*time.Second || !opts.StrictRequests {
		t.Fatalf("lab options %+v", opts)
	}
	code, body := call(t, "GET", info.Control+"/settings", nil)
	if code != 200 || !strings.Contains(body, `"host_portlist_lag": "2s"`) || !strings.Contains(body, `"strict_requests": true`) {
		t.Fatalf("GET /settings: %d %s", code, body)
	}
	code, body = call(t, "POST", info.Control+"/settings?host_portlist_lag=0&strict_requests=false", nil)
	if code != 200 || l.vc.Options().HostPortlistLag != 0 || l.vc.Options().StrictRequests {
		t.Fatalf("POST /settings: %d %s", code, body)
	}
	code, body = call(t, "POST", info.Control+"/settings", strings.NewReader(`{"host_portlist_lag": "750ms", "strict_requests": true}`))
	if code != 200 || l.vc.Options().HostPortlistLag != 750*time.Millisecond || !l.vc.Options().StrictRequests {
		t.Fatalf("POST /settings JSON: %d %s", code, body)
	}
	for q, want := range map[string]string{"host_portlist_lag=-1s": "host_portlist_lag", "strict_requests=sometimes": "strict_requests"} {
		if code, body := call(t, "POST", info.Control+"/settings?"+q, nil); code != 400 || !strings.Contains(body, want) {
			t.Errorf("POST %s: %d %s", q, code, body)
		}
	}
}

// vCenter's HostServiceSystem and HostAccessManager reach the host's real SSH server:
// TSM-SSH stopped through the API refuses connections on the host's port, started
// again it admits logins there; lockdown through the API refuses root's login.
func TestServiceAndLockdownThroughVCenterReachTheHostsSSH(t *testing.T) {
	l, info := start(t)
	var addr string
	for _, h := range info.Hosts {
		if h.Name == "esx02" {
			addr = h.Address
		}
	}
	pw := kbdPassword(info.Hosts[0].Password)
	if err := login(addr, pw); err != nil {
		t.Fatalf("login before any change: %v", err)
	}
	ctx := context.Background()
	gc, f := vcClient(t, l)
	c := gc.Client
	h, err := f.HostSystem(ctx, "/"+l.vc.Datacenter()+"/host/*/esx02")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := h.ConfigManager().ServiceSystem(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Stop(ctx, "TSM-SSH"); err != nil {
		t.Fatalf("StopService TSM-SSH: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
		conn.Close()
		t.Fatalf("esx02 %s accepts connections with TSM-SSH stopped", addr)
	} else if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("esx02 with TSM-SSH stopped: %v, want connection refused", err)
	}
	if err := svc.Start(ctx, "TSM-SSH"); err != nil {
		t.Fatalf("StartService TSM-SSH: %v", err)
	}
	if err := login(addr, pw); err != nil {
		t.Fatalf("login after StartService on the same port: %v", err)
	}
	var am mo.HostSystem
	if err := h.Properties(ctx, h.Reference(), []string{"configManager.hostAccessManager"}, &am); err != nil {
		t.Fatal(err)
	}
	req := types.ChangeLockdownMode{This: *am.ConfigManager.HostAccessManager, Mode: types.HostLockdownModeLockdownNormal}
	if _, err := methods.ChangeLockdownMode(ctx, c, &req); err != nil {
		t.Fatalf("ChangeLockdownMode: %v", err)
	}
	if err := login(addr, pw); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("root's login under lockdown: %v, want refused authentication", err)
	}
}

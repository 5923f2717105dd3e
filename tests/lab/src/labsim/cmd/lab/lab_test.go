package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"labsim/esx/esxtest"
)

func TestMain(m *testing.M) { esxtest.Main(m) }

func testOptions(t *testing.T) options {
	o, err := parseFlags([]string{"--state-dir", t.TempDir(), "--boot-dhcp-delay", "10ms", "--traffic-interval", "1s",
		"--esx-commands", esxtest.Commands(t)})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func start(t *testing.T) (*labRun, LabInfo) {
	t.Helper()
	l, err := startLab(testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	b, err := os.ReadFile(l.labJSON)
	if err != nil {
		t.Fatal(err)
	}
	var info LabInfo
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatalf("lab.json: %v", err)
	}
	return l, info
}

func call(t *testing.T, method, u string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestFlags(t *testing.T) {
	if _, err := parseFlags(nil); err == nil || !strings.Contains(err.Error(), "--state-dir") {
		t.Errorf("no state dir: %v", err)
	}
	if _, err := parseFlags([]string{"--state-dir", "x", "extra"}); err == nil {
		t.Errorf("extra argument accepted")
	}
	o, err := parseFlags([]string{"--state-dir", "x", "--flood-pps", "500"})
	if err != nil || o.FloodVM != "testvm1" || o.BootDHCPDelay != time.Second {
		t.Errorf("defaults: %+v %v", o, err)
	}
}

func TestLabWritesClientFiles(t *testing.T) {
	l, info := start(t)
	if len(info.Hosts) != 3 || info.Hosts[0].Name != "esx01" || info.Hosts[2].Version != "6.5.0" {
		t.Fatalf("hosts: %+v", info.Hosts)
	}
	var t1 *VMInfo
	for i := range info.VMs {
		if info.VMs[i].Name == "testvm1" {
			t1 = &info.VMs[i]
		}
	}
	if t1 == nil || t1.Host != "esx01" || len(t1.MACs) != 1 || t1.Ports[0] == 0 || t1.Path != "/dc1/vm/testvm1" || !strings.HasPrefix(t1.Moref, "vm-") {
		t.Fatalf("testvm1 in lab.json: %+v", t1)
	}
	env, _ := os.ReadFile(info.Env)
	for _, want := range []string{"GOVC_URL='" + info.VCenter.URL + "'", "GOVC_USERNAME=", "GOVC_PASSWORD=",
		"GOVC_TLS_CA_CERTS='" + info.VCenter.CACert + "'", "VMC_SSH_CONFIG=", "VMC_SSH_KNOWN_HOSTS=", "VMC_SSH_USER='root'", "VMC_SSH_PASSWORD="} {
		if !strings.Contains(string(env), "export "+want) {
			t.Errorf("env lacks %s:\n%s", want, env)
		}
	}
	cfg, _ := os.ReadFile(info.SSHConfig)
	if !strings.Contains(string(cfg), fmt.Sprintf("Host esx02\n  HostName 127.0.0.1\n  Port %d\n", info.Hosts[1].Port)) {
		t.Errorf("ssh_config:\n%s", cfg)
	}

	// The known_hosts file verifies each of a host's keys (ECDSA and RSA), by address and
	// by name, as OpenSSH would.
	cb, err := knownhosts.New(info.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range info.Hosts {
		keys := l.hosts[h.Name].HostKeys()
		if len(keys) != 2 || h.KeyType != "ecdsa-sha2-nistp256" || strings.Join(h.KeyTypes, ",") != "ecdsa-sha2-nistp256,ssh-rsa" {
			t.Errorf("%s: host keys %v, lab.json host_key_type %q host_key_types %v", h.Name, keys, h.KeyType, h.KeyTypes)
		}
		for _, key := range keys {
			if err := cb(fmt.Sprintf("[127.0.0.1]:%d", h.Port), &fakeAddr{h.Address}, key); err != nil {
				t.Errorf("%s %s by address: %v", h.Name, key.Type(), err)
			}
			if err := cb(h.Name+":22", &fakeAddr{h.Address}, key); err != nil {
				t.Errorf("%s %s by name: %v", h.Name, key.Type(), err)
			}
		}
		other := l.hosts[info.Hosts[(1+indexOf(info.Hosts, h.Name))%3].Name].HostKey()
		if err := cb(fmt.Sprintf("[127.0.0.1]:%d", h.Port), &fakeAddr{h.Address}, other); err == nil {
			t.Errorf("%s accepted another host's key", h.Name)
		}
	}
	// SSH login with the published user/password (keyboard-interactive, as ESXi 8 takes
	// it), host key checked through known_hosts.
	c, err := ssh.Dial("tcp", info.Hosts[0].Address, &ssh.ClientConfig{User: info.Hosts[0].User,
		Auth: []ssh.AuthMethod{kbdPassword(info.Hosts[0].Password)}, HostKeyCallback: cb, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()

	l.Close()
	if _, err := os.Stat(l.labJSON); !os.IsNotExist(err) {
		t.Errorf("lab.json still there after Close: %v", err)
	}
}

type fakeAddr struct{ s string }

func (a *fakeAddr) Network() string { return "tcp" }
func (a *fakeAddr) String() string  { return a.s }

func indexOf(hs []HostInfo, name string) int {
	for i, h := range hs {
		if h.Name == name {
			return i
		}
	}
	return -1
}

func TestControlVMOperations(t *testing.T) {
	l, info := start(t)
	ctl := info.Control
	before := l.w.FindVM("testvm1").Ports
	var mac string
	for m := range before {
		mac = m
	}
	oldPort := before[mac]
	code, body := call(t, "POST", ctl+"/vm/testvm1/reset", nil)
	if code != 200 {
		t.Fatalf("reset: %d %s", code, body)
	}
	if p := l.w.FindVM("testvm1").Ports[mac]; p == oldPort || p == 0 {
		t.Errorf("port after reset %d, before %d", p, oldPort)
	}
	if code, body := call(t, "GET", ctl+"/vm/testvm1/reset", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET reset: %d %s", code, body)
	}
	if code, body := call(t, "POST", ctl+"/vm/app/reset", nil); code != 404 || !strings.Contains(body, "vm/team-a") {
		t.Errorf("ambiguous name: %d %s", code, body)
	}
	if code, body := call(t, "POST", ctl+"/vm/app/poweroff?folder=vm/team-b", nil); code != 200 || !strings.Contains(body, `"powered_on": false`) {
		t.Errorf("poweroff by folder: %d %s", code, body)
	}
	name := url.PathEscape("Café Büro 01")
	if code, body := call(t, "POST", ctl+"/vm/"+name+"/migrate?to=esx02", nil); code != 200 || !strings.Contains(body, `"host": "esx02"`) {
		t.Errorf("migrate non-ASCII name: %d %s", code, body)
	}
	if code, body := call(t, "POST", ctl+"/vm/testvm1/migrate", nil); code != 400 {
		t.Errorf("migrate without to: %d %s", code, body)
	}
	if code, body := call(t, "POST", ctl+"/vm/testvm1/explode", nil); code != 409 || !strings.Contains(body, "unknown VM operation") {
		t.Errorf("unknown op: %d %s", code, body)
	}

	code, body = call(t, "POST", ctl+"/drs", nil)
	var moves []struct{ VM, Moref, From, To string }
	if err := json.Unmarshal([]byte(body), &moves); code != 200 || err != nil || len(moves) == 0 {
		t.Fatalf("drs: %d %s %v", code, body, err)
	}
	for _, m := range moves {
		if m.VM == "pinned-manual" || m.VM == "legacy01" {
			t.Errorf("DRS moved %s", m.VM)
		}
	}
}

func TestControlSettingsAndFaults(t *testing.T) {
	l, info := start(t)
	ctl := info.Control
	code, body := call(t, "POST", ctl+"/settings", strings.NewReader(`{"reset_keeps_port": true, "boot_dhcp_delay": "1.5s", "reset_power_events": true}`))
	if code != 200 || !strings.Contains(body, `"boot_dhcp_delay": "1.5s"`) {
		t.Fatalf("settings: %d %s", code, body)
	}
	if !l.w.Settings.ResetKeepsPort || l.w.Settings.BootDHCPDelay != 1500*time.Millisecond || !l.vc.Options().ResetPowerEvents {
		t.Errorf("settings not applied: %+v %+v", l.w.Settings, l.vc.Options())
	}
	code, body = call(t, "POST", ctl+"/settings?flood_pps=100&drs_interval=soon", nil)
	if code != 400 || !strings.Contains(body, "drs_interval") || l.w.Settings.FloodPPS != 0 {
		t.Errorf("bad setting: %d %s, flood_pps now %d", code, body, l.w.Settings.FloodPPS)
	}
	if code, body := call(t, "POST", ctl+"/settings?colour=blue", nil); code != 400 || !strings.Contains(body, "unknown setting") {
		t.Errorf("unknown setting: %d %s", code, body)
	}

	if code, body := call(t, "POST", ctl+"/fault/ssh-drop?host=esx09", nil); code != 400 || !strings.Contains(body, "esx01") {
		t.Errorf("ssh-drop bad host: %d %s", code, body)
	}
	if code, body := call(t, "POST", ctl+"/fault/ssh-drop?host=esx01", nil); code != 200 {
		t.Errorf("ssh-drop: %d %s", code, body)
	}
	if code, body := call(t, "POST", ctl+"/fault/unreachable?host=esx02&seconds=0.2", nil); code != 200 {
		t.Errorf("unreachable: %d %s", code, body)
	}
	used := func() int64 {
		for _, d := range l.w.DatastoreSnapshot() {
			if d.Name == "datastore1" {
				return d.Used
			}
		}
		return -1
	}
	u0 := used()
	if code, body := call(t, "POST", ctl+"/fault/fill?target=datastore1&bytes=1048576", nil); code != 200 {
		t.Errorf("fill: %d %s", code, body)
	}
	if u1 := used(); u1 != u0+1048576 {
		t.Errorf("datastore1 used %d -> %d", u0, u1)
	}
	if code, body := call(t, "POST", ctl+"/fault/vcenter-restart?seconds=0.1", nil); code != 200 || !strings.Contains(body, info.VCenter.URL) {
		t.Errorf("vcenter-restart: %d %s", code, body)
	}
	if code, _ := call(t, "GET", ctl+"/state", nil); code != 200 {
		t.Errorf("state: %d", code)
	}
	if code, body := call(t, "GET", ctl+"/", nil); code != 200 || !strings.Contains(body, "POST /drs") {
		t.Errorf("index: %d %s", code, body)
	}
}

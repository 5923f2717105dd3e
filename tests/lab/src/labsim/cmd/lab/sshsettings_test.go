package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// kbdPassword answers the hosts' keyboard-interactive "Password: " prompt.
func kbdPassword(pw string) ssh.AuthMethod {
	return ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
		a := make([]string, len(qs))
		for i := range a {
			a[i] = pw
		}
		return a, nil
	})
}

func login(addr string, auth ssh.AuthMethod) error {
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{auth},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
	if err == nil {
		c.Close()
	}
	return err
}

// The ssh_* settings: defaults, changes (query and JSON), refusals, effect on the hosts.
func TestSSHSettings(t *testing.T) {
	l, info := start(t)
	ctl := l.ctlURL
	var got map[string]interface{}
	code, body := call(t, "GET", ctl+"/settings", nil)
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("GET /settings: %d %s", code, body)
	}
	want := map[string]string{"ssh_password_auth": "auto", "ssh_max_sessions": "10", "ssh_stop_drops_sessions": "false",
		"ssh_algorithms": "esxi", "ssh_fips": "map[esx01:true esx02:true esx03:false]"}
	for k, v := range want {
		if fmt.Sprint(got[k]) != v {
			t.Errorf("default %s = %v, want %s", k, got[k], v)
		}
	}
	for _, h := range info.Hosts {
		if h.FIPS != (h.Version != "6.5.0") {
			t.Errorf("lab.json %s fips %v", h.Name, h.FIPS)
		}
	}
	esx01 := info.Hosts[0].Address
	if err := login(esx01, ssh.Password("labpass")); err == nil {
		t.Fatal("esx01 took the password method by default")
	}
	code, body = call(t, "POST", ctl+"/settings?ssh_password_auth=true&ssh_max_sessions=3&ssh_stop_drops_sessions=true&ssh_algorithms=go", nil)
	if code != 200 || !strings.Contains(body, `"ssh_password_auth": "true"`) || !strings.Contains(body, `"ssh_max_sessions": 3`) ||
		!strings.Contains(body, `"ssh_stop_drops_sessions": true`) || !strings.Contains(body, `"ssh_algorithms": "go"`) {
		t.Fatalf("POST ssh settings: %d %s", code, body)
	}
	if err := login(esx01, ssh.Password("labpass")); err != nil {
		t.Fatalf("password method after ssh_password_auth=true: %v", err)
	}
	code, body = call(t, "POST", ctl+"/settings", strings.NewReader(`{"ssh_fips": {"esx01": false, "esx03": true}, "ssh_password_auth": false}`))
	if code != 200 || !strings.Contains(body, `"esx01": false`) || !strings.Contains(body, `"esx03": true`) ||
		!strings.Contains(body, `"esx02": true`) || !strings.Contains(body, `"ssh_password_auth": "false"`) {
		t.Fatalf("POST ssh_fips object: %d %s", code, body)
	}
	if s := l.w.GetSettings().SSH; s.FIPS["esx01"] || !s.FIPS["esx03"] || s.MaxSessions != 3 || s.PasswordAuth != "false" {
		t.Errorf("world settings: %+v", s)
	}
	for q, wantErr := range map[string]string{
		"ssh_password_auth=maybe":  `ssh_password_auth="maybe"`,
		"ssh_fips=esx09=true":      `no host "esx09"`,
		"ssh_fips=esx01":           `want HOST=true|false`,
		"ssh_max_sessions=-1":      `ssh_max_sessions="-1"`,
		"ssh_algorithms=openssh":   `want esxi or go`,
		"ssh_stop_drops_sessions=": `ssh_stop_drops_sessions=""`,
	} {
		code, body := call(t, "POST", ctl+"/settings?"+q+"&flood_pps=5", nil)
		if code != 400 || !strings.Contains(body, strings.ReplaceAll(wantErr, `"`, `\"`)) {
			t.Errorf("POST %s: %d %s, want 400 naming %s", q, code, body, wantErr)
		}
	}
	if s := l.w.GetSettings(); s.FloodPPS != 0 || s.SSH.MaxSessions != 3 {
		t.Errorf("a refused POST changed settings: flood_pps %d, ssh_max_sessions %d", s.FloodPPS, s.SSH.MaxSessions)
	}
}

// An inventory's "fips": false turns an 8.x host's FIPS mode off from the start.
func TestInventoryFIPSField(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inv.json")
	os.WriteFile(inv, []byte(`{"hosts": [{"name": "esx01", "fips": false}, {"name": "esx02"}],
		"vms": [{"name": "v1", "host": "esx01", "nics": [{"portgroup": "VM Network"}]}]}`), 0o644)
	o := testOptions(t)
	o.Inventory = inv
	l, err := startLab(o)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if s := l.w.GetSettings().SSH; s.FIPSMode("esx01", "8.0.3") || !s.FIPSMode("esx02", "8.0.3") {
		t.Fatalf("fips: %+v", s.FIPS)
	}
	info := l.info()
	if info.Hosts[0].FIPS || !info.Hosts[1].FIPS {
		t.Fatalf("lab.json fips: %+v", info.Hosts)
	}
}

// --ssh-host-keys=ed25519 gives the old single ed25519 key (known_hosts and lab.json).
func TestSSHHostKeysFlag(t *testing.T) {
	if _, err := parseFlags([]string{"--state-dir", "x", "--ssh-host-keys", "dsa"}); err == nil {
		t.Error("--ssh-host-keys=dsa accepted")
	}
	o := testOptions(t)
	if strings.Join(o.hostKeyTypes(), ",") != "ecdsa,rsa" {
		t.Fatalf("default host keys %v", o.hostKeyTypes())
	}
	o.SSHHostKeys = "ed25519"
	l, err := startLab(o)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	info := l.info()
	if h := info.Hosts[0]; h.KeyType != "ssh-ed25519" || len(h.KeyTypes) != 1 {
		t.Fatalf("lab.json: %+v", h)
	}
	kh, _ := os.ReadFile(l.knownHosts)
	if n := strings.Count(string(kh), "\n"); n != 6 || strings.Count(string(kh), "ssh-ed25519") != 6 {
		t.Fatalf("known_hosts:\n%s", kh)
	}
}

// OpenSSH with the lab's ssh_config and known_hosts (StrictHostKeyChecking yes) logs in
// through keyboard-interactive with either host key.
func TestOpenSSHWithLabFiles(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatal("OpenSSH client not installed: apt-get install openssh-client")
	}
	_, info := start(t)
	dir := t.TempDir()
	askpass := filepath.Join(dir, "askpass")
	os.WriteFile(askpass, []byte("#!/bin/sh\necho labpass\n"), 0o755)
	for _, algo := range []string{"ecdsa-sha2-nistp256", "rsa-sha2-512"} {
		for _, host := range []string{"esx01", "esx03"} {
			cmd := exec.Command("ssh", "-F", info.SSHConfig, "-o", "HostKeyAlgorithms="+algo, host, "vmware -v")
			cmd.Env = append(os.Environ(), "HOME="+dir, "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0")
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "VMware ESXi ") {
				t.Errorf("%s with %s: %v\n%s", host, algo, err, out)
			}
		}
	}
}

// Labs sharing --ssh-host-key-cache get the same host keys in fresh state dirs; with
// "none" each state dir makes its own; a state dir's own keys are kept.
func TestHostKeyCache(t *testing.T) {
	cache := t.TempDir()
	keysOf := func(cacheDir string) map[string]string {
		o := testOptions(t)
		o.HostKeyCache = cacheDir
		l, err := startLab(o)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		kh, _ := os.ReadFile(l.knownHosts)
		keys := map[string]string{}
		for _, line := range strings.Split(string(kh), "\n") {
			if f := strings.Fields(line); len(f) == 3 && !strings.HasPrefix(f[0], "[") {
				keys[f[0]+" "+f[1]] = f[2]
			}
		}
		if len(keys) != 6 {
			t.Fatalf("known_hosts:\n%s", kh)
		}
		return keys
	}
	a, b, c := keysOf(cache), keysOf(cache), keysOf("none")
	for k, v := range a {
		if b[k] != v {
			t.Errorf("%s differs between two labs sharing a cache", k)
		}
		if c[k] == v {
			t.Errorf("%s came from the cache with --ssh-host-key-cache=none", k)
		}
	}
	if _, err := os.Stat(filepath.Join(cache, "hostkeys", "esx02_rsa")); err != nil {
		t.Errorf("cache not filled: %v", err)
	}
}

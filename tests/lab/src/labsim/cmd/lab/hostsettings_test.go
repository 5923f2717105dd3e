package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// sshRun runs cmd on host over SSH (the lab's user and password).
func sshRun(t *testing.T, l *labRun, host, cmd string) (string, string, int) {
	t.Helper()
	h := l.hosts[host]
	c, err := ssh.Dial("tcp", h.Addr(), &ssh.ClientConfig{User: l.opts.SSHUser, Auth: []ssh.AuthMethod{kbdPassword(l.opts.SSHPassword)},
		HostKeyCallback: ssh.FixedHostKey(h.HostKey()), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	s.Stdout, s.Stderr = &out, &errb
	err = s.Run(cmd)
	status := 0
	if ee, ok := err.(*ssh.ExitError); ok {
		status = ee.ExitStatus()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), status
}

// The hosts' settings: no_sha256sum (also --no-sha256sum), pktcap_messages,
// no_ssh_signal; the default inventory's vSAN datastore.
func TestHostSettings(t *testing.T) {
	o := testOptions(t)
	o.NoSha256sum = "esx02"
	l, err := startLab(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	ctl := l.ctlURL
	code, body := call(t, "GET", ctl+"/settings", nil)
	if code != 200 || !strings.Contains(body, `"no_sha256sum": [
    "esx02"
  ]`) || !strings.Contains(body, `"pktcap_messages": "version"`) || !strings.Contains(body, `"no_ssh_signal": []`) {
		t.Fatalf("GET /settings: %s", body)
	}
	if _, stderr, st := sshRun(t, l, "esx02", "sha256sum /etc/passwd"); st != 127 || stderr != "sh: sha256sum: not found\n" {
		t.Fatalf("esx02 with --no-sha256sum: %d %q", st, stderr)
	}
	code, body = call(t, "POST", ctl+"/settings?no_sha256sum=esx01&pktcap_messages=legacy&no_ssh_signal=esx03", nil)
	if code != 200 || !strings.Contains(body, `"pktcap_messages": "legacy"`) {
		t.Fatalf("POST: %d %s", code, body)
	}
	if _, _, st := sshRun(t, l, "esx01", "sha256sum /etc/passwd"); st != 127 {
		t.Fatalf("esx01 still has sha256sum")
	}
	if out, _, st := sshRun(t, l, "esx02", "sha256sum /etc/passwd"); st != 0 || !strings.HasSuffix(out, "  /etc/passwd\n") {
		t.Fatalf("esx02 should have sha256sum back: %d %q", st, out)
	}
	s := l.w.GetSettings()
	if s.PktcapMessages != "legacy" || len(s.NoSSHSignal) != 1 || s.NoSSHSignal[0] != "esx03" {
		t.Fatalf("settings %+v", s)
	}
	for q, want := range map[string]string{
		"no_sha256sum=esx09":      `no host \"esx09\"`,
		"pktcap_messages=fancy":   `want version (by ESXi release) or legacy`,
		"no_ssh_signal=esx1,esx2": `no host \"esx1\"`,
	} {
		if code, body := call(t, "POST", ctl+"/settings?"+strings.ReplaceAll(q, ",", "%2C"), nil); code != 400 || !strings.Contains(body, want) {
			t.Errorf("POST %s: %d %s", q, code, body)
		}
	}
	if code, _ := call(t, "POST", ctl+"/settings?no_sha256sum=none&no_ssh_signal=", nil); code != 200 || len(l.w.GetSettings().NoSha256sum) != 0 {
		t.Fatalf("clearing the lists: %d %+v", code, l.w.GetSettings())
	}
	if _, _, st := sshRun(t, l, "esx01", "sha256sum /etc/passwd"); st != 0 {
		t.Fatalf("esx01 without sha256sum after clearing")
	}
	// The default inventory's vSAN datastore: top-level mkdir fails, osfs-mkdir works.
	if _, stderr, st := sshRun(t, l, "esx02", "mkdir /vmfs/volumes/vsanDatastore/x"); st != 1 || !strings.HasSuffix(stderr, ": Function not implemented\n") {
		t.Fatalf("vSAN mkdir: %d %q", st, stderr)
	}
	if out, _, st := sshRun(t, l, "esx02", "/usr/lib/vmware/osfs/bin/osfs-mkdir /vmfs/volumes/vsanDatastore/x >/dev/null && ls /vmfs/volumes/vsanDatastore/"); st != 0 || !strings.Contains(out, "x\n") {
		t.Fatalf("osfs-mkdir: %d %q", st, out)
	}
	if out, _, _ := sshRun(t, l, "esx01", "ls /vmfs/volumes/vsanDatastore/"); !strings.Contains(out, "x\n") {
		t.Fatalf("esx01 does not see esx02's vSAN directory: %q", out)
	}
	if _, err := parseFlags([]string{"--state-dir", "x", "--no-sha256sum", "esx09", "--esx-commands", o.HostCommands}); err != nil {
		t.Fatal(err)
	}
	o2 := testOptions(t)
	o2.NoSha256sum = "esx09"
	if _, err := startLab(o2); err == nil || !strings.Contains(err.Error(), `no host "esx09"`) {
		t.Errorf("--no-sha256sum for an unknown host: %v", err)
	}
}

package esx

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"labsim/esx/esxtest"
	"labsim/traffic"
)

// The real OpenSSH client, with key auth and a strict known_hosts, runs esxcli and
// streams a pcap that tshark reads.
func TestOpenSSHClientKeyAuth(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatal("OpenSSH client not installed: apt-get install openssh-client")
	}
	l := newLab(t, 0)
	dir := t.TempDir()
	key := filepath.Join(dir, "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	h, err := Start(l.w, "esx01", Config{StateDir: l.dir, ListenAddr: "127.0.0.1:0", User: "root", AuthorizedKeysFile: key + ".pub",
		Commands: esxtest.Commands(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	// The same state dir gives the same host key.
	if !bytes.Equal(h.HostKey().Marshal(), l.hosts["esx01"].HostKey().Marshal()) {
		t.Fatal("host key not reused from the state dir")
	}
	kh := filepath.Join(dir, "known_hosts")
	os.WriteFile(kh, []byte(fmt.Sprintf("[127.0.0.1]:%d %s", h.Port(), ssh.MarshalAuthorizedKey(h.HostKey()))), 0o644)
	sshCmd := func(remote string) *exec.Cmd {
		return exec.Command("ssh", "-F", "/dev/null", "-o", "UserKnownHostsFile="+kh, "-o", "StrictHostKeyChecking=yes",
			"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-i", key, "-p", fmt.Sprint(h.Port()), "root@127.0.0.1", remote)
	}
	out, err := sshCmd("esxcli network vm list").Output()
	if err != nil || !strings.HasPrefix(string(out), "World ID  Name     Num Ports  Networks\n") || !strings.Contains(string(out), " testvm1 ") {
		t.Fatalf("ssh esxcli: %v\n%s", err, out)
	}
	cmd := sshCmd("echo hi; exit 3")
	if out, err := cmd.Output(); string(out) != "hi\n" || cmd.ProcessState.ExitCode() != 3 {
		t.Fatalf("exit status: %q %v", out, err)
	}
	p := portOf(t, l.w, "testvm1", mac1)
	cmd = sshCmd(fmt.Sprintf("pktcap-uw --switchport %d --dir 2 -o - -c 7", p))
	var pcap bytes.Buffer
	cmd.Stdout = &pcap
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), capturing) {
	}
	stop := make(chan struct{})
	go feed(l.w, "esx01", p, mac1, stop, 80)
	for sc.Scan() {
	}
	err = cmd.Wait()
	close(stop)
	if err != nil {
		t.Fatalf("ssh pktcap-uw: %v", err)
	}
	f := filepath.Join(dir, "c.pcap")
	os.WriteFile(f, pcap.Bytes(), 0o644)
	tsharkCount(t, f, 7)
}

func TestPasswordAuthRejectsWrongPassword(t *testing.T) {
	l := newLab(t, 0)
	h := l.hosts["esx01"]
	_, err := ssh.Dial("tcp", h.Addr(), &ssh.ClientConfig{User: "root", Auth: passwordAuth("wrong"),
		HostKeyCallback: ssh.FixedHostKey(h.HostKey()), Timeout: 10 * time.Second})
	if err == nil {
		t.Fatal("wrong password accepted")
	}
}

func TestDropConnectionsKeepsFileCaptures(t *testing.T) {
	l := newLab(t, 0)
	p := portOf(t, l.w, "testvm1", mac1)
	s, pid := startCapture(t, l, "esx01", fmt.Sprintf("--switchport %d -o /tmp/x.pcap", p))
	l.hosts["esx01"].DropConnections()
	if err := s.wait(t); err == nil {
		t.Fatal("session survived DropConnections")
	}
	// Like a real host: the capture to a file goes on without its SSH session.
	if ps := l.run(t, "esx01", "ps"); !strings.Contains(ps.stdout, pid+"   pktcap-uw") {
		t.Fatalf("file capture died with its connection:\n%s", ps.stdout)
	}
	l.run(t, "esx01", "kill "+pid)
}

func TestSetUnreachableBlackholesThenRecovers(t *testing.T) {
	l := newLab(t, 0)
	h := l.hosts["esx01"]
	c := l.client(t, "esx01") // connected before the outage
	h.SetUnreachable(time.Hour)
	// TCP connects (the lab cannot drop SYNs) but the SSH handshake gets no answer.
	conn, err := net.DialTimeout("tcp", h.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(300 * time.Millisecond))
	_, _, _, err = ssh.NewClientConn(conn, h.Addr(), &ssh.ClientConfig{User: "root", Auth: passwordAuth("secret"),
		HostKeyCallback: ssh.FixedHostKey(h.HostKey())})
	conn.Close()
	if err == nil {
		t.Fatal("SSH handshake with an unreachable host succeeded")
	}
	done := make(chan string, 1)
	go func() {
		s, err := c.NewSession()
		if err != nil {
			done <- err.Error()
			return
		}
		out, _ := s.Output("echo still here")
		done <- string(out)
	}()
	select {
	case got := <-done:
		t.Fatalf("existing connection answered while unreachable: %q", got)
	case <-time.After(200 * time.Millisecond):
	}
	h.SetUnreachable(0)
	select {
	case got := <-done:
		if got != "still here\n" {
			t.Fatalf("after recovery: %q", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("stalled connection never resumed")
	}
	if r := l.run(t, "esx01", "echo ok"); r.stdout != "ok\n" {
		t.Fatalf("new connection after recovery: %+v", r)
	}
}

// With the traffic generator running, a --dir 2 -c 20 capture of testvm1's port holds
// 20 frames of testvm1's traffic (to or from its MAC, or broadcasts on its portgroup).
func TestCaptureOfGeneratedTraffic(t *testing.T) {
	l := newLab(t, 0)
	l.w.Settings.TrafficInterval = 5 * time.Millisecond
	stop := traffic.Start(l.w)
	defer stop()
	p := portOf(t, l.w, "testvm1", mac1)
	s := l.start(t, "esx01", fmt.Sprintf("pktcap-uw --switchport %d --dir 2 -o - -c 20", p))
	var out bytes.Buffer
	out.ReadFrom(s.stdout)
	if err := s.wait(t); err != nil {
		t.Fatalf("%v\n%s", err, s.stderr.String())
	}
	_, recs, err := readPcap(out.Bytes())
	if err != nil || len(recs) != 20 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	m1 := []byte{0, 0x50, 0x56, 0xaa, 0, 1}
	bc := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	for i, r := range recs {
		if !bytes.Equal(r.data[0:6], m1) && !bytes.Equal(r.data[6:12], m1) && !bytes.Equal(r.data[0:6], bc) {
			t.Fatalf("frame %d is not testvm1's: % x", i, r.data[:14])
		}
	}
}

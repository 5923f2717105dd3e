package esx

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"labsim/esx/esxtest"
	"labsim/world"
)

// Each host is a PID namespace: its PIDs are ESXi-like seven-digit numbers, and one
// host's processes are invisible to another's ps and kill.
func TestHostsArePIDNamespaces(t *testing.T) {
	l := newLab(t, 0)
	r := l.run(t, "esx03", "sleep 300 > /dev/null 2>&1 & echo $!")
	pid := strings.TrimSpace(r.stdout)
	if n, err := strconv.Atoi(pid); err != nil || n < firstPID {
		t.Fatalf("background PID %q: want a number >= %d", pid, firstPID)
	}
	if !l.running(t, "esx03", pid) || findWorld(l.run(t, "esx01", "ps").stdout, "sleep") != 0 {
		t.Fatalf("sleep %s should run on esx03 only", pid)
	}
	if r := l.run(t, "esx01", "kill "+pid); r.status != 1 || r.stderr != "sh: can't kill pid "+pid+": No such process\n" {
		t.Fatalf("esx01 killed esx03's process: %+v", r)
	}
	if r := l.run(t, "esx03", "kill "+pid); r.status != 0 {
		t.Fatalf("kill on its own host: %+v", r)
	}
	eventually(t, "sleep killed", func() bool { return !l.running(t, "esx03", pid) })
}

// An SSH "signal" request goes to the command's process group (sshd's killpg): the
// shell and its background job both get it. Hosts in no_ssh_signal refuse it, like an
// sshd older than OpenSSH 7.9; so do signal names sshd does not know.
func TestSSHSignalRequestKillsTheProcessGroup(t *testing.T) {
	l := newLab(t, 0)
	s := l.start(t, "esx01", "sleep 300 & echo $!; wait")
	line, err := bufio.NewReader(s.stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	bg := strings.TrimSpace(line)
	if err := s.sess.Signal(ssh.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = s.wait(t)
	if ee, ok := err.(*ssh.ExitError); !ok || ee.Signal() != "TERM" {
		t.Fatalf("the shell should die of TERM: %v", err)
	}
	eventually(t, "the background job got TERM too", func() bool { return !l.running(t, "esx01", bg) })

	for _, c := range []struct {
		setting []string
		sig     ssh.Signal
	}{{[]string{"esx01"}, ssh.SIGTERM}, {nil, ssh.SIGPIPE}} {
		st := l.w.GetSettings()
		st.NoSSHSignal = c.setting
		l.w.SetSettings(st)
		s := l.start(t, "esx01", "echo $$; exec sleep 300")
		line, _ := bufio.NewReader(s.stdout).ReadString('\n')
		pid := strings.TrimSpace(line)
		s.sess.Signal(c.sig) // sent without want-reply, as x/crypto does
		// Requests are served in order: once this one is answered, the signal was too.
		if err := s.sess.Setenv("LANG", "C"); err != nil {
			t.Fatal(err)
		}
		if !l.running(t, "esx01", pid) {
			t.Fatalf("signal %s with no_ssh_signal=%v reached the process", c.sig, c.setting)
		}
		l.run(t, "esx01", "kill -9 "+pid)
		s.wait(t)
	}
}

// exit-signal carries OpenSSH's names; signals it does not name are "SIG@openssh.com".
func TestExitSignalNames(t *testing.T) {
	l := newLab(t, 0)
	for sig, want := range map[string]string{"ALRM": "ALRM", "USR1": "USR1", "PROF": "SIG@openssh.com", "KILL": "KILL"} {
		r := l.run(t, "esx01", "kill -"+sig+" $$")
		if r.signal != want {
			t.Errorf("kill -%s $$: exit signal %q, want %q (%+v)", sig, r.signal, want, r)
		}
	}
	if r := l.run(t, "esx01", "exit 7"); r.status != 7 || r.signal != "" {
		t.Errorf("exit 7: %+v", r)
	}
}

// When the client closes the channel, sshd closes the pipes and sends no signal: a
// process writing to stdout dies of SIGPIPE at its next write, one that writes nothing
// runs on.
func TestClosedChannelGivesSIGPIPENotSIGHUP(t *testing.T) {
	l := newLab(t, 0)
	w := l.start(t, "esx01", "echo $$; while :; do echo tick; usleep 20000; done")
	br := bufio.NewReader(w.stdout)
	line, _ := br.ReadString('\n')
	writer := strings.TrimSpace(line)
	q := l.start(t, "esx01", "echo $$; exec sleep 300")
	line, _ = bufio.NewReader(q.stdout).ReadString('\n')
	quiet := strings.TrimSpace(line)
	w.sess.Close()
	q.sess.Close()
	eventually(t, "the writer dies of SIGPIPE", func() bool { return !l.running(t, "esx01", writer) })
	if !l.running(t, "esx01", quiet) {
		t.Fatal("a process that writes nothing died with its channel (no SIGHUP without a pty)")
	}
	l.run(t, "esx01", "kill "+quiet)
}

// A background job that keeps the channel's stdout keeps the channel open, as with
// sshd: the client gets its output after the shell's exit status.
func TestBackgroundJobHoldingStdoutKeepsTheChannel(t *testing.T) {
	l := newLab(t, 0)
	r := l.run(t, "esx01", "(usleep 300000; echo late) & echo early")
	if r.stdout != "early\nlate\n" || r.status != 0 {
		t.Fatalf("got %+v", r)
	}
	c := l.client(t, "esx01")
	s, _ := c.NewSession()
	s.Stdin = strings.NewReader("to stdin\n")
	out, err := s.Output("cat; echo done")
	if err != nil || string(out) != "to stdin\ndone\n" {
		t.Fatalf("stdin: %q %v", out, err)
	}
}

// The system worlds are processes: hostd comes back (watchdog) under a new PID, and
// killing a VM's vmx powers the VM off.
func TestSystemWorldsAreProcesses(t *testing.T) {
	l := newLab(t, 0)
	hostd := findWorld(l.run(t, "esx01", "ps").stdout, "hostd")
	if r := l.run(t, "esx01", fmt.Sprintf("kill -9 %d", hostd)); r.status != 0 {
		t.Fatalf("kill hostd: %+v", r)
	}
	eventually(t, "hostd restarted", func() bool {
		n := findWorld(l.run(t, "esx01", "ps").stdout, "hostd")
		return n != 0 && n != hostd
	})
	vmx := l.hosts["esx01"].vmxPID(l.w.FindVM("testvm1").WorldID)
	if r := l.run(t, "esx01", fmt.Sprintf("kill -9 %d", vmx)); r.status != 0 {
		t.Fatalf("kill vmx: %+v\n%s", r, l.run(t, "esx01", "ps -c").stdout)
	}
	eventually(t, "testvm1 powered off", func() bool { return !l.w.FindVM("testvm1").PoweredOn })
	if r := l.run(t, "esx01", "esxcli network vm list"); strings.Contains(r.stdout, "testvm1") {
		t.Fatalf("vm list:\n%s", r.stdout)
	}
	// Power-on gives a new vmx whose PID is the new World ID; power-off takes it away.
	if err := l.w.PowerOn("testvm1", "api"); err != nil {
		t.Fatal(err)
	}
	wid2 := l.w.FindVM("testvm1").WorldID
	var vmx2 int
	eventually(t, "a vmx for the new world", func() bool {
		vmx2 = l.hosts["esx01"].vmxPID(wid2)
		return vmx2 != 0 && l.running(t, "esx01", strconv.Itoa(vmx2))
	})
	if ps := l.run(t, "esx01", "ps -c").stdout; !strings.Contains(ps, fmt.Sprintf("   vmx                  /bin/vmx -s vmx.stdio.keep=TRUE -18 -P %d /vmfs/volumes/datastore1/testvm1/testvm1.vmx\n", wid2)) {
		t.Fatalf("no vmx for world %d:\n%s", wid2, ps)
	}
	l.w.PowerOff("testvm1", "api")
	eventually(t, "vmx gone at power-off", func() bool { return !l.running(t, "esx01", strconv.Itoa(vmx2)) })
	if v := l.w.FindVM("testvm2"); !v.PoweredOn {
		t.Fatal("testvm2 went down too")
	}
}

// Close kills every process of the host with its init.
func TestCloseEndsTheHostsProcesses(t *testing.T) {
	l := newLab(t, 0)
	l.run(t, "esx01", "sleep 300 > /dev/null 2>&1 &")
	h := l.hosts["esx01"]
	initPID := h.ns.pid
	if err := syscall.Kill(initPID, 0); err != nil {
		t.Fatalf("init %d: %v", initPID, err)
	}
	h.Close()
	eventually(t, "init gone", func() bool { return syscall.Kill(initPID, 0) == syscall.ESRCH })
	if _, err := os.Stat(h.ns.path("/tmp")); err == nil {
		t.Fatal("the host's file system outlived it")
	}
}

// A capture streaming to stdout dies at its next write after DropConnections (SIGPIPE).
func TestDropConnectionsEndsStdoutCaptureAtNextWrite(t *testing.T) {
	l := newLab(t, 0)
	p := portOf(t, l.w, "testvm1", mac1)
	_, pid := startCapture(t, l, "esx01", fmt.Sprintf("--switchport %d -o -", p))
	l.hosts["esx01"].DropConnections()
	eventually(t, "pktcap-uw dies writing to its closed stdout", func() bool {
		l.w.Emit(&world.Frame{Host: "esx01", Port: p, Dir: 0, Data: make([]byte, 60)})
		return !l.running(t, "esx01", pid)
	})
}

// Without CAP_SYS_ADMIN the hosts cannot start, and say why.
func TestStartNeedsRoot(t *testing.T) {
	if os.Getenv("VMC_TEST_NO_SYS_ADMIN") == "1" {
		w, _ := world.NewWorld("")
		w.AddHost(&world.HostState{Name: "esx01"})
		_, err := Start(w, "esx01", Config{StateDir: t.TempDir(), Commands: os.Getenv("VMC_TEST_ESXCMD")})
		if err == nil || !strings.Contains(err.Error(), "need root (CAP_SYS_ADMIN)") {
			t.Fatalf("Start without CAP_SYS_ADMIN: %v", err)
		}
		return
	}
	cmd := exec.Command("setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin",
		os.Args[0], "-test.run", "^TestStartNeedsRoot$", "-test.count=1")
	cmd.Env = append(os.Environ(), "VMC_TEST_NO_SYS_ADMIN=1", "VMC_TEST_ESXCMD="+esxtest.Commands(t))
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("%v\n%s", err, out)
	}
}

// sshd sends the exit status when the shell is reaped, not when its output ends: a
// background job still writing to the channel keeps it open, and the status comes first.
func TestExitStatusComesWhileABackgroundJobWrites(t *testing.T) {
	l := newLab(t, 0)
	c := l.client(t, "esx01")
	ch, reqs, err := c.OpenChannel("session", nil)
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, ch)
	ok, err := ch.SendRequest("exec", true, ssh.Marshal(struct{ Command string }{"while :; do echo x; usleep 10000; done & exit 3"}))
	if err != nil || !ok {
		t.Fatalf("exec: %v %v", ok, err)
	}
	select {
	case r := <-reqs:
		var st struct{ Status uint32 }
		if r == nil || r.Type != "exit-status" || ssh.Unmarshal(r.Payload, &st) != nil || st.Status != 3 {
			t.Fatalf("first request %+v", r)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit-status while the background job writes")
	}
	ch.Close() // the job then dies of SIGPIPE
	eventually(t, "the background writer dies with the channel", func() bool {
		return !strings.Contains(l.run(t, "esx01", "ps -c").stdout, "sh -c while")
	})
}

// Package nsinit runs inside the namespaces of the simulated ESXi hosts (it is part of
// the multicall binary labsim/cmd/esxcmd):
//
//   - Supervisor: one per lab world, started by the lab in a mount namespace of its
//     own (nothing it mounts is seen outside, and everything goes when it dies). It
//     holds one tmpfs per datastore and starts each host's init in new PID, mount and
//     UTS namespaces, so that every host's mount namespace is a copy of the
//     supervisor's and can bind the same datastore mounts.
//   - HostInit: PID 1 of one host. It builds the host's root file system (a tmpfs with
//     BusyBox, the ESXi commands, /proc of its PID namespace, a /tmp ramdisk and the
//     datastores), pivots into it, and then starts processes for the lab: the shells
//     of SSH sessions and the host's system worlds. It reaps orphans, as an init does.
//
// Both die with their parent (PR_SET_PDEATHSIG), and when a PID namespace's init dies
// the kernel kills every process in it.
package nsinit

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"

	"labsim/esx/hostproto"
)

// Supervisor serves the lab over fd 3 until the lab goes away.
func Supervisor() int {
	staging := os.Getenv(hostproto.EnvStaging)
	if staging == "" {
		fmt.Fprintln(os.Stderr, "vmc-lab-supervisor: started without", hostproto.EnvStaging)
		return 2
	}
	f := os.NewFile(3, "ctl")
	ctl, err := hostproto.NewCtlConn(f)
	f.Close() // the connection has its own (close-on-exec) descriptor; children must not inherit one
	if err != nil {
		fmt.Fprintln(os.Stderr, "vmc-lab-supervisor:", err)
		return 2
	}
	startForkThread()
	s := &supervisor{ctl: ctl, staging: staging, exe: selfExe()}
	if err := s.setup(); err != nil {
		ctl.Send(hostproto.Ctl{Op: "fatal", Error: err.Error()})
		return 1
	}
	ctl.Send(hostproto.Ctl{Op: "ready", PID: os.Getpid()})
	go reapForever()
	for {
		m, files, err := ctl.Recv()
		if err != nil {
			return 0 // the lab closed its end: we are done (our children die with us)
		}
		reply := s.handle(m, files)
		reply.ID = m.ID
		ctl.Send(reply)
	}
}

type supervisor struct {
	ctl     *hostproto.CtlConn
	staging string
	exe     string
	mu      sync.Mutex
	hosts   int
}

func selfExe() string {
	p, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return os.Args[0]
	}
	return p
}

func (s *supervisor) setup() error {
	// Our mounts stay ours: nothing propagates to the machine's mount namespace.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making / private in the supervisor's mount namespace: %v", err)
	}
	if err := os.MkdirAll(s.staging, 0o755); err != nil {
		return err
	}
	if err := syscall.Mount("vmc-lab", s.staging, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size=1m,mode=0755"); err != nil {
		return fmt.Errorf("tmpfs on %s: %v", s.staging, err)
	}
	for _, d := range []string{"ds", "hosts"} {
		if err := os.Mkdir(filepath.Join(s.staging, d), 0o755); err != nil {
			return err
		}
	}
	return nil
}

func (s *supervisor) handle(m hostproto.Ctl, files []*os.File) hostproto.Ctl {
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	switch m.Op {
	case "datastore":
		dir, err := s.datastore(m.Name, m.Size)
		if err != nil {
			return hostproto.Ctl{Op: "error", Error: err.Error()}
		}
		return hostproto.Ctl{Op: "ok", Mounts: dir}
	case "host":
		if m.Host == nil || len(files) != 1 {
			return hostproto.Ctl{Op: "error", Error: "host: want a config and one control descriptor"}
		}
		pid, err := s.startHost(m.Host, files[0])
		if err != nil {
			return hostproto.Ctl{Op: "error", Error: err.Error()}
		}
		return hostproto.Ctl{Op: "ok", PID: pid}
	case "host-root":
		s.mu.Lock()
		s.hosts++
		n := s.hosts
		s.mu.Unlock()
		dir := filepath.Join(s.staging, "hosts", m.Name+"."+strconv.Itoa(n))
		if err := os.Mkdir(dir, 0o755); err != nil {
			return hostproto.Ctl{Op: "error", Error: err.Error()}
		}
		return hostproto.Ctl{Op: "ok", Mounts: dir}
	}
	return hostproto.Ctl{Op: "error", Error: "unknown op " + m.Op}
}

// datastore mounts (or resizes) the tmpfs that holds datastore name's files. The hosts
// bind its "volume" directory; beside it a one-page reserve file keeps the tmpfs from
// ever being sized 0 (which tmpfs reads as "no limit"), so a full datastore is a tmpfs
// whose size is what it holds.
func (s *supervisor) datastore(name string, size int64) (string, error) {
	if name == "" || filepath.Base(name) != name {
		return "", fmt.Errorf("bad datastore name %q", name)
	}
	dir := filepath.Join(s.staging, "ds", name)
	volume := filepath.Join(dir, "volume")
	if _, err := os.Stat(volume); err == nil {
		if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_NOSUID|syscall.MS_NODEV, fmt.Sprintf("size=%d", size)); err != nil {
			return "", fmt.Errorf("resizing datastore %s to %d bytes: %v", name, size, err)
		}
		return volume, nil
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	if err := syscall.Mount(name, dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		return "", fmt.Errorf("tmpfs for datastore %s: %v", name, err)
	}
	if err := os.Mkdir(volume, 0o755); err != nil {
		return "", err
	}
	f, err := os.OpenFile(filepath.Join(dir, "reserve"), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, hostproto.DatastoreReserve); err != nil {
		return "", fmt.Errorf("datastore %s reserve: %v", name, err)
	}
	return volume, nil
}

func (s *supervisor) startHost(cfg *hostproto.HostConfig, ctl *os.File) (int, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return 0, err
	}
	null, err := os.OpenFile("/dev/null", os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	// Forked from a thread that never exits, so PR_SET_PDEATHSIG fires only when the
	// supervisor itself dies.
	type res struct {
		pid int
		err error
	}
	ch := make(chan res, 1)
	forkThread <- func() {
		pid, err := syscall.ForkExec(s.exe, []string{"/bin/init"}, &syscall.ProcAttr{
			Env:   []string{hostproto.EnvRole + "=" + hostproto.RoleHostInit, hostproto.EnvHostConfig + "=" + string(b)},
			Files: []uintptr{null.Fd(), null.Fd(), os.Stderr.Fd(), ctl.Fd()},
			Sys: &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL,
				Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS},
		})
		ch <- res{pid, err}
	}
	r := <-ch
	if r.err != nil {
		return 0, fmt.Errorf("starting host %s: %v", cfg.Name, r.err)
	}
	return r.pid, nil
}

var forkThread = make(chan func())

// startForkThread runs the functions sent to forkThread on one OS thread that lives
// as long as the process (runtime.LockOSThread, and the goroutine never returns).
func startForkThread() {
	go func() {
		runtime.LockOSThread()
		for f := range forkThread {
			f()
		}
	}()
}

// reapForever collects the supervisor's dead children (hosts' inits).
func reapForever() {
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, syscall.SIGCHLD)
	for range ch {
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}

package nsinit

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"labsim/esx/hostproto"
)

// HostInit is PID 1 of a simulated host. It talks to the lab over fd 3.
func HostInit() int {
	f := os.NewFile(3, "ctl")
	ctl, err := hostproto.NewCtlConn(f)
	f.Close() // the connection has its own (close-on-exec) descriptor; children must not inherit one
	if err != nil {
		fmt.Fprintln(os.Stderr, "init:", err)
		return 2
	}
	var cfg hostproto.HostConfig
	if err := json.Unmarshal([]byte(os.Getenv(hostproto.EnvHostConfig)), &cfg); err != nil {
		ctl.Send(hostproto.Ctl{Op: "fatal", Error: "host config: " + err.Error()})
		return 2
	}
	os.Unsetenv(hostproto.EnvHostConfig)
	os.Unsetenv(hostproto.EnvRole)
	setName("init")
	// An init ignores the signals it does not handle; handling them (rather than
	// SIG_IGN) lets the processes it starts get the default dispositions at exec.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP,
		syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM)

	h := &hostInit{ctl: ctl, cfg: cfg, procs: map[int]bool{}}
	if err := h.setup(); err != nil {
		ctl.Send(hostproto.Ctl{Op: "fatal", Error: fmt.Sprintf("host %s: %v", cfg.Name, err)})
		return 1
	}
	ln, err := listenUnix(hostproto.SocketPath)
	if err != nil {
		ctl.Send(hostproto.Ctl{Op: "fatal", Error: fmt.Sprintf("host %s: command socket: %v", cfg.Name, err)})
		return 1
	}
	var vsan []string
	for _, d := range cfg.Datastores {
		if d.VSAN {
			vsan = append(vsan, "/vmfs/volumes/"+d.Name)
		}
	}
	if len(vsan) > 0 {
		if err := startMkdirFilter(vsan); err != nil {
			ctl.Send(hostproto.Ctl{Op: "fatal", Error: fmt.Sprintf("host %s: vSAN mkdir filter: %v", cfg.Name, err)})
			return 1
		}
	}
	go h.reap()
	ctl.Send(hostproto.Ctl{Op: "ready", PID: os.Getpid()}, ln)
	ln.Close()
	for {
		m, files, err := ctl.Recv()
		if err != nil {
			return 0 // the lab is gone: the kernel ends the namespace with us
		}
		h.handle(m, files)
	}
}

type hostInit struct {
	ctl *hostproto.CtlConn
	cfg hostproto.HostConfig

	// mu is held from before a fork until the child is registered, so the reaper
	// (which needs mu to look a PID up) never misses a child the lab asked about.
	mu      sync.Mutex
	procs   map[int]bool // PIDs whose exit the lab wants to hear about
	spawnMu sync.Mutex   // serialises ns_last_pid changes
}

func (h *hostInit) setup() error {
	c := h.cfg
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making / private: %v", err)
	}
	root := c.Root
	if err := syscall.Mount("rootfs", root, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", c.RootSize)); err != nil {
		return fmt.Errorf("root tmpfs on %s: %v", root, err)
	}
	at := func(p string) string { return filepath.Join(root, p) }
	for _, d := range append([]string{"/dev", "/proc", "/tmp", "/vmfs/volumes", "/.oldroot",
		filepath.Dir(hostproto.SocketPath)}, c.Dirs...) {
		if err := os.MkdirAll(at(d), 0o755); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		name         string
		major, minor uint32
	}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}} {
		p := at("/dev/" + d.name)
		if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, int(d.major<<8|d.minor)); err != nil {
			return fmt.Errorf("mknod %s: %v", p, err)
		}
		os.Chmod(p, 0o666)
	}
	for _, f := range c.Files {
		if err := os.MkdirAll(filepath.Dir(at(f.Path)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(at(f.Path), []byte(f.Content), os.FileMode(f.Mode)); err != nil {
			return err
		}
	}
	for _, b := range c.Binds {
		t := at(b.Target)
		if err := os.MkdirAll(filepath.Dir(t), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(t, nil, 0o755); err != nil {
			return err
		}
		if err := syscall.Mount(b.Source, t, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("binding %s to %s: %v", b.Source, b.Target, err)
		}
		if err := syscall.Mount("", t, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("read-only %s: %v", b.Target, err)
		}
	}
	for _, l := range c.Symlinks {
		if err := os.MkdirAll(filepath.Dir(at(l.Path)), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(l.Target, at(l.Path)); err != nil {
			return err
		}
	}
	if err := syscall.Mount("proc", at("/proc"), "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("/proc: %v", err)
	}
	if err := syscall.Mount("tmp", at("/tmp"), "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV,
		fmt.Sprintf("size=%d,mode=1777", c.TmpSize)); err != nil {
		return fmt.Errorf("/tmp ramdisk: %v", err)
	}
	for _, d := range c.Datastores {
		t := at("/vmfs/volumes/" + d.Name)
		if err := os.MkdirAll(t, 0o755); err != nil {
			return err
		}
		if err := syscall.Mount(d.Source, t, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("datastore %s: %v", d.Name, err)
		}
	}
	if err := syscall.Sethostname([]byte(c.Name)); err != nil {
		return fmt.Errorf("hostname: %v", err)
	}
	if c.FirstPID > 1 {
		if err := os.WriteFile(at("/proc/sys/kernel/ns_last_pid"), []byte(strconv.Itoa(c.FirstPID-1)), 0); err != nil {
			return fmt.Errorf("ns_last_pid: %v", err)
		}
	}
	if err := syscall.PivotRoot(root, at("/.oldroot")); err != nil {
		return fmt.Errorf("pivot_root to %s: %v", root, err)
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}
	if err := syscall.Unmount("/.oldroot", syscall.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the old root: %v", err)
	}
	return os.Remove("/.oldroot")
}

// listenUnix makes a listening unix socket at path and returns it as a file (the lab
// accepts on it; the path stays when we close our copy).
func listenUnix(path string) (*os.File, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := syscall.Listen(fd, 128); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	os.Chmod(path, 0o666)
	return os.NewFile(uintptr(fd), path), nil
}

func (h *hostInit) handle(m hostproto.Ctl, files []*os.File) {
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	switch m.Op {
	case "spawn":
		h.spawn(m, files)
	case "kill":
		pid := m.PID
		if m.Group {
			pid = -pid
		}
		r := hostproto.Ctl{Op: "ok", ID: m.ID}
		if m.PID <= 1 {
			r = hostproto.Ctl{Op: "error", ID: m.ID, Error: "refusing to signal PID " + strconv.Itoa(m.PID)}
		} else if err := syscall.Kill(pid, syscall.Signal(m.Sig)); err != nil {
			r = hostproto.Ctl{Op: "error", ID: m.ID, Error: err.Error()}
		}
		h.ctl.Send(r)
	default:
		h.ctl.Send(hostproto.Ctl{Op: "error", ID: m.ID, Error: "unknown op " + m.Op})
	}
}

func (h *hostInit) spawn(m hostproto.Ctl, files []*os.File) {
	fail := func(err error) { h.ctl.Send(hostproto.Ctl{Op: "error", ID: m.ID, Error: err.Error()}) }
	var stdio []uintptr
	if m.Stdio {
		if len(files) != 3 {
			fail(fmt.Errorf("spawn: want 3 descriptors, got %d", len(files)))
			return
		}
		for _, f := range files {
			stdio = append(stdio, f.Fd())
		}
	} else {
		null, err := os.OpenFile("/dev/null", os.O_RDWR, 0)
		if err != nil {
			fail(err)
			return
		}
		defer null.Close()
		stdio = []uintptr{null.Fd(), null.Fd(), null.Fd()}
	}
	dir := m.Dir
	if dir == "" {
		dir = "/"
	}
	h.spawnMu.Lock()
	restore := ""
	if m.WantPID > 1 {
		if b, err := os.ReadFile("/proc/sys/kernel/ns_last_pid"); err == nil {
			restore = strings.TrimSpace(string(b))
			os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(strconv.Itoa(m.WantPID-1)), 0)
		}
	}
	// The lock is held until the reply is sent, so that the reaper's "exit" for this
	// PID always follows the lab's "spawned".
	h.mu.Lock()
	pid, err := syscall.ForkExec(m.Path, m.Argv, &syscall.ProcAttr{Dir: dir, Env: m.Env, Files: stdio,
		Sys: &syscall.SysProcAttr{Setsid: true}})
	if restore != "" {
		os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(restore), 0)
	}
	h.spawnMu.Unlock()
	if err != nil {
		h.mu.Unlock()
		fail(fmt.Errorf("%s: %v", m.Path, err))
		return
	}
	h.ctl.Send(hostproto.Ctl{Op: "spawned", ID: m.ID, PID: pid})
	if m.Report {
		h.procs[pid] = true
	}
	h.mu.Unlock()
}

// reap collects every child and orphan of the namespace and reports the ones the lab
// asked about.
func (h *hostInit) reap() {
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, syscall.SIGCHLD)
	for range ch {
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
			h.mu.Lock()
			if h.procs[pid] {
				delete(h.procs, pid)
				h.ctl.Send(hostproto.Ctl{Op: "exit", PID: pid, Status: int(ws)})
			}
			h.mu.Unlock()
		}
	}
}

// setName sets the process's comm (what ps prints as the world name).
func setName(name string) {
	b := append([]byte(name), 0)
	syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_NAME, uintptr(unsafe.Pointer(&b[0])), 0)
}

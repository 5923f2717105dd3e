package esx

// The lab's handle on one host's init (labsim/esx/nsinit.HostInit), PID 1 of the
// host's PID namespace: it starts processes in the host (spawn), signals them (kill)
// and reports the exit of those the lab asked about.

import (
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"labsim/esx/hostproto"
)

type hostNS struct {
	ctl  *hostproto.CtlConn
	pid  int // init's PID as the lab sees it
	ln   *net.UnixListener
	root string // /proc/<pid>/root: the host's file system seen from the lab

	mu      sync.Mutex
	nextID  int64
	pending map[int64]*nsCall
	exits   map[int]func(syscall.WaitStatus) // PID in the host -> what to do when it ends
	dead    chan struct{}
}

type nsCall struct {
	reply  chan hostproto.Ctl
	onExit func(syscall.WaitStatus)
}

// startHostNS starts a host's init through the world's supervisor and waits until it
// serves.
func startHostNS(wns *worldNS, cfg hostproto.HostConfig) (*hostNS, error) {
	r, err := wns.call(hostproto.Ctl{Op: "host-root", Name: cfg.Name})
	if err != nil {
		return nil, err
	}
	cfg.Root = r.Mounts
	ctl, child, err := hostproto.SeqpacketPair()
	if err != nil {
		return nil, err
	}
	r, err = wns.call(hostproto.Ctl{Op: "host", Host: &cfg}, child)
	child.Close()
	if err != nil {
		ctl.Close()
		return nil, err
	}
	n := &hostNS{ctl: ctl, pid: r.PID, root: fmt.Sprintf("/proc/%d/root", r.PID),
		pending: map[int64]*nsCall{}, exits: map[int]func(syscall.WaitStatus){}, dead: make(chan struct{})}
	type first struct {
		m     hostproto.Ctl
		files []*os.File
		err   error
	}
	ch := make(chan first, 1)
	go func() {
		m, files, err := ctl.Recv()
		ch <- first{m, files, err}
	}()
	var f first
	select {
	case f = <-ch:
	case <-time.After(10 * time.Second):
		f.err = fmt.Errorf("no answer in 10s")
	}
	if f.err == nil && (f.m.Op != "ready" || len(f.files) != 1) {
		f.err = fmt.Errorf("%s", f.m.Error)
	}
	if f.err == nil {
		var l net.Listener
		if l, f.err = net.FileListener(f.files[0]); f.err == nil {
			n.ln = l.(*net.UnixListener)
			n.ln.SetUnlinkOnClose(false)
		}
	}
	for _, file := range f.files {
		file.Close()
	}
	if f.err != nil {
		syscall.Kill(n.pid, syscall.SIGKILL)
		ctl.Close()
		return nil, fmt.Errorf("host %s did not start: %v", cfg.Name, f.err)
	}
	go n.readLoop()
	return n, nil
}

func (n *hostNS) readLoop() {
	defer func() {
		n.mu.Lock()
		close(n.dead)
		exits := n.exits
		n.exits = map[int]func(syscall.WaitStatus){}
		n.mu.Unlock()
		// The host is gone and every process with it.
		for _, fn := range exits {
			go fn(syscall.WaitStatus(syscall.SIGKILL))
		}
	}()
	for {
		m, files, err := n.ctl.Recv()
		for _, f := range files {
			f.Close()
		}
		if err != nil {
			return
		}
		switch m.Op {
		case "exit":
			n.mu.Lock()
			fn := n.exits[m.PID]
			delete(n.exits, m.PID)
			n.mu.Unlock()
			if fn != nil {
				go fn(syscall.WaitStatus(m.Status)) // it may call the host again
			}
		default:
			n.mu.Lock()
			c := n.pending[m.ID]
			delete(n.pending, m.ID)
			if c != nil && m.Op == "spawned" && c.onExit != nil {
				n.exits[m.PID] = c.onExit // before any "exit" for this PID is read
			}
			n.mu.Unlock()
			if c != nil {
				c.reply <- m
			}
		}
	}
}

func (n *hostNS) call(m hostproto.Ctl, onExit func(syscall.WaitStatus), files ...*os.File) (hostproto.Ctl, error) {
	c := &nsCall{reply: make(chan hostproto.Ctl, 1), onExit: onExit}
	n.mu.Lock()
	select {
	case <-n.dead:
		n.mu.Unlock()
		return hostproto.Ctl{}, fmt.Errorf("the host's init is gone")
	default:
	}
	n.nextID++
	m.ID = n.nextID
	n.pending[m.ID] = c
	n.mu.Unlock()
	if err := n.ctl.Send(m, files...); err != nil {
		return hostproto.Ctl{}, err
	}
	select {
	case r := <-c.reply:
		if r.Op == "error" {
			return r, fmt.Errorf("%s", r.Error)
		}
		return r, nil
	case <-n.dead:
		return hostproto.Ctl{}, fmt.Errorf("the host's init is gone")
	}
}

// spawn starts a process in the host: in its own session (setsid, as sshd does), with
// stdio (stdin, stdout, stderr) or /dev/null. onExit, if set, gets its wait status
// (SIGKILL when the whole host goes). It returns the process's PID in the host.
func (n *hostNS) spawn(path string, argv, env []string, dir string, wantPID int, stdio []*os.File,
	onExit func(syscall.WaitStatus)) (int, error) {
	m := hostproto.Ctl{Op: "spawn", Path: path, Argv: argv, Env: env, Dir: dir, WantPID: wantPID,
		Stdio: len(stdio) == 3, Report: onExit != nil}
	r, err := n.call(m, onExit, stdio...)
	if err != nil {
		return 0, err
	}
	return r.PID, nil
}

// kill signals a process (group: its process group) of the host.
func (n *hostNS) kill(pid int, sig syscall.Signal, group bool) error {
	_, err := n.call(hostproto.Ctl{Op: "kill", PID: pid, Sig: int(sig), Group: group}, nil)
	return err
}

// path is where a path of the host is seen from the lab.
func (n *hostNS) path(p string) string { return n.root + p }

// close kills the host's init: the kernel kills every process of its PID namespace.
func (n *hostNS) close() {
	syscall.Kill(n.pid, syscall.SIGKILL)
	if n.ln != nil {
		n.ln.Close()
	}
	select {
	case <-n.dead:
	case <-time.After(5 * time.Second):
	}
	n.ctl.Close()
}

package esx

// One supervisor process per world (labsim/esx/nsinit): a mount namespace of its own
// that holds one tmpfs per datastore, and the parent of every host's init, so that the
// hosts' mount namespaces (copies of the supervisor's) bind the same datastore mounts.
// It is shared by the world's hosts and stopped when the last one closes.
//
// Datastore space: a datastore's tmpfs is as large as the datastore's free space
// (capacity minus the inventory's used_gb and fills), at most DatastoreRAMLimit, so a
// writer on /vmfs/volumes/<ds> meets ENOSPC from the kernel when the datastore is full,
// and the world's meter (vCenter's summary.freeSpace) counts the tmpfs's used blocks.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"labsim/esx/hostproto"
	"labsim/world"
)

// DatastoreRAMLimit bounds the bytes the hosts can really write to one datastore (its
// files live in memory): beyond it writes fail with ENOSPC although vCenter may still
// report free space. Fill the datastore (Host.Fill) to test a full one.
const DatastoreRAMLimit = 4 << 30

const fillName = "lab-fill.bin"

type worldNS struct {
	w       *world.World
	staging string // the supervisor's mount directory (an empty directory outside it)
	proc    *os.Process
	ctl     *hostproto.CtlConn
	refs    int // under worldsMu

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan hostproto.Ctl
	dead    chan struct{}
	ds      map[string]*dsMount
}

type dsMount struct {
	name  string
	dir   string // in the supervisor's mount namespace
	vsan  bool
	fill  int64 // bytes of lab-fill.bin counted in the world's Used
	watch *os.File
}

var (
	worldsMu sync.Mutex
	worlds   = map[*world.World]*worldNS{}
)

// acquireWorldNS returns the world's supervisor, starting it if needed.
func acquireWorldNS(w *world.World, stateDir, commands string) (*worldNS, error) {
	worldsMu.Lock()
	defer worldsMu.Unlock()
	if ns := worlds[w]; ns != nil {
		select {
		case <-ns.dead:
		default:
			ns.refs++
			return ns, nil
		}
	}
	ns, err := startWorldNS(w, stateDir, commands)
	if err != nil {
		return nil, err
	}
	ns.refs = 1
	worlds[w] = ns
	w.SetDatastoreMeter(ns.meter)
	return ns, nil
}

func (ns *worldNS) release() {
	worldsMu.Lock()
	defer worldsMu.Unlock()
	ns.refs--
	if ns.refs > 0 {
		return
	}
	if worlds[ns.w] == ns {
		delete(worlds, ns.w)
		ns.w.SetDatastoreMeter(nil)
	}
	ns.mu.Lock()
	for _, m := range ns.ds {
		if m.watch != nil {
			m.watch.Close()
		}
		if m.fill > 0 {
			ns.w.DatastoreUse(m.name, -m.fill)
			m.fill = 0
		}
	}
	ns.mu.Unlock()
	ns.proc.Kill()
	ns.ctl.Close()
	<-ns.dead
	ns.proc.Wait()
	os.Remove(ns.staging)
}

// lockedStart runs start on an OS thread that never exits: PR_SET_PDEATHSIG follows
// the thread that forked, and the lab must not lose its hosts when Go retires a thread.
var lockedStart = func() chan func() {
	ch := make(chan func())
	go func() {
		runtime.LockOSThread()
		for f := range ch {
			f()
		}
	}()
	return ch
}()

func startWorldNS(w *world.World, stateDir, commands string) (*worldNS, error) {
	if _, err := os.Stat(commands); err != nil {
		return nil, fmt.Errorf("esx: the host commands binary %s: %v (tests/lab/run builds it beside the lab)", commands, err)
	}
	staging, err := os.MkdirTemp(stateDir, "esx-ns-")
	if err != nil {
		return nil, err
	}
	ctl, child, err := hostproto.SeqpacketPair()
	if err != nil {
		os.Remove(staging)
		return nil, err
	}
	defer child.Close()
	cmd := &exec.Cmd{Path: commands, Args: []string{"vmc-lab-supervisor"},
		Env:        []string{hostproto.EnvRole + "=" + hostproto.RoleSupervisor, hostproto.EnvStaging + "=" + staging},
		ExtraFiles: []*os.File{child}, Stderr: os.Stderr,
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL, Setsid: true}}
	done := make(chan error, 1)
	lockedStart <- func() { done <- cmd.Start() }
	if err := <-done; err != nil {
		ctl.Close()
		os.Remove(staging)
		if os.IsPermission(err) || strings.Contains(err.Error(), "operation not permitted") {
			return nil, fmt.Errorf("esx: the simulated ESXi hosts need root (CAP_SYS_ADMIN) to create mount and PID namespaces: %v", err)
		}
		return nil, fmt.Errorf("esx: starting the hosts' supervisor: %v", err)
	}
	ns := &worldNS{w: w, staging: staging, proc: cmd.Process, ctl: ctl, pending: map[int64]chan hostproto.Ctl{},
		dead: make(chan struct{}), ds: map[string]*dsMount{}}
	first, err := recvTimeout(ctl, 10*time.Second)
	if err == nil && first.Op != "ready" {
		err = fmt.Errorf("%s", first.Error)
	}
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		ctl.Close()
		os.Remove(staging)
		return nil, fmt.Errorf("esx: the hosts' supervisor did not start: %v", err)
	}
	go ns.readLoop()
	return ns, nil
}

// recvTimeout reads the first message of a peer that may die before it speaks.
func recvTimeout(c *hostproto.CtlConn, d time.Duration) (hostproto.Ctl, error) {
	type res struct {
		m   hostproto.Ctl
		err error
	}
	ch := make(chan res, 1)
	go func() {
		m, files, err := c.Recv()
		for _, f := range files {
			f.Close()
		}
		ch <- res{m, err}
	}()
	select {
	case r := <-ch:
		return r.m, r.err
	case <-time.After(d):
		return hostproto.Ctl{}, fmt.Errorf("no answer in %v", d)
	}
}

func (ns *worldNS) readLoop() {
	defer func() {
		ns.mu.Lock()
		close(ns.dead)
		ns.pending = map[int64]chan hostproto.Ctl{}
		ns.mu.Unlock()
	}()
	for {
		m, files, err := ns.ctl.Recv()
		for _, f := range files {
			f.Close()
		}
		if err != nil {
			return
		}
		ns.mu.Lock()
		ch := ns.pending[m.ID]
		delete(ns.pending, m.ID)
		ns.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// call sends a request to the supervisor and waits for its answer.
func (ns *worldNS) call(m hostproto.Ctl, files ...*os.File) (hostproto.Ctl, error) {
	ch := make(chan hostproto.Ctl, 1)
	ns.mu.Lock()
	select {
	case <-ns.dead:
		ns.mu.Unlock()
		return hostproto.Ctl{}, fmt.Errorf("the hosts' supervisor is gone")
	default:
	}
	ns.nextID++
	m.ID = ns.nextID
	ns.pending[m.ID] = ch
	ns.mu.Unlock()
	if err := ns.ctl.Send(m, files...); err != nil {
		return hostproto.Ctl{}, err
	}
	select {
	case r := <-ch:
		if r.Op == "error" {
			return r, fmt.Errorf("%s", r.Error)
		}
		return r, nil
	case <-ns.dead:
		return hostproto.Ctl{}, fmt.Errorf("the hosts' supervisor is gone")
	}
}

// path is where a path of the supervisor's mount namespace is seen from the lab.
func (ns *worldNS) path(p string) string {
	return fmt.Sprintf("/proc/%d/root%s", ns.proc.Pid, p)
}

func statfs(p string) (size, used, free int64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(p, &st); err != nil {
		return 0, 0, 0, err
	}
	bs := int64(st.Bsize)
	return int64(st.Blocks) * bs, int64(st.Blocks-st.Bfree) * bs, int64(st.Bavail) * bs, nil
}

// meter is the world's DatastoreMeter: the bytes the hosts' files use.
func (ns *worldNS) meter(name string) int64 {
	ns.mu.Lock()
	m := ns.ds[name]
	ns.mu.Unlock()
	if m == nil {
		return 0
	}
	_, used, _, err := statfs(ns.path(m.dir))
	if err != nil || used < hostproto.DatastoreReserve {
		return 0
	}
	return used - hostproto.DatastoreReserve
}

func (ns *worldNS) snapshot(name string) (world.DatastoreState, bool) {
	for _, d := range ns.w.DatastoreSnapshot() {
		if d.Name == name {
			return d, true
		}
	}
	return world.DatastoreState{}, false
}

// tmpfsSize is how large datastore d's tmpfs must be for its free space to be the
// datastore's: capacity - (used besides the files), at least what the files use.
func (ns *worldNS) tmpfsSize(d world.DatastoreState, files int64) int64 {
	size := d.Capacity - (d.Used - files)
	if size > DatastoreRAMLimit {
		size = DatastoreRAMLimit
	}
	if size < files {
		size = files
	}
	const page = 4096
	return (size+page-1)/page*page + hostproto.DatastoreReserve
}

// mountDatastore makes sure the supervisor has datastore d's tmpfs.
func (ns *worldNS) mountDatastore(d world.DatastoreState) (*dsMount, error) {
	ns.mu.Lock()
	m := ns.ds[d.Name]
	ns.mu.Unlock()
	if m != nil {
		return m, nil
	}
	r, err := ns.call(hostproto.Ctl{Op: "datastore", Name: d.Name, Size: ns.tmpfsSize(d, 0)})
	if err != nil {
		return nil, fmt.Errorf("datastore %s: %v", d.Name, err)
	}
	m = &dsMount{name: d.Name, dir: r.Mounts, vsan: d.Type == "vsan"}
	ns.mu.Lock()
	if old := ns.ds[d.Name]; old != nil {
		ns.mu.Unlock()
		return old, nil
	}
	ns.ds[d.Name] = m
	ns.mu.Unlock()
	ns.watchFill(m)
	return m, nil
}

// resize makes datastore name's tmpfs follow its free space.
func (ns *worldNS) resize(name string) error {
	ns.mu.Lock()
	m := ns.ds[name]
	ns.mu.Unlock()
	d, ok := ns.snapshot(name)
	if m == nil || !ok {
		return fmt.Errorf("no datastore %q", name)
	}
	_, err := ns.call(hostproto.Ctl{Op: "datastore", Name: name, Size: ns.tmpfsSize(d, ns.meter(name))})
	return err
}

// fill adds n bytes (n <= 0: all that is free) to datastore name as lab-fill.bin, a
// sparse file that the datastore's free space counts; removing it frees them.
func (ns *worldNS) fill(name string, n int64) error {
	ns.mu.Lock()
	m := ns.ds[name]
	ns.mu.Unlock()
	d, ok := ns.snapshot(name)
	if m == nil || !ok {
		return fmt.Errorf("no datastore %q", name)
	}
	if n <= 0 {
		n = d.Capacity - d.Used
	}
	if n <= 0 {
		return nil
	}
	if err := ns.w.DatastoreUse(name, n); err != nil {
		return fmt.Errorf("fill %s with %d bytes: %v", name, n, err)
	}
	p := ns.path(filepath.Join(m.dir, fillName))
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		var fi os.FileInfo
		if fi, err = f.Stat(); err == nil {
			err = f.Truncate(fi.Size() + n)
		}
		f.Close()
	}
	if err != nil {
		ns.w.DatastoreUse(name, -n)
		return err
	}
	ns.mu.Lock()
	m.fill += n
	ns.mu.Unlock()
	return ns.resize(name)
}

// watchFill gives a fill's bytes back when lab-fill.bin is removed or renamed.
func (ns *worldNS) watchFill(m *dsMount) {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return
	}
	if _, err := syscall.InotifyAddWatch(fd, ns.path(m.dir), syscall.IN_DELETE|syscall.IN_MOVED_FROM); err != nil {
		syscall.Close(fd)
		return
	}
	f := os.NewFile(uintptr(fd), "inotify")
	m.watch = f
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			for off := 0; off+syscall.SizeofInotifyEvent <= n; {
				ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := strings.TrimRight(string(buf[off+syscall.SizeofInotifyEvent:off+syscall.SizeofInotifyEvent+int(ev.Len)]), "\x00")
				off += syscall.SizeofInotifyEvent + int(ev.Len)
				if name != fillName {
					continue
				}
				ns.mu.Lock()
				freed := m.fill
				m.fill = 0
				ns.mu.Unlock()
				if freed > 0 {
					ns.w.DatastoreUse(m.name, -freed)
					ns.resize(m.name)
				}
			}
		}
	}()
}

// osfsMkdir makes a top-level directory on a vSAN datastore as osfs-mkdir does: a
// directory named by a new UUID and a symlink NAME -> UUID beside it.
func (ns *worldNS) osfsMkdir(ds, name string) (string, error) {
	ns.mu.Lock()
	m := ns.ds[ds]
	ns.mu.Unlock()
	if m == nil {
		return "", fmt.Errorf("no datastore %s", ds)
	}
	if !m.vsan {
		return "", fmt.Errorf("%s is not an object store datastore (vSAN)", ds)
	}
	link := ns.path(filepath.Join(m.dir, name))
	if _, err := os.Lstat(link); err == nil {
		return "", fmt.Errorf("File exists")
	}
	var b [16]byte
	f, err := os.Open("/dev/urandom")
	if err != nil {
		return "", err
	}
	f.Read(b[:])
	f.Close()
	uuid := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	if err := os.Mkdir(ns.path(filepath.Join(m.dir, uuid)), 0o755); err != nil {
		return "", err
	}
	if err := os.Symlink(uuid, link); err != nil {
		return "", err
	}
	return uuid, nil
}

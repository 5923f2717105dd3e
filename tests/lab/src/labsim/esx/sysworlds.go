package esx

// A host's system worlds are real processes of its PID namespace (the multicall
// binary, which only waits for a signal): hostd, sshd, vpxa (on hosts that vCenter
// manages) and one vmx per running VM. As on ESXi, root can kill them:
//   - hostd, sshd, vpxa are started again at once (ESXi's watchdog restarts hostd;
//     how soon is unverified), under new PIDs;
//   - killing a VM's vmx powers the VM off ("kill -9 <vmx cartel ID>" is VMware's way
//     to stop a VM that does not respond, KB 1014165); vCenter sees the power state
//     change, with no event (which events real vCenter posts then is unverified).
// A vmx's PID is the VM's World ID (esxcli network vm list) when that PID is free (the
// lab sets ns_last_pid before it forks; a thread or process the namespace makes in
// between takes the number, and the vmx gets the next): on a real host they are
// different numbers (esxcli vm process list shows "World ID" and "VMX Cartel ID"); the
// lab makes them one so that a VM's vmx is easy to find.

import (
	"fmt"
	"sort"
	"strconv"
	"syscall"

	"labsim/world"
)

// sysWorldEnv keeps the waiting Go processes small.
var sysWorldEnv = []string{"PATH=/bin:/sbin", "GOMAXPROCS=1", "GOGC=400"}

type vmxProc struct {
	pid      int
	vm       string // name
	folder   string
	stopping bool // the lab killed it
}

func (h *Host) startSystemWorlds() error {
	// The vmx first: a PID is taken by whatever process or thread the namespace makes
	// next, and the Go runtimes of the other worlds make threads as they start.
	if !h.cfg.NoVMXProcesses {
		h.w.OnChange(func(c world.Change) {
			if c.FromHost == h.name || c.ToHost == h.name {
				h.kickVMX()
			}
		})
		h.reconcileVMX()
		go h.vmxLoop()
	}
	worlds := [][]string{{hostdPath, "hostd", "/etc/vmware/hostd/config.xml"}, {sshdPath, sshdPath, "-R"}}
	if h.hs.Cluster != "" || h.hs.Moref != "" {
		worlds = append(worlds, []string{vpxaPath, vpxaPath, "++min=0,swapscope=system", "-D", "/etc/vmware/vpxa"})
	}
	for _, sw := range worlds {
		if err := h.startSystemWorld(sw[0], sw[1:]); err != nil {
			return err
		}
	}
	return nil
}

func (h *Host) startSystemWorld(path string, argv []string) error {
	_, err := h.ns.spawn(path, argv, sysWorldEnv, "/", 0, nil, func(syscall.WaitStatus) {
		select {
		case <-h.done:
		default:
			h.startSystemWorld(path, argv) // the watchdog restarts it
		}
	})
	return err
}

func (h *Host) kickVMX() {
	select {
	case h.vmxKick <- struct{}{}:
	default:
	}
}

func (h *Host) vmxLoop() {
	for {
		select {
		case <-h.done:
			return
		case <-h.vmxKick:
			h.reconcileVMX()
		}
	}
}

// reconcileVMX makes the host's vmx processes those of its running VMs.
func (h *Host) reconcileVMX() {
	want := map[int64]world.VMState{}
	for _, v := range h.w.VMsSnapshot() {
		if v.Host == h.name && v.PoweredOn && v.WorldID != 0 {
			want[v.WorldID] = v
		}
	}
	h.vmxMu.Lock()
	for wid, p := range h.vmx {
		if _, ok := want[wid]; !ok && !p.stopping {
			p.stopping = true
			h.ns.kill(p.pid, syscall.SIGKILL, false)
		}
	}
	var start []int64
	for wid := range want {
		if h.vmx[wid] == nil {
			start = append(start, wid)
		}
	}
	h.vmxMu.Unlock()
	sort.Slice(start, func(i, j int) bool { return start[i] < start[j] })
	ds := "datastore1"
	if d := h.datastores(); len(d) > 0 {
		ds = d[0].Name
	}
	for _, wid := range start {
		wid := wid
		v := want[wid]
		p := &vmxProc{vm: v.Name, folder: v.Folder}
		h.vmxMu.Lock()
		h.vmx[wid] = p
		h.vmxMu.Unlock()
		wantPID := int(wid)
		if wid >= firstPID {
			wantPID = 0
		}
		argv := []string{vmxPath, "-s", "vmx.stdio.keep=TRUE", "-18", "-P", strconv.FormatInt(wid, 10),
			fmt.Sprintf("/vmfs/volumes/%s/%s/%s.vmx", ds, v.Name, v.Name)}
		pid, err := h.ns.spawn(vmxPath, argv, sysWorldEnv, "/", wantPID, nil, func(ws syscall.WaitStatus) {
			h.vmxExited(wid, p)
		})
		h.vmxMu.Lock()
		if err != nil {
			delete(h.vmx, wid)
		} else {
			p.pid = pid
		}
		h.vmxMu.Unlock()
	}
}

// vmxExited: a vmx the lab did not stop powers its VM off.
func (h *Host) vmxExited(wid int64, p *vmxProc) {
	h.vmxMu.Lock()
	if h.vmx[wid] == p {
		delete(h.vmx, wid)
	}
	stopping := p.stopping
	h.vmxMu.Unlock()
	select {
	case <-h.done:
		return
	default:
	}
	if stopping {
		return
	}
	if v := h.w.FindVM(world.VMKey(p.folder, p.vm)); v != nil && v.Host == h.name && v.PoweredOn && v.WorldID == wid {
		h.w.PowerOff(world.VMKey(p.folder, p.vm), "vmx-killed")
	}
}

// vmxPID is the PID of a running VM's vmx (0 if none), for tests.
func (h *Host) vmxPID(wid int64) int {
	h.vmxMu.Lock()
	defer h.vmxMu.Unlock()
	if p := h.vmx[wid]; p != nil {
		return p.pid
	}
	return 0
}

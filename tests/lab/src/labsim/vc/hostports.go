package vc

import (
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// vCenter's copy of a host's port lists (HostSystem.config.network.portgroup[].port[]
// and the HostNetworkSystem's networkInfo.portgroup) follows the host only after
// Options.HostPortlistLag. The host itself (esxcli, net-stats) knows a port at once;
// vCenter learns it when it next syncs the host's network configuration. How long
// that takes on real vCenter is unknown (shared/VSPHERE-NOTES.md, "How fast
// vCenter's copy follows a reset: unknown"), so it is a setting; 0 rewrites the list
// at the instant of the change, as the lab did before.
//
// Changes within the lag coalesce: the first change of a host starts its clock, and
// one rewrite at the end shows the world's ports at that moment (a port that came and
// went meanwhile is never listed). WaitForUpdatesEx clients see that one rewrite.

// DefaultHostPortlistLag is the lab's default for Options.HostPortlistLag.
const DefaultHostPortlistLag = 2 * time.Second

type hostPortRefresh struct {
	mu      sync.Mutex
	pending map[string]*time.Timer // host -> its scheduled rewrite
	closed  bool
}

// scheduleHostPorts rewrites host's port lists after the lag (at once when it is 0);
// a rewrite already scheduled for host covers this change too.
func (v *VCenter) scheduleHostPorts(host string) {
	lag := v.Options().HostPortlistLag
	if lag <= 0 {
		v.writeHostPorts(host)
		return
	}
	r := &v.portRefresh
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.pending[host] != nil {
		return
	}
	if r.pending == nil {
		r.pending = map[string]*time.Timer{}
	}
	r.pending[host] = time.AfterFunc(lag, func() {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return
		}
		delete(r.pending, host)
		r.mu.Unlock()
		v.writeHostPorts(host)
	})
}

// stopHostPortRefresh drops every scheduled rewrite (vCenter closing).
func (v *VCenter) stopHostPortRefresh() {
	r := &v.portRefresh
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for h, t := range r.pending {
		t.Stop()
		delete(r.pending, h)
	}
}

// writeHostPorts rewrites a host's standard-portgroup port lists from the world:
// vmkernel ports stay, VM ports (type virtualMachine) are the world's live ports.
// Ports on the distributed switch are not listed there, as on a real host.
func (v *VCenter) writeHostPorts(host string) {
	h, ok := simulator.Map.Get(v.hostRef[host]).(*simulator.HostSystem)
	if !ok {
		return
	}
	ports := v.w.HostPorts(host)
	var pgs []types.HostPortGroup
	simulator.Map.WithLock(h, func() {
		old := h.Config.Network.Portgroup
		pgs = make([]types.HostPortGroup, len(old))
		copy(pgs, old)
		for i := range pgs {
			var list []types.HostPortGroupPort
			for _, p := range old[i].Port {
				if p.Type != "virtualMachine" {
					list = append(list, p)
				}
			}
			for _, p := range ports {
				if !p.DVS && p.VM != "" && p.Portgroup == pgs[i].Spec.Name {
					list = append(list, types.HostPortGroupPort{Key: PortKey(p.ID), Mac: []string{p.MAC}, Type: "virtualMachine"})
				}
			}
			pgs[i].Port = list
		}
		simulator.Map.Update(h, []types.PropertyChange{{Name: "config.network.portgroup", Val: pgs}})
	})
	if h.ConfigManager.NetworkSystem == nil {
		return
	}
	if ns, ok := simulator.Map.Get(*h.ConfigManager.NetworkSystem).(*simulator.HostNetworkSystem); ok {
		simulator.Map.WithLock(ns, func() {
			if ns.NetworkInfo != nil {
				simulator.Map.Update(ns, []types.PropertyChange{{Name: "networkInfo.portgroup", Val: pgs}})
			}
		})
	}
}

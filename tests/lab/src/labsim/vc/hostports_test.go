package vc

import (
	"context"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// portKeysIn lists the virtualMachine port keys for mac in a portgroup list.
func portKeysIn(pgs []types.HostPortGroup, mac string) []string {
	var keys []string
	for _, pg := range pgs {
		for _, p := range pg.Port {
			if p.Type == "virtualMachine" && len(p.Mac) == 1 && p.Mac[0] == mac {
				keys = append(keys, p.Key)
			}
		}
	}
	return keys
}

func hostPortgroupSpec(hosts ...types.ManagedObjectReference) types.PropertyFilterSpec {
	spec := types.PropertyFilterSpec{PropSet: []types.PropertySpec{{Type: "HostSystem", PathSet: []string{"config.network.portgroup"}}}}
	for _, h := range hosts {
		spec.ObjectSet = append(spec.ObjectSet, types.ObjectSpec{Obj: h})
	}
	return spec
}

// With the default lag, vCenter still lists a reset VM's old port for the lag, then
// one rewrite shows every change made meanwhile, and WaitForUpdatesEx delivers it.
func TestHostPortListLagsBehindTheHostAndCoalesces(t *testing.T) {
	l := startLab(t, nil)
	l.v.SetOptions(DefaultOptions())
	lag := l.v.Options().HostPortlistLag
	if lag != 2*time.Second {
		t.Fatalf("default host_portlist_lag %v, want 2s", lag)
	}
	esx01 := l.host("esx01").Reference()
	w := l.rawWatch(hostPortgroupSpec(esx01))
	if set := w.mustWait(0); len(updatesFor(set, esx01)) != 1 {
		t.Fatalf("full state: %+v", set)
	}
	t1, web := l.vm("testvm1"), l.vm("web01")
	mac1, macWeb := firstMAC(l.vmProps(t1)), firstMAC(l.vmProps(web))
	old1, oldWeb := l.vmPortKeys("esx01", mac1), l.vmPortKeys("esx01", macWeb)

	start := time.Now()
	ctx := context.Background()
	l.run(t1.Reset(ctx))
	l.run(web.PowerOff(ctx))
	l.run(web.PowerOn(ctx))
	if elapsed := time.Since(start); elapsed < lag {
		if k1, kw := l.vmPortKeys("esx01", mac1), l.vmPortKeys("esx01", macWeb); len(k1) != 1 || k1[0] != old1[0] ||
			len(kw) != 1 || kw[0] != oldWeb[0] {
			t.Fatalf("%v after the changes (lag %v): testvm1 %v web01 %v, want the old ports %v %v", elapsed, lag, k1, kw, old1, oldWeb)
		}
	} else {
		t.Logf("the three operations took %v, longer than the lag: the stale list is not checked", elapsed)
	}
	want1 := PortKey(l.w.FindVM("testvm1").Ports[mac1])
	wantWeb := PortKey(l.w.FindVM("web01").Ports[macWeb])

	set := w.mustWait(30)
	arrived := time.Since(start)
	hu := updatesFor(set, esx01)
	if len(hu) != 1 {
		t.Fatalf("after the lag: %+v, want one update of esx01", set)
	}
	if arrived < lag {
		t.Errorf("the port list changed %v after the first change, before the %v lag", arrived, lag)
	}
	c, _ := changeNamed(hu[0], "config.network.portgroup")
	pgs, _ := c.Val.(types.ArrayOfHostPortGroup)
	if k := portKeysIn(pgs.HostPortGroup, mac1); len(k) != 1 || k[0] != want1 {
		t.Errorf("testvm1 in the update: %v, want %s", k, want1)
	}
	if k := portKeysIn(pgs.HostPortGroup, macWeb); len(k) != 1 || k[0] != wantWeb {
		t.Errorf("web01 in the update: %v, want %s (its port between off and on never listed)", k, wantWeb)
	}
	// The three changes came as that one rewrite: nothing more follows.
	if set := w.mustWait(int32(lag/time.Second) + 1); len(updatesFor(set, esx01)) != 0 {
		t.Errorf("a second rewrite after the coalesced one: %+v", set)
	}
	// The host network system's copy follows with it.
	var ns mo.HostNetworkSystem
	h := l.hostSystem("esx01")
	if err := l.c.RetrieveOne(ctx, *h.ConfigManager.NetworkSystem, []string{"networkInfo.portgroup"}, &ns); err != nil {
		t.Fatal(err)
	}
	if k := portKeysIn(ns.NetworkInfo.Portgroup, mac1); len(k) != 1 || k[0] != want1 {
		t.Errorf("HostNetworkSystem networkInfo.portgroup: testvm1 %v, want %s", k, want1)
	}
}

// host_portlist_lag 0: the list follows at the instant of the change.
func TestHostPortListLagZeroFollowsAtOnce(t *testing.T) {
	l := startLab(t, nil)
	o := DefaultOptions()
	o.HostPortlistLag = 0
	l.v.SetOptions(o)
	vm := l.vm("testvm1")
	mac := firstMAC(l.vmProps(vm))
	old := l.vmPortKeys("esx01", mac)
	l.run(vm.Reset(context.Background()))
	keys := l.vmPortKeys("esx01", mac)
	if want := PortKey(l.w.FindVM("testvm1").Ports[mac]); len(keys) != 1 || keys[0] != want || keys[0] == old[0] {
		t.Errorf("right after the reset: %v, want %s (old %v)", keys, want, old)
	}
}

// VMs on the distributed switch never appear in a host's portgroup port lists, at
// start, after moving, or after the lag.
func TestDistributedPortsNeverInHostPortLists(t *testing.T) {
	l := startLab(t, nil)
	o := DefaultOptions()
	o.HostPortlistLag = 100 * time.Millisecond
	l.v.SetOptions(o)
	db := l.w.FindVM("db01")
	t2 := l.w.FindVM("testvm2")
	dvsMACs := []string{db.Nics[0].MAC, t2.Nics[1].MAC}
	if !db.Nics[0].DVS || !t2.Nics[1].DVS || t2.Nics[0].DVS {
		t.Fatalf("inventory: db01 %+v testvm2 %+v", db.Nics, t2.Nics)
	}
	check := func(when string) {
		t.Helper()
		for _, h := range []string{"esx01", "esx02", "esx03"} {
			for _, mac := range dvsMACs {
				if k := l.vmPortKeys(h, mac); len(k) != 0 {
					t.Errorf("%s: %s lists distributed port %s as %v", when, h, mac, k)
				}
			}
		}
	}
	check("at start")
	if p := l.w.FindVM("db01").Ports[dvsMACs[0]]; p == 0 {
		t.Fatalf("db01 has no live port in the world")
	}
	esx01 := l.host("esx01").Reference()
	w := l.rawWatch(hostPortgroupSpec(esx01))
	w.mustWait(0)
	for _, name := range []string{"db01", "testvm2"} {
		if err := l.v.VMOp(l.w.FindVM(name).Moref, "migrate", "esx01"); err != nil {
			t.Fatal(err)
		}
	}
	// testvm2's standard NIC reaching esx01's list shows the rewrite happened.
	w.waitUntil(func(s *types.UpdateSet) bool {
		for _, ou := range updatesFor(s, esx01) {
			c, _ := changeNamed(ou, "config.network.portgroup")
			pgs, _ := c.Val.(types.ArrayOfHostPortGroup)
			if len(portKeysIn(pgs.HostPortGroup, t2.Nics[0].MAC)) == 1 {
				return true
			}
		}
		return false
	})
	check("after migrating to esx01")
}

func (l *lab) hostSystem(name string) mo.HostSystem {
	l.t.Helper()
	var m mo.HostSystem
	h := l.host(name)
	if err := h.Properties(context.Background(), h.Reference(), []string{"configManager", "config"}, &m); err != nil {
		l.t.Fatal(err)
	}
	return m
}

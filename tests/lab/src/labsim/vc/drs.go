package vc

import (
	"sort"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// Move is one migration a DRS pass made.
type Move struct {
	VM    string `json:"vm"`
	Moref string `json:"moref"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// nextHost is the host after `from` in name order among the cluster's hosts
// (wrapping), "" when the cluster has no other host.
func (v *VCenter) nextHost(cluster, from string) string {
	if cluster == "" {
		return ""
	}
	var hosts []string
	for h, c := range v.hostCl {
		if c == cluster {
			hosts = append(hosts, h)
		}
	}
	sort.Strings(hosts)
	if len(hosts) < 2 {
		return ""
	}
	for i, h := range hosts {
		if h == from {
			return hosts[(i+1)%len(hosts)]
		}
	}
	return hosts[0]
}

// drsPolicy is what DRS may do with the VMs of one cluster.
type drsPolicy struct {
	enabled   bool
	def       types.DrsBehavior
	overrides map[string]types.ClusterDrsVmConfigInfo // by VM moref, only if overrides are enabled
}

func (v *VCenter) clusterPolicy(name string) drsPolicy {
	p := drsPolicy{overrides: map[string]types.ClusterDrsVmConfigInfo{}}
	sc, ok := simulator.Map.Get(v.clusterRef[name]).(*simulator.ClusterComputeResource)
	if !ok {
		return p
	}
	simulator.Map.WithLock(sc, func() {
		cfg, ok := sc.ConfigurationEx.(*types.ClusterConfigInfoEx)
		if !ok {
			return
		}
		p.enabled = cfg.DrsConfig.Enabled != nil && *cfg.DrsConfig.Enabled
		p.def = cfg.DrsConfig.DefaultVmBehavior
		if p.def == "" {
			p.def = types.DrsBehaviorFullyAutomated
		}
		if cfg.DrsConfig.EnableVmBehaviorOverrides != nil && *cfg.DrsConfig.EnableVmBehaviorOverrides {
			for _, o := range cfg.DrsVmConfig {
				p.overrides[o.Key.Value] = o
			}
		}
	})
	return p
}

// behavior is the VM's effective DRS automation level ("" = DRS leaves it alone).
func (p drsPolicy) behavior(moref string) types.DrsBehavior {
	if !p.enabled {
		return ""
	}
	if o, ok := p.overrides[moref]; ok {
		if o.Enabled != nil && !*o.Enabled {
			return ""
		}
		if o.Behavior != "" {
			return o.Behavior
		}
	}
	return p.def
}

// DRSPass runs one deterministic DRS pass: every powered-on VM in a DRS cluster
// whose effective behaviour is fullyAutomated moves to the next host of its cluster
// in name order, with DrsVmMigratedEvent. manual and partiallyAutomated VMs (and
// VMs whose override disables DRS) stay. Powered-off VMs are not load-balanced.
func (v *VCenter) DRSPass() ([]Move, error) { return v.drsPass(false) }

// DRSPassApplyingRecommendations is a DRS pass after which an administrator applies
// every recommendation, so manual and partiallyAutomated VMs move too (VMs whose
// override disables DRS still stay). The lab posts DrsVmMigratedEvent for them as
// well; which event real vCenter posts for an applied recommendation is unverified.
func (v *VCenter) DRSPassApplyingRecommendations() ([]Move, error) { return v.drsPass(true) }

func (v *VCenter) drsPass(applyAll bool) ([]Move, error) {
	policies := map[string]drsPolicy{}
	for cl := range v.clusterRef {
		policies[cl] = v.clusterPolicy(cl)
	}
	moves := []Move{}
	if len(v.initial) > cloneThreshold {
		// Big inventories: rewrite each host's port list once, after the pass.
		v.batchPorts(true)
		defer v.batchPorts(false)
	}
	for _, s := range v.w.VMsSnapshot() {
		cl := v.hostCl[s.Host]
		if cl == "" || !s.PoweredOn {
			continue
		}
		switch b := policies[cl].behavior(s.Moref); {
		case b == types.DrsBehaviorFullyAutomated:
		case applyAll && b != "":
		default:
			continue
		}
		to := v.nextHost(cl, s.Host)
		if to == "" || to == s.Host {
			continue
		}
		if err := v.VMOp(s.Moref, "drs-migrate", to); err != nil {
			return moves, err
		}
		moves = append(moves, Move{VM: s.Name, Moref: s.Moref, From: s.Host, To: to})
	}
	return moves, nil
}

func (v *VCenter) drsMigrate(vm *labVM, to string) error {
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		return nil // moved on since the pass looked
	}
	return v.w.Migrate(vm.moref(), to, "drs")
}

// RunDRSEvery runs DRS passes on an interval read from interval() before each wait
// (0 = no passes, checked again a second later) until Close.
func (v *VCenter) RunDRSEvery(interval func() time.Duration, onErr func(error)) {
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		for {
			d := interval()
			wait := d
			if d <= 0 {
				wait = time.Second
			}
			select {
			case <-v.stop:
				return
			case <-time.After(wait):
			}
			if d > 0 {
				if _, err := v.DRSPass(); err != nil && onErr != nil {
					onErr(err)
				}
			}
		}
	}()
}

package vc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"labsim/world"
)

// Inventory describes what vCenter holds at start. It is read from a JSON file
// (see tests/lab/README.md and tests/lab/inventory/) or taken from DefaultInventory.
type Inventory struct {
	Datacenter string          `json:"datacenter"`
	Clusters   []ClusterSpec   `json:"clusters"`
	Hosts      []HostSpec      `json:"hosts"`
	Datastores []DatastoreSpec `json:"datastores"`
	VMs        []VMSpec        `json:"vms"`
	Generate   []GenerateSpec  `json:"generate,omitempty"`
}

type ClusterSpec struct {
	Name string `json:"name"`
	// DRS default automation level: fullyAutomated, partiallyAutomated or manual.
	DRSBehavior string `json:"drs_behavior"`
	DRSEnabled  *bool  `json:"drs_enabled,omitempty"` // default true
	// enableVmBehaviorOverrides (default true).
	VMOverrides *bool    `json:"vm_overrides,omitempty"`
	Hosts       []string `json:"hosts"`
}

type HostSpec struct {
	Name    string              `json:"name"`
	Version string              `json:"version"` // "8.0.3"
	Build   string              `json:"build"`   // "24022510"
	Uplinks []string            `json:"uplinks"` // default vmnic0, vmnic1
	LAGs    map[string][]string `json:"lags,omitempty"`
	DVS     bool                `json:"dvs"` // member of the distributed switch
	// FIPS: the host's sshd runs in FIPS mode (ed25519 client keys refused); omitted:
	// the version's default (on from 8.0). The ssh_fips setting changes it at run time.
	FIPS *bool `json:"fips,omitempty"`
	// SSH service (TSM-SSH): "running" (the lab's default, which its tests need) or
	// "stopped" (a real host's default: "SSH is deactivated by default").
	SSH string `json:"ssh,omitempty"`
	// TSM-SSH startup policy: on, off or automatic (default: on when running, else off).
	SSHPolicy string `json:"ssh_policy,omitempty"`
	// Lockdown mode: lockdownDisabled (default), lockdownNormal or lockdownStrict.
	Lockdown string `json:"lockdown,omitempty"`
	// Users SSH still admits under lockdown (Exception Users).
	LockdownExceptions []string `json:"lockdown_exceptions,omitempty"`
	// vmk0's IPv4 address, the source of the host's mirrored copies (VDS port
	// mirroring); a loopback address (127.0.0.0/8). Default 127.0.1.N, N = the host's
	// place in the inventory from 1.
	VmkIP string `json:"vmk_ip,omitempty"`
}

// access is the host's access state at start.
func (h HostSpec) access() world.HostAccess {
	return world.HostAccess{SSHRunning: h.SSH == "running", SSHPolicy: h.SSHPolicy, Lockdown: h.Lockdown,
		ExceptionUsers: append([]string(nil), h.LockdownExceptions...)}
}

type DatastoreSpec struct {
	Name       string   `json:"name"`
	Type       string   `json:"type,omitempty"` // "VMFS" (default) or "vsan"
	CapacityGB int64    `json:"capacity_gb"`
	UsedGB     int64    `json:"used_gb"`
	Hosts      []string `json:"hosts"`
}

type NicSpec struct {
	Portgroup string `json:"portgroup"` // "VM Network" (standard) or a DVS portgroup name
	MAC       string `json:"mac,omitempty"`
}

type VMSpec struct {
	Name      string    `json:"name"`
	Folder    string    `json:"folder,omitempty"` // sub-folder of the datacenter's vm folder, "" = top
	Host      string    `json:"host"`
	Datastore string    `json:"datastore,omitempty"`
	Nics      []NicSpec `json:"nics"`
	PoweredOn *bool     `json:"powered_on,omitempty"` // default true
	// DRS override (drsVmConfig) at start: "", manual, partiallyAutomated, fullyAutomated.
	DRSBehavior string `json:"drs_behavior,omitempty"`
}

// GenerateSpec adds Count VMs named Prefix-00001... spread round-robin over Hosts,
// each with one NIC on Portgroup, for scale tests.
type GenerateSpec struct {
	Count     int      `json:"count"`
	Prefix    string   `json:"prefix"`
	Folder    string   `json:"folder,omitempty"`
	Hosts     []string `json:"hosts"`
	Portgroup string   `json:"portgroup,omitempty"`
	PoweredOn *bool    `json:"powered_on,omitempty"`
}

const (
	StdPortgroup = "VM Network"
	DVSName      = "dvs1"
	DVSPortgroup = "dvpg-lag"
)

func boolp(b bool) *bool { return &b }

// DefaultInventory is the lab's standard world (issue 3), defaults filled and MACs assigned.
func DefaultInventory() *Inventory {
	inv := defaultInventorySpec()
	if err := inv.normalize(); err != nil {
		panic("default inventory: " + err.Error())
	}
	return inv
}

func defaultInventorySpec() *Inventory {
	lag := map[string][]string{"lag1": {"vmnic0", "vmnic1"}}
	return &Inventory{
		Datacenter: "dc1",
		Clusters: []ClusterSpec{{Name: "cluster1", DRSBehavior: "fullyAutomated", VMOverrides: boolp(true),
			Hosts: []string{"esx01", "esx02"}}},
		Hosts: []HostSpec{
			{Name: "esx01", Version: "8.0.3", Build: "24022510", LAGs: lag, DVS: true},
			{Name: "esx02", Version: "8.0.3", Build: "24022510", LAGs: lag, DVS: true},
			{Name: "esx03", Version: "6.5.0", Build: "5969303"},
		},
		Datastores: []DatastoreSpec{
			{Name: "datastore1", CapacityGB: 500, UsedGB: 120, Hosts: []string{"esx01", "esx02"}},
			{Name: "esx03-local", CapacityGB: 100, UsedGB: 10, Hosts: []string{"esx03"}},
			{Name: "vsanDatastore", Type: "vsan", CapacityGB: 2000, UsedGB: 300, Hosts: []string{"esx01", "esx02"}},
		},
		VMs: []VMSpec{
			{Name: "testvm1", Host: "esx01", Nics: []NicSpec{{Portgroup: StdPortgroup}}},
			{Name: "testvm2", Host: "esx02", Nics: []NicSpec{{Portgroup: StdPortgroup}, {Portgroup: DVSPortgroup}}},
			{Name: "Café Büro 01", Host: "esx01", Nics: []NicSpec{{Portgroup: StdPortgroup}}},
			{Name: "app", Folder: "team-a", Host: "esx01", Nics: []NicSpec{{Portgroup: StdPortgroup}}},
			{Name: "app", Folder: "team-b", Host: "esx02", Nics: []NicSpec{{Portgroup: StdPortgroup}}},
			{Name: "web01", Host: "esx01", Nics: []NicSpec{{Portgroup: StdPortgroup}}},
			{Name: "db01", Host: "esx02", Nics: []NicSpec{{Portgroup: DVSPortgroup}}},
			{Name: "pinned-manual", Host: "esx02", Nics: []NicSpec{{Portgroup: StdPortgroup}}, DRSBehavior: "manual"},
			{Name: "legacy01", Host: "esx03", Datastore: "esx03-local", Nics: []NicSpec{{Portgroup: StdPortgroup}}},
			{Name: "spare-off", Host: "esx02", Nics: []NicSpec{{Portgroup: StdPortgroup}}, PoweredOn: boolp(false)},
		},
	}
}

// LoadInventory reads a JSON inventory file.
func LoadInventory(path string) (*Inventory, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("inventory %s: %v", path, err)
	}
	return ParseInventory(path, b)
}

// ParseInventory decodes and checks a JSON inventory; name is used in errors.
func ParseInventory(path string, b []byte) (*Inventory, error) {
	inv := &Inventory{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(inv); err != nil {
		return nil, fmt.Errorf("inventory %s: %v (see tests/lab/README.md for the format)", path, err)
	}
	if err := inv.normalize(); err != nil {
		return nil, fmt.Errorf("inventory %s: %v", path, err)
	}
	return inv, nil
}

var validBehavior = map[string]bool{"": true, "manual": true, "partiallyAutomated": true, "fullyAutomated": true}

// normalize fills defaults, expands Generate, assigns MACs and checks references.
func (inv *Inventory) normalize() error {
	if inv.Datacenter == "" {
		inv.Datacenter = "dc1"
	}
	hosts := map[string]*HostSpec{}
	for i := range inv.Hosts {
		h := &inv.Hosts[i]
		if h.Name == "" {
			return fmt.Errorf("host %d has no name", i)
		}
		if hosts[h.Name] != nil {
			return fmt.Errorf("host %q listed twice", h.Name)
		}
		if h.Version == "" {
			h.Version = "8.0.3"
		}
		if h.Build == "" {
			h.Build = defaultBuild(h.Version)
		}
		if len(h.Uplinks) == 0 {
			h.Uplinks = []string{"vmnic0", "vmnic1"}
		}
		if err := h.normalizeAccess(); err != nil {
			return fmt.Errorf("host %q: %v", h.Name, err)
		}
		if err := h.normalizeVmkIP(i); err != nil {
			return fmt.Errorf("host %q: %v", h.Name, err)
		}
		hosts[h.Name] = h
	}
	if len(hosts) == 0 {
		return fmt.Errorf("no hosts")
	}
	inCluster := map[string]string{}
	for i := range inv.Clusters {
		c := &inv.Clusters[i]
		if !validBehavior[c.DRSBehavior] {
			return fmt.Errorf("cluster %q: drs_behavior %q is not manual, partiallyAutomated or fullyAutomated", c.Name, c.DRSBehavior)
		}
		if c.DRSBehavior == "" {
			c.DRSBehavior = "fullyAutomated"
		}
		for _, h := range c.Hosts {
			if hosts[h] == nil {
				return fmt.Errorf("cluster %q names unknown host %q", c.Name, h)
			}
			if inCluster[h] != "" {
				return fmt.Errorf("host %q is in two clusters", h)
			}
			inCluster[h] = c.Name
		}
	}
	if len(inv.Datastores) == 0 {
		all := make([]string, 0, len(inv.Hosts))
		for _, h := range inv.Hosts {
			all = append(all, h.Name)
		}
		inv.Datastores = []DatastoreSpec{{Name: "datastore1", CapacityGB: 500, UsedGB: 100, Hosts: all}}
	}
	for i := range inv.Datastores {
		d := &inv.Datastores[i]
		if d.CapacityGB <= 0 {
			d.CapacityGB = 500
		}
		switch d.Type {
		case "":
			d.Type = "VMFS"
		case "VMFS", "vsan":
		default:
			return fmt.Errorf("datastore %q: type %q is not VMFS or vsan", d.Name, d.Type)
		}
		if d.UsedGB < 0 || d.UsedGB > d.CapacityGB {
			return fmt.Errorf("datastore %q: used_gb %d outside 0..%d", d.Name, d.UsedGB, d.CapacityGB)
		}
		for _, h := range d.Hosts {
			if hosts[h] == nil {
				return fmt.Errorf("datastore %q names unknown host %q", d.Name, h)
			}
		}
	}
	for _, g := range inv.Generate {
		if g.Count < 0 || g.Count > 100000 {
			return fmt.Errorf("generate: count %d outside 0..100000", g.Count)
		}
		if g.Prefix == "" {
			g.Prefix = "scale"
		}
		if len(g.Hosts) == 0 {
			return fmt.Errorf("generate %q: no hosts", g.Prefix)
		}
		pg := g.Portgroup
		if pg == "" {
			pg = StdPortgroup
		}
		for n := 1; n <= g.Count; n++ {
			inv.VMs = append(inv.VMs, VMSpec{Name: fmt.Sprintf("%s-%05d", g.Prefix, n), Folder: g.Folder,
				Host: g.Hosts[(n-1)%len(g.Hosts)], Nics: []NicSpec{{Portgroup: pg}}, PoweredOn: g.PoweredOn})
		}
	}
	inv.Generate = nil

	seenVM := map[string]bool{}
	seenMAC := map[string]bool{}
	for _, v := range inv.VMs {
		for _, n := range v.Nics {
			if n.MAC != "" {
				seenMAC[strings.ToLower(n.MAC)] = true
			}
		}
	}
	next := 0
	for i := range inv.VMs {
		v := &inv.VMs[i]
		if v.Name == "" {
			return fmt.Errorf("vm %d has no name", i)
		}
		key := v.Folder + "/" + v.Name
		if seenVM[key] {
			return fmt.Errorf("vm %q listed twice in folder %q", v.Name, v.Folder)
		}
		seenVM[key] = true
		if hosts[v.Host] == nil {
			return fmt.Errorf("vm %q: unknown host %q", v.Name, v.Host)
		}
		if !validBehavior[v.DRSBehavior] {
			return fmt.Errorf("vm %q: drs_behavior %q is not manual, partiallyAutomated or fullyAutomated", v.Name, v.DRSBehavior)
		}
		if v.DRSBehavior != "" && inCluster[v.Host] == "" {
			return fmt.Errorf("vm %q: drs_behavior needs a cluster host, %q is standalone", v.Name, v.Host)
		}
		if v.Datastore == "" {
			v.Datastore = inv.datastoreFor(v.Host)
			if v.Datastore == "" {
				return fmt.Errorf("vm %q: no datastore mounted on host %q", v.Name, v.Host)
			}
		}
		if len(v.Nics) == 0 {
			v.Nics = []NicSpec{{Portgroup: StdPortgroup}}
		}
		for j := range v.Nics {
			n := &v.Nics[j]
			if n.Portgroup == "" {
				n.Portgroup = StdPortgroup
			}
			if n.Portgroup != StdPortgroup && n.Portgroup != DVSPortgroup {
				return fmt.Errorf("vm %q nic %d: portgroup %q is neither %q nor %q", v.Name, j, n.Portgroup, StdPortgroup, DVSPortgroup)
			}
			if n.Portgroup == DVSPortgroup && !hosts[v.Host].DVS {
				return fmt.Errorf("vm %q nic %d: host %q is not on the distributed switch", v.Name, j, v.Host)
			}
			if n.MAC == "" {
				for {
					next++
					m := labMAC(next)
					if !seenMAC[m] {
						n.MAC = m
						seenMAC[m] = true
						break
					}
				}
			}
			n.MAC = strings.ToLower(n.MAC)
		}
	}
	return nil
}

func (h *HostSpec) normalizeAccess() error {
	switch h.SSH {
	case "":
		h.SSH = "running"
	case "running", "stopped":
	default:
		return fmt.Errorf("ssh %q is neither running nor stopped", h.SSH)
	}
	switch h.SSHPolicy {
	case "":
		h.SSHPolicy = "off"
		if h.SSH == "running" {
			h.SSHPolicy = "on"
		}
	case "on", "off", "automatic":
	default:
		return fmt.Errorf("ssh_policy %q is not on, off or automatic", h.SSHPolicy)
	}
	switch h.Lockdown {
	case "":
		h.Lockdown = world.LockdownDisabled
	case world.LockdownDisabled, world.LockdownNormal, world.LockdownStrict:
	default:
		return fmt.Errorf("lockdown %q is not lockdownDisabled, lockdownNormal or lockdownStrict", h.Lockdown)
	}
	for _, u := range h.LockdownExceptions {
		if u == "" || strings.HasPrefix(u, "+") || strings.HasPrefix(u, "-") {
			return fmt.Errorf("lockdown_exceptions: %q is not a user name", u)
		}
	}
	return nil
}

func (inv *Inventory) datastoreFor(host string) string {
	names := make([]string, 0, len(inv.Datastores))
	for _, d := range inv.Datastores {
		for _, h := range d.Hosts {
			if h == host {
				names = append(names, d.Name)
			}
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

func (inv *Inventory) clusterOf(host string) *ClusterSpec {
	for i := range inv.Clusters {
		for _, h := range inv.Clusters[i].Hosts {
			if h == host {
				return &inv.Clusters[i]
			}
		}
	}
	return nil
}

// labMAC gives the n-th MAC in the range vCenter assigns (00:50:56:80:00:00 and up).
func labMAC(n int) string {
	return fmt.Sprintf("00:50:56:%02x:%02x:%02x", 0x80+(n>>16)&0x3f, (n>>8)&0xff, n&0xff)
}

func defaultBuild(version string) string {
	switch {
	case strings.HasPrefix(version, "8.0"):
		return "24022510"
	case strings.HasPrefix(version, "7.0"):
		return "21930508"
	case strings.HasPrefix(version, "6.7"):
		return "17700523"
	default:
		return "5969303"
	}
}

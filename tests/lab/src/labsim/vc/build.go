package vc

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"labsim/world"
)

// build creates the simulator model from v.inv and mirrors it into the world.
func (v *VCenter) build() error {
	ctx := context.Background()
	fixEventTemplates()
	m := simulator.VPX()
	m.Datacenter = 1
	m.Portgroup, m.Host, m.Cluster, m.ClusterHost, m.Datastore, m.Machine = 0, 0, 0, 0, 0, 0
	m.Autostart = false
	if err := m.Create(); err != nil {
		return err
	}
	v.model = m
	v.svc = m.Service
	v.svc.Listen = &url.URL{User: url.UserPassword(v.cfg.User, v.cfg.Password)}
	v.svc.RegisterSDK(simulator.Map)
	setAbout()
	installCollector(v.hub)
	if err := v.installEvents(); err != nil {
		return fmt.Errorf("event collectors: %v", err)
	}

	c, err := v.client(ctx)
	if err != nil {
		return err
	}
	dcObj := simulator.Map.Any("Datacenter")
	v.dc = dcObj.Reference()
	dc := object.NewDatacenter(c, v.dc)
	if err := wait(dc.Rename(ctx, v.inv.Datacenter)); err != nil {
		return fmt.Errorf("renaming the datacenter: %v", err)
	}
	v.dcName = v.inv.Datacenter
	folders, err := dc.Folders(ctx)
	if err != nil {
		return err
	}

	if err := v.buildDVS(ctx, c, folders); err != nil {
		return fmt.Errorf("distributed switch: %v", err)
	}
	if err := v.buildHosts(ctx, c, folders); err != nil {
		return err
	}
	if err := v.buildDatastores(ctx, c); err != nil {
		return err
	}
	if err := v.buildVMs(ctx, c, folders); err != nil {
		return err
	}
	return v.installVspan() // vspan.go
}

// vCenter 8.0.3 (the simulator says 6.5).
const (
	vcVersion    = "8.0.3"
	vcBuild      = "24022515"
	vcAPIVersion = "8.0.3.0"
)

func setAbout() {
	si := simulator.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance)
	a := &si.Content.About
	a.Version, a.Build, a.ApiVersion = vcVersion, vcBuild, vcAPIVersion
	a.FullName = fmt.Sprintf("VMware vCenter Server %s build-%s", vcVersion, vcBuild)
}

func wait(t *object.Task, err error) error {
	if err != nil {
		return err
	}
	return t.Wait(context.Background())
}

func waitRef(t *object.Task, err error) (types.ManagedObjectReference, error) {
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	info, err := t.WaitForResult(context.Background(), nil)
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	return info.Result.(types.ManagedObjectReference), nil
}

func (v *VCenter) buildDVS(ctx context.Context, c *vim25.Client, folders *object.DatacenterFolders) error {
	needed := false
	for _, h := range v.inv.Hosts {
		needed = needed || h.DVS
	}
	if !needed {
		return nil
	}
	spec := types.DVSCreateSpec{ConfigSpec: &types.VMwareDVSConfigSpec{
		DVSConfigSpec:  types.DVSConfigSpec{Name: DVSName},
		LacpApiVersion: "multipleLag",
	}}
	ref, err := waitRef(folders.NetworkFolder.CreateDVS(ctx, spec))
	if err != nil {
		return err
	}
	v.dvsRef = ref
	dvs := object.NewDistributedVirtualSwitch(c, ref)
	teaming := &types.VmwareUplinkPortTeamingPolicy{
		Policy:          &types.StringPolicy{Value: "loadbalance_ip"},
		UplinkPortOrder: &types.VMwareUplinkPortOrderPolicy{ActiveUplinkPort: []string{"lag1"}},
	}
	if err := wait(dvs.AddPortgroup(ctx, []types.DVPortgroupConfigSpec{{Name: DVSPortgroup, Type: "earlyBinding",
		NumPorts: 128, DefaultPortConfig: &types.VMwareDVSPortSetting{UplinkTeamingPolicy: teaming}}})); err != nil {
		return err
	}
	sw := simulator.Map.Get(ref).(*simulator.DistributedVirtualSwitch)
	v.dvsUUID = sw.Uuid
	cfg := sw.Config.(*types.VMwareDVSConfigInfo)
	cfg.LacpApiVersion = "multipleLag"
	cfg.LacpGroupConfig = []types.VMwareDvsLacpGroupConfig{{Key: "lag1-key", Name: "lag1", Mode: "active",
		UplinkNum: 2, LoadbalanceAlgorithm: "srcDestIpTcpUdpPortVlan", UplinkName: []string{"lag1-0", "lag1-1"}}}
	cfg.UplinkPortPolicy = &types.DVSNameArrayUplinkPortPolicy{UplinkPortName: []string{"uplink1", "uplink2"}}
	for _, pg := range sw.Portgroup {
		if p, ok := simulator.Map.Get(pg).(*simulator.DistributedVirtualPortgroup); ok && p.Name == DVSPortgroup {
			v.dvpgKey = p.Key
		}
	}
	if v.dvpgKey == "" {
		return fmt.Errorf("portgroup %s not found after creation", DVSPortgroup)
	}
	return nil
}

func (v *VCenter) buildHosts(ctx context.Context, c *vim25.Client, folders *object.DatacenterFolders) error {
	v.w.OnHostAccess(func(host string, _ world.HostAccess) { v.syncAccess(host) })
	clusterObj := map[string]*object.ClusterComputeResource{}
	for _, cs := range v.inv.Clusters {
		cl, err := folders.HostFolder.CreateCluster(ctx, cs.Name, types.ClusterConfigSpecEx{})
		if err != nil {
			return fmt.Errorf("cluster %s: %v", cs.Name, err)
		}
		clusterObj[cs.Name] = cl
		v.clusterRef[cs.Name] = cl.Reference()
		sc := simulator.Map.Get(cl.Reference()).(*simulator.ClusterComputeResource)
		cfg := sc.ConfigurationEx.(*types.ClusterConfigInfoEx)
		enabled := cs.DRSEnabled == nil || *cs.DRSEnabled
		overrides := cs.VMOverrides == nil || *cs.VMOverrides
		cfg.DrsConfig = types.ClusterDrsConfigInfo{Enabled: &enabled, DefaultVmBehavior: types.DrsBehavior(cs.DRSBehavior),
			EnableVmBehaviorOverrides: &overrides, VmotionRate: 3}
		sc.Configuration.DrsConfig = cfg.DrsConfig
	}
	var dvsHosts []types.DistributedVirtualSwitchHostMemberConfigSpec
	for i, hs := range v.inv.Hosts {
		spec := types.HostConnectSpec{HostName: hs.Name}
		var ref types.ManagedObjectReference
		var err error
		cl := v.inv.clusterOf(hs.Name)
		if cl != nil {
			ref, err = waitRef(clusterObj[cl.Name].AddHost(ctx, spec, true, nil, nil))
			v.hostCl[hs.Name] = cl.Name
		} else {
			ref, err = waitRef(folders.HostFolder.AddStandaloneHost(ctx, spec, true, nil, nil))
			v.hostCl[hs.Name] = ""
		}
		if err != nil {
			return fmt.Errorf("host %s: %v", hs.Name, err)
		}
		v.hostRef[hs.Name] = ref
		v.hostByRef[ref] = hs.Name
		v.configureHost(simulator.Map.Get(ref).(*simulator.HostSystem), hs, i)
		v.buildHostAccess(simulator.Map.Get(ref).(*simulator.HostSystem), hs)
		if hs.DVS {
			var pnics []types.DistributedVirtualSwitchHostMemberPnicSpec
			for _, u := range hs.Uplinks {
				pnics = append(pnics, types.DistributedVirtualSwitchHostMemberPnicSpec{PnicDevice: u})
			}
			dvsHosts = append(dvsHosts, types.DistributedVirtualSwitchHostMemberConfigSpec{
				Operation: string(types.ConfigSpecOperationAdd), Host: ref,
				Backing: &types.DistributedVirtualSwitchHostMemberPnicBacking{PnicSpec: pnics}})
		}
		lags := map[string][]string{}
		for k, l := range hs.LAGs {
			lags[k] = append([]string{}, l...)
		}
		dvsName := ""
		if hs.DVS {
			dvsName = DVSName
		}
		v.w.AddHost(&world.HostState{Name: hs.Name, Moref: ref.Value, Version: hs.Version, Build: hs.Build,
			Cluster: v.hostCl[hs.Name], Uplinks: append([]string{}, hs.Uplinks...), LAGs: lags,
			Vswitch: "vSwitch0", DVSName: dvsName, VmkIP: hs.VmkIP})
	}
	if len(dvsHosts) > 0 {
		dvs := object.NewDistributedVirtualSwitch(c, v.dvsRef)
		if err := wait(dvs.Reconfigure(ctx, &types.DVSConfigSpec{Host: dvsHosts})); err != nil {
			return fmt.Errorf("adding hosts to %s: %v", DVSName, err)
		}
	}
	return nil
}

// configureHost gives a simulator host its version, uplinks and a unique vmk0 MAC.
func (v *VCenter) configureHost(h *simulator.HostSystem, hs HostSpec, idx int) {
	product := h.Config.Product
	product.Version = hs.Version
	product.Build = hs.Build
	product.FullName = fmt.Sprintf("VMware ESXi %s build-%s", hs.Version, hs.Build)
	product.ApiVersion = apiVersion(hs.Version)
	h.Config.Product = product
	p := product
	h.Summary.Config.Product = &p
	h.Summary.Config.Name = hs.Name

	vmkMAC := fmt.Sprintf("00:50:56:6%x:%02x:01", idx>>8&0xf, idx&0xff)
	net := h.Config.Network
	var pnics []types.PhysicalNic
	for i, u := range hs.Uplinks {
		pn := types.PhysicalNic{Key: "key-vim.host.PhysicalNic-" + u, Device: u, Driver: "nvmxnet3",
			Pci: fmt.Sprintf("0000:0%d:00.0", 3+i), Mac: fmt.Sprintf("00:50:56:7%x:%02x:%02x", idx>>8&0xf, idx&0xff, i),
			LinkSpeed: &types.PhysicalNicLinkInfo{SpeedMb: 10000, Duplex: true}}
		pnics = append(pnics, pn)
	}
	net.Pnic = pnics
	std := []string{hs.Uplinks[0]}
	if !hs.DVS && len(hs.Uplinks) > 1 {
		std = hs.Uplinks // a standalone host teams both uplinks on vSwitch0
	}
	for i := range net.Vswitch {
		net.Vswitch[i].Pnic = nil
		for _, u := range std {
			net.Vswitch[i].Pnic = append(net.Vswitch[i].Pnic, "key-vim.host.PhysicalNic-"+u)
		}
	}
	for i := range net.Vnic {
		net.Vnic[i].Spec.Mac = vmkMAC
		if net.Vnic[i].Device == "vmk0" {
			net.Vnic[i].Spec.Ip = &types.HostIpConfig{Dhcp: false, IpAddress: hs.VmkIP, SubnetMask: "255.0.0.0"}
		}
	}
	for i := range net.Portgroup {
		for j := range net.Portgroup[i].Port {
			if net.Portgroup[i].Port[j].Type == "host" {
				net.Portgroup[i].Port[j].Mac = []string{vmkMAC}
			}
		}
	}
	if hs.DVS {
		var specs []types.DistributedVirtualSwitchHostMemberPnicSpec
		for i, u := range hs.Uplinks {
			specs = append(specs, types.DistributedVirtualSwitchHostMemberPnicSpec{PnicDevice: u,
				UplinkPortKey: fmt.Sprintf("%d", 100+i)})
		}
		net.ProxySwitch = []types.HostProxySwitch{{DvsUuid: v.dvsUUID, DvsName: DVSName, Key: v.dvsUUID,
			NumPorts: 512, NumPortsAvailable: 500, Pnic: pnicKeys(hs.Uplinks),
			Spec:       types.HostProxySwitchSpec{Backing: &types.DistributedVirtualSwitchHostMemberPnicBacking{PnicSpec: specs}},
			UplinkPort: []types.KeyValue{{Key: "100", Value: "lag1-0"}, {Key: "101", Value: "lag1-1"}}}}
	}
}

func pnicKeys(uplinks []string) []string {
	out := make([]string, len(uplinks))
	for i, u := range uplinks {
		out[i] = "key-vim.host.PhysicalNic-" + u
	}
	return out
}

func apiVersion(v string) string {
	switch {
	case len(v) >= 3 && v[:3] == "8.0":
		return "8.0.3.0"
	case len(v) >= 3 && v[:3] == "7.0":
		return "7.0.3.0"
	case len(v) >= 3 && v[:3] == "6.7":
		return "6.7.3"
	default:
		return "6.5"
	}
}

func (v *VCenter) buildDatastores(ctx context.Context, c *vim25.Client) error {
	// The simulator writes a few small files per VM into the datastore's directory;
	// tmpfs keeps a 5,000-VM start fast. The directory goes away at Close.
	removeStaleDatastoreDirs("/dev/shm")
	dir, err := os.MkdirTemp("/dev/shm", fmt.Sprintf("vmc-lab-datastores-%d-", os.Getpid()))
	if err != nil {
		if dir, err = os.MkdirTemp(v.cfg.StateDir, "datastores-"); err != nil {
			return err
		}
	}
	v.dsDir = dir
	for _, ds := range v.inv.Datastores {
		dir := filepath.Join(v.dsDir, ds.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("datastore %s: %v", ds.Name, err)
		}
		for _, hn := range ds.Hosts {
			host := object.NewHostSystem(c, v.hostRef[hn])
			dss, err := host.ConfigManager().DatastoreSystem(ctx)
			if err != nil {
				return err
			}
			d, err := dss.CreateLocalDatastore(ctx, ds.Name, dir)
			if err != nil {
				return fmt.Errorf("datastore %s on %s: %v", ds.Name, hn, err)
			}
			v.dsRef[ds.Name] = d.Reference()
		}
		capacity := ds.CapacityGB << 30
		v.w.AddDatastore(&world.DatastoreState{Name: ds.Name, Type: ds.Type, Capacity: capacity, Used: ds.UsedGB << 30,
			Hosts: append([]string{}, ds.Hosts...)})
		if ds.Type == "vsan" {
			// A vSAN datastore's top level takes no plain directories (osfs-mkdir,
			// DatastoreNamespaceManager.CreateDirectory): capability
			// topLevelDirectoryCreateSupported is false (vSphere API reference).
			if d, ok := simulator.Map.Get(v.dsRef[ds.Name]).(*simulator.Datastore); ok {
				simulator.Map.WithLock(d, func() {
					d.Summary.Type = "vsan"
					d.Capability.TopLevelDirectoryCreateSupported = types.NewBool(false)
				})
			}
		}
	}
	v.syncDatastores()
	return nil
}

func (v *VCenter) poolOf(host string) types.ManagedObjectReference {
	h := simulator.Map.Get(v.hostRef[host]).(*simulator.HostSystem)
	switch p := simulator.Map.Get(*h.Parent).(type) {
	case *simulator.ClusterComputeResource:
		return *p.ResourcePool
	case *mo.ComputeResource:
		return *p.ResourcePool
	}
	panic("host " + host + " has no compute resource")
}

func (v *VCenter) buildVMs(ctx context.Context, c *vim25.Client, folders *object.DatacenterFolders) error {
	subfolders := map[string]*object.Folder{"": folders.VmFolder}
	names := []string{}
	for _, vs := range v.inv.VMs {
		if subfolders[vs.Folder] == nil {
			subfolders[vs.Folder] = nil
			names = append(names, vs.Folder)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		f, err := folders.VmFolder.CreateFolder(ctx, n)
		if err != nil {
			return fmt.Errorf("vm folder %q: %v", n, err)
		}
		subfolders[n] = f
	}
	overrides := map[string][]types.ClusterDrsVmConfigInfo{}
	protos := map[vmShape]*labVM{}
	for _, vs := range v.inv.VMs {
		var devices []types.BaseVirtualDeviceConfigSpec
		var nics []world.NicSpec
		dvports := make([]string, len(vs.Nics))
		for i, n := range vs.Nics {
			card := &types.VirtualVmxnet3{VirtualVmxnet: types.VirtualVmxnet{VirtualEthernetCard: types.VirtualEthernetCard{
				VirtualDevice: types.VirtualDevice{Key: int32(-100 - i),
					DeviceInfo: &types.Description{Label: fmt.Sprintf("Network adapter %d", i+1), Summary: n.Portgroup}},
				AddressType: string(types.VirtualEthernetCardMacTypeAssigned),
				MacAddress:  n.MAC,
			}}}
			dvs := n.Portgroup == DVSPortgroup
			if dvs {
				// A static (earlyBinding) portgroup gives the NIC its distributed port
				// when it is connected; the key stays with the NIC (vspan.go).
				dvports[i] = v.allocDVPort()
				card.Backing = &types.VirtualEthernetCardDistributedVirtualPortBackingInfo{
					Port: types.DistributedVirtualSwitchPortConnection{SwitchUuid: v.dvsUUID, PortgroupKey: v.dvpgKey,
						PortKey: dvports[i]}}
			} else {
				card.Backing = &types.VirtualEthernetCardNetworkBackingInfo{
					VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: n.Portgroup}}
			}
			devices = append(devices, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: card})
			nics = append(nics, world.NicSpec{Label: fmt.Sprintf("Network adapter %d", i+1), MAC: n.MAC, Portgroup: n.Portgroup,
				DVS: dvs, DVPort: dvports[i]})
		}
		spec := types.VirtualMachineConfigSpec{Name: vs.Name, GuestId: "otherLinux64Guest", NumCPUs: 2, MemoryMB: 2048,
			Files: &types.VirtualMachineFileInfo{VmPathName: "[" + vs.Datastore + "]"}, DeviceChange: devices}
		var ref types.ManagedObjectReference
		var err error
		shape := shapeOf(vs)
		if proto := protos[shape]; proto != nil {
			ref, err = v.cloneVM(proto, vs, dvports)
		} else {
			pool := object.NewResourcePool(c, v.poolOf(vs.Host))
			host := object.NewHostSystem(c, v.hostRef[vs.Host])
			ref, err = waitRef(subfolders[vs.Folder].CreateVM(ctx, spec, pool, host))
			if err == nil {
				orig := simulator.Map.Get(ref).(*simulator.VirtualMachine)
				lv := &labVM{VirtualMachine: *orig, vc: v}
				simulator.Map.Put(lv)
				if len(v.inv.VMs) > cloneThreshold {
					protos[shape] = lv
				}
			}
		}
		if err != nil {
			return fmt.Errorf("vm %q: %v", vs.Name, err)
		}

		folder := "vm"
		if vs.Folder != "" {
			folder = "vm/" + vs.Folder
		}
		v.w.AddVM(&world.VMState{Name: vs.Name, Moref: ref.Value, Folder: folder, Nics: nics, Host: vs.Host})
		v.initial = append(v.initial, initialVM{moref: ref.Value, on: vs.PoweredOn == nil || *vs.PoweredOn})
		if vs.DRSBehavior != "" {
			cl := v.hostCl[vs.Host]
			overrides[cl] = append(overrides[cl], types.ClusterDrsVmConfigInfo{Key: ref, Enabled: boolp(true),
				Behavior: types.DrsBehavior(vs.DRSBehavior)})
		}
	}
	for cl, o := range overrides {
		sc := simulator.Map.Get(v.clusterRef[cl]).(*simulator.ClusterComputeResource)
		cfg := sc.ConfigurationEx.(*types.ClusterConfigInfoEx)
		cfg.DrsVmConfig = append(cfg.DrsVmConfig, o...)
	}
	return nil
}

type initialVM struct {
	moref string
	on    bool
}

// PowerOnInitial powers on the inventory's VMs that start powered on, through the
// same path as PowerOnVM_Task (events, ports, traffic listeners).
func (v *VCenter) PowerOnInitial() error {
	v.batchPorts(true)
	defer v.endPortBatch(true) // vCenter starts knowing the first ports: no lag
	for _, vm := range v.initial {
		if !vm.on {
			continue
		}
		if err := v.VMOp(vm.moref, "poweron", ""); err != nil {
			return err
		}
	}
	return nil
}

// removeStaleDatastoreDirs removes datastore directories left in dir by labs that
// were killed (their pid, in the name, is gone).
func removeStaleDatastoreDirs(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "vmc-lab-datastores-%d-", &pid); err != nil || pid <= 0 {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

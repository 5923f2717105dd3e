package vc

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/event"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"labsim/world"
)

func (l *lab) dvs() *object.DistributedVirtualSwitch {
	l.t.Helper()
	n, err := l.f.Network(context.Background(), DVSName)
	if err != nil {
		l.t.Fatal(err)
	}
	return n.(*object.DistributedVirtualSwitch)
}

func (l *lab) dvsConfig() *types.VMwareDVSConfigInfo {
	l.t.Helper()
	var m mo.DistributedVirtualSwitch
	d := l.dvs()
	if err := d.Properties(context.Background(), d.Reference(), []string{"config"}, &m); err != nil {
		l.t.Fatal(err)
	}
	return m.Config.(*types.VMwareDVSConfigInfo)
}

// reconfigureVspan sends one ReconfigureDvs_Task with the switch's current
// configVersion (or version, when not "") and returns the task's error.
func (l *lab) reconfigureVspan(version string, specs ...types.VMwareDVSVspanConfigSpec) error {
	l.t.Helper()
	if version == "" {
		version = l.dvsConfig().ConfigVersion
	}
	d := l.dvs()
	t, err := d.Reconfigure(context.Background(), &types.VMwareDVSConfigSpec{
		DVSConfigSpec: types.DVSConfigSpec{ConfigVersion: version}, VspanConfigSpec: specs})
	if err != nil {
		l.t.Fatal(err)
	}
	return t.Wait(context.Background())
}

// nicDVPort is the distributed port key of the VM's NIC with that MAC.
func (l *lab) nicDVPort(vmName, mac string) string {
	l.t.Helper()
	for _, d := range l.vmProps(l.vm(vmName)).Config.Hardware.Device {
		if n, ok := d.(types.BaseVirtualEthernetCard); ok && n.GetVirtualEthernetCard().MacAddress == mac {
			if b, ok := n.GetVirtualEthernetCard().Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo); ok {
				return b.Port.PortKey
			}
		}
	}
	return ""
}

func erspanSession(name string, keys ...string) types.VMwareVspanSession {
	return types.VMwareVspanSession{Name: name, Enabled: true,
		SessionType:           string(types.VMwareDVSVspanSessionTypeEncapsulatedRemoteMirrorSource),
		SourcePortTransmitted: &types.VMwareVspanPort{PortKey: keys},
		SourcePortReceived:    &types.VMwareVspanPort{PortKey: keys},
		DestinationPort:       &types.VMwareVspanPort{IpAddress: []string{"127.0.0.1"}},
		EncapType:             "erspan3", ErspanId: 7}
}

func add(s types.VMwareVspanSession) types.VMwareDVSVspanConfigSpec {
	return types.VMwareDVSVspanConfigSpec{Operation: "add", VspanSession: s}
}

// taskFault is the fault a task failed with, and vCenter's message.
func taskFault(t *testing.T, err error) (types.BaseMethodFault, string) {
	t.Helper()
	var te task.Error
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T) is not a task fault", err, err)
	}
	return te.Fault(), te.LocalizedMessage
}

func TestDVSPortKeysStayWithTheVM(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	db := l.w.FindVM("db01")
	mac := db.Nics[0].MAC
	key := l.nicDVPort("db01", mac)
	t2 := l.w.FindVM("testvm2")
	key2 := l.nicDVPort("testvm2", t2.Nics[1].MAC)
	if key == "" || key2 == "" || key == key2 || db.Nics[0].DVPort != key || t2.Nics[1].DVPort != key2 {
		t.Fatalf("dvport keys: db01 %q (world %q), testvm2 %q (world %q)", key, db.Nics[0].DVPort, key2, t2.Nics[1].DVPort)
	}
	if l.nicDVPort("testvm2", t2.Nics[0].MAC) != "" {
		t.Errorf("a standard-portgroup NIC has a dvport key")
	}
	portOf := func() world.PortRec {
		v := l.w.FindVM("db01")
		for _, p := range l.w.HostPorts(v.Host) {
			if p.MAC == mac {
				return p
			}
		}
		t.Fatalf("no port for %s on %s", mac, v.Host)
		return world.PortRec{}
	}
	before := portOf()
	if before.DVPort != key {
		t.Fatalf("host port %+v, want dvport %s", before, key)
	}
	vm := l.vm("db01")
	l.run(vm.Reset(ctx))
	afterReset := portOf()
	l.run(vm.Migrate(ctx, nil, l.host("esx01"), types.VirtualMachineMovePriorityDefaultPriority, ""))
	afterMove := portOf()
	// The switchport number changes (a new port at reset and on the new host); the
	// distributed port does not, in vCenter or on the host.
	if afterReset.ID == before.ID || afterMove.ID == afterReset.ID || l.w.FindVM("db01").Host != "esx01" {
		t.Errorf("switchports %d -> %d -> %d", before.ID, afterReset.ID, afterMove.ID)
	}
	if afterReset.DVPort != key || afterMove.DVPort != key || l.nicDVPort("db01", mac) != key {
		t.Errorf("dvport after reset %q, after migrate %q, vCenter %q, want %q", afterReset.DVPort, afterMove.DVPort, l.nicDVPort("db01", mac), key)
	}
}

func TestVspanSessionAddEditRemove(t *testing.T) {
	l := startLab(t, nil)
	ctx := context.Background()
	key := l.w.FindVM("db01").Nics[0].DVPort
	v0 := l.dvsConfig().ConfigVersion
	if v0 == "" || len(l.dvsConfig().VspanSession) != 0 {
		t.Fatalf("start: configVersion %q, sessions %v", v0, l.dvsConfig().VspanSession)
	}
	// A WaitForUpdatesEx client sees the session appear.
	seen := l.watch(l.dvs().Reference(), []string{"config.vspanSession"}, func(v map[string]types.AnyType) bool {
		ss, _ := v["config.vspanSession"].(types.ArrayOfVMwareVspanSession)
		return len(ss.VMwareVspanSession) == 1 && ss.VMwareVspanSession[0].Name == "vmc-db01"
	})
	s := erspanSession("vmc-db01", key)
	s.Key = "ignored" // vCenter generates the key
	if err := l.reconfigureVspan("", add(s)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-seen:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitForUpdatesEx did not report the new session")
	}
	cfg := l.dvsConfig()
	if len(cfg.VspanSession) != 1 || cfg.ConfigVersion == v0 {
		t.Fatalf("after add: version %q -> %q, sessions %+v", v0, cfg.ConfigVersion, cfg.VspanSession)
	}
	got := cfg.VspanSession[0]
	if got.Key == "" || got.Key == "ignored" || got.EncapType != "erspan3" || got.ErspanId != 7 ||
		!reflect.DeepEqual(got.SourcePortTransmitted.PortKey, []string{key}) ||
		!reflect.DeepEqual(got.DestinationPort.IpAddress, []string{"127.0.0.1"}) {
		t.Fatalf("session %+v", got)
	}
	ws := l.w.VspanSessions()
	if len(ws) != 1 || ws[0].Key != got.Key || ws[0].DVS != DVSName || ws[0].Encap != "erspan3" ||
		!reflect.DeepEqual(ws[0].Received, []string{key}) || ws[0].SamplingRate != 1 {
		t.Fatalf("world sessions %+v", ws)
	}

	// Defaults of an add: sessionType mixedDestMirror; encapType gre on an
	// encapsulated session.
	plain := erspanSession("plain", key)
	plain.EncapType = ""
	plain.SourcePortTransmitted, plain.SourcePortReceived = nil, nil
	dflt := types.VMwareVspanSession{Name: "default-type"}
	if err := l.reconfigureVspan("", add(plain), add(dflt)); err != nil {
		t.Fatal(err)
	}
	cfg = l.dvsConfig()
	if len(cfg.VspanSession) != 3 || cfg.VspanSession[1].EncapType != "gre" || cfg.VspanSession[2].SessionType != "mixedDestMirror" {
		t.Fatalf("defaults: %+v", cfg.VspanSession)
	}
	keys := map[string]bool{}
	for _, s := range cfg.VspanSession {
		keys[s.Key] = true
	}
	if len(keys) != 3 {
		t.Fatalf("keys not distinct: %v", keys)
	}

	// Edit: what the spec sets replaces, the rest stays.
	edit := types.VMwareVspanSession{Key: got.Key, Enabled: false, EncapType: "erspan2", MirroredPacketLength: 128}
	if err := l.reconfigureVspan("", types.VMwareDVSVspanConfigSpec{Operation: "edit", VspanSession: edit}); err != nil {
		t.Fatal(err)
	}
	e := l.dvsConfig().VspanSession[0]
	if e.Key != got.Key || e.Enabled || e.EncapType != "erspan2" || e.MirroredPacketLength != 128 || e.Name != "vmc-db01" ||
		e.ErspanId != 7 || !reflect.DeepEqual(e.SourcePortReceived.PortKey, []string{key}) {
		t.Fatalf("edited %+v", e)
	}
	if ws := l.w.VspanSessions(); ws[0].Enabled || ws[0].MirroredLen != 128 || ws[0].Encap != "erspan2" {
		t.Fatalf("world after edit %+v", ws[0])
	}

	// Remove.
	if err := l.reconfigureVspan("", types.VMwareDVSVspanConfigSpec{Operation: "remove",
		VspanSession: types.VMwareVspanSession{Key: got.Key}}); err != nil {
		t.Fatal(err)
	}
	cfg = l.dvsConfig()
	if len(cfg.VspanSession) != 2 || cfg.VspanSession[0].Key == got.Key || len(l.w.VspanSessions()) != 2 {
		t.Fatalf("after remove: %+v", cfg.VspanSession)
	}

	// DvsReconfiguredEvent for each change.
	evs, err := event.NewManager(l.c.Client).QueryEvents(ctx, types.EventFilterSpec{Type: []string{"DvsReconfiguredEvent"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 {
		t.Errorf("%d DvsReconfiguredEvent, want 4", len(evs))
	}
	for _, ev := range evs {
		if d := ev.(*types.DvsReconfiguredEvent); d.Dvs == nil || d.Dvs.Name != DVSName || d.ConfigSpec == nil {
			t.Errorf("event %+v", d)
		}
	}
}

func TestVspanConfigVersion(t *testing.T) {
	l := startLab(t, nil)
	key := l.w.FindVM("db01").Nics[0].DVPort
	v0 := l.dvsConfig().ConfigVersion
	for _, version := range []string{"999", " "} {
		err := l.reconfigureVspan(version, add(erspanSession("stale", key)))
		f, msg := taskFault(t, err)
		if _, ok := f.(*types.ConcurrentAccess); !ok || msg != "Cannot complete operation due to concurrent modification by another operation." {
			t.Errorf("configVersion %q: %T %q", version, f, msg)
		}
	}
	if c := l.dvsConfig(); c.ConfigVersion != v0 || len(c.VspanSession) != 0 {
		t.Fatalf("a refused spec changed the switch: %+v", c)
	}
	// vspan_config_version=false: the bare simulator ignored it.
	st := l.w.GetSettings()
	st.Mirror.IgnoreConfigVersion = true
	l.w.SetSettings(st)
	if err := l.reconfigureVspan("999", add(erspanSession("stale", key))); err != nil {
		t.Fatal(err)
	}
	if c := l.dvsConfig(); len(c.VspanSession) != 1 || c.ConfigVersion == v0 {
		t.Fatalf("ignoring the version: %+v", c)
	}
}

func TestVspanFaults(t *testing.T) {
	l := startLab(t, nil)
	key := l.w.FindVM("db01").Nics[0].DVPort
	key2 := l.w.FindVM("testvm2").Nics[1].DVPort
	if err := l.reconfigureVspan("", add(erspanSession("existing", key))); err != nil {
		t.Fatal(err)
	}
	existing := l.dvsConfig().VspanSession[0].Key
	mirror := func(src, dst string) types.VMwareVspanSession {
		return types.VMwareVspanSession{Name: "local", SessionType: "dvPortMirror", Enabled: true,
			SourcePortTransmitted: &types.VMwareVspanPort{PortKey: []string{src}},
			DestinationPort:       &types.VMwareVspanPort{PortKey: []string{dst}}}
	}
	with := func(f func(*types.VMwareVspanSession)) types.VMwareDVSVspanConfigSpec {
		s := erspanSession("bad", key)
		f(&s)
		return add(s)
	}
	long := strings.Repeat("n", 81)
	cases := []struct {
		name  string
		specs []types.VMwareDVSVspanConfigSpec
		fault string // Go type of the fault
		prop  string // InvalidArgument.invalidProperty
	}{
		{"operation", []types.VMwareDVSVspanConfigSpec{{Operation: "nothing", VspanSession: erspanSession("x", key)}}, "InvalidArgument", "operation"},
		{"edit without key", []types.VMwareDVSVspanConfigSpec{{Operation: "edit", VspanSession: types.VMwareVspanSession{Name: "x"}}}, "InvalidArgument", "vspanSession.key"},
		{"edit unknown key", []types.VMwareDVSVspanConfigSpec{{Operation: "edit", VspanSession: types.VMwareVspanSession{Key: "invalid"}}}, "NotFound", ""},
		{"remove unknown key", []types.VMwareDVSVspanConfigSpec{{Operation: "remove", VspanSession: types.VMwareVspanSession{Key: "invalid"}}}, "NotFound", ""},
		{"remove no key", []types.VMwareDVSVspanConfigSpec{{Operation: "remove"}}, "NotFound", ""},
		{"name of 81", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.Name = long })}, "InvalidArgument", "vspanSession.name"},
		{"edit name of 81", []types.VMwareDVSVspanConfigSpec{{Operation: "edit", VspanSession: types.VMwareVspanSession{Key: existing, Name: long}}}, "InvalidArgument", "vspanSession.name"},
		{"sessionType", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.SessionType = "@#$%^" })}, "InvalidArgument", "vspanSession.sessionType"},
		{"edit sessionType", []types.VMwareDVSVspanConfigSpec{{Operation: "edit", VspanSession: types.VMwareVspanSession{Key: existing, SessionType: "aaa"}}}, "InvalidArgument", "vspanSession.sessionType"},
		{"encapType", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.EncapType = "vxlan" })}, "InvalidArgument", "vspanSession.encapType"},
		{"samplingRate 65536", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.SamplingRate = 65536 })}, "InvalidArgument", "vspanSession.samplingRate"},
		{"samplingRate -1", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.SamplingRate = -1 })}, "InvalidArgument", "vspanSession.samplingRate"},
		{"mixedDestMirror sampling", []types.VMwareDVSVspanConfigSpec{add(types.VMwareVspanSession{Name: "m", SamplingRate: 10})}, "InvalidArgument", "vspanSession.samplingRate"},
		{"mirroredPacketLength 59", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.MirroredPacketLength = 59 })}, "InvalidArgument", "vspanSession.mirroredPacketLength"},
		{"mirroredPacketLength -2", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.MirroredPacketLength = -2 })}, "InvalidArgument", "vspanSession.mirroredPacketLength"},
		{"erspanId", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.ErspanId = 1024 })}, "InvalidArgument", "vspanSession.erspanId"},
		{"erspanCOS", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.ErspanCOS = 8 })}, "InvalidArgument", "vspanSession.erspanCOS"},
		{"encapsulationVlanId", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.EncapsulationVlanId = 1 })}, "InvalidArgument", "vspanSession.encapsulationVlanId"},
		{"unknown port", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.SourcePortReceived.PortKey = []string{"99999"} })}, "NotFound", ""},
		{"uplink as source", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.SourcePortTransmitted.UplinkPortName = []string{"uplink1"} })}, "InvalidArgument", "vspanSession.sourcePortTransmitted.uplinkPortName"},
		{"ip as source", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.SourcePortReceived.IpAddress = []string{"10.1.1.1"} })}, "InvalidArgument", "vspanSession.sourcePortReceived.ipAddress"},
		{"wildcard tx", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) {
			s.SourcePortTransmitted.WildcardPortConnecteeType = []string{"vmVnic"}
		})}, "InvalidArgument", "vspanSession.sourcePortTransmitted.wildcardPortConnecteeType"},
		{"port as ERSPAN destination", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.DestinationPort.PortKey = []string{key2} })}, "InvalidArgument", "vspanSession.destinationPort"},
		{"bad address 10.111", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.DestinationPort.IpAddress = []string{"10.111"} })}, "InvalidArgument", "vspanSession.destinationPort.ipAddress"},
		{"bad address 10.1.1.1.1", []types.VMwareDVSVspanConfigSpec{with(func(s *types.VMwareVspanSession) { s.DestinationPort.IpAddress = []string{"10.1.1.1.1"} })}, "InvalidArgument", "vspanSession.destinationPort.ipAddress"},
		{"same session src and dst", []types.VMwareDVSVspanConfigSpec{add(mirror(key2, key2))}, "VspanSameSessionPortConflict", ""},
		{"two destinations", []types.VMwareDVSVspanConfigSpec{add(mirror(key, key2)), add(mirror(key, key2))}, "VspanDestPortConflict", ""},
		{"source is another's destination", []types.VMwareDVSVspanConfigSpec{add(mirror(key, key2)), add(mirror(key2, key))}, "VspanPortConflict", ""},
		// The whole request fails when one part does: the good first spec is not applied.
		{"atomic", []types.VMwareDVSVspanConfigSpec{add(erspanSession("good", key)), with(func(s *types.VMwareVspanSession) { s.ErspanId = -1 })}, "InvalidArgument", "vspanSession.erspanId"},
	}
	v0 := l.dvsConfig().ConfigVersion
	for _, c := range cases {
		err := l.reconfigureVspan("", c.specs...)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		f, msg := taskFault(t, err)
		if got := reflect.TypeOf(f).Elem().Name(); got != c.fault {
			t.Errorf("%s: fault %s (%q), want %s", c.name, got, msg, c.fault)
			continue
		}
		if ia, ok := f.(*types.InvalidArgument); ok {
			if ia.InvalidProperty != c.prop || msg != "A specified parameter was not correct: "+c.prop {
				t.Errorf("%s: invalidProperty %q, message %q, want %q", c.name, ia.InvalidProperty, msg, c.prop)
			}
		}
		if _, ok := f.(*types.NotFound); ok && msg != "The object or item referred to could not be found." {
			t.Errorf("%s: message %q", c.name, msg)
		}
	}
	if c := l.dvsConfig(); c.ConfigVersion != v0 || len(c.VspanSession) != 1 {
		t.Fatalf("refused specs changed the switch: version %s -> %s, %d sessions", v0, c.ConfigVersion, len(c.VspanSession))
	}

	// Accepted: an unset sampling rate and packet length, -1 (all of each frame), 60,
	// and a local mirror whose ports do not collide.
	ok := []types.VMwareDVSVspanConfigSpec{
		with(func(s *types.VMwareVspanSession) { s.MirroredPacketLength = -1 }),
		with(func(s *types.VMwareVspanSession) { s.MirroredPacketLength = 60; s.SamplingRate = 65535 }),
		add(mirror(key, key2)),
	}
	if err := l.reconfigureVspan("", ok...); err != nil {
		t.Fatal(err)
	}
}

func TestVspanNames(t *testing.T) {
	l := startLab(t, nil)
	key := l.w.FindVM("db01").Nics[0].DVPort
	// By default a name may repeat (nothing found says vCenter refuses it).
	if err := l.reconfigureVspan("", add(erspanSession("same", key)), add(erspanSession("same", key))); err != nil {
		t.Fatal(err)
	}
	st := l.w.GetSettings()
	st.Mirror.UniqueNames = true
	l.w.SetSettings(st)
	err := l.reconfigureVspan("", add(erspanSession("other", key)), add(erspanSession("other", key)))
	f, msg := taskFault(t, err)
	if d, ok := f.(*types.DuplicateName); !ok || d.Name != "other" || msg != "The name 'other' already exists." {
		t.Fatalf("vspan_unique_names: %T %+v %q", f, f, msg)
	}
	if n := len(l.dvsConfig().VspanSession); n != 2 {
		t.Fatalf("%d sessions", n)
	}
}

func TestHostVmkAddresses(t *testing.T) {
	l := startLab(t, nil)
	for i, name := range []string{"esx01", "esx02", "esx03"} {
		var m mo.HostSystem
		h := l.host(name)
		if err := h.Properties(context.Background(), h.Reference(), []string{"config.network.vnic"}, &m); err != nil {
			t.Fatal(err)
		}
		want := "127.0.1." + string(rune('1'+i))
		if len(m.Config.Network.Vnic) == 0 || m.Config.Network.Vnic[0].Device != "vmk0" ||
			m.Config.Network.Vnic[0].Spec.Ip.IpAddress != want || l.w.HostVmkIP(name) != want {
			t.Errorf("%s: vmk0 %+v, world %q, want %s", name, m.Config.Network.Vnic, l.w.HostVmkIP(name), want)
		}
	}
	inv := defaultInventorySpec()
	inv.Hosts[0].VmkIP = "10.0.0.5"
	if err := inv.normalize(); err == nil || !strings.Contains(err.Error(), `host "esx01": vmk_ip "10.0.0.5" is not an IPv4 loopback address`) {
		t.Errorf("non-loopback vmk_ip: %v", err)
	}
	inv = defaultInventorySpec()
	inv.Hosts[1].VmkIP = "127.9.9.9"
	if err := inv.normalize(); err != nil || inv.Hosts[1].VmkIP != "127.9.9.9" || inv.Hosts[0].VmkIP != "127.0.1.1" {
		t.Errorf("vmk_ip given: %v %+v", err, inv.Hosts)
	}
}

func TestCopiedVMsGetTheirOwnDVPorts(t *testing.T) {
	inv := &Inventory{Hosts: []HostSpec{{Name: "esx01", DVS: true}, {Name: "esx02", DVS: true}},
		Generate: []GenerateSpec{{Count: cloneThreshold + 20, Prefix: "d", Hosts: []string{"esx01", "esx02"},
			Portgroup: DVSPortgroup, PoweredOn: boolp(false)}}}
	if err := inv.normalize(); err != nil {
		t.Fatal(err)
	}
	l := startLab(t, inv)
	seen := map[string]string{}
	for _, v := range l.w.VMsSnapshot() {
		k := v.Nics[0].DVPort
		if k == "" || seen[k] != "" {
			t.Fatalf("%s: dvport %q (also %q)", v.Name, k, seen[k])
		}
		if k >= "100" && k <= "131" && len(k) == 3 {
			t.Errorf("%s: dvport %s is an uplink port's key", v.Name, k)
		}
		seen[k] = v.Name
	}
	// vCenter shows the copies' own keys.
	for _, name := range []string{"d-00001", "d-00060", "d-00070"} {
		v := l.w.FindVM(name)
		if got := l.nicDVPort(name, v.Nics[0].MAC); got != v.Nics[0].DVPort {
			t.Errorf("%s: vCenter dvport %q, world %q", name, got, v.Nics[0].DVPort)
		}
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"labsim/mirror/mirrortest"
)

func TestMirrorFlagSettingsAndLabJSON(t *testing.T) {
	if _, err := parseFlags([]string{"--state-dir", "x", "--mirror-collector", "192.0.2.1"}); err == nil ||
		!strings.Contains(err.Error(), "loopback") {
		t.Errorf("non-loopback collector: %v", err)
	}
	if o, err := parseFlags([]string{"--state-dir", "x"}); err != nil || o.MirrorAddr != "127.0.0.1" {
		t.Errorf("default collector: %q %v", o.MirrorAddr, err)
	}
	o := testOptions(t)
	o.MirrorAddr = "127.0.9.9"
	l, err := startLab(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	b, err := os.ReadFile(l.labJSON)
	if err != nil {
		t.Fatal(err)
	}
	var info LabInfo
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	if info.Mirror.Collector != "127.0.9.9" || info.Mirror.Transport != "raw-socket" ||
		info.Mirror.Hosts["esx01"] != "127.0.1.1" || info.Mirror.Hosts["esx03"] != "127.0.1.3" || info.Hosts[1].VmkIP != "127.0.1.2" {
		t.Fatalf("lab.json mirror %+v, hosts %+v", info.Mirror, info.Hosts)
	}
	ctl := l.ctlURL
	code, body := call(t, "GET", ctl+"/settings", nil)
	for _, want := range []string{`"vspan_config_version": true`, `"vspan_unique_names": false`, `"mirror_loss": 0,`,
		`"mirror_reorder": 0,`, `"mirror_gre_header": "seq"`, `"mirror_erspan3_subheader": false`, `"mirror_erspan3_ticks": "draft"`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("GET /settings: want %s in %d %s", want, code, body)
		}
	}
	code, body = call(t, "POST", ctl+"/settings", strings.NewReader(`{"vspan_config_version": false, "vspan_unique_names": true,
		"mirror_loss": 0.25, "mirror_reorder": 0.5, "mirror_gre_header": "key-seq", "mirror_erspan3_subheader": true,
		"mirror_erspan3_ticks": "vmware-doc"}`))
	if code != 200 {
		t.Fatalf("POST: %d %s", code, body)
	}
	m := l.w.GetSettings().Mirror
	if !m.IgnoreConfigVersion || !m.UniqueNames || m.Loss != 0.25 || m.Reorder != 0.5 || m.GREHeader != "key-seq" ||
		!m.Erspan3Subheader || m.Erspan3Ticks != "vmware-doc" {
		t.Fatalf("settings %+v", m)
	}
	// The defaults' values bring the defaults back.
	code, _ = call(t, "POST", ctl+"/settings?vspan_config_version=true&mirror_gre_header=seq&mirror_erspan3_ticks=draft&mirror_loss=0", nil)
	if m := l.w.GetSettings().Mirror; code != 200 || m.IgnoreConfigVersion || m.GREHeader != "" || m.Erspan3Ticks != "" || m.Loss != 0 {
		t.Fatalf("back to defaults: %d %+v", code, m)
	}
	for q, want := range map[string]string{
		"mirror_loss=1.5": "want a fraction from 0 to 1", "mirror_reorder=x": "want a fraction",
		"mirror_gre_header=nvgre": "want seq, plain, key-seq", "mirror_erspan3_ticks=ps": "want draft, vmware-doc",
		"vspan_unique_names=maybe": "want true or false",
	} {
		if code, body := call(t, "POST", ctl+"/settings?"+q, nil); code != 400 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s", q, code, body)
		}
	}
	code, body = call(t, "GET", ctl+"/mirror", nil)
	if code != 200 || !strings.Contains(body, `"collector": "127.0.9.9"`) || !strings.Contains(body, `"sessions": []`) ||
		!strings.Contains(body, `"sent": 0`) {
		t.Fatalf("GET /mirror: %d %s", code, body)
	}
}

// vcClient logs in to the lab's vCenter as any vSphere client would.
func vcClient(t *testing.T, l *labRun) (*govmomi.Client, *find.Finder) {
	t.Helper()
	ctx := context.Background()
	u, _ := url.Parse(l.vc.URL())
	sc := soap.NewClient(u, false)
	if err := sc.SetRootCAs(l.vc.CAPath()); err != nil {
		t.Fatal(err)
	}
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	gc := &govmomi.Client{Client: c, SessionManager: session.NewManager(c)}
	if err := gc.Login(ctx, url.UserPassword(l.vc.User(), l.vc.Password())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gc.Logout(ctx) })
	f := find.NewFinder(c, true)
	dc, err := f.Datacenter(ctx, l.vc.Datacenter())
	if err != nil {
		t.Fatal(err)
	}
	f.SetDatacenter(dc)
	return gc, f
}

// truthSince reads truth.jsonl's records of kind ev from line `from` on.
func truthSince(t *testing.T, l *labRun, ev string, from int) (recs []map[string]any, lines int) {
	t.Helper()
	l.w.FlushTruth()
	f, err := os.Open(l.opts.StateDir + "/truth.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines++
		if lines <= from || !bytes.Contains(sc.Bytes(), []byte(`"ev":"`+ev+`"`)) {
			continue
		}
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, m)
	}
	return recs, lines
}

// TestMirrorThroughVCenter: a vSphere client creates an ERSPAN session for db01's
// distributed port through ReconfigureDvs_Task; db01's traffic arrives at the
// collector as ERSPAN III from esx02's vmk0; after a vMotion from esx01's; after the
// session is removed nothing more comes.
func TestMirrorThroughVCenter(t *testing.T) {
	o := testOptions(t)
	o.TrafficEvery = 100 * time.Millisecond
	l, err := startLab(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	c := mirrortest.NewCollector(t)
	_, f := vcClient(t, l)
	ctx := context.Background()
	vm, err := f.VirtualMachine(ctx, "db01")
	if err != nil {
		t.Fatal(err)
	}
	var vmo mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"config.hardware.device"}, &vmo); err != nil {
		t.Fatal(err)
	}
	var key string
	for _, d := range vmo.Config.Hardware.Device {
		if n, ok := d.(types.BaseVirtualEthernetCard); ok {
			if b, ok := n.GetVirtualEthernetCard().Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo); ok {
				key = b.Port.PortKey
			}
		}
	}
	net, err := f.Network(ctx, "dvs1")
	if err != nil {
		t.Fatal(err)
	}
	dvs := net.(*object.DistributedVirtualSwitch)
	reconfigure := func(spec types.VMwareDVSVspanConfigSpec) {
		t.Helper()
		var m mo.DistributedVirtualSwitch
		if err := dvs.Properties(ctx, dvs.Reference(), []string{"config"}, &m); err != nil {
			t.Fatal(err)
		}
		task, err := dvs.Reconfigure(ctx, &types.VMwareDVSConfigSpec{DVSConfigSpec: types.DVSConfigSpec{
			ConfigVersion: m.Config.GetDVSConfigInfo().ConfigVersion}, VspanConfigSpec: []types.VMwareDVSVspanConfigSpec{spec}})
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	reconfigure(types.VMwareDVSVspanConfigSpec{Operation: "add", VspanSession: types.VMwareVspanSession{
		Name: "vm-capture db01", Enabled: true, SessionType: "encapsulatedRemoteMirrorSource", EncapType: "erspan3", ErspanId: 12,
		SourcePortTransmitted: &types.VMwareVspanPort{PortKey: []string{key}},
		SourcePortReceived:    &types.VMwareVspanPort{PortKey: []string{key}},
		DestinationPort:       &types.VMwareVspanPort{IpAddress: []string{c.Addr.String()}}}})
	pkts := c.Collect(4, 10*time.Second)
	if len(pkts) < 4 {
		t.Fatalf("%d packets from db01's traffic", len(pkts))
	}
	for _, p := range pkts {
		if p.Src.String() != "127.0.1.2" || p.Proto != 0x22EB || p.Session != 12 {
			t.Fatalf("packet %+v", p)
		}
	}
	// Each copy is a frame truth.jsonl has on db01's port, as "mirror" records say.
	// (A frame testvm2 sends to db01 crosses db01's port too: "vm" names the sender.)
	var recs []map[string]any
	for end := time.Now().Add(5 * time.Second); len(recs) < len(pkts); time.Sleep(10 * time.Millisecond) {
		if recs, _ = truthSince(t, l, "mirror", 0); time.Now().After(end) {
			t.Fatalf("%d packets, truth %v", len(pkts), recs)
		}
	}
	for _, r := range recs {
		if r["dvport"] != key || r["dst"] != c.Addr.String() || r["host"] != "esx02" || r["fate"] != "sent" {
			t.Fatalf("truth %v", r)
		}
	}

	esx01, err := f.HostSystem(ctx, "/"+l.vc.Datacenter()+"/host/*/esx01")
	if err != nil {
		t.Fatal(err)
	}
	task, err := vm.Migrate(ctx, nil, esx01, types.VirtualMachineMovePriorityDefaultPriority, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for moved := false; !moved; {
		for _, p := range c.Collect(1, time.Second) {
			moved = moved || p.Src.String() == "127.0.1.1"
		}
		if !moved && time.Now().After(deadline) {
			t.Fatal("no copy from esx01 after the vMotion")
		}
	}

	var m mo.DistributedVirtualSwitch
	if err := dvs.Properties(ctx, dvs.Reference(), []string{"config"}, &m); err != nil {
		t.Fatal(err)
	}
	sk := m.Config.(*types.VMwareDVSConfigInfo).VspanSession[0].Key
	reconfigure(types.VMwareDVSVspanConfigSpec{Operation: "remove", VspanSession: types.VMwareVspanSession{Key: sk}})
	// After the removal db01 keeps sending; no copy follows.
	_, mark := truthSince(t, l, "frame", 0)
	for {
		frames, _ := truthSince(t, l, "frame", mark)
		n := 0
		for _, fr := range frames {
			if fr["vm"] == "db01" && fr["dvport"] == key {
				n++
			}
		}
		if n >= 3 {
			break
		}
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatal("db01 sends nothing")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if after, _ := truthSince(t, l, "mirror", mark); len(after) != 0 {
		t.Fatalf("copies after the session's removal: %v", after)
	}
	c.Collect(1000, 100*time.Millisecond) // drain what was on its way before the removal
	if extra := c.Quiet(300 * time.Millisecond); len(extra) != 0 {
		t.Fatalf("a packet after the removal: %+v", extra[0])
	}
}

func TestControlMirrorSession(t *testing.T) {
	o := testOptions(t)
	o.TrafficEvery = 100 * time.Millisecond
	l, err := startLab(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	c := mirrortest.NewCollector(t)
	ctl := l.ctlURL
	code, body := call(t, "POST", ctl+"/mirror/session?vm=db01&encap=erspan2&erspan_id=9&length=64&dst="+c.Addr.String(), nil)
	if code != 200 || !strings.Contains(body, `"key": "1"`) {
		t.Fatalf("POST /mirror/session: %d %s", code, body)
	}
	pkts := c.Collect(3, 10*time.Second)
	if len(pkts) != 3 {
		t.Fatalf("%d packets", len(pkts))
	}
	for _, p := range pkts {
		if p.Proto != 0x88BE || p.Session != 9 || len(p.Frame) > 64 || p.Src.String() != "127.0.1.2" {
			t.Fatalf("packet %+v", p)
		}
	}
	ss := l.w.VspanSessions()
	if len(ss) != 1 || ss[0].Name != "lab db01" || ss[0].MirroredLen != 64 || ss[0].Type != "encapsulatedRemoteMirrorSource" {
		t.Fatalf("sessions %+v", ss)
	}
	code, body = call(t, "GET", ctl+"/mirror", nil)
	if code != 200 || !strings.Contains(body, `"name": "lab db01"`) {
		t.Fatalf("GET /mirror: %d %s", code, body)
	}
	if code, body = call(t, "POST", ctl+"/mirror/session?remove=1", nil); code != 200 || len(l.w.VspanSessions()) != 0 {
		t.Fatalf("remove: %d %s", code, body)
	}
	for q, want := range map[string]string{
		"vm=testvm1":               "has no NIC on the distributed switch",
		"vm=nosuchvm":              "nosuchvm",
		"vm=db01&length=x":         "want a number",
		"vm=db01&length=10":        "A specified parameter was not correct: vspanSession.mirroredPacketLength",
		"vm=db01&gra_nanosec=what": "want true or false",
		"remove=77":                "The object or item referred to could not be found.",
	} {
		if code, body := call(t, "POST", ctl+"/mirror/session?"+q, nil); code < 400 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s", q, code, body)
		}
	}
}

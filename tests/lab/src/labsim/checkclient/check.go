// Package checkclient is a small vSphere client that knows nothing of the lab's
// code: it uses only govmomi's public client and the files a running lab publishes
// (lab.json, the CA certificate, the control URL). It checks, as an outside client
// sees it, what issue 3 promises: a reset posts VmResettingEvent and gives testvm1
// a new port key on its host; a migration lands it on esx02 with its port; a DRS
// pass moves it with DrsVmMigratedEvent; a manual override keeps it in place.
package checkclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"sort"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// labFile is the part of lab.json this client reads.
type labFile struct {
	VCenter struct {
		URL, User, Password, Datacenter string
		CACert                          string `json:"ca_cert"`
	} `json:"vcenter"`
	Control string `json:"control"`
}

// Report is what the client saw.
type Report struct {
	ResetEvent       bool   // VmResettingEvent for testvm1
	PortBefore       string // testvm1's port key on esx01 before the reset
	PortAfterReset   string // ... and after
	PortAfterMigrate string // its port key on esx02 after MigrateVM_Task
	MigratedEvent    bool   // VmMigratedEvent esx01 -> esx02
	DRSMoved         bool   // the first DRS pass moved testvm1 (esx02 -> esx01)
	DRSEvent         bool   // DrsVmMigratedEvent for testvm1
	MovedUnderManual bool   // the pass with a manual override moved testvm1 (must stay false)
	HostAfterManual  string // where testvm1 is after that pass
	OverrideRemoved  bool   // the override this client added was removed again
}

type checker struct {
	out  io.Writer
	lab  labFile
	c    *govmomi.Client
	f    *find.Finder
	vm   *object.VirtualMachine
	mac  string
	evs  chan types.BaseEvent
	stop context.CancelFunc
}

func (k *checker) say(format string, a ...interface{}) { fmt.Fprintf(k.out, format+"\n", a...) }

// Run runs the checks against the lab described by labJSON, printing what it sees.
func Run(ctx context.Context, labJSON string, out io.Writer) (*Report, error) {
	b, err := os.ReadFile(labJSON)
	if err != nil {
		return nil, err
	}
	k := &checker{out: out}
	if err := json.Unmarshal(b, &k.lab); err != nil {
		return nil, fmt.Errorf("%s: %v", labJSON, err)
	}
	if k.c, err = connect(ctx, k.lab.VCenter.URL, k.lab.VCenter.CACert, k.lab.VCenter.User, k.lab.VCenter.Password); err != nil {
		return nil, err
	}
	defer k.c.Logout(context.Background())
	k.f = find.NewFinder(k.c.Client, false)
	dc, err := k.f.Datacenter(ctx, k.lab.VCenter.Datacenter)
	if err != nil {
		return nil, err
	}
	k.f.SetDatacenter(dc)
	if k.vm, err = k.f.VirtualMachine(ctx, "testvm1"); err != nil {
		return nil, err
	}
	var vmo mo.VirtualMachine
	if err := k.vm.Properties(ctx, k.vm.Reference(), []string{"config.hardware.device"}, &vmo); err != nil {
		return nil, err
	}
	for _, d := range vmo.Config.Hardware.Device {
		if n, ok := d.(types.BaseVirtualEthernetCard); ok && k.mac == "" {
			k.mac = n.GetVirtualEthernetCard().MacAddress
		}
	}
	k.say("testvm1 is %s, MAC %s", k.vm.Reference().Value, k.mac)
	if err := k.tail(ctx); err != nil {
		return nil, err
	}
	defer k.stop()

	r := &Report{}
	if r.PortBefore, err = k.portKey(ctx, "esx01"); err != nil {
		return r, err
	}
	k.say("port on esx01 before reset: %s", r.PortBefore)

	if err := wait(k.vm.Reset(ctx)); err != nil {
		return r, fmt.Errorf("ResetVM_Task: %v", err)
	}
	resetAt := time.Now()
	r.ResetEvent = k.await("VmResettingEvent", nil) != nil
	// vCenter's copy of the host's port list follows the host after a while (the lab's
	// host_portlist_lag, 2 s by default): wait for the new key, as a client must.
	r.PortAfterReset = k.awaitPortKey(ctx, "esx01", func(key string) bool { return key != "" && key != r.PortBefore })
	k.say("VmResettingEvent seen: %v; port on esx01 after reset: %s (listed %v after the reset)", r.ResetEvent,
		r.PortAfterReset, time.Since(resetAt).Round(100*time.Millisecond))

	esx02, err := k.f.HostSystem(ctx, "esx02")
	if err != nil {
		return r, err
	}
	if err := wait(k.vm.Migrate(ctx, nil, esx02, types.VirtualMachineMovePriorityDefaultPriority, "")); err != nil {
		return r, fmt.Errorf("MigrateVM_Task: %v", err)
	}
	r.MigratedEvent = k.await("VmMigratedEvent", func(e types.BaseEvent) bool {
		m := e.(*types.VmMigratedEvent)
		return m.SourceHost.Name == "esx01" && m.Host != nil && m.Host.Name == "esx02"
	}) != nil
	r.PortAfterMigrate = k.awaitPortKey(ctx, "esx02", func(key string) bool { return key != "" })
	k.say("VmMigratedEvent esx01 -> esx02 seen: %v; port on esx02: %s", r.MigratedEvent, r.PortAfterMigrate)

	moves, err := k.drs(ctx)
	if err != nil {
		return r, err
	}
	for _, m := range moves {
		r.DRSMoved = r.DRSMoved || m.Moref == k.vm.Reference().Value
	}
	r.DRSEvent = k.await("DrsVmMigratedEvent", nil) != nil
	k.say("DRS pass: %d moves, testvm1 moved: %v, DrsVmMigratedEvent seen: %v", len(moves), r.DRSMoved, r.DRSEvent)

	cl, err := k.f.ClusterComputeResource(ctx, "cluster1")
	if err != nil {
		return r, err
	}
	if err := k.override(ctx, cl, types.ArrayUpdateOperationAdd); err != nil {
		return r, fmt.Errorf("adding a manual DRS override: %v", err)
	}
	before, _ := k.host(ctx)
	if moves, err = k.drs(ctx); err != nil {
		return r, err
	}
	for _, m := range moves {
		r.MovedUnderManual = r.MovedUnderManual || m.Moref == k.vm.Reference().Value
	}
	r.HostAfterManual, _ = k.host(ctx)
	r.MovedUnderManual = r.MovedUnderManual || r.HostAfterManual != before
	k.say("DRS pass with a manual override: %d moves, testvm1 moved: %v (on %s)", len(moves), r.MovedUnderManual, r.HostAfterManual)
	r.OverrideRemoved = k.override(ctx, cl, types.ArrayUpdateOperationRemove) == nil
	return r, nil
}

func connect(ctx context.Context, rawURL, ca, user, password string) (*govmomi.Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	sc := soap.NewClient(u, false)
	if err := sc.SetRootCAs(ca); err != nil {
		return nil, err
	}
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, err
	}
	c := &govmomi.Client{Client: vc, SessionManager: session.NewManager(vc)}
	return c, c.Login(ctx, url.UserPassword(user, password))
}

func wait(t *object.Task, err error) error {
	if err != nil {
		return err
	}
	return t.Wait(context.Background())
}

// tail follows an EventHistoryCollector's latestPage with WaitForUpdatesEx on its
// own session and delivers each new event once.
func (k *checker) tail(ctx context.Context) error {
	c, err := connect(ctx, k.lab.VCenter.URL, k.lab.VCenter.CACert, k.lab.VCenter.User, k.lab.VCenter.Password)
	if err != nil {
		return err
	}
	res, err := methods.CreateCollectorForEvents(ctx, c, &types.CreateCollectorForEvents{
		This: *c.ServiceContent.EventManager,
		Filter: types.EventFilterSpec{MaxCount: 100, Entity: &types.EventFilterSpecByEntity{
			Entity: k.vm.Reference(), Recursion: types.EventFilterSpecRecursionOptionSelf}}})
	if err != nil {
		return err
	}
	tctx, cancel := context.WithCancel(context.Background())
	k.evs = make(chan types.BaseEvent, 1000)
	ready := make(chan struct{})
	k.stop = func() { cancel(); c.Logout(context.Background()) }
	go func() {
		last := int32(-1)
		first := true
		_ = property.Wait(tctx, property.DefaultCollector(c.Client), res.Returnval, []string{"latestPage"},
			func(changes []types.PropertyChange) bool {
				for _, ch := range changes {
					page, _ := ch.Val.(types.ArrayOfEvent)
					max := last
					// The SDK says a page is unordered: deliver oldest (smallest key) first.
					sort.Slice(page.Event, func(i, j int) bool { return page.Event[i].GetEvent().Key < page.Event[j].GetEvent().Key })
					for _, e := range page.Event {
						if key := e.GetEvent().Key; key > last {
							if !first {
								k.evs <- e
							}
							if key > max {
								max = key
							}
						}
					}
					last = max
				}
				if first {
					first = false
					close(ready)
				}
				return false
			})
	}()
	select {
	case <-ready:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("event collector gave no first page in 30 s")
	}
}

func eventName(e types.BaseEvent) string { return reflect.TypeOf(e).Elem().Name() }

// await returns the next event of that type (and match), or nil after 30 s.
func (k *checker) await(kind string, match func(types.BaseEvent) bool) types.BaseEvent {
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e := <-k.evs:
			if eventName(e) == kind && (match == nil || match(e)) {
				return e
			}
		case <-deadline:
			return nil
		}
	}
}

// awaitPortKey polls testvm1's port key on host until ok accepts it (15 s at most)
// and returns the last key read.
func (k *checker) awaitPortKey(ctx context.Context, host string, ok func(string) bool) string {
	deadline := time.Now().Add(15 * time.Second)
	for {
		key, err := k.portKey(ctx, host)
		if err == nil && ok(key) || time.Now().After(deadline) {
			return key
		}
		select {
		case <-ctx.Done():
			return key
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// portKey is testvm1's port key (by MAC) in the host's portgroups.
func (k *checker) portKey(ctx context.Context, host string) (string, error) {
	h, err := k.f.HostSystem(ctx, host)
	if err != nil {
		return "", err
	}
	var m mo.HostSystem
	if err := h.Properties(ctx, h.Reference(), []string{"config.network.portgroup"}, &m); err != nil {
		return "", err
	}
	for _, pg := range m.Config.Network.Portgroup {
		for _, p := range pg.Port {
			for _, mac := range p.Mac {
				if mac == k.mac && p.Type == "virtualMachine" {
					return p.Key, nil
				}
			}
		}
	}
	return "", nil
}

func (k *checker) host(ctx context.Context) (string, error) {
	var m mo.VirtualMachine
	if err := k.vm.Properties(ctx, k.vm.Reference(), []string{"runtime.host"}, &m); err != nil {
		return "", err
	}
	var h mo.HostSystem
	if err := k.c.RetrieveOne(ctx, *m.Runtime.Host, []string{"name"}, &h); err != nil {
		return "", err
	}
	return h.Name, nil
}

type move struct{ VM, Moref, From, To string }

func (k *checker) drs(ctx context.Context) ([]move, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, k.lab.Control+"/drs", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var moves []move
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		return nil, fmt.Errorf("POST /drs: %s: %s", res.Status, b)
	}
	return moves, json.NewDecoder(res.Body).Decode(&moves)
}

func (k *checker) override(ctx context.Context, cl *object.ClusterComputeResource, op types.ArrayUpdateOperation) error {
	spec := types.ClusterDrsVmConfigSpec{ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: op}}
	if op == types.ArrayUpdateOperationRemove {
		spec.RemoveKey = k.vm.Reference()
	} else {
		spec.Info = &types.ClusterDrsVmConfigInfo{Key: k.vm.Reference(), Enabled: types.NewBool(true),
			Behavior: types.DrsBehaviorManual}
	}
	return wait(cl.Reconfigure(ctx, &types.ClusterConfigSpecEx{DrsVmConfigSpec: []types.ClusterDrsVmConfigSpec{spec}}, true))
}

// Problems lists what differs from what issue 3 promises.
func (r *Report) Problems() []string {
	var p []string
	if !r.ResetEvent {
		p = append(p, "no VmResettingEvent after ResetVM_Task")
	}
	if r.PortBefore == "" || r.PortAfterReset == "" || r.PortBefore == r.PortAfterReset {
		p = append(p, fmt.Sprintf("port key on esx01 did not change at reset (%q -> %q)", r.PortBefore, r.PortAfterReset))
	}
	if !r.MigratedEvent || r.PortAfterMigrate == "" {
		p = append(p, fmt.Sprintf("migration to esx02: event %v, port %q", r.MigratedEvent, r.PortAfterMigrate))
	}
	if !r.DRSMoved || !r.DRSEvent {
		p = append(p, fmt.Sprintf("DRS pass: moved testvm1 %v, DrsVmMigratedEvent %v", r.DRSMoved, r.DRSEvent))
	}
	if r.MovedUnderManual {
		p = append(p, "DRS moved testvm1 although its override says manual")
	}
	if !r.OverrideRemoved {
		p = append(p, "could not remove the override this client added")
	}
	return p
}

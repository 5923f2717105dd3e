// Package vc is the lab's vCenter: the govmomi simulator with the lab's inventory,
// served over HTTPS with an EC certificate, and extended with the behaviour real
// vCenter has and the simulator lacks (see shared/VSPHERE-NOTES.md "Gaps a lab must
// fill"). Every VM operation a vSphere client calls goes through the shared world
// (package world), and the world's changes are mirrored back into the simulator as
// events and property updates (mirror.go).
//
// The simulator keeps its objects in one package-level registry (simulator.Map), so a
// process runs at most one VCenter at a time.
package vc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"labsim/world"
)

type Config struct {
	StateDir   string // ca.pem and the datastores' backing directories go here
	ListenHost string // default 127.0.0.1
	Port       int    // 0 = any free port
	User       string // default administrator@vsphere.local
	Password   string // default labpass
	Inventory  *Inventory
	// Log receives the simulator's own log lines; nil discards them.
	Log io.Writer
}

// Options are vCenter-side behaviours whose real form is unverified.
type Options struct {
	// ResetPowerEvents also posts VmStopping/VmPoweredOff/VmStarting/VmPoweredOn on a
	// reset (the bare simulator does; real vCenter is believed to post only
	// VmResettingEvent, so the default is off).
	ResetPowerEvents bool `json:"reset_power_events"`
	// UpdateBatch is how long the property collector lets changes accumulate before
	// WaitForUpdatesEx looks at them (on a ticker of this period, started at each
	// call). 0, the default, answers as soon as something changes, as real vCenter
	// does; 250ms is the bare simulator.
	UpdateBatch time.Duration `json:"update_batch"`

	// HostPortlistLag is how long vCenter's copy of a host's port lists
	// (config.network.portgroup[].port[]) takes to follow the host (hostports.go).
	// 0 follows at the instant of the change (the lab before issue 13).
	HostPortlistLag time.Duration `json:"host_portlist_lag"`
	// StrictRequests rejects a SOAP request whose body does not follow the vim25
	// schema, with the fault vCenter returns (strict.go); false decodes leniently, as
	// the bare simulator does.
	StrictRequests bool `json:"strict_requests"`

	// The zero value of each field below is the documented vCenter behaviour (see
	// tests/lab/README.md "Documented behaviour"); the other value restores what the
	// lab or the bare simulator did before.

	// ResetSetsBootTime also sets runtime.bootTime at a reset and at a resume, and
	// clears it at a suspend (the lab's old behaviour). Off: bootTime is set at a
	// power-on from poweredOff and cleared at a power-off only, as the API reference
	// says (setting reset_sets_boottime).
	ResetSetsBootTime bool `json:"reset_sets_boottime"`
	// EventFilterOff makes every event collector collect every event, ignoring its
	// EventFilterSpec (as the bare simulator did for the product's collector, whose
	// `type` filter it ignored). Setting event_filtering is its negation.
	EventFilterOff bool `json:"event_filter_off"`
	// EventTypeExact makes EventFilterSpec.type match an event's own class only;
	// off (the default), a class also matches its subclasses (a filter on
	// VmMigratedEvent takes DrsVmMigratedEvent). Setting event_type_subclasses is
	// its negation.
	EventTypeExact bool `json:"event_type_exact"`
	// EventPageSize is a new collector's latestPage size when EventFilterSpec.maxCount
	// is unset: 0 means 1000 (vSphere Web Services SDK Programming Guide); the bare
	// simulator used 10 (setting event_page_size).
	EventPageSize int `json:"event_page_size"`
	// EventMaxCollectors is EventManager.maxCollector, the event collectors one
	// session may have at once: 0 means 32 (setting event_max_collectors).
	EventMaxCollectors int `json:"event_max_collectors"`
	// HAResetPlain makes an HA VM-monitoring reset post VmDasBeingResetEvent (a host
	// that cannot take a screenshot) instead of VmDasBeingResetWithScreenshotEvent.
	// Setting ha_reset_screenshot is its negation.
	HAResetPlain bool `json:"ha_reset_plain"`
}

// Defaults of the event options whose zero value stands for a number.
const (
	DefaultEventPageSize      = 1000
	DefaultEventMaxCollectors = 32
	maxEventPageSize          = 1000
)

// PageSize is the effective default latestPage size.
func (o Options) PageSize() int {
	if o.EventPageSize <= 0 {
		return DefaultEventPageSize
	}
	return o.EventPageSize
}

// MaxCollectors is the effective EventManager.maxCollector.
func (o Options) MaxCollectors() int {
	if o.EventMaxCollectors <= 0 {
		return DefaultEventMaxCollectors
	}
	return o.EventMaxCollectors
}

// DefaultOptions are the lab's defaults (Start begins with them).
func DefaultOptions() Options {
	return Options{HostPortlistLag: DefaultHostPortlistLag, StrictRequests: true}
}

type VCenter struct {
	cfg   Config
	w     *world.World
	inv   *Inventory
	model *simulator.Model
	svc   *simulator.Service
	ca    *labCA
	hub   *updateHub // wakes the property collectors (collector.go)

	events  *labEvents     // the lab's event collectors (eventmgr.go)
	routeEM *regexp.Regexp // matches the EventManager as a call's _this

	caPath string
	addr   string // host:port, fixed after the first start

	// inventory references, fixed after build
	dc         types.ManagedObjectReference
	dcName     string
	hostRef    map[string]types.ManagedObjectReference
	hostByRef  map[types.ManagedObjectReference]string
	clusterRef map[string]types.ManagedObjectReference // by cluster name
	hostCl     map[string]string                       // host -> cluster name ("" standalone)
	dsRef      map[string]types.ManagedObjectReference
	dvsUUID    string
	dvsRef     types.ManagedObjectReference
	dsDir      string // datastores' backing directories
	initial    []initialVM

	batchMu    sync.Mutex
	batching   bool
	dirtyHosts map[string]bool
	dvpgKey    string

	optMu sync.Mutex
	opts  Options

	shotMu      sync.Mutex
	shots       map[string]int  // HA reset screenshots taken, by VM moref
	portRefresh hostPortRefresh // scheduled host port-list rewrites (hostports.go)
	access      hostAccessState // hosts' services and lockdown (access.go)
	vspan       vspanState      // port mirroring on the distributed switch (vspan.go)

	srvMu    sync.Mutex
	srv      *http.Server
	down     bool
	sessions map[string]bool // session keys handed out, to end them on a restart

	stop chan struct{}
	wg   sync.WaitGroup
}

var running sync.Mutex // one VCenter per process (simulator.Map is global)

// Start builds the inventory, mirrors it into w and serves HTTPS. VMs stay powered
// off until PowerOnInitial, so that traffic listeners can be registered first.
func Start(w *world.World, cfg Config) (*VCenter, error) {
	if !running.TryLock() {
		return nil, errors.New("vc: a vCenter is already running in this process (the simulator's registry is global)")
	}
	v, err := start(w, cfg)
	if err != nil {
		running.Unlock()
		return nil, err
	}
	return v, nil
}

func start(w *world.World, cfg Config) (*VCenter, error) {
	if cfg.StateDir == "" {
		return nil, errors.New("vc: Config.StateDir is empty")
	}
	if cfg.ListenHost == "" {
		cfg.ListenHost = "127.0.0.1"
	}
	if cfg.User == "" {
		cfg.User = "administrator@vsphere.local"
	}
	if cfg.Password == "" {
		cfg.Password = "labpass"
	}
	if cfg.Inventory == nil {
		cfg.Inventory = DefaultInventory()
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	log.SetOutput(cfg.Log) // the simulator logs through the standard logger
	if err := os.MkdirAll(cfg.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("vc: state dir %s: %v", cfg.StateDir, err)
	}
	v := &VCenter{cfg: cfg, w: w, inv: cfg.Inventory, sessions: map[string]bool{}, stop: make(chan struct{}), opts: DefaultOptions(),
		hostRef: map[string]types.ManagedObjectReference{}, hostByRef: map[types.ManagedObjectReference]string{},
		clusterRef: map[string]types.ManagedObjectReference{}, hostCl: map[string]string{},
		dsRef: map[string]types.ManagedObjectReference{}}

	ca, err := newLabCA([]string{cfg.ListenHost})
	if err != nil {
		return nil, fmt.Errorf("vc: making the lab CA: %v", err)
	}
	v.ca = ca
	v.caPath = filepath.Join(cfg.StateDir, "ca.pem")
	if err := ca.writeCA(v.caPath); err != nil {
		return nil, fmt.Errorf("vc: writing %s: %v", v.caPath, err)
	}

	v.hub = newUpdateHub(func() time.Duration { return v.Options().UpdateBatch })
	if err := v.build(); err != nil {
		return nil, fmt.Errorf("vc: building the inventory: %v", err)
	}
	w.OnChange(v.mirror)

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.ListenHost, strconv.Itoa(cfg.Port)))
	if err != nil {
		return nil, fmt.Errorf("vc: listen on %s:%d: %v", cfg.ListenHost, cfg.Port, err)
	}
	v.addr = ln.Addr().String()
	v.serve(ln)

	v.wg.Add(1)
	go v.datastoreLoop()
	return v, nil
}

// URL is the SDK endpoint, https://host:port/sdk (no credentials).
func (v *VCenter) URL() string { return "https://" + v.addr + "/sdk" }

func (v *VCenter) Addr() string     { return v.addr }
func (v *VCenter) User() string     { return v.cfg.User }
func (v *VCenter) Password() string { return v.cfg.Password }
func (v *VCenter) CAPath() string   { return v.caPath }
func (v *VCenter) Datacenter() string {
	return v.dcName
}

// ClientURL is URL with the credentials filled, for govmomi.NewClient.
func (v *VCenter) ClientURL() *url.URL {
	u, _ := url.Parse(v.URL())
	u.User = url.UserPassword(v.cfg.User, v.cfg.Password)
	return u
}

func (v *VCenter) Options() Options {
	v.optMu.Lock()
	defer v.optMu.Unlock()
	return v.opts
}

func (v *VCenter) SetOptions(o Options) {
	v.optMu.Lock()
	old := v.opts
	v.opts = o
	v.optMu.Unlock()
	if v.events != nil && old.MaxCollectors() != o.MaxCollectors() {
		v.events.setMaxCollector(o.MaxCollectors())
	}
}

func (v *VCenter) serve(ln net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("/sdk", v.handleSDK)
	mux.HandleFunc("/sdk/vimServiceVersions.xml", serviceVersions)
	srv := &http.Server{Handler: mux, ErrorLog: log.New(v.cfg.Log, "vc-http ", log.LstdFlags),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{v.ca.server}, MinVersion: tls.VersionTLS12}}
	v.srvMu.Lock()
	v.srv = srv
	v.down = false
	v.srvMu.Unlock()
	go srv.ServeTLS(ln, "", "")
}

// sessionRecorder remembers the session cookie handed out at login, so a simulated
// vCenter restart can end every session (clients then get NotAuthenticated).
type sessionRecorder struct {
	http.ResponseWriter
	v *VCenter
}

func (r *sessionRecorder) WriteHeader(code int) {
	resp := http.Response{Header: r.Header()}
	for _, c := range resp.Cookies() {
		if c.Name == soap.SessionCookieName {
			r.v.srvMu.Lock()
			r.v.sessions[c.Value] = true
			r.v.srvMu.Unlock()
		}
	}
	r.ResponseWriter.WriteHeader(code)
}

func (v *VCenter) handleSDK(w http.ResponseWriter, r *http.Request) {
	v.serveSDK(&sessionRecorder{ResponseWriter: w, v: v}, r) // sdk.go
}

// Restart simulates a vCenter restart: the port refuses connections for `down`,
// every session ends, then the same inventory answers on the same port.
func (v *VCenter) Restart(down time.Duration) error {
	v.srvMu.Lock()
	srv := v.srv
	v.down = true
	keys := make([]string, 0, len(v.sessions))
	for k := range v.sessions {
		keys = append(keys, k)
	}
	v.sessions = map[string]bool{}
	v.srvMu.Unlock()
	if srv != nil {
		srv.Close()
	}
	v.hub.endWaits(false)
	sm := simulator.Map.SessionManager()
	ctx := v.internalContext("")
	for _, k := range keys {
		simulator.Map.WithLock(sm, func() {
			sm.TerminateSession(ctx, &types.TerminateSession{This: sm.Self, SessionId: []string{k}})
		})
	}
	select {
	case <-time.After(down):
	case <-v.stop:
		return errors.New("vc: stopped during restart")
	}
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the old socket may linger a moment
		if ln, err = net.Listen("tcp", v.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("vc: restart: listen on %s again: %v", v.addr, err)
	}
	v.serve(ln)
	return nil
}

// Close stops serving and releases the simulator for another Start.
func (v *VCenter) Close() {
	select {
	case <-v.stop:
		return
	default:
	}
	close(v.stop)
	v.stopHostPortRefresh()
	v.hub.endWaits(true)
	v.srvMu.Lock()
	srv := v.srv
	v.srvMu.Unlock()
	if srv != nil {
		srv.Close()
	}
	v.wg.Wait()
	if v.model != nil {
		v.model.Remove()
	}
	if v.dsDir != "" {
		os.RemoveAll(v.dsDir)
	}
	running.Unlock()
}

// internalContext is a simulator request context for calls the lab makes itself.
func (v *VCenter) internalContext(user string) *simulator.Context {
	return &simulator.Context{
		Context: context.Background(),
		Session: &simulator.Session{UserSession: types.UserSession{Key: "lab-internal", UserName: user},
			Registry: simulator.NewRegistry()},
		Map: simulator.Map,
	}
}

// client is an in-process vim25 client on the simulator (no HTTP), used to build
// the inventory.
func (v *VCenter) client(ctx context.Context) (*vim25.Client, error) {
	return vim25.NewClient(ctx, v.svc)
}

// serviceVersions answers /sdk/vimServiceVersions.xml as vCenter 8.0.3 does.
func serviceVersions(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8" ?>
<namespaces version="1.0">
 <namespace>
  <name>urn:vim25</name>
  <version>%s</version>
  <priorVersions>
   <version>8.0.2.0</version>
   <version>8.0.1.0</version>
   <version>8.0.0.0</version>
   <version>7.0.3.0</version>
   <version>7.0</version>
   <version>6.7</version>
   <version>6.5</version>
  </priorVersions>
 </namespace>
</namespaces>
`, vcAPIVersion)
}

// The lab's shared state: where every simulated VM is, which switch ports exist on which
// host, and the frames crossing them. The vCenter side (vc_*.go) changes it when any
// vSphere client calls the API; the ESXi side (esx_*.go) reads it for esxcli/net-stats
// output and subscribes to its frames for pktcap-uw. Every change and frame is appended
// to truth.jsonl so tests know what a perfect capture contains.
package world

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"sort"
	"sync"
	"time"
)

// Settings are the lab's knobs for behaviour real vSphere may or may not have.
type Settings struct {
	BootDHCPDelay   time.Duration            `json:"boot_dhcp_delay"`  // power-on to DHCP DISCOVER
	ResetKeepsPort  bool                     `json:"reset_keeps_port"` // real behaviour unverified
	TrafficInterval time.Duration            `json:"traffic_interval"` // periodic ICMP/UDP per VM
	FloodPPS        int                      `json:"flood_pps"`        // 0 = off
	FloodVM         string                   `json:"flood_vm"`         // VM name that floods
	FloodFrameLen   int                      `json:"flood_frame_len"`
	DRSInterval     time.Duration            `json:"drs_interval"` // 0 = only on POST /drs
	ClockSkew       map[string]time.Duration `json:"clock_skew"`   // per host, added to pcap timestamps
	SSH             SSHSettings              `json:"ssh"`          // the hosts' SSH servers (sshsettings.go)
	// The ESXi hosts (package esx):
	NoSha256sum    []string `json:"no_sha256sum"`    // hosts without /bin/sha256sum
	PktcapMessages string   `json:"pktcap_messages"` // pktcap-uw's stderr: "" or "version" (by release), "legacy"
	NoSSHSignal    []string `json:"no_ssh_signal"`   // hosts whose sshd refuses "signal" requests (OpenSSH < 7.9)
	// VDS port mirroring (vspan.go): vCenter's checks and the mirrored copies' wire.
	Mirror MirrorSettings `json:"mirror"`
}

// HostListed says whether host is in list (a setting naming hosts).
func HostListed(list []string, host string) bool {
	for _, h := range list {
		if h == host {
			return true
		}
	}
	return false
}

func DefaultSettings() Settings {
	return Settings{BootDHCPDelay: time.Second, TrafficInterval: 200 * time.Millisecond,
		FloodFrameLen: 512, ClockSkew: map[string]time.Duration{}, SSH: DefaultSSHSettings()}
}

type NicSpec struct {
	Label     string `json:"label"`
	MAC       string `json:"mac"`       // lower case
	Portgroup string `json:"portgroup"` // standard portgroup name or DVS portgroup name
	DVS       bool   `json:"dvs"`
	DVPort    string `json:"dvport,omitempty"` // distributed port key (DVS NICs): stays with the NIC
}

type VMState struct {
	Name      string           `json:"name"`
	Moref     string           `json:"moref"` // set by the vCenter side once created
	Folder    string           `json:"folder"`
	Nics      []NicSpec        `json:"nics"`
	Host      string           `json:"host"` // host name
	PoweredOn bool             `json:"powered_on"`
	WorldID   int64            `json:"world_id"`
	BootTime  time.Time        `json:"boot_time"`
	Boots     int              `json:"boots"`
	Ports     map[string]int64 `json:"ports"` // MAC -> port ID on Host while powered on
}

type PortRec struct {
	ID        int64
	MAC       string
	VM        string // VM name ("" for vmk ports)
	VMMoref   string
	NicIndex  int
	Portgroup string
	DVS       bool
	DVPort    string // distributed port key of the NIC ("" on a standard portgroup)
	WorldID   int64
}

type HostState struct {
	Name     string              `json:"name"`
	Moref    string              `json:"moref"`
	Version  string              `json:"version"` // "8.0.3"
	Build    string              `json:"build"`
	Cluster  string              `json:"cluster"` // "" for standalone
	Uplinks  []string            `json:"uplinks"`
	LAGs     map[string][]string `json:"lags"`
	Vswitch  string              `json:"vswitch"`
	DVSName  string              `json:"dvs"`
	VmkIP    string              `json:"vmk_ip"` // vmk0's address: the source of the host's mirrored copies
	nextPort int64
	ports    map[int64]*PortRec
}

// ChangeKind says what happened to a VM; listeners mirror it into the simulator
// (events, properties) and into traffic (DHCP at boot).
type ChangeKind string

const (
	ChPowerOn     ChangeKind = "power-on"
	ChPowerOff    ChangeKind = "power-off"
	ChReset       ChangeKind = "reset"
	ChGuestReboot ChangeKind = "guest-reboot"
	ChMigrate     ChangeKind = "migrate"
	ChRemoved     ChangeKind = "removed"
)

type Change struct {
	Kind     ChangeKind
	VM       string // name
	Moref    string
	FromHost string
	ToHost   string
	Reason   string // "api", "drs", "ha", "lab"
	Time     time.Time
	OldPorts map[string]int64
	NewPorts map[string]int64
}

// Frame is one Ethernet frame crossing a VM port or an uplink in one direction.
// Dir follows pktcap-uw: 0 = input (into the switch: from the VM, or from the wire
// on an uplink), 1 = output (out of the switch: to the VM, or onto the wire).
type Frame struct {
	Time   time.Time
	Host   string
	Port   int64  // 0 when Uplink is set
	Uplink string // "" for a VM port
	Dir    int
	VM     string
	MAC    string
	Kind   string // "dhcp-discover", "dhcp-offer", "dhcp-request", "dhcp-ack", "arp", "icmp", "udp", "flood"
	Seq    uint64
	Data   []byte
	DVPort string // set by EmitLive: the distributed port key of Port ("" on a standard portgroup)
}

type Subscription struct {
	C       chan *Frame
	match   func(*Frame) bool
	id      int
	Dropped uint64 // frames dropped because C was full
}

type World struct {
	mu         sync.Mutex
	Settings   Settings
	Hosts      map[string]*HostState      // by name
	VMs        map[string]*VMState        // by name (names may repeat across folders: key is Folder+"/"+Name)
	Datastores map[string]*DatastoreState // by name
	byMoref    map[string]*VMState        // index for findVMLocked
	listeners  []func(Change)
	subs       map[int]*Subscription
	nextSub    int
	nextWorld  int64
	truth      *os.File
	truthBuf   *bufio.Writer
	truthMu    sync.Mutex
	truthStop  chan struct{}
	truthDone  chan struct{}
	access     accessTable // per host: SSH service and lockdown (access.go)
	vspan      vspanTable  // VDS port mirroring sessions (vspan.go)
	meter      DatastoreMeter
}

func NewWorld(truthPath string) (*World, error) {
	w := &World{Settings: DefaultSettings(), Hosts: map[string]*HostState{},
		VMs: map[string]*VMState{}, Datastores: map[string]*DatastoreState{}, subs: map[int]*Subscription{}, nextWorld: 1000100}
	if truthPath != "" {
		f, err := os.OpenFile(truthPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		w.truth = f
		w.truthBuf = bufio.NewWriterSize(f, 1<<20)
		w.truthStop = make(chan struct{})
		w.truthDone = make(chan struct{})
		go w.flushLoop()
	}
	return w, nil
}

// flushLoop writes buffered truth records out every 20 ms, so readers of truth.jsonl
// lag the lab by at most that (tests wait at least this long before reading).
func (w *World) flushLoop() {
	defer close(w.truthDone)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-w.truthStop:
			return
		case <-t.C:
			w.FlushTruth()
		}
	}
}

// FlushTruth writes every buffered truth record to the file now.
func (w *World) FlushTruth() {
	if w.truth == nil {
		return
	}
	w.truthMu.Lock()
	w.truthBuf.Flush()
	w.truthMu.Unlock()
}

func (w *World) Close() {
	if w.truth != nil {
		close(w.truthStop)
		<-w.truthDone
		w.FlushTruth()
		w.truth.Close()
	}
}

// GetSettings returns a copy of the settings, safe while the lab runs.
func (w *World) GetSettings() Settings {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.Settings
	s.ClockSkew = make(map[string]time.Duration, len(w.Settings.ClockSkew))
	for k, v := range w.Settings.ClockSkew {
		s.ClockSkew[k] = v
	}
	s.SSH = w.Settings.SSH.clone()
	s.NoSha256sum = append([]string(nil), w.Settings.NoSha256sum...)
	s.NoSSHSignal = append([]string(nil), w.Settings.NoSSHSignal...)
	return s
}

// SetSettings replaces the settings, safe while the lab runs. Each host whose clock
// skew changes gets a "clock-skew" truth record (truth keeps true times; the record
// says from when that host's capture timestamps are off, and by how much).
func (w *World) SetSettings(s Settings) {
	w.mu.Lock()
	defer w.mu.Unlock()
	old := w.Settings.ClockSkew
	skew := make(map[string]time.Duration, len(s.ClockSkew))
	for h, d := range s.ClockSkew {
		if d != 0 {
			skew[h] = d
		}
	}
	s.ClockSkew = skew
	s.SSH = s.SSH.clone()
	w.Settings = s
	hosts := map[string]bool{}
	for h := range old {
		hosts[h] = true
	}
	for h := range skew {
		hosts[h] = true
	}
	names := make([]string, 0, len(hosts))
	for h := range hosts {
		if old[h] != skew[h] {
			names = append(names, h)
		}
	}
	sort.Strings(names)
	now := time.Now()
	for _, h := range names {
		w.truthRecord(map[string]any{"t": now.UnixNano(), "ev": "clock-skew", "host": h,
			"skew_ns": int64(skew[h]), "skew": skew[h].String()})
	}
}

// ClockSkew is how far host's clock is off (added to its capture timestamps).
func (w *World) ClockSkew(host string) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.Settings.ClockSkew[host]
}

func VMKey(folder, name string) string { return folder + "/" + name }

func (w *World) AddHost(h *HostState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if h.ports == nil {
		h.ports = map[int64]*PortRec{}
	}
	if h.nextPort == 0 {
		// Real VM ports on a standard vSwitch look like 33554436 (0x02000004) upwards.
		h.nextPort = 33554440 + int64(len(w.Hosts))*1000
	}
	w.Hosts[h.Name] = h
}

func (w *World) AddVM(v *VMState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if v.Ports == nil {
		v.Ports = map[string]int64{}
	}
	w.VMs[VMKey(v.Folder, v.Name)] = v
}

// OnChange registers fn; it is called (outside the lock, in order) after each change.
func (w *World) OnChange(fn func(Change)) {
	w.mu.Lock()
	w.listeners = append(w.listeners, fn)
	w.mu.Unlock()
}

func (w *World) notify(c Change) {
	w.mu.Lock()
	ls := append([]func(Change){}, w.listeners...)
	w.mu.Unlock()
	for _, fn := range ls {
		fn(c)
	}
}

// FindVM finds a VM by moref, then by key, then by unique name.
func (w *World) FindVM(id string) *VMState {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.findVMLocked(id)
}

func (w *World) findVMLocked(id string) *VMState {
	// Morefs are set by the vCenter side after AddVM, so the index is rebuilt on a miss
	// rather than kept in step with every assignment.
	if v, ok := w.byMoref[id]; ok && v.Moref == id && w.VMs[VMKey(v.Folder, v.Name)] == v {
		return v
	}
	w.byMoref = make(map[string]*VMState, len(w.VMs))
	for _, v := range w.VMs {
		if v.Moref != "" {
			w.byMoref[v.Moref] = v
		}
	}
	if v, ok := w.byMoref[id]; ok {
		return v
	}
	if v, ok := w.VMs[id]; ok {
		return v
	}
	var found *VMState
	for _, v := range w.VMs {
		if v.Name == id {
			if found != nil {
				return nil
			}
			found = v
		}
	}
	return found
}

// assignPortsLocked gives every NIC of v a fresh port on v.Host. Port IDs are never
// reused on a host, like a real host after a port is freed and the VM comes back.
func (w *World) assignPortsLocked(v *VMState, now time.Time) map[string]int64 {
	h := w.Hosts[v.Host]
	v.Ports = map[string]int64{}
	for i, n := range v.Nics {
		id := h.nextPort
		h.nextPort++
		h.ports[id] = &PortRec{ID: id, MAC: n.MAC, VM: v.Name, VMMoref: v.Moref, NicIndex: i,
			Portgroup: n.Portgroup, DVS: n.DVS, DVPort: n.DVPort, WorldID: v.WorldID}
		v.Ports[n.MAC] = id
		w.truthRecord(map[string]any{"t": now.UnixNano(), "ev": "port-assign", "vm": v.Name,
			"mac": n.MAC, "host": v.Host, "port": id})
	}
	return copyPorts(v.Ports)
}

func (w *World) releasePortsLocked(v *VMState, now time.Time) map[string]int64 {
	old := copyPorts(v.Ports)
	if h := w.Hosts[v.Host]; h != nil {
		for mac, id := range v.Ports {
			delete(h.ports, id)
			w.truthRecord(map[string]any{"t": now.UnixNano(), "ev": "port-release", "vm": v.Name,
				"mac": mac, "host": v.Host, "port": id})
		}
	}
	v.Ports = map[string]int64{}
	return old
}

func copyPorts(m map[string]int64) map[string]int64 {
	c := make(map[string]int64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// mutateVM runs fn on the VM named id under the world's lock; a Change it returns is
// sent to the listeners after the lock is released. A missing VM is an error.
func (w *World) mutateVM(id string, fn func(v *VMState, now time.Time) (*Change, error)) error {
	w.mu.Lock()
	v := w.findVMLocked(id)
	if v == nil {
		w.mu.Unlock()
		return fmt.Errorf("no VM %q", id)
	}
	c, err := fn(v, time.Now())
	w.mu.Unlock()
	if c != nil {
		w.notify(*c)
	}
	return err
}

func (w *World) PowerOn(id, reason string) error {
	return w.mutateVM(id, func(v *VMState, now time.Time) (*Change, error) {
		if v.PoweredOn {
			return nil, nil
		}
		w.nextWorld += 7
		v.WorldID = w.nextWorld
		v.PoweredOn = true
		v.BootTime = now
		v.Boots++
		ports := w.assignPortsLocked(v, now)
		w.truthRecord(map[string]any{"t": now.UnixNano(), "ev": "power-on", "vm": v.Name, "host": v.Host, "boot": v.Boots})
		return &Change{Kind: ChPowerOn, VM: v.Name, Moref: v.Moref, ToHost: v.Host, Reason: reason, Time: now,
			NewPorts: ports}, nil
	})
}

func (w *World) PowerOff(id, reason string) error {
	return w.mutateVM(id, func(v *VMState, now time.Time) (*Change, error) {
		if !v.PoweredOn {
			return nil, nil
		}
		old := w.releasePortsLocked(v, now)
		v.PoweredOn = false
		v.WorldID = 0
		w.truthRecord(map[string]any{"t": now.UnixNano(), "ev": "power-off", "vm": v.Name, "host": v.Host})
		return &Change{Kind: ChPowerOff, VM: v.Name, Moref: v.Moref, FromHost: v.Host, Reason: reason, Time: now,
			OldPorts: old}, nil
	})
}

// Reset restarts the VM process: a new world, a new boot, and a new port unless
// Settings.ResetKeepsPort.
func (w *World) Reset(id, reason string) error {
	return w.mutateVM(id, func(v *VMState, now time.Time) (*Change, error) {
		if !v.PoweredOn {
			return nil, fmt.Errorf("VM %q is powered off", v.Name)
		}
		var old, ports map[string]int64
		w.nextWorld += 7
		v.WorldID = w.nextWorld
		if w.Settings.ResetKeepsPort { // under w.mu
			old, ports = copyPorts(v.Ports), copyPorts(v.Ports)
			for _, id := range v.Ports {
				w.Hosts[v.Host].ports[id].WorldID = v.WorldID
			}
		} else {
			old = w.releasePortsLocked(v, now)
			ports = w.assignPortsLocked(v, now)
		}
		v.BootTime = now
		v.Boots++
		w.truthRecord(map[string]any{"t": now.UnixNano(), "ev": "reset", "vm": v.Name, "host": v.Host, "boot": v.Boots})
		return &Change{Kind: ChReset, VM: v.Name, Moref: v.Moref, FromHost: v.Host, ToHost: v.Host, Reason: reason,
			Time: now, OldPorts: old, NewPorts: ports}, nil
	})
}

// GuestReboot restarts the guest OS only: same world, same port, DHCP again.
func (w *World) GuestReboot(id, reason string) error {
	return w.mutateVM(id, func(v *VMState, now time.Time) (*Change, error) {
		if !v.PoweredOn {
			return nil, fmt.Errorf("VM %q is not running", id)
		}
		v.Boots++
		w.truthRecord(map[string]any{"t": now.UnixNano(), "ev": "guest-reboot", "vm": v.Name, "host": v.Host, "boot": v.Boots})
		return &Change{Kind: ChGuestReboot, VM: v.Name, Moref: v.Moref, FromHost: v.Host, ToHost: v.Host,
			Reason: reason, Time: now, OldPorts: copyPorts(v.Ports), NewPorts: copyPorts(v.Ports)}, nil
	})
}

// Migrate moves the VM to host `to`; a powered-on VM gets new ports there.
// reason is "api", "drs" or "ha".
func (w *World) Migrate(id, to, reason string) error {
	return w.mutateVM(id, func(v *VMState, now time.Time) (*Change, error) {
		if w.Hosts[to] == nil {
			return nil, fmt.Errorf("no host %q", to)
		}
		from := v.Host
		if from == to {
			return nil, nil
		}
		var old, ports map[string]int64
		if v.PoweredOn {
			old = w.releasePortsLocked(v, now)
		}
		v.Host = to
		if v.PoweredOn {
			ports = w.assignPortsLocked(v, now)
		}
		w.truthRecord(map[string]any{"t": now.UnixNano(), "ev": "migrate", "vm": v.Name, "from": from, "to": to, "reason": reason})
		return &Change{Kind: ChMigrate, VM: v.Name, Moref: v.Moref, FromHost: from, ToHost: to, Reason: reason,
			Time: now, OldPorts: old, NewPorts: ports}, nil
	})
}

// Remove deletes a VM from the world (destroyed or unregistered through the API, or
// the control endpoint's destroy): its ports, if any, are freed first.
func (w *World) Remove(id, reason string) error {
	return w.mutateVM(id, func(v *VMState, now time.Time) (*Change, error) {
		old := w.releasePortsLocked(v, now)
		delete(w.VMs, VMKey(v.Folder, v.Name))
		w.truthRecord(map[string]any{"t": now.UnixNano(), "ev": "removed", "vm": v.Name, "moref": v.Moref,
			"host": v.Host, "reason": reason})
		return &Change{Kind: ChRemoved, VM: v.Name, Moref: v.Moref, FromHost: v.Host, Reason: reason, Time: now,
			OldPorts: old}, nil
	})
}

// HostPorts returns a snapshot of the live ports on a host, sorted by ID.
func (w *World) HostPorts(host string) []PortRec {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.Hosts[host]
	if h == nil {
		return nil
	}
	out := make([]PortRec, 0, len(h.ports))
	for _, p := range h.ports {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// PortExists tells whether a port ID is live on a host.
func (w *World) PortExists(host string, id int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.Hosts[host]
	return h != nil && h.ports[id] != nil
}

// VMsSnapshot returns copies of all VMs, sorted by name then folder.
func (w *World) VMsSnapshot() []VMState {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]VMState, 0, len(w.VMs))
	for _, v := range w.VMs {
		c := *v
		c.Ports = copyPorts(v.Ports)
		c.Nics = append([]NicSpec{}, v.Nics...)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Folder < out[j].Folder
	})
	return out
}

// UplinkFor picks the member uplink a VM's traffic uses (stable hash by MAC, like
// "route based on originating port" / source MAC hashing).
func (w *World) UplinkFor(host, mac string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.Hosts[host]
	if h == nil || len(h.Uplinks) == 0 {
		return ""
	}
	f := fnv.New32a()
	f.Write([]byte(mac))
	return h.Uplinks[int(f.Sum32())%len(h.Uplinks)]
}

// Subscribe delivers every later frame for which match returns true into a buffered
// channel. A full channel drops the frame and counts it (like pktcap-uw's "drop").
func (w *World) Subscribe(buffer int, match func(*Frame) bool) *Subscription {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nextSub++
	s := &Subscription{C: make(chan *Frame, buffer), match: match, id: w.nextSub}
	w.subs[s.id] = s
	return s
}

func (w *World) Unsubscribe(s *Subscription) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.subs, s.id)
}

// Emit records one frame crossing a port or uplink and hands it to subscribers.
// Frames on ports that no longer exist are not emitted by the traffic generator, so a
// capture pinned to a freed port sees nothing, as on a real host.
func (w *World) Emit(f *Frame) {
	w.truthFrame(f)
	w.mu.Lock()
	for _, s := range w.subs {
		if s.match(f) {
			select {
			case s.C <- f:
			default:
				s.Dropped++
			}
		}
	}
	w.mu.Unlock()
}

// EmitLive is Emit for a frame on a VM port (f.Uplink == ""): the frame is dropped
// (false) unless the port is live on f.Host. The check, the truth record and the
// delivery happen under the lock that frees ports, so once a port's release is
// recorded no frame on it follows (a VM powered off, reset or destroyed falls silent).
func (w *World) EmitLive(f *Frame) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.Hosts[f.Host]
	if h == nil || h.ports[f.Port] == nil {
		return false
	}
	f.DVPort = h.ports[f.Port].DVPort
	w.truthFrame(f)
	for _, s := range w.subs {
		if s.match(f) {
			select {
			case s.C <- f:
			default:
				s.Dropped++
			}
		}
	}
	return true
}

type truthFrameRec struct {
	T      int64  `json:"t"`
	Ev     string `json:"ev"`
	VM     string `json:"vm"`
	MAC    string `json:"mac"`
	Host   string `json:"host"`
	Port   int64  `json:"port,omitempty"`
	Uplink string `json:"uplink,omitempty"`
	DVPort string `json:"dvport,omitempty"`
	Dir    int    `json:"dir"`
	Kind   string `json:"kind"`
	Seq    uint64 `json:"seq"`
	Len    int    `json:"len"`
}

func (w *World) truthFrame(f *Frame) {
	if w.truth == nil {
		return
	}
	b, _ := json.Marshal(truthFrameRec{T: f.Time.UnixNano(), Ev: "frame", VM: f.VM, MAC: f.MAC, Host: f.Host,
		Port: f.Port, Uplink: f.Uplink, DVPort: f.DVPort, Dir: f.Dir, Kind: f.Kind, Seq: f.Seq, Len: len(f.Data)})
	w.writeTruth(b)
}

func (w *World) truthRecord(rec map[string]any) {
	if w.truth == nil {
		return
	}
	b, _ := json.Marshal(rec)
	w.writeTruth(b)
}

func (w *World) writeTruth(b []byte) {
	w.truthMu.Lock()
	w.truthBuf.Write(b)
	w.truthBuf.WriteByte('\n')
	w.truthMu.Unlock()
}

// DatastoreState is a datastore's size as both sides see it: the ESXi side's files
// under /vmfs/volumes/<Name>/ use it, and vCenter's summary.freeSpace reports it.
// Used is what the datastore holds besides the files the hosts wrote (the inventory's
// used_gb and fills); DatastoreSnapshot adds those files, as the meter measures them.
type DatastoreState struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"` // "VMFS" (also when empty) or "vsan"
	Capacity int64    `json:"capacity"`
	Used     int64    `json:"used"`
	Hosts    []string `json:"hosts"`
}

// DatastoreMeter measures the bytes the hosts' files use on a datastore.
type DatastoreMeter func(name string) int64

// SetDatastoreMeter sets the meter that DatastoreSnapshot and DatastoreUse add to Used
// (the ESXi side's file systems); nil removes it.
func (w *World) SetDatastoreMeter(m DatastoreMeter) {
	w.mu.Lock()
	w.meter = m
	w.mu.Unlock()
}

func (w *World) metered(name string) int64 {
	w.mu.Lock()
	m := w.meter
	w.mu.Unlock()
	if m == nil {
		return 0
	}
	return m(name)
}

func (w *World) AddDatastore(d *DatastoreState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.Datastores[d.Name] = d
}

// DatastoreUse adds delta bytes (negative frees). It fails, changing nothing, when
// the datastore would overflow.
func (w *World) DatastoreUse(name string, delta int64) error {
	files := w.metered(name)
	w.mu.Lock()
	defer w.mu.Unlock()
	d := w.Datastores[name]
	if d == nil {
		return fmt.Errorf("no datastore %q", name)
	}
	if d.Used+files+delta > d.Capacity {
		return fmt.Errorf("datastore %q full", name)
	}
	d.Used += delta
	if d.Used < 0 {
		d.Used = 0
	}
	return nil
}

// DatastoreSnapshot returns every datastore, Used including the hosts' files.
func (w *World) DatastoreSnapshot() []DatastoreState {
	w.mu.Lock()
	out := make([]DatastoreState, 0, len(w.Datastores))
	for _, d := range w.Datastores {
		c := *d
		c.Hosts = append([]string{}, d.Hosts...)
		out = append(out, c)
	}
	m := w.meter
	w.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if m != nil {
		for i := range out {
			out[i].Used += m(out[i].Name)
		}
	}
	return out
}

package world

import (
	"encoding/json"
	"sort"
	"time"
)

// VDS port mirroring ("VSPAN"): vCenter (package vc) keeps the sessions of its
// distributed switch and hands the world a copy after every change; the mirror's data
// plane (package mirror) reads them to send an encapsulated copy of every frame that
// crosses a mirrored distributed port. Sources: tests/lab/README.md, "Documented
// behaviour".

// MirrorSettings are the knobs of VDS port mirroring whose real form is unknown or
// varies. Every zero value is the lab's default.
type MirrorSettings struct {
	// IgnoreConfigVersion makes ReconfigureDvs_Task skip the configVersion check (the
	// bare simulator's behaviour). Setting vspan_config_version is its negation.
	IgnoreConfigVersion bool `json:"ignore_config_version"`
	// UniqueNames refuses a session whose name another session of the switch has
	// (DuplicateName); off, names may repeat (setting vspan_unique_names).
	UniqueNames bool `json:"unique_names"`
	// Loss is the fraction of mirrored copies lost between the host and the collector
	// (after their sequence number is taken); Reorder the fraction held back and sent
	// after the host's next copy (settings mirror_loss, mirror_reorder).
	Loss    float64 `json:"loss"`
	Reorder float64 `json:"reorder"`
	// GREHeader is the GRE header of encapType gre: "" or "seq" (S bit and a sequence
	// number), "plain" (no optional field), "key-seq" (K bit with the erspanId as key,
	// and S) (setting mirror_gre_header).
	GREHeader string `json:"gre_header"`
	// Erspan3Subheader sets ERSPAN type III's O bit and adds the 8-byte platform
	// specific subheader (setting mirror_erspan3_subheader).
	Erspan3Subheader bool `json:"erspan3_subheader"`
	// Erspan3Ticks is how ERSPAN III timestamps count: "" or "draft" (Gra 00b in 100 µs,
	// 01b in 100 ns, draft-foschiano-erspan-03) or "vmware-doc" (00b in µs, 01b in ns,
	// the API reference's words "microsecond"/"nanosecond") (setting mirror_erspan3_ticks).
	Erspan3Ticks string `json:"erspan3_ticks"`
}

// VspanSession is one port mirroring session of a distributed switch, as its data
// plane needs it (vCenter's VMwareVspanSession with its defaults filled).
type VspanSession struct {
	DVS          string   `json:"dvs"`
	Key          string   `json:"key"`
	Name         string   `json:"name"`
	Enabled      bool     `json:"enabled"`
	Type         string   `json:"type"`          // sessionType, e.g. encapsulatedRemoteMirrorSource
	Encap        string   `json:"encap"`         // gre, erspan2, erspan3
	ErspanID     int      `json:"erspan_id"`     // 0..1023
	COS          int      `json:"cos"`           // 0..7
	GraNanosec   bool     `json:"gra_nanosec"`   // ERSPAN III timestamp granularity
	MirroredLen  int      `json:"mirrored_len"`  // bytes of each frame mirrored; 0 or -1: all
	SamplingRate int      `json:"sampling_rate"` // one of every n frames; 1: all
	Transmitted  []string `json:"transmitted"`   // dvport keys whose transmitted frames (to the VM) are mirrored
	Received     []string `json:"received"`      // dvport keys whose received frames (from the VM) are mirrored
	DestIPs      []string `json:"dest_ips"`
}

func (s VspanSession) clone() VspanSession {
	s.Transmitted = append([]string(nil), s.Transmitted...)
	s.Received = append([]string(nil), s.Received...)
	s.DestIPs = append([]string(nil), s.DestIPs...)
	return s
}

type vspanTable struct {
	sessions  map[string][]VspanSession // by switch name
	listeners []func()
}

// SetVspanSessions replaces the sessions of switch dvs and tells the listeners.
func (w *World) SetVspanSessions(dvs string, ss []VspanSession) {
	w.mu.Lock()
	if w.vspan.sessions == nil {
		w.vspan.sessions = map[string][]VspanSession{}
	}
	cp := make([]VspanSession, len(ss))
	for i := range ss {
		cp[i] = ss[i].clone()
		cp[i].DVS = dvs
	}
	w.vspan.sessions[dvs] = cp
	ls := append([]func(){}, w.vspan.listeners...)
	w.mu.Unlock()
	for _, fn := range ls {
		fn()
	}
}

// VspanSessions returns a copy of every switch's sessions, by switch then key order.
func (w *World) VspanSessions() []VspanSession {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []VspanSession
	dvss := make([]string, 0, len(w.vspan.sessions))
	for d := range w.vspan.sessions {
		dvss = append(dvss, d)
	}
	sort.Strings(dvss)
	for _, d := range dvss {
		for _, s := range w.vspan.sessions[d] {
			out = append(out, s.clone())
		}
	}
	return out
}

// OnVspan registers fn, called (outside the lock) after every SetVspanSessions.
func (w *World) OnVspan(fn func()) {
	w.mu.Lock()
	w.vspan.listeners = append(w.vspan.listeners, fn)
	w.mu.Unlock()
}

// HostVmkIP is vmk0's address of host ("" for an unknown host).
func (w *World) HostVmkIP(host string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if h := w.Hosts[host]; h != nil {
		return h.VmkIP
	}
	return ""
}

// TruthRecord appends one record to truth.jsonl; "t" is set to now when absent.
func (w *World) TruthRecord(rec map[string]any) {
	if _, ok := rec["t"]; !ok {
		rec["t"] = time.Now().UnixNano()
	}
	w.truthRecord(rec)
}

// DroppedFrames is how many frames s dropped because its channel was full.
func (w *World) DroppedFrames(s *Subscription) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return s.Dropped
}

// TruthJSON appends one record, v marshalled as JSON, to truth.jsonl.
func (w *World) TruthJSON(v any) {
	if w.truth == nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic("truth record: " + err.Error())
	}
	w.writeTruth(b)
}

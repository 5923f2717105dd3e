package main

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"labsim/mirror"
	"labsim/world"
)

// VDS port mirroring in the lab: the collector address lab.json offers, GET /mirror,
// and the vspan_* and mirror_* settings (world.MirrorSettings; sources in
// tests/lab/README.md, "Documented behaviour").

// checkCollector: the lab sends mirrored traffic only to loopback addresses.
func checkCollector(addr string) error {
	ip := net.ParseIP(addr).To4()
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--mirror-collector %q: want an IPv4 loopback address (127.0.0.0/8); the lab sends test traffic nowhere else", addr)
	}
	return nil
}

// MirrorInfo is lab.json's "mirror".
type MirrorInfo struct {
	Collector string            `json:"collector"` // give it as a session's destinationPort.ipAddress
	Transport string            `json:"transport"` // raw-socket, or "none: why" (copies recorded, not sent)
	Hosts     map[string]string `json:"hosts"`     // host -> vmk0 address, the copies' source
}

func (l *labRun) mirrorInfo() MirrorInfo {
	mi := MirrorInfo{Collector: l.opts.MirrorAddr, Transport: l.mirror.Transport(), Hosts: map[string]string{}}
	for _, name := range l.names {
		mi.Hosts[name] = l.w.HostVmkIP(name)
	}
	return mi
}

// handleMirror is GET /mirror: lab.json's mirror part, the counters, the sessions.
func (l *labRun) handleMirror(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		httpError(w, http.StatusMethodNotAllowed, fmt.Errorf("/mirror takes GET"))
		return
	}
	sessions := l.w.VspanSessions()
	if sessions == nil {
		sessions = []world.VspanSession{}
	}
	writeJSON(w, struct {
		MirrorInfo
		Stats    mirror.Stats         `json:"stats"`
		Sessions []world.VspanSession `json:"sessions"`
	}{l.mirrorInfo(), l.mirror.Stats(), sessions})
}

// mirrorView is embedded in settingsView: its fields appear at the top level.
type mirrorView struct {
	VspanConfigVersion     bool    `json:"vspan_config_version"`
	VspanUniqueNames       bool    `json:"vspan_unique_names"`
	MirrorLoss             float64 `json:"mirror_loss"`
	MirrorReorder          float64 `json:"mirror_reorder"`
	MirrorGREHeader        string  `json:"mirror_gre_header"`
	MirrorErspan3Subheader bool    `json:"mirror_erspan3_subheader"`
	MirrorErspan3Ticks     string  `json:"mirror_erspan3_ticks"`
}

func mirrorViewOf(m world.MirrorSettings) mirrorView {
	v := mirrorView{VspanConfigVersion: !m.IgnoreConfigVersion, VspanUniqueNames: m.UniqueNames, MirrorLoss: m.Loss,
		MirrorReorder: m.Reorder, MirrorGREHeader: m.GREHeader, MirrorErspan3Subheader: m.Erspan3Subheader,
		MirrorErspan3Ticks: m.Erspan3Ticks}
	if v.MirrorGREHeader == "" {
		v.MirrorGREHeader = "seq"
	}
	if v.MirrorErspan3Ticks == "" {
		v.MirrorErspan3Ticks = "draft"
	}
	return v
}

// applyMirrorSetting checks and applies one vspan_*/mirror_* setting; false when k is
// not one.
func applyMirrorSetting(k, v string, m *world.MirrorSettings) (bool, error) {
	boolean := func(dst *bool, negate bool) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("setting %s=%q: want true or false", k, v)
		}
		*dst = b != negate
		return nil
	}
	fraction := func(dst *float64) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return fmt.Errorf("setting %s=%q: want a fraction from 0 to 1", k, v)
		}
		*dst = f
		return nil
	}
	oneOf := func(dst *string, dflt string, vals ...string) error {
		for _, x := range vals {
			if strings.EqualFold(v, x) {
				*dst = x
				if x == dflt {
					*dst = ""
				}
				return nil
			}
		}
		return fmt.Errorf("setting %s=%q: want %s", k, v, strings.Join(vals, ", "))
	}
	switch k {
	case "vspan_config_version":
		return true, boolean(&m.IgnoreConfigVersion, true)
	case "vspan_unique_names":
		return true, boolean(&m.UniqueNames, false)
	case "mirror_loss":
		return true, fraction(&m.Loss)
	case "mirror_reorder":
		return true, fraction(&m.Reorder)
	case "mirror_gre_header":
		return true, oneOf(&m.GREHeader, "seq", "seq", "plain", "key-seq")
	case "mirror_erspan3_subheader":
		return true, boolean(&m.Erspan3Subheader, false)
	case "mirror_erspan3_ticks":
		return true, oneOf(&m.Erspan3Ticks, "draft", "draft", "vmware-doc")
	}
	return false, nil
}

// handleMirrorSession is POST /mirror/session: a test's shortcut for what a vSphere
// client does with ReconfigureDvs_Task (the same code runs): ?vm=NAME[&folder=F]
// adds an encapsulatedRemoteMirrorSource session mirroring both directions of every
// distributed port of the VM to dst (default: the collector address), with encap
// (gre, erspan2, erspan3; default erspan3), erspan_id, length (mirroredPacketLength),
// sampling, gra_nanosec and name; ?remove=KEY removes a session. Answers {"key": ...}.
func (l *labRun) handleMirrorSession(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if key := q.Get("remove"); key != "" {
		if _, err := l.vc.ReconfigureVspan([]types.VMwareDVSVspanConfigSpec{{Operation: "remove",
			VspanSession: types.VMwareVspanSession{Key: key}}}); err != nil {
			httpError(w, http.StatusConflict, fmt.Errorf("removing session %q: %v", key, err))
			return
		}
		writeJSON(w, map[string]string{"key": key})
		return
	}
	v, err := l.findVM(q.Get("vm"), q.Get("folder"))
	if err != nil {
		httpError(w, http.StatusNotFound, err)
		return
	}
	var ports []string
	for _, n := range v.Nics {
		if n.DVPort != "" {
			ports = append(ports, n.DVPort)
		}
	}
	if len(ports) == 0 {
		httpError(w, http.StatusBadRequest, fmt.Errorf("VM %q has no NIC on the distributed switch", v.Name))
		return
	}
	num := func(k string) (int32, error) {
		if q.Get(k) == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(q.Get(k), 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%s=%q: want a number", k, q.Get(k))
		}
		return int32(n), nil
	}
	s := types.VMwareVspanSession{Name: q.Get("name"), Enabled: true, SessionType: "encapsulatedRemoteMirrorSource",
		EncapType: q.Get("encap"), SourcePortTransmitted: &types.VMwareVspanPort{PortKey: ports},
		SourcePortReceived: &types.VMwareVspanPort{PortKey: ports},
		DestinationPort:    &types.VMwareVspanPort{IpAddress: []string{q.Get("dst")}}}
	if s.Name == "" {
		s.Name = "lab " + v.Name
	}
	if s.EncapType == "" {
		s.EncapType = "erspan3"
	}
	if s.DestinationPort.IpAddress[0] == "" {
		s.DestinationPort.IpAddress[0] = l.opts.MirrorAddr
	}
	for k, dst := range map[string]*int32{"erspan_id": &s.ErspanId, "length": &s.MirroredPacketLength, "sampling": &s.SamplingRate} {
		if *dst, err = num(k); err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
	}
	if g := q.Get("gra_nanosec"); g != "" {
		b, err := strconv.ParseBool(g)
		if err != nil {
			httpError(w, http.StatusBadRequest, fmt.Errorf("gra_nanosec=%q: want true or false", g))
			return
		}
		s.ErspanGraNanosec = &b
	}
	keys, err := l.vc.ReconfigureVspan([]types.VMwareDVSVspanConfigSpec{{Operation: "add", VspanSession: s}})
	if err != nil {
		httpError(w, http.StatusConflict, fmt.Errorf("adding a session for %s: %v", v.Name, err))
		return
	}
	writeJSON(w, map[string]string{"key": keys[0]})
}

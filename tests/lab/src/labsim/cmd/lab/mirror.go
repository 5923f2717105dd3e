package main

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

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

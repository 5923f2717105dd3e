package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"labsim/vc"
)

// GET/POST /settings: the world's settings and the vCenter's options, changed all
// together or not at all.

// settingsView is world.Settings with readable durations, plus vCenter options.
type settingsView struct {
	BootDHCPDelay    string            `json:"boot_dhcp_delay"`
	ResetKeepsPort   bool              `json:"reset_keeps_port"`
	TrafficInterval  string            `json:"traffic_interval"`
	FloodPPS         int               `json:"flood_pps"`
	FloodVM          string            `json:"flood_vm"`
	FloodFrameLen    int               `json:"flood_frame_len"`
	DRSInterval      string            `json:"drs_interval"`
	ResetPowerEvents bool              `json:"reset_power_events"`
	UpdateBatch      string            `json:"update_batch"`
	ClockSkew        map[string]string `json:"clock_skew"` // hosts whose clock is off
	sshView                            // ssh_* (sshsettings.go)
	bootNetView                        // boot scenarios (bootsettings.go)
	mirrorView                         // vspan_*, mirror_* (mirror.go)

	// vCenter events and bootTime (tests/lab/README.md "Documented behaviour").
	ResetSetsBootTime   bool     `json:"reset_sets_boottime"`
	EventFiltering      bool     `json:"event_filtering"`
	EventTypeSubclasses bool     `json:"event_type_subclasses"`
	EventPageSize       int      `json:"event_page_size"`
	EventMaxCollectors  int      `json:"event_max_collectors"`
	HAResetScreenshot   bool     `json:"ha_reset_screenshot"`
	HostPortlistLag     string   `json:"host_portlist_lag"`
	StrictRequests      bool     `json:"strict_requests"`
	NoSha256sum         []string `json:"no_sha256sum"`
	PktcapMessages      string   `json:"pktcap_messages"`
	NoSSHSignal         []string `json:"no_ssh_signal"`
}

func (l *labRun) settings() settingsView {
	settingsMu.Lock()
	s := l.w.GetSettings()
	settingsMu.Unlock()
	o := l.vc.Options()
	return settingsView{BootDHCPDelay: s.BootDHCPDelay.String(), ResetKeepsPort: s.ResetKeepsPort,
		TrafficInterval: s.TrafficInterval.String(), FloodPPS: s.FloodPPS, FloodVM: s.FloodVM,
		FloodFrameLen: s.FloodFrameLen, DRSInterval: s.DRSInterval.String(),
		ResetPowerEvents: o.ResetPowerEvents, UpdateBatch: o.UpdateBatch.String(),
		ClockSkew: skewStrings(s.ClockSkew), sshView: l.sshView(s.SSH),
		ResetSetsBootTime: o.ResetSetsBootTime, EventFiltering: !o.EventFilterOff, EventTypeSubclasses: !o.EventTypeExact,
		EventPageSize: o.PageSize(), EventMaxCollectors: o.MaxCollectors(), HAResetScreenshot: !o.HAResetPlain,
		HostPortlistLag: o.HostPortlistLag.String(), StrictRequests: o.StrictRequests,
		NoSha256sum: nonNil(s.NoSha256sum), PktcapMessages: pktcapMessages(s.PktcapMessages), NoSSHSignal: nonNil(s.NoSSHSignal),
		bootNetView: bootNetViewOf(l.scen.Get()),
		mirrorView:  mirrorViewOf(s.Mirror)}
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func pktcapMessages(v string) string {
	if v == "" {
		return "version"
	}
	return v
}

func (l *labRun) handleSettings(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, l.settings())
	case http.MethodPost:
		vals := map[string]string{}
		for k, v := range r.URL.Query() {
			vals[k] = v[len(v)-1]
		}
		if r.ContentLength != 0 && r.Body != nil {
			var body map[string]interface{}
			dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
			if err := dec.Decode(&body); err != nil && err.Error() != "EOF" {
				httpError(w, http.StatusBadRequest, fmt.Errorf("settings body: %v (want a JSON object)", err))
				return
			}
			for k, v := range body {
				vals[k] = bodyValue(v)
			}
		}
		if err := l.applySettings(vals); err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, l.settings())
	default:
		httpError(w, http.StatusMethodNotAllowed, fmt.Errorf("/settings takes GET or POST"))
	}
}

// bodyValue turns a JSON value into the query-parameter form: an object such as
// {"esx02": "-3s"} (clock_skew) becomes "esx02=-3s".
func bodyValue(v interface{}) string {
	m, ok := v.(map[string]interface{})
	if !ok {
		return fmt.Sprint(v)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + fmt.Sprint(m[k])
	}
	return strings.Join(parts, ",")
}

// applySettings checks every value first, then applies all of them, or none.
func (l *labRun) applySettings(vals map[string]string) error {
	settingsMu.Lock()
	s := l.w.GetSettings()
	settingsMu.Unlock()
	opts := l.vc.Options()
	boot := l.scen.Get()
	dur := func(k, v string, dst *time.Duration) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			if n, err2 := strconv.ParseFloat(v, 64); err2 == nil {
				d, err = time.Duration(n), nil // nanoseconds, as world.Settings marshals them
			}
		}
		if err != nil || d < 0 {
			return fmt.Errorf("setting %s=%q: want a duration such as 1s or 250ms", k, v)
		}
		*dst = d
		return nil
	}
	boolean := func(k, v string, dst *bool) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("setting %s=%q: want true or false", k, v)
		}
		*dst = b
		return nil
	}
	integer := func(k, v string, dst *int) error {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 0 || n != float64(int(n)) {
			return fmt.Errorf("setting %s=%q: want a whole number >= 0", k, v)
		}
		*dst = int(n)
		return nil
	}
	// A true setting stored as its negation (the options' zero value is the default).
	notBoolean := func(k, v string, dst *bool) error {
		var b bool
		if err := boolean(k, v, &b); err != nil {
			return err
		}
		*dst = !b
		return nil
	}
	bounded := func(k, v string, lo, hi int, dst *int) error {
		var n int
		if err := integer(k, v, &n); err != nil || n < lo || n > hi {
			return fmt.Errorf("setting %s=%q: want a whole number from %d to %d", k, v, lo, hi)
		}
		*dst = n
		return nil
	}
	var skewHost, skewVal string
	hasSkew := false
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := vals[k]
		var err error
		switch k {
		case "boot_dhcp_delay":
			err = dur(k, v, &s.BootDHCPDelay)
		case "traffic_interval":
			err = dur(k, v, &s.TrafficInterval)
		case "drs_interval":
			err = dur(k, v, &s.DRSInterval)
		case "reset_keeps_port":
			err = boolean(k, v, &s.ResetKeepsPort)
		case "reset_power_events":
			err = boolean(k, v, &opts.ResetPowerEvents)
		case "flood_pps":
			err = integer(k, v, &s.FloodPPS)
		case "flood_frame_len":
			err = integer(k, v, &s.FloodFrameLen)
		case "flood_vm":
			s.FloodVM = v
		case "update_batch":
			err = dur(k, v, &opts.UpdateBatch)
		case "reset_sets_boottime":
			err = boolean(k, v, &opts.ResetSetsBootTime)
		case "event_filtering":
			err = notBoolean(k, v, &opts.EventFilterOff)
		case "event_type_subclasses":
			err = notBoolean(k, v, &opts.EventTypeExact)
		case "ha_reset_screenshot":
			err = notBoolean(k, v, &opts.HAResetPlain)
		case "event_page_size":
			err = bounded(k, v, 1, 1000, &opts.EventPageSize)
		case "event_max_collectors":
			err = bounded(k, v, 1, 100000, &opts.EventMaxCollectors)
		case "host_portlist_lag":
			err = dur(k, v, &opts.HostPortlistLag)
		case "strict_requests":
			err = boolean(k, v, &opts.StrictRequests)
		case "clock_skew":
			skewVal, hasSkew = v, true
		case "host":
			skewHost = v
		case "no_sha256sum":
			s.NoSha256sum, err = l.hostSetting(k, v)
		case "no_ssh_signal":
			s.NoSSHSignal, err = l.hostSetting(k, v)
		case "pktcap_messages":
			if v != "version" && v != "legacy" {
				err = fmt.Errorf("setting pktcap_messages=%q: want version (by ESXi release) or legacy", v)
			}
			s.PktcapMessages = v
		default:
			if ok, sshErr := l.applySSHSetting(k, v, &s.SSH); ok {
				err = sshErr
			} else if ok, bootErr := applyBootNetSetting(k, v, &boot); ok {
				err = bootErr
			} else if ok, mErr := applyMirrorSetting(k, v, &s.Mirror); ok {
				err = mErr
			} else {
				err = fmt.Errorf("unknown setting %q (GET /settings lists them)", k)
			}
		}
		if err != nil {
			return err
		}
	}
	if skew, err := l.skewSetting(skewHost, skewVal, hasSkew, s.ClockSkew); err != nil {
		return err
	} else if skew != nil {
		s.ClockSkew = skew
	}
	if err := boot.Check(); err != nil {
		return fmt.Errorf("boot scenarios: %v", err)
	}
	if s.FloodPPS > 0 && s.FloodVM == "" {
		s.FloodVM = "testvm1"
	}
	settingsMu.Lock()
	l.w.SetSettings(s)
	settingsMu.Unlock()
	l.vc.SetOptions(opts)
	l.scen.Set(boot) // checked above
	for _, name := range l.names {
		if err := l.hosts[name].SettingsChanged(); err != nil {
			return fmt.Errorf("host %s: %v", name, err)
		}
	}
	return nil
}

// hostSetting reads a list of host names ("esx01,esx02"; "" or "none" for none).
func (l *labRun) hostSetting(k, v string) ([]string, error) {
	if v == "" || v == "none" {
		return []string{}, nil
	}
	var out []string
	for _, h := range strings.Split(v, ",") {
		h = strings.TrimSpace(h)
		if l.hosts[h] == nil {
			return nil, fmt.Errorf("setting %s=%q: no host %q (want some of %s)", k, v, h, strings.Join(l.names, ", "))
		}
		out = append(out, h)
	}
	return out, nil
}

// hostList reads a --flag's host list against the inventory.
func hostList(k, v string, inv *vc.Inventory) ([]string, error) {
	var out []string
	for _, h := range strings.Split(v, ",") {
		h = strings.TrimSpace(h)
		known := false
		for _, hs := range inv.Hosts {
			known = known || hs.Name == h
		}
		if !known {
			return nil, fmt.Errorf("--%s %s: no host %q in the inventory", strings.ReplaceAll(k, "_", "-"), v, h)
		}
		out = append(out, h)
	}
	return out, nil
}

// skewSetting checks clock_skew (with host=NAME: a duration; without: NAME=D,...) and
// returns the new per-host skews, or nil when clock_skew is not being set.
func (l *labRun) skewSetting(host, val string, has bool, cur map[string]time.Duration) (map[string]time.Duration, error) {
	if !has {
		if host != "" {
			return nil, fmt.Errorf("setting host=%q: only used with clock_skew", host)
		}
		return nil, nil
	}
	skew := make(map[string]time.Duration, len(cur)+1)
	for h, d := range cur {
		skew[h] = d
	}
	known := func(h string) bool { return l.hosts[h] != nil }
	if host == "" {
		if err := parseSkews(val, known, skew); err != nil {
			return nil, fmt.Errorf("setting clock_skew=%q: %v (or give host=NAME and a duration)", val, err)
		}
		return skew, nil
	}
	if !known(host) {
		return nil, fmt.Errorf("setting host=%q: want one of %s", host, strings.Join(l.names, ", "))
	}
	d, err := parseSkew(val)
	if err != nil {
		return nil, fmt.Errorf("setting clock_skew=%q for host %s: %v", val, host, err)
	}
	skew[host] = d
	return skew, nil
}

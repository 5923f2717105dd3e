package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"labsim/world"
)

// controlHandler is the lab's loopback control endpoint (lab.json "control").
func (l *labRun) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", l.handleIndex)
	mux.HandleFunc("/drs", l.post(l.handleDRS))
	mux.HandleFunc("/settings", l.handleSettings)
	mux.HandleFunc("/state", l.handleState)
	mux.HandleFunc("/vm/", l.post(l.handleVM))
	mux.HandleFunc("/host/", l.handleHost) // access.go
	mux.HandleFunc("/fault/vcenter-restart", l.post(l.handleVCRestart))
	mux.HandleFunc("/fault/ssh-drop", l.post(l.handleSSHDrop))
	mux.HandleFunc("/fault/unreachable", l.post(l.handleUnreachable))
	mux.HandleFunc("/fault/fill", l.post(l.handleFill))
	mux.HandleFunc("/events/burst", l.post(l.handleBurst))
	mux.HandleFunc("/mirror", l.handleMirror) // mirror.go
	mux.HandleFunc("/mirror/session", l.post(l.handleMirrorSession))
	return mux
}

const controlHelp = `vm-capture lab control endpoint
POST /drs[?apply=all]                       one DRS pass; answers the moves as JSON
                                            (apply=all: recommendations for manual and
                                            partiallyAutomated VMs are applied too)
GET  /settings, POST /settings              JSON (or query parameters) boot_dhcp_delay, reset_keeps_port,
                                            traffic_interval, flood_pps, flood_vm, flood_frame_len,
                                            drs_interval, reset_power_events, update_batch,
                                            clock_skew (host=esx02&clock_skew=-3s, or clock_skew=esx02=-3s,esx01=0s),
                                            ssh_password_auth (auto|true|false), ssh_fips (esx01=false,...),
                                            ssh_max_sessions (0: no limit), ssh_stop_drops_sessions, ssh_algorithms (esxi|go),
                                            reset_sets_boottime, event_filtering, event_type_subclasses,
                                            event_page_size, event_max_collectors, ha_reset_screenshot,
                                            host_portlist_lag (duration, 0 = at once), strict_requests
                                            no_sha256sum=esx01,esx02, no_ssh_signal=esx03, pktcap_messages=version|legacy
                                            boot scenarios (each boot takes them at its start): dhcp_server_latency,
                                            dhcp_server_down_for, dhcp_rogue_server, dhcp_rogue_latency, dhcp_nak,
                                            dhcp_arp_conflict (needs boot_arp=rfc5227), boot_arp (announce|rfc5227|none),
                                            pxe_boot_file (none: no PXE), pxe_file_missing, boot_ipv6, boot_timer_scale,
                                            vspan_config_version, vspan_unique_names, mirror_loss, mirror_reorder (0..1),
                                            mirror_gre_header (seq|plain|key-seq), mirror_erspan3_subheader,
                                            mirror_erspan3_ticks (draft|vmware-doc)
GET  /state                                 VMs now: host, power, ports
POST /vm/{name}/{op}[?folder=vm/x][&to=esx02]  op: reset poweroff poweron reboot shutdown suspend
                                            migrate ha-reset ha-restart destroy; {name} may be a moref
GET  /host/{name}/access                    the host's SSH service and lockdown state
POST /host/{name}/ssh?running=true|false    start or stop the host's SSH service (TSM-SSH), as StartService/StopService
POST /host/{name}/lockdown?mode=lockdownDisabled|lockdownNormal|lockdownStrict[&exceptions=u1,u2]
                                            as ChangeLockdownMode (and UpdateLockdownExceptions)
POST /fault/vcenter-restart[?seconds=2]     vCenter down, sessions end, same inventory and port back
POST /fault/ssh-drop?host=esx01             drop the host's SSH connections
POST /fault/unreachable?host=esx01&seconds=30
POST /fault/fill?host=esx01&target=/tmp|<datastore>[&bytes=N]   (no bytes: fill it up)
GET  /mirror                                port mirroring: collector, transport, counters, sessions
POST /mirror/session?vm=NAME[&dst=ADDR][&encap=erspan3][&erspan_id=N][&length=N][&sampling=N][&gra_nanosec=B]
                                            an ERSPAN session for the VM's distributed ports, through
                                            vCenter's ReconfigureDvs_Task code; ?remove=KEY removes one
POST /events/burst?count=N[&kinds=login,alarm,task,ticket,guestop,logout,ssh]
                                            N unrelated events at once; answers {"keys": [...]}
`

func (l *labRun) handleIndex(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		httpError(w, http.StatusNotFound, fmt.Errorf("no control endpoint %s; GET / lists them", r.URL.Path))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, controlHelp)
}

func (l *labRun) post(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			httpError(w, http.StatusMethodNotAllowed, fmt.Errorf("%s needs POST", r.URL.Path))
			return
		}
		h(w, r)
	}
}

func httpError(w http.ResponseWriter, code int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (l *labRun) handleDRS(w http.ResponseWriter, r *http.Request) {
	pass := l.vc.DRSPass
	switch r.URL.Query().Get("apply") {
	case "", "automatic":
	case "all":
		pass = l.vc.DRSPassApplyingRecommendations
	default:
		httpError(w, http.StatusBadRequest, fmt.Errorf("apply=%q: want automatic (default) or all", r.URL.Query().Get("apply")))
		return
	}
	moves, err := pass()
	if err != nil {
		httpError(w, http.StatusInternalServerError, fmt.Errorf("DRS pass stopped after %d moves: %v", len(moves), err))
		return
	}
	writeJSON(w, moves)
}

type vmState struct {
	Name      string           `json:"name"`
	Moref     string           `json:"moref"`
	Folder    string           `json:"folder"`
	Host      string           `json:"host"`
	PoweredOn bool             `json:"powered_on"`
	WorldID   int64            `json:"world_id"`
	Boots     int              `json:"boots"`
	Ports     map[string]int64 `json:"ports"`
	Removed   bool             `json:"removed,omitempty"` // destroyed by this request
}

func (l *labRun) handleState(w http.ResponseWriter, r *http.Request) {
	var out []vmState
	for _, v := range l.w.VMsSnapshot() {
		out = append(out, vmState{Name: v.Name, Moref: v.Moref, Folder: v.Folder, Host: v.Host,
			PoweredOn: v.PoweredOn, WorldID: v.WorldID, Boots: v.Boots, Ports: v.Ports})
	}
	writeJSON(w, out)
}

// findVM resolves a name (or moref), using ?folder= when the name repeats.
func (l *labRun) findVM(name, folder string) (world.VMState, error) {
	var found []world.VMState
	for _, v := range l.w.VMsSnapshot() {
		if v.Moref == name {
			return v, nil
		}
		if v.Name == name && (folder == "" || v.Folder == folder) {
			found = append(found, v)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return world.VMState{}, fmt.Errorf("no VM named %q (GET /state lists them)", name)
	}
	var where []string
	for _, v := range found {
		where = append(where, v.Folder)
	}
	return world.VMState{}, fmt.Errorf("VM name %q is in folders %s: add ?folder=", name, strings.Join(where, ", "))
}

func (l *labRun) handleVM(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/vm/")
	i := strings.LastIndex(rest, "/")
	if i <= 0 {
		httpError(w, http.StatusNotFound, fmt.Errorf("want POST /vm/{name}/{op}"))
		return
	}
	name, err := url.PathUnescape(rest[:i])
	if err != nil {
		httpError(w, http.StatusBadRequest, fmt.Errorf("VM name %q: %v", rest[:i], err))
		return
	}
	op := rest[i+1:]
	q := r.URL.Query()
	v, err := l.findVM(name, q.Get("folder"))
	if err != nil {
		httpError(w, http.StatusNotFound, err)
		return
	}
	to := q.Get("to")
	if op == "migrate" && to == "" {
		httpError(w, http.StatusBadRequest, fmt.Errorf("migrate needs ?to=<host>"))
		return
	}
	if to != "" && l.w.Hosts[to] == nil {
		httpError(w, http.StatusBadRequest, fmt.Errorf("no host %q", to))
		return
	}
	if err := l.vc.VMOp(v.Moref, op, to); err != nil {
		httpError(w, http.StatusConflict, fmt.Errorf("%s %s: %v", op, name, err))
		return
	}
	after := l.w.FindVM(v.Moref)
	st := vmState{Name: v.Name, Moref: v.Moref, Folder: v.Folder, Host: v.Host, Removed: after == nil} // a removed VM: where it was
	if after != nil {
		s := l.w.VMsSnapshot()
		for _, x := range s {
			if x.Moref == v.Moref {
				st = vmState{Name: x.Name, Moref: x.Moref, Folder: x.Folder, Host: x.Host, PoweredOn: x.PoweredOn,
					WorldID: x.WorldID, Boots: x.Boots, Ports: x.Ports}
			}
		}
	}
	writeJSON(w, st)
}

func seconds(q url.Values, def time.Duration) (time.Duration, error) {
	s := q.Get("seconds")
	if s == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 3600 {
		return 0, fmt.Errorf("seconds=%q: want a number from 0 to 3600", s)
	}
	return time.Duration(f * float64(time.Second)), nil
}

func (l *labRun) handleVCRestart(w http.ResponseWriter, r *http.Request) {
	d, err := seconds(r.URL.Query(), 2*time.Second)
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	if err := l.vc.Restart(d); err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, map[string]string{"vcenter": l.vc.URL(), "down_for": d.String()})
}

func (l *labRun) hostParam(r *http.Request) (string, error) {
	name := r.URL.Query().Get("host")
	if l.hosts[name] == nil {
		return "", fmt.Errorf("host=%q: want one of %s", name, strings.Join(l.names, ", "))
	}
	return name, nil
}

func (l *labRun) handleSSHDrop(w http.ResponseWriter, r *http.Request) {
	name, err := l.hostParam(r)
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	l.hosts[name].DropConnections()
	writeJSON(w, map[string]string{"dropped": name})
}

func (l *labRun) handleUnreachable(w http.ResponseWriter, r *http.Request) {
	name, err := l.hostParam(r)
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	d, err := seconds(r.URL.Query(), 30*time.Second)
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	l.hosts[name].SetUnreachable(d)
	writeJSON(w, map[string]string{"unreachable": name, "for": d.String()})
}

func (l *labRun) handleFill(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	target := q.Get("target")
	if target == "" {
		httpError(w, http.StatusBadRequest, fmt.Errorf("fill needs target=/tmp or target=<datastore>"))
		return
	}
	name := q.Get("host")
	if name == "" && target != "/tmp" {
		for _, d := range l.w.DatastoreSnapshot() { // a datastore: any host that mounts it
			if d.Name == target && len(d.Hosts) > 0 {
				name = d.Hosts[0]
			}
		}
	}
	if l.hosts[name] == nil {
		httpError(w, http.StatusBadRequest, fmt.Errorf("host=%q: want one of %s", name, strings.Join(l.names, ", ")))
		return
	}
	var n int64
	if b := q.Get("bytes"); b != "" {
		var err error
		if n, err = strconv.ParseInt(b, 10, 64); err != nil || n < 0 {
			httpError(w, http.StatusBadRequest, fmt.Errorf("bytes=%q: want a whole number >= 0", b))
			return
		}
	}
	if err := l.hosts[name].Fill(target, n); err != nil {
		httpError(w, http.StatusConflict, err)
		return
	}
	l.vc.SyncDatastores()
	writeJSON(w, map[string]interface{}{"host": name, "target": target, "bytes": n})
}

// handleBurst posts count unrelated events at once (logins and logouts, alarms,
// other VMs' tasks, console tickets, guest operations, SSH sessions), to push older
// events out of event collectors' pages; answers the keys posted, in order.
func (l *labRun) handleBurst(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, err := strconv.Atoi(q.Get("count"))
	if err != nil || n < 1 || n > 100000 {
		httpError(w, http.StatusBadRequest, fmt.Errorf("count=%q: want a number from 1 to 100000", q.Get("count")))
		return
	}
	var kinds []string
	if k := q.Get("kinds"); k != "" {
		kinds = strings.Split(k, ",")
	}
	keys, err := l.vc.PostBurst(n, kinds)
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, map[string]interface{}{"count": len(keys), "keys": keys})
}

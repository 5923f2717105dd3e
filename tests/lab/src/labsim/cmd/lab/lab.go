package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"labsim/esx"
	"labsim/mirror"
	"labsim/traffic"
	"labsim/vc"
	"labsim/world"
)

// labRun is one running lab.
type labRun struct {
	opts    options
	w       *world.World
	vc      *vc.VCenter
	hosts   map[string]*esx.Host
	names   []string // host names, sorted
	stopTr  func()
	scen    *traffic.Scenarios // the guests' boot scenarios (bootsettings.go)
	mirror  *mirror.Engine     // VDS port mirroring's data plane
	ctlSrv  *http.Server
	ctlURL  string
	logFile *os.File

	labJSON, envPath, knownHosts, sshConfig string

	closeOnce sync.Once
}

// startLab starts every part, then writes the client files, lab.json last.
func startLab(o options) (*labRun, error) {
	dir, err := filepath.Abs(o.StateDir)
	if err != nil {
		return nil, err
	}
	o.StateDir = dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("state dir %s: %v", dir, err)
	}
	l := &labRun{opts: o, hosts: map[string]*esx.Host{}, scen: traffic.NewScenarios(),
		labJSON: filepath.Join(dir, "lab.json"), envPath: filepath.Join(dir, "env"),
		knownHosts: filepath.Join(dir, "known_hosts"), sshConfig: filepath.Join(dir, "ssh_config")}
	// A lab.json from an earlier run must not look like readiness.
	os.Remove(l.labJSON)

	inv := vc.DefaultInventory()
	if o.Inventory != "" {
		if inv, err = vc.LoadInventory(o.Inventory); err != nil {
			return nil, err
		}
	}
	if l.logFile, err = os.OpenFile(filepath.Join(dir, "lab.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			l.Close()
		}
	}()

	if l.w, err = world.NewWorld(filepath.Join(dir, "truth.jsonl")); err != nil {
		return nil, fmt.Errorf("truth file: %v", err)
	}
	s := &l.w.Settings
	s.BootDHCPDelay, s.ResetKeepsPort, s.TrafficInterval = o.BootDHCPDelay, o.ResetKeepsPort, o.TrafficEvery
	s.FloodPPS, s.FloodVM, s.DRSInterval = o.FloodPPS, o.FloodVM, o.DRSInterval
	if o.NoSha256sum != "" {
		hosts, err := hostList("no_sha256sum", o.NoSha256sum, inv)
		if err != nil {
			return nil, err
		}
		s.NoSha256sum = hosts
	}
	if len(o.ClockSkew) > 0 {
		st := l.w.GetSettings()
		for h, d := range o.ClockSkew {
			known := false
			for _, hs := range inv.Hosts {
				known = known || hs.Name == h
			}
			if !known {
				return nil, fmt.Errorf("--clock-skew %s=%v: no host %q in the inventory", h, d, h)
			}
			st.ClockSkew[h] = d
		}
		l.w.SetSettings(st) // recorded in truth.jsonl
	}

	// The hosts' SSH keys are made (RSA takes a while) while vCenter starts; the
	// inventory's "fips" marks are the starting ssh_fips setting.
	var names []string
	st := l.w.GetSettings()
	for _, h := range inv.Hosts {
		names = append(names, h.Name)
		if h.FIPS != nil {
			st.SSH.FIPS[h.Name] = *h.FIPS
		}
	}
	l.w.SetSettings(st)
	keysDone := make(chan error, 1)
	go func() {
		if o.HostKeyCache == "" || o.HostKeyCache == "none" {
			keysDone <- esx.PrepareHostKeys(dir, names, o.hostKeyTypes())
		} else {
			keysDone <- esx.SeedHostKeys(o.HostKeyCache, dir, names, o.hostKeyTypes())
		}
	}()
	if l.vc, err = vc.Start(l.w, vc.Config{StateDir: dir, ListenHost: o.ListenHost, Port: o.VCPort,
		User: o.VCUser, Password: o.VCPassword, Inventory: inv, Log: l.logFile}); err != nil {
		return nil, err
	}
	l.vc.SetOptions(vc.Options{ResetPowerEvents: o.ResetPowerEv, UpdateBatch: o.UpdateBatch,
		HostPortlistLag: o.PortlistLag, StrictRequests: o.StrictRequests})
	l.mirror = mirror.Start(l.w, mirror.DefaultSender())

	for _, h := range inv.Hosts {
		l.names = append(l.names, h.Name)
	}
	sort.Strings(l.names)
	if err := <-keysDone; err != nil {
		return nil, fmt.Errorf("SSH host keys: %v", err)
	}
	// The hosts start together: each is a few processes in namespaces of its own.
	started := make([]*esx.Host, len(l.names))
	errs := make([]error, len(l.names))
	var wg sync.WaitGroup
	for i, name := range l.names {
		wg.Add(1)
		go func(i int, name string) {
			defer wg.Done()
			started[i], errs[i] = esx.Start(l.w, name, esx.Config{StateDir: dir, ListenAddr: net.JoinHostPort(o.ListenHost, "0"),
				User: o.SSHUser, Password: o.SSHPassword, AuthorizedKeysFile: o.AuthorizedKeys, HostKeyTypes: o.hostKeyTypes(),
				Commands: o.HostCommands, NoVMXProcesses: len(inv.VMs) > bigInventory})
		}(i, name)
	}
	wg.Wait()
	for i, name := range l.names {
		if started[i] != nil {
			l.hosts[name] = started[i]
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	// Normally traffic starts first so that the first boots do DHCP; a big inventory
	// boots first (the traffic generator is slow to take thousands of boots at once).
	dhcpFirst := o.InitialDHCP == "true" || o.InitialDHCP == "" && len(inv.VMs) <= bigInventory
	if dhcpFirst {
		l.stopTr = traffic.StartWith(l.w, l.scen)
	}
	if err := l.vc.PowerOnInitial(); err != nil {
		return nil, fmt.Errorf("powering on the VMs: %v", err)
	}
	if !dhcpFirst {
		l.stopTr = traffic.StartWith(l.w, l.scen)
	}
	l.vc.RunDRSEvery(l.drsInterval, func(err error) { fmt.Fprintf(l.logFile, "drs: %v\n", err) })

	ln, err := net.Listen("tcp", net.JoinHostPort(o.ListenHost, "0"))
	if err != nil {
		return nil, fmt.Errorf("control endpoint: %v", err)
	}
	l.ctlURL = "http://" + ln.Addr().String()
	l.ctlSrv = &http.Server{Handler: l.controlHandler()}
	go l.ctlSrv.Serve(ln)

	if err := l.writeFiles(); err != nil {
		return nil, err
	}
	ok = true
	return l, nil
}

var settingsMu sync.Mutex // guards world.Settings writes from the control endpoint

func (l *labRun) drsInterval() time.Duration {
	settingsMu.Lock()
	defer settingsMu.Unlock()
	return l.w.GetSettings().DRSInterval
}

// Close stops everything (idempotent) and removes lab.json, so that a stale file
// never claims a lab is ready.
func (l *labRun) Close() {
	l.closeOnce.Do(func() {
		os.Remove(l.labJSON)
		if l.ctlSrv != nil {
			l.ctlSrv.Close()
		}
		if l.stopTr != nil {
			l.stopTr()
		}
		if l.mirror != nil {
			l.mirror.Close()
		}
		for _, h := range l.hosts {
			h.Close()
		}
		if l.vc != nil {
			l.vc.Close()
		}
		if l.w != nil {
			l.w.Close()
		}
		if l.logFile != nil {
			l.logFile.Close()
		}
	})
}

// LabInfo is lab.json.
type LabInfo struct {
	VCenter    VCenterInfo `json:"vcenter"`
	Control    string      `json:"control"`
	KnownHosts string      `json:"known_hosts"`
	SSHConfig  string      `json:"ssh_config"`
	Env        string      `json:"env"`
	Truth      string      `json:"truth"`
	Log        string      `json:"log"`
	PID        int         `json:"pid"`
	Hosts      []HostInfo  `json:"hosts"`
	VMs        []VMInfo    `json:"vms"`
	Mirror     MirrorInfo  `json:"mirror"` // mirror.go
}

type VCenterInfo struct {
	URL        string `json:"url"`
	Host       string `json:"host"` // host:port
	User       string `json:"user"`
	Password   string `json:"password"`
	CACert     string `json:"ca_cert"`
	Datacenter string `json:"datacenter"`
}

type HostInfo struct {
	Name       string `json:"name"`
	Moref      string `json:"moref"`
	Version    string `json:"version"`
	Cluster    string `json:"cluster,omitempty"`
	Address    string `json:"address"` // ssh host:port
	SSHHost    string `json:"ssh_host"`
	Port       int    `json:"port"`
	User       string `json:"user"`
	Password   string `json:"password"`
	KeyType    string `json:"host_key_type"` // the first of KeyTypes
	KnownHosts string `json:"known_hosts"`
	SSHConfig  string `json:"ssh_config"`
	Control    string `json:"control"`

	KeyTypes []string `json:"host_key_types"` // every host key, in known_hosts order: ecdsa-sha2-nistp256, ssh-rsa
	FIPS     bool     `json:"fips"`           // sshd in FIPS mode at start (ed25519 client keys refused)
	VmkIP    string   `json:"vmk_ip"`         // vmk0's address: the source of the host's mirrored copies
}

// VMInfo is a VM as it was when the lab became ready (host and ports change later:
// ask vCenter or GET /state).
type VMInfo struct {
	Name      string   `json:"name"`
	Moref     string   `json:"moref"`
	Folder    string   `json:"folder"`
	Path      string   `json:"path"` // inventory path for govc
	Host      string   `json:"host"`
	PoweredOn bool     `json:"powered_on"`
	MACs      []string `json:"macs"`
	Ports     []int64  `json:"ports"` // per MAC, 0 when powered off
}

func (l *labRun) info() LabInfo {
	in := LabInfo{
		VCenter: VCenterInfo{URL: l.vc.URL(), Host: l.vc.Addr(), User: l.vc.User(), Password: l.vc.Password(),
			CACert: l.vc.CAPath(), Datacenter: l.vc.Datacenter()},
		Control: l.ctlURL, KnownHosts: l.knownHosts, SSHConfig: l.sshConfig, Env: l.envPath,
		Truth: filepath.Join(l.opts.StateDir, "truth.jsonl"), Log: l.logFile.Name(), PID: os.Getpid(),
	}
	for _, name := range l.names {
		h := l.hosts[name]
		hs := l.w.Hosts[name]
		in.Hosts = append(in.Hosts, HostInfo{Name: name, Moref: hs.Moref, Version: hs.Version, Cluster: hs.Cluster,
			Address: h.Addr(), SSHHost: l.opts.ListenHost, Port: h.Port(), User: l.opts.SSHUser, Password: l.opts.SSHPassword,
			KeyType: h.HostKey().Type(), KeyTypes: keyTypes(h), FIPS: l.w.GetSettings().SSH.FIPSMode(name, hs.Version),
			KnownHosts: l.knownHosts, SSHConfig: l.sshConfig, Control: l.ctlURL, VmkIP: hs.VmkIP})
	}
	for _, v := range l.w.VMsSnapshot() {
		vi := VMInfo{Name: v.Name, Moref: v.Moref, Folder: v.Folder, Host: v.Host, PoweredOn: v.PoweredOn,
			Path: "/" + l.vc.Datacenter() + "/" + v.Folder + "/" + v.Name}
		for _, n := range v.Nics {
			vi.MACs = append(vi.MACs, n.MAC)
			vi.Ports = append(vi.Ports, v.Ports[n.MAC])
		}
		in.VMs = append(in.VMs, vi)
	}
	in.Mirror = l.mirrorInfo()
	return in
}

func keyTypes(h *esx.Host) []string {
	var types []string
	for _, k := range h.HostKeys() {
		types = append(types, k.Type())
	}
	return types
}

// writeAtomic writes a file whole or not at all (temp file + rename).
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (l *labRun) writeFiles() error {
	var kh, sc strings.Builder
	for _, name := range l.names {
		h := l.hosts[name]
		for _, k := range h.HostKeys() {
			key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
			fmt.Fprintf(&kh, "[%s]:%d %s\n", l.opts.ListenHost, h.Port(), key)
			fmt.Fprintf(&kh, "%s %s\n", name, key)
		}
		fmt.Fprintf(&sc, "Host %s\n  HostName %s\n  Port %d\n  User %s\n  UserKnownHostsFile %s\n"+
			"  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  PasswordAuthentication yes\n"+
			"  LogLevel ERROR\n\n", name, l.opts.ListenHost, h.Port(), l.opts.SSHUser, l.knownHosts)
	}
	if err := writeAtomic(l.knownHosts, []byte(kh.String()), 0o644); err != nil {
		return err
	}
	if err := writeAtomic(l.sshConfig, []byte(sc.String()), 0o644); err != nil {
		return err
	}
	env := fmt.Sprintf("# vm-capture lab (pid %d); source this file\n", os.Getpid())
	for _, kv := range [][2]string{
		{"GOVC_URL", l.vc.URL()}, {"GOVC_USERNAME", l.vc.User()}, {"GOVC_PASSWORD", l.vc.Password()},
		{"GOVC_TLS_CA_CERTS", l.vc.CAPath()}, {"GOVC_DATACENTER", l.vc.Datacenter()},
		{"VMC_SSH_CONFIG", l.sshConfig}, {"VMC_SSH_KNOWN_HOSTS", l.knownHosts},
		{"VMC_SSH_USER", l.opts.SSHUser}, {"VMC_SSH_PASSWORD", l.opts.SSHPassword},
		{"VMC_LAB_CONTROL", l.ctlURL}, {"VMC_LAB_STATE_DIR", l.opts.StateDir},
	} {
		env += "export " + kv[0] + "=" + shq(kv[1]) + "\n"
	}
	if err := writeAtomic(l.envPath, []byte(env), 0o600); err != nil {
		return err
	}
	b, err := json.MarshalIndent(l.info(), "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(l.labJSON, append(b, '\n'), 0o600)
}

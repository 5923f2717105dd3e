// Command lab runs the vm-capture lab in the foreground: a simulated vCenter (package
// vc), one simulated ESXi SSH host per inventory host (package esx) and the VMs'
// traffic (package traffic), all sharing one world whose truth is DIR/truth.jsonl.
// When everything answers it writes DIR/known_hosts, DIR/ssh_config, DIR/env and,
// last, DIR/lab.json. SIGTERM or SIGINT stops everything and exits 0.
//
// See tests/lab/README.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"labsim/esx"
	"labsim/vc"
)

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "lab: %v\n", err)
		os.Exit(2)
	}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	start := time.Now()
	l, err := startLab(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lab: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("lab ready in %v: %s (source %s for govc)\n", time.Since(start).Round(time.Millisecond),
		l.labJSON, l.envPath)
	s := <-sig
	fmt.Printf("lab: %v, stopping\n", s)
	l.Close()
	os.Exit(0)
}

type options struct {
	StateDir       string
	Inventory      string
	ListenHost     string
	VCPort         int
	VCUser         string
	VCPassword     string
	SSHUser        string
	SSHPassword    string
	AuthorizedKeys string
	BootDHCPDelay  time.Duration
	ResetKeepsPort bool
	ResetPowerEv   bool
	TrafficEvery   time.Duration
	FloodPPS       int
	FloodVM        string
	DRSInterval    time.Duration
	InitialDHCP    string // "true", "false" or "" (auto: true up to bigInventory VMs)
	UpdateBatch    time.Duration
	ClockSkew      skewFlag // host -> offset of its capture timestamps
	SSHHostKeys    string   // host key types, "ecdsa,rsa" (ESXi 8) or "ed25519" (the old lab)
	HostKeyCache   string   // host keys shared by labs ("none": each state dir makes its own)
	PortlistLag    time.Duration
	StrictRequests bool
	HostCommands   string // the hosts' multicall binary (labsim/cmd/esxcmd)
	NoSha256sum    string // hosts without sha256sum, comma-separated
	MirrorAddr     string // the collector address lab.json offers for port mirroring (loopback)
}

// bigInventory is the VM count above which the first boots happen before traffic
// starts (no DHCP exchange in truth.jsonl for them) unless --initial-boot-dhcp=true.
const bigInventory = 200

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("lab", flag.ContinueOnError)
	fs.StringVar(&o.StateDir, "state-dir", "", "directory for lab.json, env, known_hosts, ssh_config, ca.pem, truth.jsonl, host keys (required)")
	fs.StringVar(&o.Inventory, "inventory", "", "JSON inventory file replacing the default one (see tests/lab/inventory/)")
	fs.StringVar(&o.ListenHost, "listen-host", "127.0.0.1", "address every lab server listens on")
	fs.IntVar(&o.VCPort, "vc-port", 0, "vCenter HTTPS port (0 = any free port)")
	fs.StringVar(&o.VCUser, "vc-user", "administrator@vsphere.local", "vCenter user")
	fs.StringVar(&o.VCPassword, "vc-password", "labpass", "vCenter password")
	fs.StringVar(&o.SSHUser, "ssh-user", "root", "ESXi SSH user")
	fs.StringVar(&o.SSHPassword, "ssh-password", "labpass", "ESXi SSH password")
	fs.StringVar(&o.AuthorizedKeys, "authorized-keys", "", "authorized_keys file for ESXi public-key login (optional)")
	fs.DurationVar(&o.BootDHCPDelay, "boot-dhcp-delay", time.Second, "power-on to the guest's DHCP DISCOVER")
	fs.BoolVar(&o.ResetKeepsPort, "reset-keeps-port", false, "a reset keeps the VM's switch port (real behaviour unverified)")
	fs.BoolVar(&o.ResetPowerEv, "reset-power-events", false, "a reset also posts VmPoweredOff/VmPoweredOn events")
	fs.DurationVar(&o.TrafficEvery, "traffic-interval", 200*time.Millisecond, "period of each VM's ICMP/UDP traffic")
	fs.IntVar(&o.FloodPPS, "flood-pps", 0, "flood packets per second (0 = off)")
	fs.StringVar(&o.FloodVM, "flood-vm", "", "VM that floods (default: testvm1 when --flood-pps is set)")
	fs.DurationVar(&o.DRSInterval, "drs-interval", 0, "run a DRS pass this often (0 = only on POST /drs)")
	fs.StringVar(&o.InitialDHCP, "initial-boot-dhcp", "", "true: the VMs' first boots at start do DHCP (traffic starts first); "+
		"false: they boot before traffic starts; default true up to 200 VMs")
	fs.DurationVar(&o.UpdateBatch, "update-batch", 0, "vCenter lets property changes accumulate this long before "+
		"WaitForUpdatesEx answers (0: at once, as real vCenter; 250ms: the bare simulator)")
	fs.DurationVar(&o.PortlistLag, "host-portlist-lag", vc.DefaultHostPortlistLag, "vCenter's copy of a host's port lists "+
		"(config.network.portgroup[].port) follows the host this much later; changes within it coalesce (0: at once)")
	fs.BoolVar(&o.StrictRequests, "strict-requests", true, "reject SOAP requests that break the vim25 schema (unknown or "+
		"out-of-order elements, missing required ones) with vCenter's InvalidRequest fault; false: decode leniently")
	o.ClockSkew = skewFlag{}
	fs.Var(o.ClockSkew, "clock-skew", "HOST=D: that host's pktcap-uw timestamps are off by D (e.g. esx02=-3s); repeatable")
	fs.StringVar(&o.SSHHostKeys, "ssh-host-keys", strings.Join(esx.DefaultHostKeyTypes, ","), "the hosts' SSH host key types, "+
		"comma-separated: ecdsa (P-256), rsa (2048), ed25519 (the lab's old single key)")
	fs.StringVar(&o.HostKeyCache, "ssh-host-key-cache", defaultHostKeyCache(), "directory whose host keys new state dirs "+
		"copy (made there once; an RSA key takes a while); none: every state dir makes its own")
	fs.StringVar(&o.HostCommands, "esx-commands", "", "the hosts' programs (labsim/cmd/esxcmd; default: esxcmd beside this binary)")
	fs.StringVar(&o.NoSha256sum, "no-sha256sum", "", "hosts without sha256sum (comma-separated), as setting no_sha256sum")
	fs.StringVar(&o.MirrorAddr, "mirror-collector", "127.0.0.1", "the address lab.json offers as the collector of "+
		"mirrored traffic (VDS port mirroring); a loopback address")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (all options are --flags)", fs.Arg(0))
	}
	if o.StateDir == "" {
		return o, fmt.Errorf("--state-dir DIR is required")
	}
	if err := checkCollector(o.MirrorAddr); err != nil { // mirror.go
		return o, err
	}
	if o.HostCommands == "" {
		if exe, err := os.Executable(); err == nil {
			o.HostCommands = filepath.Join(filepath.Dir(exe), "esxcmd")
		}
	}
	if o.FloodPPS > 0 && o.FloodVM == "" {
		o.FloodVM = "testvm1"
	}
	if o.InitialDHCP != "" && o.InitialDHCP != "true" && o.InitialDHCP != "false" {
		return o, fmt.Errorf("--initial-boot-dhcp=%q: want true or false", o.InitialDHCP)
	}
	for _, k := range o.hostKeyTypes() {
		if k != "ecdsa" && k != "rsa" && k != "ed25519" {
			return o, fmt.Errorf("--ssh-host-keys=%q: want ecdsa, rsa and/or ed25519", o.SSHHostKeys)
		}
	}
	if len(o.hostKeyTypes()) == 0 {
		return o, fmt.Errorf("--ssh-host-keys is empty: give ecdsa, rsa and/or ed25519")
	}
	if o.FloodPPS < 0 || o.BootDHCPDelay < 0 || o.TrafficEvery < 0 || o.DRSInterval < 0 || o.UpdateBatch < 0 ||
		o.PortlistLag < 0 {
		return o, fmt.Errorf("rates, delays and intervals must not be negative")
	}
	return o, nil
}

// hostKeyTypes is --ssh-host-keys as a list.
func (o options) hostKeyTypes() []string {
	var types []string
	for _, k := range strings.Split(o.SSHHostKeys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			types = append(types, k)
		}
	}
	return types
}

// defaultHostKeyCache is $XDG_CACHE_HOME/vm-capture-lab (~/.cache/vm-capture-lab), or
// none when there is no home directory.
func defaultHostKeyCache() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "vm-capture-lab")
	}
	return "none"
}

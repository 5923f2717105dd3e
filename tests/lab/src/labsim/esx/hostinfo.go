package esx

// What a host knows about itself: its version, its uplinks and vmkernel port and its
// disks (vdf, df).

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"labsim/world"
)

type hostVersion struct {
	full         string // "8.0.3"
	major, minor int
	update       int
	build        string
}

var defaultBuilds = map[string]string{"8.0.3": "24022510", "8.0.2": "22380479", "8.0.1": "21495797",
	"8.0.0": "20513097", "7.0.3": "21930508", "6.7.0": "8169922", "6.5.0": "4564106"}

func parseVersion(v, build string) hostVersion {
	if v == "" {
		v = "8.0.3"
	}
	parts := strings.Split(v, ".")
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	hv := hostVersion{full: strings.Join(parts[:3], "."), build: build}
	hv.major, _ = strconv.Atoi(parts[0])
	hv.minor, _ = strconv.Atoi(parts[1])
	hv.update, _ = strconv.Atoi(parts[2])
	if hv.build == "" {
		hv.build = defaultBuilds[hv.full]
		if hv.build == "" {
			hv.build = "24022510"
		}
	}
	return hv
}

func (v hostVersion) atLeast(major, minor int) bool {
	return v.major > major || (v.major == major && v.minor >= minor)
}

// level is the second line of `vmware -vl`.
func (v hostVersion) level() string {
	rel := fmt.Sprintf("%d.%d", v.major, v.minor)
	if v.major < 7 {
		rel = fmt.Sprintf("%d.%d.0", v.major, v.minor)
	}
	if v.update == 0 {
		return "VMware ESXi " + rel + " GA"
	}
	return fmt.Sprintf("VMware ESXi %s Update %d", rel, v.update)
}

func (h *Host) version() hostVersion { return parseVersion(h.hs.Version, h.hs.Build) }

func (h *Host) vswitchName() string {
	if h.hs.Vswitch != "" {
		return h.hs.Vswitch
	}
	return "vSwitch0"
}

func (h *Host) dvsName() string {
	if h.hs.DVSName != "" {
		return h.hs.DVSName
	}
	return "DSwitch"
}

// uplinkOnDVS: uplinks that are members of a LAG belong to the distributed switch.
func (h *Host) uplinkOnDVS(name string) bool {
	for _, members := range h.hs.LAGs {
		for _, m := range members {
			if m == name {
				return true
			}
		}
	}
	return false
}

// uplinkPortID numbers uplink ports like a real host: 0x02000002.. on a standard
// vSwitch, 0x84000002.. on a distributed switch's portset.
func (h *Host) uplinkPortID(name string) int64 {
	for i, u := range h.hs.Uplinks {
		if u == name {
			if h.uplinkOnDVS(name) {
				return 2214592514 + int64(i)
			}
			return 33554434 + int64(i)
		}
	}
	return 0
}

const vmk0Port = 33554436

func macFromHash(prefix string, s string) string {
	f := fnv.New32a()
	f.Write([]byte(s))
	x := f.Sum32()
	return fmt.Sprintf("%s:%02x:%02x:%02x", prefix, byte(x>>16), byte(x>>8), byte(x))
}

func (h *Host) vmkMAC() string { return macFromHash("00:50:56", h.name+"/vmk0") }

func (h *Host) uplinkMAC(i int) string {
	return macFromHash("00:0c:29", fmt.Sprintf("%s/uplink%d", h.name, i))
}

// human formats a byte count like busybox's -h output (1 decimal under 10 units).
func human(n int64) string {
	if n == 0 {
		return "0B"
	}
	units := []string{"B", "K", "M", "G", "T", "P"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if f < 10 && i > 0 && f != float64(int64(f)) {
		return fmt.Sprintf("%.1f%s", f, units[i])
	}
	return fmt.Sprintf("%.0f%s", f, units[i])
}

func usePct(used, size int64) int64 {
	if size <= 0 {
		return 0
	}
	return used * 100 / size
}

// fsType is the Filesystem column of vdf and df: "VMFS-6", or "vsan".
func fsType(d world.DatastoreState) string {
	if d.Type == "vsan" {
		return "vsan"
	}
	return "VMFS-6"
}

type ramdisk struct {
	name       string
	size, used int64
}

func (h *Host) ramdisks() []ramdisk {
	const M = 1 << 20
	tcap, tused := h.tmpUsage()
	return []ramdisk{
		{"root", 32 * M, 4 * M}, {"etc", 28 * M, 280 << 10}, {"opt", 32 * M, 0},
		{"var", 48 * M, 520 << 10}, {"tmp", tcap, tused}, {"iofilters", 32 * M, 0},
		{"shm", 1024 * M, 0}, {"crx", 1024 * M, 0}, {"configstore", 32 * M, 156 << 10},
		{"hostdstats", 1303 * M, 3 * M},
	}
}

// vdf [-h]: VMFS volumes, a separator, then the ramdisks.
func cmdVdf(c *cmdCtx) int {
	hr := false
	for _, a := range c.args[1:] {
		if strings.Contains(a, "h") {
			hr = true
		}
	}
	size := func(n int64) string {
		if hr {
			return human(n)
		}
		return strconv.FormatInt(n/1024, 10)
	}
	if hr {
		fmt.Fprintf(c.stdout, "%-12s %8s %8s %9s %4s %s\n", "Filesystem", "Size", "Used", "Available", "Use%", "Mounted on")
	} else {
		fmt.Fprintf(c.stdout, "%-12s %12s %12s %12s %4s %s\n", "Filesystem", "1K-blocks", "Used", "Available", "Use%", "Mounted on")
	}
	for _, d := range c.h.datastores() {
		f := "%-12s %8s %8s %9s %3d%% %s\n"
		if !hr {
			f = "%-12s %12s %12s %12s %3d%% %s\n"
		}
		fmt.Fprintf(c.stdout, f, fsType(d), size(d.Capacity), size(d.Used), size(d.Capacity-d.Used), usePct(d.Used, d.Capacity), "/vmfs/volumes/"+d.Name)
	}
	fmt.Fprintln(c.stdout, "-----")
	fmt.Fprintf(c.stdout, "%-20s %9s %9s %9s %4s %s\n", "Ramdisk", "Size", "Used", "Available", "Use%", "Mounted on")
	for _, r := range c.h.ramdisks() {
		fmt.Fprintf(c.stdout, "%-20s %9s %9s %9s %3d%% %s\n", r.name, size(r.size), size(r.used), size(r.size-r.used), usePct(r.used, r.size), "--")
	}
	return 0
}

// df [-h]: the datastores, with ESXi's header "Filesystem Bytes Used Available Use%
// Mounted on" (sizes in bytes; -h: Size and human units).
func cmdDf(c *cmdCtx) int {
	hr := len(c.args) > 1 && strings.Contains(c.args[1], "h")
	size := func(n int64) string {
		if hr {
			return human(n)
		}
		return strconv.FormatInt(n, 10)
	}
	fmt.Fprintf(c.stdout, "%-12s %14s %14s %14s %4s %s\n", "Filesystem", map[bool]string{true: "Size", false: "Bytes"}[hr], "Used", "Available", "Use%", "Mounted on")
	for _, d := range c.h.datastores() {
		fmt.Fprintf(c.stdout, "%-12s %14s %14s %14s %3d%% %s\n", fsType(d), size(d.Capacity), size(d.Used), size(d.Capacity-d.Used), usePct(d.Used, d.Capacity), "/vmfs/volumes/"+d.Name)
	}
	return 0
}

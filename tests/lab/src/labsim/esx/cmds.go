package esx

// The ESXi commands whose output the lab computes: the host's esxcli, net-stats,
// vmware, vdf, df, uname and osfs-mkdir are small processes (the multicall binary
// labsim/cmd/esxcmd) that send their arguments over the host's command socket and
// print what comes back (service.go). pktcap-uw and ps run in the process itself.

import (
	"fmt"
	"io"
	"strings"
)

type cmdCtx struct {
	h      *Host
	args   []string
	cwd    string
	stdout io.Writer
	stderr io.Writer
}

type cmdFunc func(c *cmdCtx) int

// commands are the lab-computed commands, by name (argv[0] without its directory).
var commands map[string]cmdFunc

func init() {
	commands = map[string]cmdFunc{
		"esxcli": cmdEsxcli, "net-stats": cmdNetStats, "vmware": cmdVmware, "vdf": cmdVdf,
		"df": cmdDf, "uname": cmdUname, "osfs-mkdir": cmdOsfsMkdir,
	}
}

// uname [-snrvmpioa] as on ESXi: the kernel is "VMkernel", the OS "ESXi".
func cmdUname(c *cmdCtx) int {
	v := c.h.version()
	fields := map[byte]string{'s': "VMkernel", 'n': c.h.name, 'r': v.full,
		'v': "#1 SMP Release build-" + v.build, 'm': "x86_64", 'p': "x86_64", 'i': "x86_64", 'o': "ESXi"}
	want := map[byte]bool{}
	for _, a := range c.args[1:] {
		if !strings.HasPrefix(a, "-") || len(a) < 2 {
			fmt.Fprintf(c.stderr, "uname: invalid argument '%s'\n", a)
			return 1
		}
		for i := 1; i < len(a); i++ {
			if a[i] == 'a' {
				for k := range fields {
					want[k] = true
				}
				continue
			}
			if _, ok := fields[a[i]]; !ok {
				fmt.Fprintf(c.stderr, "uname: invalid option -- '%c'\n", a[i])
				return 1
			}
			want[a[i]] = true
		}
	}
	if len(want) == 0 {
		want['s'] = true
	}
	var out []string
	for _, k := range []byte("snrvmpio") {
		if want[k] {
			out = append(out, fields[k])
		}
	}
	fmt.Fprintln(c.stdout, strings.Join(out, " "))
	return 0
}

// vmware -v / -l / -vl
func cmdVmware(c *cmdCtx) int {
	v := c.h.version()
	showV, showL := false, false
	for _, a := range c.args[1:] {
		switch a {
		case "-v", "--version":
			showV = true
		case "-l", "--level":
			showL = true
		case "-vl", "-lv":
			showV, showL = true, true
		default:
			fmt.Fprintf(c.stderr, "Unknown option: %s\nUsage: vmware [-v|-l|-vl]\n", a)
			return 1
		}
	}
	if !showV && !showL {
		fmt.Fprintln(c.stderr, "Usage: vmware [-v|-l|-vl]")
		return 1
	}
	if showV {
		fmt.Fprintf(c.stdout, "VMware ESXi %s build-%s\n", v.full, v.build)
	}
	if showL {
		fmt.Fprintln(c.stdout, v.level())
	}
	return 0
}

// osfs-mkdir PATH: makes a top-level directory of a vSAN datastore, as
// /usr/lib/vmware/osfs/bin/osfs-mkdir does: a directory named by a new UUID and a
// symlink PATH -> UUID; it prints the UUID.
func cmdOsfsMkdir(c *cmdCtx) int {
	var paths []string
	for _, a := range c.args[1:] {
		if !strings.HasPrefix(a, "-") {
			paths = append(paths, a)
		}
	}
	if len(paths) != 1 {
		fmt.Fprintln(c.stderr, "Usage: osfs-mkdir [-n] <path>")
		return 1
	}
	p := paths[0]
	if !strings.HasPrefix(p, "/") {
		p = strings.TrimSuffix(c.cwd, "/") + "/" + p
	}
	uuid, err := c.h.osfsMkdir(p)
	if err != nil {
		fmt.Fprintf(c.stderr, "Failed to create directory %s: %v\n", paths[0], err)
		return 1
	}
	fmt.Fprintln(c.stdout, uuid)
	return 0
}

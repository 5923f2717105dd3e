package esx

// net-stats -l: one row per switch port. Uplinks are Type 4, vmkernel ports Type 3,
// VM vNICs Type 5 SubType 9 with ClientName "<vm world name>.eth<N>"; the world name is
// the VM name cut to 31 bytes (at a UTF-8 boundary), as vmkernel world names are bounded.

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

const worldNameMax = 31

func truncWorldName(s string) string {
	if len(s) <= worldNameMax {
		return s
	}
	s = s[:worldNameMax]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func cmdNetStats(c *cmdCtx) int {
	list := false
	for _, a := range c.args[1:] {
		switch a {
		case "-l", "--list":
			list = true
		default:
			fmt.Fprintf(c.stderr, "net-stats: unknown option %s\nUsage: net-stats -l | -A [-t WwQqi] [-i interval] [-n iterations]\n", a)
			return 1
		}
	}
	if !list {
		fmt.Fprintln(c.stderr, "Usage: net-stats -l | -A [-t WwQqi] [-i interval] [-n iterations]")
		return 1
	}
	h := c.h
	row := func(port int64, typ, sub int, sw, mac, client string) {
		fmt.Fprintf(c.stdout, "%-16d %4d %7d %-16s %-17s  %s\n", port, typ, sub, sw, mac, client)
	}
	fmt.Fprintf(c.stdout, "%-16s %4s %7s %-16s %-17s  %s\n", "PortNum", "Type", "SubType", "SwitchName", "MACAddress", "ClientName")
	type r struct {
		port     int64
		typ, sub int
		sw, mac  string
		client   string
	}
	var rows []r
	for i, u := range h.hs.Uplinks {
		sw := h.vswitchName()
		if h.uplinkOnDVS(u) {
			sw = "DvsPortset-0"
		}
		rows = append(rows, r{h.uplinkPortID(u), 4, 0, sw, h.uplinkMAC(i), u})
	}
	rows = append(rows, r{vmk0Port, 3, 0, h.vswitchName(), h.vmkMAC(), "vmk0"})
	for _, p := range h.w.HostPorts(h.name) {
		if p.VM == "" {
			continue
		}
		sw := h.vswitchName()
		if p.DVS {
			sw = "DvsPortset-0"
		}
		rows = append(rows, r{p.ID, 5, 9, sw, p.MAC, fmt.Sprintf("%s.eth%d", truncWorldName(p.VM), p.NicIndex)})
	}
	for _, x := range rows {
		row(x.port, x.typ, x.sub, x.sw, strings.ToLower(x.mac), x.client)
	}
	return 0
}

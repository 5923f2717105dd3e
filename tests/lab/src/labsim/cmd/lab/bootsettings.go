package main

import (
	"fmt"
	"strconv"
	"time"

	"labsim/traffic"
)

// The guests' boot scenarios in GET/POST /settings (traffic.BootNet; sources in
// tests/lab/README.md, "Boot scenarios" and "Documented behaviour").

// bootNetView is embedded in settingsView: its fields appear at the top level.
type bootNetView struct {
	DHCPServerLatency string  `json:"dhcp_server_latency"`
	DHCPServerDownFor string  `json:"dhcp_server_down_for"`
	DHCPRogueServer   bool    `json:"dhcp_rogue_server"`
	DHCPRogueLatency  string  `json:"dhcp_rogue_latency"`
	DHCPNAK           bool    `json:"dhcp_nak"`
	DHCPARPConflict   bool    `json:"dhcp_arp_conflict"`
	BootARP           string  `json:"boot_arp"`
	PXEBootFile       string  `json:"pxe_boot_file"`
	PXEFileMissing    bool    `json:"pxe_file_missing"`
	BootIPv6          bool    `json:"boot_ipv6"`
	BootTimerScale    float64 `json:"boot_timer_scale"`
}

func bootNetViewOf(b traffic.BootNet) bootNetView {
	return bootNetView{DHCPServerLatency: b.ServerLatency.String(), DHCPServerDownFor: b.ServerDownFor.String(),
		DHCPRogueServer: b.RogueServer, DHCPRogueLatency: b.RogueLatency.String(), DHCPNAK: b.NAK,
		DHCPARPConflict: b.ARPConflict, BootARP: b.ARP, PXEBootFile: b.PXEBootFile, PXEFileMissing: b.PXEFileMissing,
		BootIPv6: b.IPv6, BootTimerScale: b.TimerScale}
}

// applyBootNetSetting checks and applies one boot scenario setting to b; false when k
// is not one. Combinations are checked once all are read (traffic.BootNet.Check).
func applyBootNetSetting(k, v string, b *traffic.BootNet) (bool, error) {
	dur := func(dst *time.Duration) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("setting %s=%q: want a duration such as 3s or 250ms", k, v)
		}
		*dst = d
		return nil
	}
	boolean := func(dst *bool) error {
		x, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("setting %s=%q: want true or false", k, v)
		}
		*dst = x
		return nil
	}
	switch k {
	case "dhcp_server_latency":
		return true, dur(&b.ServerLatency)
	case "dhcp_server_down_for":
		return true, dur(&b.ServerDownFor)
	case "dhcp_rogue_server":
		return true, boolean(&b.RogueServer)
	case "dhcp_rogue_latency":
		return true, dur(&b.RogueLatency)
	case "dhcp_nak":
		return true, boolean(&b.NAK)
	case "dhcp_arp_conflict":
		return true, boolean(&b.ARPConflict)
	case "boot_arp":
		b.ARP = v
		if v != traffic.ARPAnnounce && v != traffic.ARPRFC5227 && v != traffic.ARPNone {
			return true, fmt.Errorf("setting boot_arp=%q: want announce, rfc5227 or none", v)
		}
	case "pxe_boot_file":
		if v == "none" {
			v = ""
		}
		b.PXEBootFile = v
	case "pxe_file_missing":
		return true, boolean(&b.PXEFileMissing)
	case "boot_ipv6":
		return true, boolean(&b.IPv6)
	case "boot_timer_scale":
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || !(x > 0 && x <= 100) {
			return true, fmt.Errorf("setting boot_timer_scale=%q: want a number above 0, at most 100 (0.01: protocol timers 100 times faster)", v)
		}
		b.TimerScale = x
	default:
		return false, nil
	}
	return true, nil
}

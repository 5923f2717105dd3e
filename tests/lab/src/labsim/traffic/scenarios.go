package traffic

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
)

// BootNet is what happens on a NIC's network at each boot: the DHCP servers'
// behaviour and the guest's protocols (tests/lab/README.md, "Boot scenarios"). Its zero
// value is not the default: DefaultBootNet is (today's single fast server, a gratuitous
// ARP after the ACK, no IPv6).
type BootNet struct {
	// ServerLatency is the DHCP server's delay before each reply (OFFER, ACK, NAK).
	ServerLatency time.Duration
	// ServerDownFor: the server ignores client messages sent within this long after
	// the boot (0: it answers at once).
	ServerDownFor time.Duration
	// RogueServer adds a second DHCP server, answering after RogueLatency.
	RogueServer  bool
	RogueLatency time.Duration
	// NAK: each boot starts in INIT-REBOOT asking for an address of another network
	// (a remembered lease), which the server NAKs.
	NAK bool
	// ARPConflict: the server's first offer of each boot is an address another machine
	// uses; it answers the guest's ARP probe (needs ARP == ARPRFC5227).
	ARPConflict bool
	// ARP is the guest's address check after the ACK: ARPAnnounce, ARPRFC5227, ARPNone.
	ARP string
	// PXEBootFile: the NIC first boots by PXE (DHCP options 60/66/67, then TFTP) for
	// this file; "" = no PXE. PXEFileMissing: the TFTP server lacks it.
	PXEBootFile    string
	PXEFileMissing bool
	// IPv6: the guest also sends router solicitations and DHCPv6 SOLICITs (nobody answers).
	IPv6 bool
	// TimerScale multiplies the protocols' own timers (RFC 2131 retransmission and
	// DECLINE wait, RFC 5227 probe/announce, RFC 4861 and RFC 8415 solicitation), so a
	// test can run them 100 times faster (0.01).
	TimerScale float64
}

// ARP modes.
const (
	ARPAnnounce = "announce" // one gratuitous ARP 2 ms after the ACK (the lab before boot scenarios)
	ARPRFC5227  = "rfc5227"  // three probes, then two announcements (RFC 5227 2.1.1, 2.3)
	ARPNone     = "none"     // nothing: the address is used at once
)

// DefaultBootNet is the lab's behaviour before boot scenarios existed.
func DefaultBootNet() BootNet {
	return BootNet{ServerLatency: 2 * time.Millisecond, RogueLatency: 10 * time.Millisecond, ARP: ARPAnnounce, TimerScale: 1}
}

// Check says what is wrong with b, if anything.
func (b BootNet) Check() error {
	switch {
	case b.ServerLatency < 0 || b.ServerDownFor < 0 || b.RogueLatency < 0:
		return fmt.Errorf("boot scenario durations must be >= 0")
	case b.ARP != ARPAnnounce && b.ARP != ARPRFC5227 && b.ARP != ARPNone:
		return fmt.Errorf("boot_arp=%q: want announce, rfc5227 or none", b.ARP)
	case b.ARPConflict && b.ARP != ARPRFC5227:
		return fmt.Errorf("dhcp_arp_conflict needs boot_arp=rfc5227 (only probing finds the conflict; boot_arp is %s)", b.ARP)
	case !(b.TimerScale > 0 && b.TimerScale <= 100):
		return fmt.Errorf("boot_timer_scale=%v: want a number above 0, at most 100", b.TimerScale)
	case len(b.PXEBootFile) > 127 || strings.ContainsAny(b.PXEBootFile, "\x00"):
		return fmt.Errorf("pxe_boot_file: at most 127 bytes, no NUL")
	}
	return nil
}

// View is b as the settings endpoint and truth.jsonl show it.
func (b BootNet) View() map[string]any {
	return map[string]any{
		"dhcp_server_latency": b.ServerLatency.String(), "dhcp_server_down_for": b.ServerDownFor.String(),
		"dhcp_rogue_server": b.RogueServer, "dhcp_rogue_latency": b.RogueLatency.String(),
		"dhcp_nak": b.NAK, "dhcp_arp_conflict": b.ARPConflict, "boot_arp": b.ARP,
		"pxe_boot_file": b.PXEBootFile, "pxe_file_missing": b.PXEFileMissing,
		"boot_ipv6": b.IPv6, "boot_timer_scale": b.TimerScale,
	}
}

// Scenarios holds the boot scenarios the control endpoint changes while the lab runs;
// each boot takes a copy at its start.
type Scenarios struct {
	mu sync.Mutex
	b  BootNet
}

func NewScenarios() *Scenarios { return &Scenarios{b: DefaultBootNet()} }

func (s *Scenarios) Get() BootNet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b
}

// Set replaces the scenarios, or changes nothing and says why.
func (s *Scenarios) Set(b BootNet) error {
	if err := b.Check(); err != nil {
		return err
	}
	s.mu.Lock()
	s.b = b
	s.mu.Unlock()
	return nil
}

// scaled is d times the timer scale.
func (b BootNet) scaled(d time.Duration) time.Duration {
	return time.Duration(math.Round(float64(d) * b.TimerScale))
}

package traffic

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"labsim/world"
)

// scenario starts the generator with b and subscribes to every frame of vm1's NIC
// on a VM port other than vm2's (broadcasts reach vm2 too).
type scenario struct {
	w       *world.World
	truth   string
	sub     *world.Subscription
	stop    func()
	vm2Port atomic.Int64
}

func startScenario(t *testing.T, b BootNet, interval time.Duration) *scenario {
	t.Helper()
	w, truth := newWorld(t)
	w.Settings.BootDHCPDelay = 10 * time.Millisecond
	w.Settings.TrafficInterval = interval
	sc := NewScenarios()
	if err := sc.Set(b); err != nil {
		t.Fatal(err)
	}
	s := &scenario{w: w, truth: truth}
	s.vm2Port.Store(-1)
	s.sub = w.Subscribe(10000, func(f *world.Frame) bool {
		return f.Uplink == "" && f.MAC == mac1 && f.Port != s.vm2Port.Load()
	})
	s.stop = StartWith(w, sc)
	t.Cleanup(s.stop)
	return s
}

// until collects frames until done says so (bounded: a broken generator fails the test).
func (s *scenario) until(t *testing.T, done func(f *world.Frame) bool) []*world.Frame {
	t.Helper()
	var out []*world.Frame
	deadline := time.After(20 * time.Second)
	for {
		select {
		case f := <-s.sub.C:
			out = append(out, f)
			if done(f) {
				return out
			}
		case <-deadline:
			t.Fatalf("no end frame after %d frames: %s", len(out), kinds(out))
		}
	}
}

func kinds(fs []*world.Frame) string {
	var k []string
	for _, f := range fs {
		k = append(k, f.Kind)
	}
	return strings.Join(k, " ")
}

// records reads truth.jsonl records of ev (all when ev is "") once the buffer is flushed.
func (s *scenario) records(t *testing.T, ev string) []map[string]any {
	t.Helper()
	s.w.FlushTruth()
	f, err := os.Open(s.truth)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("truth line %q: %v", sc.Text(), err)
		}
		if ev == "" || rec["ev"] == ev {
			out = append(out, rec)
		}
	}
	return out
}

func decisions(recs []map[string]any, what string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if r["what"] == what {
			out = append(out, r)
		}
	}
	return out
}

// dhcpOpts is a DHCP frame's BOOTP fields and options.
type dhcpOpts struct {
	dhcpInfo
	secs          uint16
	ciaddr        net.IP
	siaddr        net.IP
	file          string
	dstMAC        net.HardwareAddr
	opts          map[byte][]byte
	optOrder      []byte
	requested, id net.IP
}

func parseDHCPOpts(t *testing.T, b []byte) dhcpOpts {
	t.Helper()
	d := dhcpOpts{dhcpInfo: parseDHCP(t, b), opts: map[byte][]byte{}, dstMAC: net.HardwareAddr(b[0:6])}
	bootp := b[14+20+8:]
	d.secs = binary.BigEndian.Uint16(bootp[8:])
	d.ciaddr, d.siaddr = net.IP(bootp[12:16]), net.IP(bootp[20:24])
	d.file = string(bytes.TrimRight(bootp[108:236], "\x00"))
	o := bootp[240:]
	for i := 0; i < len(o) && o[i] != 255; {
		if o[i] == 0 {
			i++
			continue
		}
		d.opts[o[i]] = o[i+2 : i+2+int(o[i+1])]
		d.optOrder = append(d.optOrder, o[i])
		i += 2 + int(o[i+1])
	}
	if v, ok := d.opts[50]; ok {
		d.requested = net.IP(v)
	}
	if v, ok := d.opts[54]; ok {
		d.id = net.IP(v)
	}
	return d
}

func powerOn(t *testing.T, s *scenario) {
	t.Helper()
	if err := s.w.PowerOn("vm1", "api"); err != nil {
		t.Fatal(err)
	}
}

func isKind(k string) func(f *world.Frame) bool {
	return func(f *world.Frame) bool { return f.Kind == k }
}

// fromVM: the frame left the VM (Dir 0 on its port).
func only(fs []*world.Frame, kind string, dir int) []*world.Frame {
	var out []*world.Frame
	for _, f := range fs {
		if f.Kind == kind && f.Dir == dir {
			out = append(out, f)
		}
	}
	return out
}

// The default: one fast exchange, a gratuitous ARP, and the truth records of each
// message and decision.
func TestBootDefaultExchangeAndTruth(t *testing.T) {
	s := startScenario(t, DefaultBootNet(), time.Hour)
	powerOn(t, s)
	fs := s.until(t, isKind("arp"))
	if got := kinds(fs); got != "dhcp-discover dhcp-offer dhcp-request dhcp-ack arp" {
		t.Fatalf("frames on the port: %s", got)
	}
	ip := GuestIP(mac1)
	a := fs[4].Data
	if binary.BigEndian.Uint16(a[12:]) != 0x0806 || !net.IP(a[28:32]).Equal(ip) || !net.IP(a[38:42]).Equal(ip) {
		t.Fatalf("gratuitous ARP: % x", a[14:42])
	}
	var bound []map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for len(bound) == 0 && time.Now().Before(deadline) {
		bound = decisions(s.records(t, "boot-decision"), "bound")
	}
	if len(bound) != 1 || bound[0]["addr"] != ip.String() || bound[0]["server"] != GatewayIP.String() {
		t.Fatalf("bound: %v", bound)
	}
	msgs := s.records(t, "dhcp")
	if len(msgs) != 4 {
		t.Fatalf("dhcp records: %v", msgs)
	}
	xid := float64(parseDHCP(t, fs[0].Data).xid)
	for i, want := range []string{"discover", "offer", "request", "ack"} {
		m := msgs[i]
		if m["msg"] != want || m["xid"] != xid || m["vm"] != "vm1" || m["mac"] != mac1 || m["host"] != "esx01" {
			t.Fatalf("dhcp record %d: %v", i, m)
		}
		if want == "offer" || want == "ack" {
			if m["from"] != "server" || m["server"] != GatewayIP.String() || m["offered"] != ip.String() ||
				m["lease"] != float64(86400) || m["server_mac"] != GatewayMAC.String() {
				t.Fatalf("%s record: %v", want, m)
			}
		} else if m["from"] != "client" || m["attempt"] != float64(1) {
			t.Fatalf("%s record: %v", want, m)
		}
	}
	boots := s.records(t, "boot-net")
	powerRecs := s.records(t, "power-on")
	if len(boots) != 1 || boots[0]["cause"] != "power-on" || boots[0]["boot_t"] != powerRecs[0]["t"] {
		t.Fatalf("boot-net %v, power-on %v", boots, powerRecs)
	}
	st := boots[0]["settings"].(map[string]any)
	if st["dhcp_server_latency"] != "2ms" || st["boot_arp"] != "announce" || st["boot_timer_scale"] != float64(1) {
		t.Fatalf("boot-net settings: %v", st)
	}
}

// A slow server: each reply comes dhcp_server_latency after the message it answers,
// and below the first retransmission nothing is sent twice.
func TestBootSlowServer(t *testing.T) {
	b := DefaultBootNet()
	b.ServerLatency = 300 * time.Millisecond
	s := startScenario(t, b, time.Hour)
	powerOn(t, s)
	fs := s.until(t, isKind("arp"))
	if got := kinds(fs); got != "dhcp-discover dhcp-offer dhcp-request dhcp-ack arp" {
		t.Fatalf("frames: %s", got)
	}
	if d := fs[1].Time.Sub(fs[0].Time); d < 300*time.Millisecond {
		t.Errorf("OFFER %v after DISCOVER, want >= 300ms", d)
	}
	if d := fs[3].Time.Sub(fs[2].Time); d < 300*time.Millisecond {
		t.Errorf("ACK %v after REQUEST, want >= 300ms", d)
	}
	msgs := s.records(t, "dhcp")
	if lat := int64(msgs[1]["t"].(float64) - msgs[0]["t"].(float64)); lat < int64(300*time.Millisecond) {
		t.Errorf("truth: offer %v after discover", time.Duration(lat))
	}
}

// A server slower than the client's first retransmission answers both DISCOVERs
// (one xid); the client takes the first OFFER and ignores the later one.
func TestBootServerSlowerThanRetransmission(t *testing.T) {
	b := DefaultBootNet()
	b.ServerLatency = 150 * time.Millisecond
	b.TimerScale = 0.01 // retransmissions after 30..50 ms, 70..90 ms, ...
	s := startScenario(t, b, time.Hour)
	powerOn(t, s)
	fs := s.until(t, isKind("arp"))
	disc := only(fs, "dhcp-discover", 0)
	offers := only(fs, "dhcp-offer", 1)
	if len(disc) < 2 || len(offers) < 2 {
		t.Fatalf("want DISCOVER retransmitted and each answered: %s", kinds(fs))
	}
	xid := parseDHCP(t, disc[0].Data).xid
	for _, f := range append(disc, offers...) {
		if parseDHCP(t, f.Data).xid != xid {
			t.Fatalf("xid changed within one acquisition")
		}
	}
	req := parseDHCPOpts(t, only(fs, "dhcp-request", 0)[0].Data)
	if !req.requested.Equal(GuestIP(mac1)) || !req.id.Equal(GatewayIP) {
		t.Fatalf("REQUEST for %v from %v", req.requested, req.id)
	}
	var ignored []map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for len(ignored) == 0 && time.Now().Before(deadline) {
		ignored = decisions(s.records(t, "boot-decision"), "offer-ignored")
	}
	if len(ignored) == 0 || ignored[0]["reason"] != "already-chose" {
		t.Fatalf("offer-ignored decisions: %v", ignored)
	}
	if len(decisions(s.records(t, "boot-decision"), "chose-offer")) != 1 {
		t.Fatalf("more than one offer chosen")
	}
}

// No server for the first N seconds: the client retransmits DISCOVER (same xid, secs
// growing) after 4, 8, 16, 32, 64, 64... s +-1 s (RFC 2131 4.1), here at 1/100.
func TestBootServerDownRetransmitsWithBackoff(t *testing.T) {
	b := DefaultBootNet()
	b.ServerDownFor = 1500 * time.Millisecond
	b.TimerScale = 0.01
	s := startScenario(t, b, time.Hour)
	powerOn(t, s)
	fs := s.until(t, isKind("dhcp-offer"))
	disc := only(fs, "dhcp-discover", 0)
	if len(disc) != 7 {
		t.Fatalf("%d DISCOVERs before the OFFER, want 7 (answered after 1.5 s): %s", len(disc), kinds(fs))
	}
	boot := s.records(t, "power-on")[0]["t"].(float64)
	xid := parseDHCP(t, disc[0].Data).xid
	nominal := []time.Duration{4, 8, 16, 32, 64, 64}
	for i := 1; i < len(disc); i++ {
		d := parseDHCPOpts(t, disc[i].Data)
		if d.xid != xid {
			t.Fatalf("DISCOVER %d: xid %x, want %x", i+1, d.xid, xid)
		}
		min := (nominal[i-1]*time.Second - time.Second) / 100
		if gap := disc[i].Time.Sub(disc[i-1].Time); gap < min {
			t.Errorf("DISCOVER %d %v after the one before, want >= %v", i+1, gap, min)
		}
	}
	if at := float64(disc[6].Time.UnixNano()) - boot; at < float64(1500*time.Millisecond) {
		t.Errorf("answered DISCOVER %v after the boot", time.Duration(at))
	}
	decs := s.records(t, "boot-decision")
	re := decisions(decs, "retransmit")
	if len(re) != 6 {
		t.Fatalf("retransmit decisions: %v", re)
	}
	for i, r := range re {
		d := time.Duration(r["delay_ns"].(float64))
		lo, hi := (nominal[i]*time.Second-time.Second)/100, (nominal[i]*time.Second+time.Second)/100
		if d < lo || d > hi || r["attempt"] != float64(i+2) || r["msg"] != "discover" {
			t.Errorf("retransmission %d: %v, want delay in [%v, %v]", i+1, r, lo, hi)
		}
	}
	if silent := decisions(decs, "server-silent"); len(silent) != 6 || silent[0]["reason"] != "down" {
		t.Errorf("server-silent decisions: %d %v", len(silent), silent)
	}
	var attempts []float64
	for _, m := range s.records(t, "dhcp") {
		if m["msg"] == "discover" {
			attempts = append(attempts, m["attempt"].(float64))
		}
	}
	if fmt.Sprint(attempts) != "[1 2 3 4 5 6 7]" {
		t.Errorf("discover attempts %v", attempts)
	}
}

// The first retransmission at real scale: 4 s +- 1 s after the first DISCOVER.
func TestBootFirstRetransmissionRealTime(t *testing.T) {
	b := DefaultBootNet()
	b.ServerDownFor = 2900 * time.Millisecond
	s := startScenario(t, b, time.Hour)
	powerOn(t, s)
	fs := s.until(t, isKind("dhcp-offer"))
	disc := only(fs, "dhcp-discover", 0)
	if len(disc) != 2 {
		t.Fatalf("DISCOVERs: %s", kinds(fs))
	}
	if gap := disc[1].Time.Sub(disc[0].Time); gap < 3*time.Second || gap > 5*time.Second+500*time.Millisecond {
		t.Fatalf("first retransmission after %v, want 3..5 s", gap)
	}
	if d := parseDHCPOpts(t, disc[1].Data); d.secs < 3 {
		t.Errorf("secs %d in the retransmission", d.secs)
	}
}

// Two servers: the client takes the first OFFER; the other server sees the REQUEST
// naming the first and stays quiet. A rogue that is faster wins the client.
func TestBootRogueServer(t *testing.T) {
	b := DefaultBootNet()
	b.RogueServer = true
	s := startScenario(t, b, time.Hour)
	powerOn(t, s)
	arp, nOffers := false, 0
	fs := s.until(t, func(f *world.Frame) bool { // the rogue's offer comes after the exchange
		arp = arp || f.Kind == "arp"
		if f.Kind == "dhcp-offer" {
			nOffers++
		}
		return arp && nOffers == 2
	})
	offers := only(fs, "dhcp-offer", 1)
	if len(offers) != 2 {
		t.Fatalf("offers: %s", kinds(fs))
	}
	o1, o2 := parseDHCPOpts(t, offers[0].Data), parseDHCPOpts(t, offers[1].Data)
	if !o1.id.Equal(GatewayIP) || !o1.yiaddr.Equal(GuestIP(mac1)) || !o2.id.Equal(RogueIP) ||
		!o2.yiaddr.Equal(net.IPv4(192, 168, 66, 1)) || !bytes.Equal(offers[1].Data[6:12], RogueMAC) {
		t.Fatalf("offers: %v from %v, %v from %v", o1.yiaddr, o1.id, o2.yiaddr, o2.id)
	}
	req := parseDHCPOpts(t, only(fs, "dhcp-request", 0)[0].Data)
	if !req.id.Equal(GatewayIP) {
		t.Fatalf("REQUEST names %v", req.id)
	}
	decs := s.records(t, "boot-decision")
	if nc := decisions(decs, "not-chosen"); len(nc) != 1 || nc[0]["server"] != RogueIP.String() {
		t.Fatalf("not-chosen: %v", nc)
	}
	var servers []string
	for _, m := range s.records(t, "dhcp") {
		if m["msg"] == "offer" {
			servers = append(servers, fmt.Sprint(m["from"], " ", m["server"], " ", m["offered"]))
		}
	}
	if fmt.Sprint(servers) != "[server 10.255.255.254 10.170.0.1 rogue 192.168.66.1 192.168.66.1]" {
		t.Fatalf("offer records: %v", servers)
	}

	// The rogue answers first: the guest takes its address and uses it.
	b.ServerLatency, b.RogueLatency = 40*time.Millisecond, time.Millisecond
	s = startScenario(t, b, 5*time.Millisecond)
	powerOn(t, s)
	fs = s.until(t, isKind("icmp"))
	req = parseDHCPOpts(t, only(fs, "dhcp-request", 0)[0].Data)
	ack := parseDHCPOpts(t, only(fs, "dhcp-ack", 1)[0].Data)
	if !req.id.Equal(RogueIP) || !ack.id.Equal(RogueIP) || !ack.yiaddr.Equal(net.IPv4(192, 168, 66, 1)) {
		t.Fatalf("REQUEST to %v, ACK from %v for %v", req.id, ack.id, ack.yiaddr)
	}
	icmp := fs[len(fs)-1].Data
	if !net.IP(icmp[26:30]).Equal(net.IPv4(192, 168, 66, 1)) {
		t.Fatalf("ICMP from %v, want the rogue's lease", net.IP(icmp[26:30]))
	}
}

// NAK: INIT-REBOOT asks for a remembered address of another network (option 50, no
// server ID); the server NAKs by broadcast; the client starts over with a new xid.
// Every boot does it, whatever its cause.
func TestBootNAKThenDiscover(t *testing.T) {
	b := DefaultBootNet()
	b.NAK = true
	s := startScenario(t, b, time.Hour)
	s.w.PowerOn("vm2", "api") // same host and portgroup: the NAK broadcast reaches it
	p2 := s.w.FindVM("vm2").Ports[mac2]
	s.vm2Port.Store(p2)
	vm2 := s.w.Subscribe(1000, func(f *world.Frame) bool { return f.Kind == "dhcp-nak" && f.Port == p2 && f.Dir == 1 })
	powerOn(t, s)
	check := func(cause string) {
		t.Helper()
		fs := s.until(t, isKind("arp"))
		if got := kinds(fs); got != "dhcp-request dhcp-nak dhcp-discover dhcp-offer dhcp-request dhcp-ack arp" {
			t.Fatalf("%s: frames %s", cause, got)
		}
		r := parseDHCPOpts(t, fs[0].Data)
		if !r.requested.Equal(StaleIP(mac1)) || r.id != nil || !r.ciaddr.Equal(net.IPv4zero) || r.msgType != dhcpRequest {
			t.Fatalf("%s: INIT-REBOOT REQUEST %+v", cause, r)
		}
		n := parseDHCPOpts(t, fs[1].Data)
		if n.msgType != dhcpNak || n.xid != r.xid || !n.id.Equal(GatewayIP) || !n.dst.Equal(net.IPv4bcast) ||
			n.dstMAC.String() != "ff:ff:ff:ff:ff:ff" || !n.yiaddr.Equal(net.IPv4zero) || len(n.opts[56]) == 0 {
			t.Fatalf("%s: NAK %+v", cause, n)
		}
		if _, lease := n.opts[51]; lease {
			t.Fatalf("%s: NAK with a lease time", cause)
		}
		if d := parseDHCPOpts(t, fs[2].Data); d.xid == r.xid {
			t.Fatalf("%s: DISCOVER after the NAK kept xid %x", cause, d.xid)
		}
		select {
		case <-vm2.C:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the NAK broadcast did not reach vm2's port", cause)
		}
	}
	check("power-on")
	s.w.GuestReboot("vm1", "api")
	check("guest-reboot")
	s.w.Reset("vm1", "api")
	check("reset")
	s.w.PowerOff("vm1", "api")
	s.w.PowerOn("vm1", "api")
	check("power cycle")
	var causes []string
	for _, r := range s.records(t, "boot-net") {
		if r["vm"] == "vm1" {
			causes = append(causes, r["cause"].(string))
		}
	}
	if fmt.Sprint(causes) != "[power-on guest-reboot reset power-on]" {
		t.Fatalf("boot-net causes %v", causes)
	}
	restarts := decisions(s.records(t, "boot-decision"), "restart")
	if len(restarts) < 4 || restarts[0]["reason"] != "nak" {
		t.Fatalf("restart decisions %v", restarts)
	}
}

// DECLINE after an ARP conflict: the guest probes the ACK'd address (RFC 5227), the
// machine using it answers, the guest DECLINEs, waits 10 s (here 100 ms) and starts
// over; the server, which marked the address, offers another, and the probes and
// announcements of RFC 5227 follow with its timing.
func TestBootDeclineAfterARPConflict(t *testing.T) {
	b := DefaultBootNet()
	b.ARP, b.ARPConflict, b.TimerScale = ARPRFC5227, true, 0.01
	s := startScenario(t, b, time.Hour)
	powerOn(t, s)
	fs := s.until(t, func(f *world.Frame) bool { return f.Kind == "arp-announce" && f.Seq == 2 })
	want := "dhcp-discover dhcp-offer dhcp-request dhcp-ack arp-probe arp-reply dhcp-decline " +
		"dhcp-discover dhcp-offer dhcp-request dhcp-ack arp-probe arp-probe arp-probe arp-announce arp-announce"
	if got := kinds(fs); got != want {
		t.Fatalf("frames:\n got %s\nwant %s", got, want)
	}
	conflict, ip := ConflictIP(mac1), GuestIP(mac1)
	if o := parseDHCPOpts(t, fs[1].Data); !o.yiaddr.Equal(conflict) {
		t.Fatalf("first offer %v, want %v", o.yiaddr, conflict)
	}
	p := fs[4].Data[14:]
	if binary.BigEndian.Uint16(p[6:]) != 1 || !net.IP(p[14:18]).Equal(net.IPv4zero) || !net.IP(p[24:28]).Equal(conflict) ||
		!bytes.Equal(p[18:24], make([]byte, 6)) || !bytes.Equal(fs[4].Data[0:6], bcastMAC) {
		t.Fatalf("probe: % x", p)
	}
	r := fs[5].Data[14:]
	if binary.BigEndian.Uint16(r[6:]) != 2 || !bytes.Equal(r[8:14], ConflictMAC) || !net.IP(r[14:18]).Equal(conflict) {
		t.Fatalf("defending reply: % x", r)
	}
	dec := parseDHCPOpts(t, fs[6].Data)
	ack1 := parseDHCPOpts(t, fs[3].Data)
	if dec.msgType != dhcpDecline || !dec.requested.Equal(conflict) || !dec.id.Equal(GatewayIP) || dec.xid != ack1.xid ||
		!dec.ciaddr.Equal(net.IPv4zero) || dec.opts[55] != nil || dec.opts[12] != nil {
		t.Fatalf("DECLINE %+v", dec)
	}
	if d := fs[7].Time.Sub(fs[6].Time); d < 100*time.Millisecond {
		t.Errorf("DISCOVER %v after DECLINE, want >= 10 s/100", d)
	}
	if d := parseDHCPOpts(t, fs[7].Data); d.xid == dec.xid {
		t.Errorf("new acquisition kept xid")
	}
	if o := parseDHCPOpts(t, fs[8].Data); !o.yiaddr.Equal(ip) {
		t.Fatalf("second offer %v, want %v", o.yiaddr, ip)
	}
	// Probes 1..2 s apart, announcements 2 s after the last probe and 2 s apart (/100).
	gaps := []struct {
		i   int
		min time.Duration
	}{{12, 10 * time.Millisecond}, {13, 10 * time.Millisecond}, {14, 20 * time.Millisecond}, {15, 20 * time.Millisecond}}
	for _, g := range gaps {
		if d := fs[g.i].Time.Sub(fs[g.i-1].Time); d < g.min {
			t.Errorf("%s %d: %v after the frame before, want >= %v", fs[g.i].Kind, fs[g.i].Seq, d, g.min)
		}
	}
	for _, i := range []int{11, 12, 13} {
		if p := fs[i].Data[14:]; !net.IP(p[24:28]).Equal(ip) || !net.IP(p[14:18]).Equal(net.IPv4zero) {
			t.Errorf("probe %d: % x", i, p)
		}
	}
	decs := s.records(t, "boot-decision")
	for _, d := range decisions(decs, "probe-next") {
		if v := time.Duration(d["delay_ns"].(float64)); v < 10*time.Millisecond || v > 20*time.Millisecond {
			t.Errorf("probe interval %v, want 1..2 s/100", v)
		}
	}
	for _, d := range decisions(decs, "probe-wait") {
		if v := time.Duration(d["delay_ns"].(float64)); v < 0 || v > 10*time.Millisecond {
			t.Errorf("probe wait %v, want 0..1 s/100", v)
		}
	}
	c := decisions(decs, "arp-conflict")
	if len(c) != 1 || c[0]["addr"] != conflict.String() || c[0]["by"] != ConflictMAC.String() {
		t.Fatalf("arp-conflict: %v", c)
	}
	if rs := decisions(decs, "restart"); len(rs) != 1 || rs[0]["reason"] != "decline" || rs[0]["delay"] != "100ms" {
		t.Fatalf("restart: %v", rs)
	}
	var decl int
	for _, m := range s.records(t, "dhcp") {
		if m["msg"] == "decline" && m["requested"] == conflict.String() && m["server"] == GatewayIP.String() {
			decl++
		}
	}
	if decl != 1 {
		t.Fatalf("decline records: %d", decl)
	}
	waitDecision(t, s, "bound")
	if b := decisions(s.records(t, "boot-decision"), "bound"); len(b) != 1 || b[0]["addr"] != ip.String() {
		t.Fatalf("bound: %v", b)
	}
}

func waitDecision(t *testing.T, s *scenario, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(decisions(s.records(t, "boot-decision"), what)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no %s decision in truth.jsonl", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// PXE: the firmware's DHCP carries option 60 PXEClient (and 93/94/97); the server's
// OFFER and ACK name the TFTP server (66) and boot file (67); the firmware reads the
// file by TFTP; a missing file is "File not found" (RFC 1350 error 1); then the OS
// does DHCP of its own, without PXE's options.
func TestBootPXEMissingFile(t *testing.T) {
	b := DefaultBootNet()
	b.PXEBootFile, b.PXEFileMissing = "pxelinux.0", true
	s := startScenario(t, b, time.Hour)
	powerOn(t, s)
	fs := s.until(t, isKind("arp"))
	want := "dhcp-discover dhcp-offer dhcp-request dhcp-ack tftp-rrq tftp-error dhcp-discover dhcp-offer dhcp-request dhcp-ack arp"
	if got := kinds(fs); got != want {
		t.Fatalf("frames:\n got %s\nwant %s", got, want)
	}
	d := parseDHCPOpts(t, fs[0].Data)
	if string(d.opts[60]) != "PXEClient:Arch:00000:UNDI:002001" || len(d.opts[93]) != 2 || len(d.opts[94]) != 3 ||
		len(d.opts[97]) != 17 || d.opts[12] != nil {
		t.Fatalf("PXE DISCOVER options %v", d.optOrder)
	}
	for _, i := range []int{1, 3} {
		o := parseDHCPOpts(t, fs[i].Data)
		if string(o.opts[60]) != "PXEClient" || string(o.opts[66]) != "10.255.255.254" || string(o.opts[67]) != "pxelinux.0" ||
			o.file != "pxelinux.0" || !o.siaddr.Equal(GatewayIP) {
			t.Fatalf("%s: options 60 %q 66 %q 67 %q file %q siaddr %v", fs[i].Kind, o.opts[60], o.opts[66], o.opts[67], o.file, o.siaddr)
		}
	}
	rrq := fs[4].Data
	udpH := rrq[34:]
	if binary.BigEndian.Uint16(udpH[2:]) != 69 || !net.IP(rrq[30:34]).Equal(GatewayIP) ||
		!bytes.Equal(udpH[8:], append([]byte{0, 1}, "pxelinux.0\x00octet\x00"...)) {
		t.Fatalf("RRQ: % x", udpH)
	}
	e := fs[5].Data[42:]
	if !bytes.Equal(e, append([]byte{0, 5, 0, 1}, "File not found\x00"...)) {
		t.Fatalf("TFTP error: % x", e)
	}
	osd := parseDHCPOpts(t, fs[6].Data)
	if osd.opts[60] != nil || string(osd.opts[12]) != "vm1" || osd.xid == d.xid {
		t.Fatalf("the OS's DISCOVER: options %v, xid %x", osd.optOrder, osd.xid)
	}
	if gap := fs[6].Time.Sub(fs[5].Time); gap < 500*time.Millisecond {
		t.Errorf("the OS's DHCP %v after the TFTP error", gap)
	}
	if o := parseDHCPOpts(t, fs[7].Data); o.opts[66] != nil || o.opts[67] != nil {
		t.Fatalf("the OS got PXE options")
	}
	decs := s.records(t, "boot-decision")
	if e := decisions(decs, "tftp-error"); len(e) != 1 || e[0]["code"] != float64(1) || e[0]["message"] != "File not found" ||
		e[0]["file"] != "pxelinux.0" {
		t.Fatalf("tftp-error: %v", e)
	}
	var pxe []string
	for _, m := range s.records(t, "dhcp") {
		if m["msg"] == "offer" {
			pxe = append(pxe, fmt.Sprint(m["boot_file"], "@", m["tftp_server"]))
		}
	}
	if fmt.Sprint(pxe) != "[pxelinux.0@10.255.255.254 <nil>@<nil>]" {
		t.Fatalf("offer records' PXE fields %v", pxe)
	}
}

// A present boot file comes in 512-byte DATA blocks, each ACKed, the last shorter.
func TestBootPXEFilePresent(t *testing.T) {
	b := DefaultBootNet()
	b.PXEBootFile = "ipxe.efi"
	s := startScenario(t, b, time.Hour)
	powerOn(t, s)
	fs := s.until(t, isKind("arp"))
	want := "dhcp-discover dhcp-offer dhcp-request dhcp-ack tftp-rrq tftp-data tftp-ack tftp-data tftp-ack tftp-data tftp-ack " +
		"dhcp-discover dhcp-offer dhcp-request dhcp-ack arp"
	if got := kinds(fs); got != want {
		t.Fatalf("frames:\n got %s\nwant %s", got, want)
	}
	for i, n := range []int{512, 512, 376} {
		data := fs[5+2*i].Data[42:]
		ack := fs[6+2*i].Data[42:]
		if len(data) != 4+n || binary.BigEndian.Uint16(data) != 3 || binary.BigEndian.Uint16(data[2:]) != uint16(i+1) ||
			!bytes.Equal(ack, []byte{0, 4, 0, byte(i + 1)}) {
			t.Fatalf("block %d: data % x ack % x", i+1, data[:4], ack)
		}
	}
	waitDecision(t, s, "tftp-done")
}

// IPv6 at boot: three router solicitations 4 s apart (RFC 4861), DHCPv6 SOLICITs with
// one transaction ID and a growing elapsed time (RFC 8415), nobody answering.
func TestBootIPv6Solicitations(t *testing.T) {
	b := DefaultBootNet()
	b.IPv6, b.TimerScale = true, 0.01
	s := startScenario(t, b, time.Hour)
	powerOn(t, s)
	n := 0
	fs := s.until(t, func(f *world.Frame) bool {
		if f.Kind == "dhcpv6-solicit" {
			n++
		}
		return n == 4
	})
	rs := only(fs, "icmpv6-rs", 0)
	sol := only(fs, "dhcpv6-solicit", 0)
	if len(rs) < 2 || len(sol) != 4 {
		t.Fatalf("frames: %s", kinds(fs))
	}
	ll := linkLocal(mustMAC(mac1))
	for _, f := range rs {
		p := f.Data
		if binary.BigEndian.Uint16(p[12:]) != 0x86dd || p[20] != 58 || p[21] != 255 || !net.IP(p[22:38]).Equal(ll) ||
			!net.IP(p[38:54]).Equal(allRouters) || p[54] != 133 || !bytes.Equal(p[0:6], []byte{0x33, 0x33, 0, 0, 0, 2}) {
			t.Fatalf("RS: % x", p[:62])
		}
		if !icmpv6ChecksumOK(p[14:]) {
			t.Fatalf("RS checksum")
		}
	}
	if gap := rs[1].Time.Sub(rs[0].Time); gap < 40*time.Millisecond {
		t.Errorf("RS interval %v, want >= 4 s/100", gap)
	}
	var prevElapsed uint16
	for i, f := range sol {
		p := f.Data
		u := p[54:]
		if binary.BigEndian.Uint16(u[2:]) != 547 || u[8] != 1 || !bytes.Equal(u[9:12], sol[0].Data[63:66]) {
			t.Fatalf("SOLICIT %d: % x", i, u[:16])
		}
		el := binary.BigEndian.Uint16(u[8+4+14+4:])
		if i > 0 && el <= prevElapsed {
			t.Errorf("elapsed time %d after %d", el, prevElapsed)
		}
		prevElapsed = el
		if !icmpv6ChecksumOK(p[14:]) {
			t.Fatalf("SOLICIT %d UDP checksum", i)
		}
	}
	// Each gap is at least the timer it waited for: RT1 > IRT, RTn >= 1.9 RTn-1 (/100).
	for i, min := range []time.Duration{10 * time.Millisecond, 19 * time.Millisecond, 36 * time.Millisecond} {
		if gap := sol[i+1].Time.Sub(sol[i].Time); gap < min {
			t.Errorf("SOLICIT %d %v after the one before, want >= %v", i+2, gap, min)
		}
	}
}

// icmpv6ChecksumOK verifies the upper-layer checksum of an IPv6 packet.
func icmpv6ChecksumOK(ip []byte) bool {
	plen := int(binary.BigEndian.Uint16(ip[4:]))
	var sum uint32
	for i := 8; i < 40; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	sum += uint32(plen) + uint32(ip[6])
	return checksum(ip[40:40+plen], sum) == 0
}

func TestBootNetCheck(t *testing.T) {
	for _, c := range []struct {
		mod  func(b *BootNet)
		want string
	}{
		{func(b *BootNet) { b.ARP = "probe" }, `boot_arp="probe"`},
		{func(b *BootNet) { b.ARPConflict = true }, "needs boot_arp=rfc5227"},
		{func(b *BootNet) { b.TimerScale = 0 }, "boot_timer_scale"},
		{func(b *BootNet) { b.ServerLatency = -1 }, ">= 0"},
		{func(b *BootNet) { b.PXEBootFile = "a\x00b" }, "pxe_boot_file"},
	} {
		b := DefaultBootNet()
		c.mod(&b)
		sc := NewScenarios()
		if err := sc.Set(b); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", b, err, c.want)
		}
		if sc.Get() != DefaultBootNet() {
			t.Errorf("a refused Set changed the scenarios")
		}
	}
}

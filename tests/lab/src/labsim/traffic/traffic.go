// Package traffic is the guests' network life: every powered-on VM's NICs send and
// receive real frames through their current switch ports (w.Emit), and through an
// uplink (w.UplinkFor) when the peer is outside the host.
//
//   - At every boot (power-on, reset, guest reboot) each NIC does a full DHCP
//     DISCOVER/OFFER/REQUEST/ACK, Settings.BootDHCPDelay after the boot, then a
//     gratuitous ARP; only then does it send periodic traffic. The boot scenarios
//     (BootNet, bootnet.go) change that exchange: a slow or absent server and the
//     client's retransmissions, a rogue second server, NAK, an ARP conflict and
//     DECLINE, PXE with TFTP, ARP probing, IPv6 solicitations.
//   - Every Settings.TrafficInterval each configured NIC sends, in turn, an ICMP echo
//     to the gateway (and gets the reply) or a UDP datagram carrying its sequence number,
//     to another VM of the same host and portgroup when there is one (both ports, no
//     uplink) or to an outside sink; every 8th round a unicast ARP request/reply that
//     refreshes the gateway's entry.
//   - After a vMotion the destination host sends a RARP for each NIC, as ESXi does.
//   - Flood: Settings.FloodPPS UDP frames/s of Settings.FloodFrameLen bytes from
//     Settings.FloodVM's first NIC to the sink.
//
// Directions follow pktcap-uw: a frame from a VM is Dir 0 on its port and Dir 1 on the
// uplink; a frame to it is Dir 0 on the uplink and Dir 1 on its port. Broadcasts from a
// VM also reach (Dir 1) every other port of its portgroup on the host. Each crossing is
// one Frame whose VM/MAC name the NIC whose exchange it is (the sender for VM-to-VM);
// its Seq is the ICMP/UDP sequence number (also inside the packet), the DHCP xid, the
// flood counter, or 0 for ARP/RARP. Guest addresses come from GuestIP(mac); the
// gateway, DHCP server and ping target is GatewayIP/GatewayMAC.
// Frames are emitted only on ports that exist at that moment.
package traffic

import (
	"net"
	"sort"
	"sync"
	"time"

	"labsim/world"
)

const tick = 2 * time.Millisecond

type nicState struct {
	boot       int  // bumped at every boot/power-off: pending exchanges of older boots are void
	configured bool // has an address (DHCP done)
	addr       net.IP
	seq        uint64
	round      uint64
}

type job struct {
	at   time.Time
	mac  string
	boot int
	rarp bool        // the RARP after a vMotion
	fn   func(l loc) // a step of the NIC's boot (bootnet.go), given where the NIC is then
}

// loc is where a NIC is now.
type loc struct {
	vm, mac, host, portgroup string
	port                     int64
	first                    bool // the VM's first NIC
}

type gen struct {
	w         *world.World
	sc        *Scenarios
	mu        sync.Mutex
	nics      map[string]*nicState
	jobs      []job
	stopped   bool
	dirty     bool
	index     map[string]loc
	floodFrom time.Time
	floodSent int64
	floodSeq  uint64
	floodKey  string
	nextRound time.Time
}

// Start runs the traffic of w's VMs, with the default boot scenarios, until stop is called.
func Start(w *world.World) (stop func()) { return StartWith(w, NewScenarios()) }

// StartWith runs the traffic of w's VMs until stop is called; each boot follows the
// scenarios sc holds at the boot. NICs of VMs already powered on count as configured
// (they booted before the lab watched them).
func StartWith(w *world.World, sc *Scenarios) (stop func()) {
	g := &gen{w: w, sc: sc, nics: map[string]*nicState{}, dirty: true}
	for _, v := range w.VMsSnapshot() {
		if v.PoweredOn {
			for mac := range v.Ports {
				g.nics[mac] = &nicState{configured: true}
			}
		}
	}
	w.OnChange(g.onChange)
	done := make(chan struct{})
	finished := make(chan struct{})
	go g.loop(done, finished)
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			g.stopped = true
			g.mu.Unlock()
			close(done)
			<-finished
		})
	}
}

func (g *gen) nic(mac string) *nicState {
	s := g.nics[mac]
	if s == nil {
		s = &nicState{}
		g.nics[mac] = s
	}
	return s
}

func (g *gen) onChange(c world.Change) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return
	}
	g.dirty = true
	switch c.Kind {
	case world.ChPowerOn, world.ChReset, world.ChGuestReboot:
		delay := settingsOf(g.w).BootDHCPDelay
		cfg := g.sc.Get()
		for mac := range c.NewPorts {
			s := g.nic(mac)
			s.boot++
			s.configured, s.addr = false, nil
			bc := newBootClient(g, mac, c.VM, s.boot, c.Time, string(c.Kind), cfg)
			g.jobs = append(g.jobs, job{at: c.Time.Add(delay), mac: mac, boot: s.boot, fn: bc.start})
		}
	case world.ChPowerOff, world.ChRemoved:
		for mac := range c.OldPorts {
			s := g.nic(mac)
			s.boot++
			s.configured, s.addr = false, nil
		}
	case world.ChMigrate:
		for mac := range c.NewPorts {
			s := g.nic(mac)
			g.jobs = append(g.jobs, job{at: c.Time, mac: mac, boot: s.boot, rarp: true})
		}
	}
}

func (g *gen) loop(done, finished chan struct{}) {
	defer close(finished)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			g.step(now)
		}
	}
}

// refreshIndex rebuilds MAC -> location from the world (under g.mu).
func (g *gen) refreshIndex() {
	idx := map[string]loc{}
	for _, v := range g.w.VMsSnapshot() {
		if !v.PoweredOn {
			continue
		}
		for i, n := range v.Nics {
			if p, ok := v.Ports[n.MAC]; ok {
				idx[n.MAC] = loc{vm: v.Name, mac: n.MAC, host: v.Host, portgroup: n.Portgroup, port: p, first: i == 0}
			}
		}
	}
	g.index = idx
	g.dirty = false
}

func (g *gen) step(now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return
	}
	// Boot-time exchanges and RARPs that are due.
	var due []job
	keep := g.jobs[:0]
	for _, j := range g.jobs {
		if !j.at.After(now) {
			due = append(due, j)
		} else {
			keep = append(keep, j)
		}
	}
	g.jobs = keep
	if len(due) > 0 || g.dirty {
		g.refreshIndex()
	}
	sort.Slice(due, func(i, k int) bool { return due[i].at.Before(due[k].at) })
	for _, j := range due {
		g.runJob(j)
	}
	// Periodic traffic.
	interval := settingsOf(g.w).TrafficInterval
	if interval > 0 && !now.Before(g.nextRound) {
		g.nextRound = now.Add(interval)
		g.refreshIndex()
		g.periodic()
	}
	g.flood(now)
}

func (g *gen) runJob(j job) {
	s := g.nic(j.mac)
	if s.boot != j.boot {
		return // the VM booted again or went off since: this exchange never happens
	}
	l, ok := g.index[j.mac]
	if !ok {
		return
	}
	if j.rarp {
		g.fromVM(l, rarpFrame(l.mac), "rarp", 0, true, true)
		return
	}
	j.fn(l)
}

// addrOf is the NIC's address: its lease, or GuestIP before it has one.
func (g *gen) addrOf(mac string) net.IP {
	if s := g.nics[mac]; s != nil && s.addr != nil {
		return s.addr
	}
	return GuestIP(mac)
}

// periodic sends one round of traffic for every configured NIC.
func (g *gen) periodic() {
	macs := make([]string, 0, len(g.index))
	for mac := range g.index {
		macs = append(macs, mac)
	}
	sort.Strings(macs)
	for i, mac := range macs {
		s := g.nic(mac)
		if !s.configured {
			continue
		}
		l := g.index[mac]
		s.round++
		if s.round%8 == 3 {
			m := mustMAC(mac)
			ip := g.addrOf(mac)
			// Refreshing a known neighbour is a unicast request (Linux's ARP probe), so it
			// is not flooded to the portgroup.
			g.fromVM(l, arpFrame(1, m, ip, make([]byte, 6), GatewayIP, GatewayMAC), "arp", 0, true, false)
			g.toVM(l, arpFrame(2, GatewayMAC, GatewayIP, m, ip, m), "arp", 0)
		}
		s.seq++
		if s.round%2 == 1 {
			g.fromVM(l, icmpFrame(true, mac, g.addrOf(mac), s.seq), "icmp", s.seq, true, false)
			g.toVM(l, icmpFrame(false, mac, g.addrOf(mac), s.seq), "icmp", s.seq)
			continue
		}
		// UDP to the next configured NIC on the same host and portgroup, else outside.
		var peer *loc
		for k := 1; k < len(macs); k++ {
			pm := macs[(i+k)%len(macs)]
			pl := g.index[pm]
			if pl.host == l.host && pl.portgroup == l.portgroup && g.nic(pm).configured {
				peer = &pl
				break
			}
		}
		m := mustMAC(mac)
		if peer != nil {
			f := udpFrame(m, mustMAC(peer.mac), g.addrOf(mac), g.addrOf(peer.mac), 40000+uint16(s.seq%1000), 5001, s.seq, 64)
			g.emit(l.host, l.port, "", 0, l, "udp", s.seq, f)
			g.emit(peer.host, peer.port, "", 1, l, "udp", s.seq, f)
			continue
		}
		f := udpFrame(m, GatewayMAC, g.addrOf(mac), SinkIP, 40000+uint16(s.seq%1000), 9, s.seq, 64)
		g.fromVM(l, f, "udp", s.seq, true, false)
	}
}

// flood sends FloodPPS frames per second from FloodVM's first NIC.
func (g *gen) flood(now time.Time) {
	st := settingsOf(g.w)
	key := st.FloodVM
	if st.FloodPPS <= 0 || key == "" {
		g.floodKey = ""
		return
	}
	if key != g.floodKey {
		g.floodKey, g.floodFrom, g.floodSent = key, now, 0
	}
	want := int64(now.Sub(g.floodFrom).Seconds() * float64(st.FloodPPS))
	n := want - g.floodSent
	if max := int64(st.FloodPPS/20 + 1); n > max { // after a stall, don't burst more than 50 ms worth
		g.floodSent = want - max
		n = max
	}
	if n <= 0 {
		return
	}
	if g.dirty {
		g.refreshIndex()
	}
	var l loc
	found := false
	for _, c := range g.index {
		if c.vm == key && c.first && (!found || c.mac < l.mac) {
			l, found = c, true
		}
	}
	g.floodSent += n
	if !found {
		return
	}
	size := st.FloodFrameLen - 14 - 20 - 8
	m := mustMAC(l.mac)
	for i := int64(0); i < n; i++ {
		g.floodSeq++
		f := udpFrame(m, GatewayMAC, GuestIP(l.mac), SinkIP, 50000, 9, g.floodSeq, size)
		g.fromVM(l, f, "flood", g.floodSeq, true, false)
	}
}

// fromVM: the frame leaves the VM (Dir 0 on its port); broadcasts reach the other
// ports of its portgroup on the host; external or broadcast frames go out the uplink.
func (g *gen) fromVM(l loc, f []byte, kind string, seq uint64, external, broadcast bool) {
	if !g.emit(l.host, l.port, "", 0, l, kind, seq, f) {
		return // its port is gone: the VM sends nothing
	}
	if broadcast {
		var others []loc
		for _, o := range g.index {
			if o.host == l.host && o.portgroup == l.portgroup && o.port != l.port {
				others = append(others, o)
			}
		}
		sort.Slice(others, func(i, k int) bool { return others[i].port < others[k].port })
		for _, o := range others {
			g.emit(o.host, o.port, "", 1, l, kind, seq, f)
		}
	}
	if external || broadcast {
		if up := g.w.UplinkFor(l.host, l.mac); up != "" {
			g.emit(l.host, 0, up, 1, l, kind, seq, f)
		}
	}
}

// toVM: a frame from outside comes in on the uplink (Dir 0) and out to the VM (Dir 1).
func (g *gen) toVM(l loc, f []byte, kind string, seq uint64) {
	if !g.w.PortExists(l.host, l.port) {
		return // nothing answers a VM that is gone
	}
	if up := g.w.UplinkFor(l.host, l.mac); up != "" {
		g.emit(l.host, 0, up, 0, l, kind, seq, f)
	}
	g.emit(l.host, l.port, "", 1, l, kind, seq, f)
}

// toVMBroadcast: a broadcast from outside comes in on the NIC's uplink (Dir 0) and out
// to every port of the NIC's portgroup on its host (Dir 1).
func (g *gen) toVMBroadcast(l loc, f []byte, kind string, seq uint64) {
	if !g.w.PortExists(l.host, l.port) {
		return
	}
	if up := g.w.UplinkFor(l.host, l.mac); up != "" {
		g.emit(l.host, 0, up, 0, l, kind, seq, f)
	}
	var ports []loc
	for _, o := range g.index {
		if o.host == l.host && o.portgroup == l.portgroup {
			ports = append(ports, o)
		}
	}
	sort.Slice(ports, func(i, k int) bool { return ports[i].port < ports[k].port })
	for _, o := range ports {
		g.emit(o.host, o.port, "", 1, l, kind, seq, f)
	}
}

// emit sends one frame; a frame on a VM port that no longer exists is dropped (false).
func (g *gen) emit(host string, port int64, uplink string, dir int, owner loc, kind string, seq uint64, data []byte) bool {
	f := &world.Frame{Time: time.Now(), Host: host, Port: port, Uplink: uplink, Dir: dir,
		VM: owner.vm, MAC: owner.mac, Kind: kind, Seq: seq, Data: data}
	if uplink == "" {
		return g.w.EmitLive(f)
	}
	g.w.Emit(f)
	return true
}

// settingsOf reads the world's settings (a copy taken under the world's lock).
func settingsOf(w *world.World) world.Settings { return w.GetSettings() }

package traffic

// A NIC's network at boot: the guest's DHCP client (RFC 2131), its address check
// (RFC 5227), PXE and TFTP (RFC 1350), IPv6 solicitations (RFC 4861, RFC 8415), and the
// DHCP servers on the other side of the uplink, as one event-driven model per boot.
// Each step is a job of the generator (so it runs on its 2 ms tick and dies with the
// boot); every DHCP message and every decision is a truth.jsonl record.

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand"
	"net"
	"time"
)

var (
	// RogueMAC and RogueIP are the second DHCP server of the rogue scenario; it offers
	// 192.168.66.<the NIC's last octet>.
	RogueMAC = net.HardwareAddr{0x02, 0x00, 0x5e, 0x00, 0x00, 0x66}
	RogueIP  = net.IPv4(192, 168, 66, 1).To4()
	// ConflictMAC is the machine that already uses ConflictIP(mac) in the ARP conflict
	// scenario.
	ConflictMAC = net.HardwareAddr{0x02, 0x00, 0x5e, 0x00, 0x00, 0x99}
)

// ConflictIP is the address the server offers first in the ARP conflict scenario:
// 10.254.<MAC octets 5, 6> (outside the guests' 10.128-191 addresses).
func ConflictIP(mac string) net.IP {
	g := GuestIP(mac)
	return net.IPv4(10, 254, g[2], g[3]).To4()
}

// StaleIP is the remembered lease a NIC asks for in INIT-REBOOT in the NAK scenario:
// 192.168.1.<last octet>, a network the lab's server is not on.
func StaleIP(mac string) net.IP {
	g := GuestIP(mac)
	return net.IPv4(192, 168, 1, g[3]).To4()
}

func rogueIPFor(mac string) net.IP {
	g := GuestIP(mac)
	return net.IPv4(192, 168, 66, g[3]).To4()
}

// Lab constants (not protocol timers, so not scaled): the guest's reaction to a reply,
// the defender's ARP reply, and the PXE firmware's hand-over to what boots next.
const (
	clientThink                    = 2 * time.Millisecond
	defendAfter                    = time.Millisecond
	pxeHandoff                     = 500 * time.Millisecond
	tftpFileLen                    = 1400 // a present boot file: blocks of 512, 512 and 376 bytes
	tftpServerPort, tftpClientPort = 49152, 2070
)

// Protocol timers (before BootNet.TimerScale).
const (
	// RFC 2131 4.1: first retransmission after 4 s, doubling up to 64 s, each +-1 s.
	dhcpFirstRetransmit = 4 * time.Second
	dhcpMaxRetransmit   = 64 * time.Second
	// RFC 2131 3.1 (5): "The client SHOULD wait a minimum of ten seconds before
	// restarting the configuration process" after a DECLINE; and a client "might
	// retransmit the DHCPREQUEST message four times".
	declineWait       = 10 * time.Second
	requestRetransmit = 4
	// RFC 5227 1.1.
	probeWait        = time.Second
	probeNum         = 3
	probeMin         = time.Second
	probeMax         = 2 * time.Second
	announceWait     = 2 * time.Second
	announceNum      = 2
	announceInterval = 2 * time.Second
	// RFC 4861 10: MAX_RTR_SOLICITATION_DELAY, RTR_SOLICITATION_INTERVAL, MAX_RTR_SOLICITATIONS.
	rsMaxDelay = time.Second
	rsInterval = 4 * time.Second
	rsMax      = 3
	// RFC 8415 7.6: SOL_MAX_DELAY, SOL_TIMEOUT, SOL_MAX_RT.
	solMaxDelay = time.Second
	solTimeout  = time.Second
	solMaxRT    = 3600 * time.Second
)

type phase int

const (
	phIdle       phase = iota
	phSelecting        // DISCOVER sent, no offer taken yet
	phRequesting       // REQUEST for a chosen offer sent
	phRebooting        // INIT-REBOOT REQUEST sent
	phChecking         // ACK'd address being probed
	phDeclined         // waiting before starting over
	phTFTP             // PXE fetching its boot file
	phBound            // address in use
)

// dhcpServer is one server's fixed traits.
type dhcpServer struct {
	name    string // "server" or "rogue"
	mac     net.HardwareAddr
	ip      net.IP
	latency time.Duration
	net     *net.IPNet
}

// bootClient is one boot of one NIC.
type bootClient struct {
	g      *gen
	mac    string
	hw     net.HardwareAddr
	vm     string
	boot   int       // the generator's boot counter of the NIC
	bootAt time.Time // the world's power-on / reset / guest-reboot time
	cause  string
	cfg    BootNet
	rnd    *rand.Rand

	phase       phase
	xid         uint32
	xids        int
	attempt     int
	acqStart    time.Time
	chosen      *dhcpServer
	offered     net.IP
	addr        net.IP
	pxe         bool // still in the PXE firmware's stage
	rebootTried bool
	declined    map[string]bool // the servers' memory of declined addresses, for this boot
	checkGen    int             // bumps at each new address check (stale probe jobs see it)
	servers     []*dhcpServer
}

func newBootClient(g *gen, mac, vm string, boot int, at time.Time, cause string, cfg BootNet) *bootClient {
	f := fnv.New64a()
	f.Write([]byte(mac))
	f.Write([]byte{byte(boot), byte(boot >> 8), byte(boot >> 16)})
	c := &bootClient{g: g, mac: mac, hw: mustMAC(mac), vm: vm, boot: boot, bootAt: at, cause: cause, cfg: cfg,
		rnd: rand.New(rand.NewSource(int64(f.Sum64()))), declined: map[string]bool{}, pxe: cfg.PXEBootFile != ""}
	_, tenNet, _ := net.ParseCIDR("10.0.0.0/8")
	_, rogueNet, _ := net.ParseCIDR("192.168.66.0/24")
	c.servers = []*dhcpServer{{name: "server", mac: GatewayMAC, ip: GatewayIP, latency: cfg.ServerLatency, net: tenNet}}
	if cfg.RogueServer {
		c.servers = append(c.servers, &dhcpServer{name: "rogue", mac: RogueMAC, ip: RogueIP, latency: cfg.RogueLatency, net: rogueNet})
	}
	return c
}

// after schedules fn d from now within this boot.
func (c *bootClient) after(d time.Duration, fn func(l loc)) {
	c.g.jobs = append(c.g.jobs, job{at: time.Now().Add(d), mac: c.mac, boot: c.boot, fn: fn})
}

// record appends a truth.jsonl record about this boot.
func (c *bootClient) record(l loc, ev string, fields map[string]any) {
	rec := map[string]any{"t": time.Now().UnixNano(), "ev": ev, "vm": c.vm, "mac": c.mac, "host": l.host,
		"boot_t": c.bootAt.UnixNano()}
	for k, v := range fields {
		rec[k] = v
	}
	c.g.w.TruthRecord(rec)
}

func (c *bootClient) decide(l loc, what string, fields map[string]any) {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["what"] = what
	c.record(l, "boot-decision", fields)
}

// start: the NIC's link is up and the guest begins (Settings.BootDHCPDelay after the boot).
func (c *bootClient) start(l loc) {
	c.record(l, "boot-net", map[string]any{"cause": c.cause, "port": l.port, "settings": c.cfg.View()})
	if c.cfg.IPv6 {
		c.startIPv6(l)
	}
	c.acquire(l)
}

// acquire starts an address acquisition with a new xid: INIT-REBOOT once per boot in
// the NAK scenario (not by the PXE firmware, which remembers nothing), else DISCOVER.
func (c *bootClient) acquire(l loc) {
	c.xids++
	c.xid = xidFor(c.mac, c.boot)
	if c.xids > 1 { // a new acquisition in the same boot: a new transaction
		c.xid = xidFor(fmt.Sprintf("%s#%d", c.mac, c.xids), c.boot)
	}
	c.acqStart = time.Now()
	c.chosen, c.offered, c.addr = nil, nil, nil
	c.attempt = 1
	if c.cfg.NAK && !c.pxe && !c.rebootTried {
		c.rebootTried = true
		c.phase = phRebooting
		c.sendRequest(l)
		return
	}
	c.phase = phSelecting
	c.sendDiscover(l)
}

func (c *bootClient) secs() uint16 {
	s := time.Since(c.acqStart) / time.Second
	if s > 0xffff {
		s = 0xffff
	}
	return uint16(s)
}

func (c *bootClient) clientMsg(typ byte) dhcpMsg {
	m := dhcpMsg{typ: typ, xid: c.xid, secs: c.secs(), chaddr: c.hw, params: typ != dhcpDecline, pxe: c.pxe && typ != dhcpDecline}
	if !c.pxe && typ != dhcpDecline {
		m.hostname = c.vm
	}
	return m
}

func (c *bootClient) sendDiscover(l loc) {
	c.sendClient(l, c.clientMsg(dhcpDiscover), "dhcp-discover")
	c.retransmitLater(l, dhcpDiscover)
}

// sendRequest: in SELECTING, for the chosen offer (options 50 and 54); in INIT-REBOOT,
// for the remembered address (option 50, no 54) (RFC 2131 4.3.2, table 5).
func (c *bootClient) sendRequest(l loc) {
	m := c.clientMsg(dhcpRequest)
	if c.phase == phRebooting {
		m.requested = StaleIP(c.mac)
	} else {
		m.requested, m.serverID = c.offered, c.chosen.ip
	}
	c.sendClient(l, m, "dhcp-request")
	c.retransmitLater(l, dhcpRequest)
}

// backoff is RFC 2131 4.1's delay before retransmission n (1-based): 4 s, 8 s, ...
// up to 64 s, each plus a uniform -1..+1 s.
func (c *bootClient) backoff(n int) time.Duration {
	d := dhcpFirstRetransmit << (n - 1)
	if n > 5 || d > dhcpMaxRetransmit {
		d = dhcpMaxRetransmit
	}
	d += time.Duration((c.rnd.Float64()*2 - 1) * float64(time.Second))
	return c.cfg.scaled(d)
}

// retransmitLater sends the current message again if nothing answered it in time; a
// REQUEST is sent at most requestRetransmit more times, then the client starts over.
func (c *bootClient) retransmitLater(l loc, typ byte) {
	xid, attempt, ph := c.xid, c.attempt, c.phase
	d := c.backoff(attempt)
	c.after(d, func(l loc) {
		if c.phase != ph || c.xid != xid || c.attempt != attempt {
			return // answered, or started over
		}
		if typ == dhcpRequest && attempt > requestRetransmit {
			c.decide(l, "restart", map[string]any{"reason": "no-ack", "xid": xid})
			c.phase = phIdle
			c.acquire(l)
			return
		}
		c.attempt++
		c.decide(l, "retransmit", map[string]any{"msg": msgName(typ), "xid": xid, "attempt": c.attempt,
			"delay_ns": int64(d), "delay": d.String()})
		if typ == dhcpDiscover {
			c.sendDiscover(l)
		} else {
			c.sendRequest(l)
		}
	})
}

func msgName(t byte) string {
	switch t {
	case dhcpDiscover:
		return "discover"
	case dhcpOffer:
		return "offer"
	case dhcpRequest:
		return "request"
	case dhcpDecline:
		return "decline"
	case dhcpAck:
		return "ack"
	case dhcpNak:
		return "nak"
	}
	return "unknown"
}

func ipString(ip net.IP) any {
	if ip == nil {
		return nil
	}
	return ip.String()
}

// recordDHCP is the truth record of one DHCP message (once, however many ports it crosses).
func (c *bootClient) recordDHCP(l loc, m dhcpMsg, from string) {
	f := map[string]any{"msg": msgName(m.typ), "xid": m.xid, "from": from}
	if from == "client" {
		f["attempt"], f["secs"], f["pxe"] = c.attempt, m.secs, m.pxe
		if m.requested != nil {
			f["requested"] = m.requested.String()
		}
		if m.serverID != nil {
			f["server"] = m.serverID.String()
		}
	} else {
		f["server"], f["server_mac"] = m.serverID.String(), m.srcMAC.String()
		if m.yiaddr != nil {
			f["offered"] = m.yiaddr.String()
		}
		if m.lease != 0 {
			f["lease"] = m.lease
		}
		if m.pxe {
			f["tftp_server"], f["boot_file"] = m.tftpServer, m.bootFile
		}
		if m.message != "" {
			f["message"] = m.message
		}
	}
	c.record(l, "dhcp", f)
}

func (c *bootClient) sendClient(l loc, m dhcpMsg, kind string) {
	c.recordDHCP(l, m, "client")
	c.g.fromVM(l, buildDHCP(clientDHCP(m)), kind, uint64(m.xid), true, true)
	for _, s := range c.servers {
		c.serverGets(l, s, m)
	}
}

// serverGets is one server's answer to a client message (RFC 2131 4.3).
func (c *bootClient) serverGets(l loc, s *dhcpServer, m dhcpMsg) {
	if s.name == "server" && time.Since(c.bootAt) < c.cfg.ServerDownFor {
		c.decide(l, "server-silent", map[string]any{"server": s.ip.String(), "msg": msgName(m.typ), "xid": m.xid,
			"reason": "down", "until_t": c.bootAt.Add(c.cfg.ServerDownFor).UnixNano()})
		return
	}
	reply := func(typ byte, yiaddr net.IP, message string) {
		r := dhcpMsg{typ: typ, xid: m.xid, chaddr: c.hw, serverID: s.ip, message: message}
		if typ != dhcpNak {
			r.yiaddr, r.siaddr, r.lease = yiaddr, s.ip, 86400
			r.mask, r.router, r.dns = net.IP(s.net.Mask), s.ip, s.ip
			if m.pxe && c.cfg.PXEBootFile != "" && s.name == "server" {
				r.pxe, r.tftpServer, r.bootFile = true, s.ip.String(), c.cfg.PXEBootFile
			}
		}
		c.after(s.latency, func(l loc) {
			r = serverDHCP(r, s.mac, s.ip)
			c.recordDHCP(l, r, s.name)
			kind := "dhcp-" + msgName(typ)
			if typ == dhcpNak {
				c.g.toVMBroadcast(l, buildDHCP(r), kind, uint64(r.xid))
			} else {
				c.g.toVM(l, buildDHCP(r), kind, uint64(r.xid))
			}
			c.clientGets(l, s, r)
		})
	}
	switch m.typ {
	case dhcpDiscover:
		reply(dhcpOffer, c.poolAddr(s), "")
	case dhcpRequest:
		switch {
		case m.serverID == nil && !s.net.Contains(m.requested):
			// INIT-REBOOT on the wrong network: NAK (RFC 2131 4.3.2); a server that
			// has no record of the client stays silent (the rogue).
			if s.name == "server" {
				reply(dhcpNak, nil, "requested address not on this network")
			} else {
				c.decide(l, "server-silent", map[string]any{"server": s.ip.String(), "msg": "request", "xid": m.xid, "reason": "no-record"})
			}
		case m.serverID == nil:
			reply(dhcpAck, m.requested, "")
		case m.serverID.Equal(s.ip):
			reply(dhcpAck, m.requested, "")
		default:
			// "Those servers not selected by the DHCPREQUEST message use the message as
			// notification that the client has declined that server's offer" (3.1 (3)).
			c.decide(l, "not-chosen", map[string]any{"server": s.ip.String(), "xid": m.xid})
		}
	case dhcpDecline:
		if m.serverID.Equal(s.ip) {
			c.declined[m.requested.String()] = true // "MUST mark the network address as not available" (4.3.3)
		}
	}
}

// poolAddr is what s offers this NIC now.
func (c *bootClient) poolAddr(s *dhcpServer) net.IP {
	if s.name == "rogue" {
		return rogueIPFor(c.mac)
	}
	if c.cfg.ARPConflict && !c.declined[ConflictIP(c.mac).String()] {
		return ConflictIP(c.mac)
	}
	return GuestIP(c.mac)
}

// clientGets is the guest's reaction to a server's message.
func (c *bootClient) clientGets(l loc, s *dhcpServer, r dhcpMsg) {
	switch r.typ {
	case dhcpOffer:
		if c.phase != phSelecting || r.xid != c.xid {
			c.decide(l, "offer-ignored", map[string]any{"server": s.ip.String(), "offered": r.yiaddr.String(), "xid": r.xid,
				"reason": "already-chose"})
			return
		}
		// The first offer wins (RFC 2131 4.2 leaves the choice to the client).
		c.phase, c.chosen, c.offered, c.attempt = phRequesting, s, r.yiaddr, 1
		c.decide(l, "chose-offer", map[string]any{"server": s.ip.String(), "offered": r.yiaddr.String(), "xid": r.xid})
		xid := c.xid
		c.after(clientThink, func(l loc) {
			if c.phase == phRequesting && c.xid == xid {
				c.sendRequest(l)
			}
		})
	case dhcpAck:
		if (c.phase != phRequesting && c.phase != phRebooting) || r.xid != c.xid {
			c.decide(l, "ack-ignored", map[string]any{"server": s.ip.String(), "xid": r.xid})
			return
		}
		c.addr, c.chosen = r.yiaddr, s
		c.decide(l, "ack", map[string]any{"server": s.ip.String(), "addr": r.yiaddr.String(), "xid": r.xid, "pxe": c.pxe})
		if c.pxe {
			c.phase = phTFTP
			c.after(clientThink, func(l loc) { c.tftpRead(l) })
			return
		}
		c.checkAddress(l)
	case dhcpNak:
		if (c.phase != phRequesting && c.phase != phRebooting) || r.xid != c.xid {
			return
		}
		// "If the client receives a DHCPNAK message, the client restarts the
		// configuration process" (RFC 2131 3.1 (5)).
		c.decide(l, "restart", map[string]any{"reason": "nak", "xid": r.xid, "server": s.ip.String()})
		c.phase = phIdle
		c.after(clientThink, func(l loc) { c.acquire(l) })
	}
}

// checkAddress: the guest's use of the ACK'd address by Settings' ARP mode.
func (c *bootClient) checkAddress(l loc) {
	c.phase = phChecking
	c.checkGen++
	gen, addr := c.checkGen, c.addr
	switch c.cfg.ARP {
	case ARPNone:
		c.bound(l)
	case ARPAnnounce:
		c.after(clientThink, func(l loc) {
			if c.phase == phChecking && c.checkGen == gen {
				c.g.fromVM(l, arpAnnounce(c.hw, addr), "arp", 0, true, true)
				c.bound(l)
			}
		})
	case ARPRFC5227:
		wait := c.cfg.scaled(time.Duration(c.rnd.Float64() * float64(probeWait)))
		c.decide(l, "probe-wait", map[string]any{"addr": addr.String(), "delay_ns": int64(wait), "delay": wait.String()})
		c.after(wait, func(l loc) { c.probe(l, gen, 1) })
	}
}

// probe sends ARP probe n of the address check gen (RFC 5227 2.1.1).
func (c *bootClient) probe(l loc, gen, n int) {
	if c.phase != phChecking || c.checkGen != gen {
		return
	}
	addr := c.addr
	c.g.fromVM(l, arpProbe(c.hw, addr), "arp-probe", uint64(n), true, true)
	if c.cfg.ARPConflict && addr.Equal(ConflictIP(c.mac)) {
		c.after(defendAfter, func(l loc) {
			c.g.toVM(l, arpDefend(ConflictMAC, addr, c.hw), "arp-reply", 0)
			c.conflict(l, gen, addr)
		})
	}
	if n < probeNum {
		d := c.cfg.scaled(probeMin + time.Duration(c.rnd.Float64()*float64(probeMax-probeMin)))
		c.decide(l, "probe-next", map[string]any{"addr": addr.String(), "probe": n, "delay_ns": int64(d), "delay": d.String()})
		c.after(d, func(l loc) { c.probe(l, gen, n+1) })
		return
	}
	d := c.cfg.scaled(announceWait)
	c.after(d, func(l loc) { c.announce(l, gen, 1) })
}

// conflict: an ARP packet with the probed address as its sender (RFC 5227 2.1.1):
// DECLINE, then start over after declineWait (RFC 2131 3.1 (5)).
func (c *bootClient) conflict(l loc, gen int, addr net.IP) {
	if c.phase != phChecking || c.checkGen != gen {
		return
	}
	c.decide(l, "arp-conflict", map[string]any{"addr": addr.String(), "by": ConflictMAC.String(), "xid": c.xid})
	c.phase = phDeclined
	m := c.clientMsg(dhcpDecline)
	m.requested, m.serverID = addr, c.chosen.ip
	c.after(clientThink, func(l loc) {
		c.sendClient(l, m, "dhcp-decline")
		wait := c.cfg.scaled(declineWait)
		c.decide(l, "restart", map[string]any{"reason": "decline", "xid": m.xid, "delay_ns": int64(wait), "delay": wait.String()})
		c.after(wait, func(l loc) { c.acquire(l) })
	})
}

// announce sends announcement n (RFC 5227 2.3); the address is in use from the first.
func (c *bootClient) announce(l loc, gen, n int) {
	if c.checkGen != gen || (n == 1 && c.phase != phChecking) || (n > 1 && c.phase != phBound) {
		return
	}
	c.g.fromVM(l, arpAnnounce(c.hw, c.addr), "arp-announce", uint64(n), true, true)
	if n == 1 {
		c.bound(l)
	}
	if n < announceNum {
		c.after(c.cfg.scaled(announceInterval), func(l loc) { c.announce(l, gen, n+1) })
	}
}

// bound: the guest uses its address; periodic traffic starts.
func (c *bootClient) bound(l loc) {
	c.phase = phBound
	s := c.g.nic(c.mac)
	s.configured, s.addr = true, c.addr
	c.decide(l, "bound", map[string]any{"addr": c.addr.String(), "server": c.chosen.ip.String(), "xid": c.xid})
}

// tftpRead: the PXE firmware's read request for the boot file, from the ACK'd address
// to the TFTP server of option 66 (RFC 1350); the server answers with the file or
// "File not found". Either way the firmware then hands over (to the loaded program or
// to the next boot device), and the OS does DHCP of its own.
func (c *bootClient) tftpRead(l loc) {
	if c.phase != phTFTP {
		return
	}
	file, me, srv := c.cfg.PXEBootFile, c.addr, c.chosen
	c.g.fromVM(l, udpIPv4Frame(c.hw, srv.mac, me, srv.ip, tftpClientPort, 69, 1, tftpRRQPayload(file)), "tftp-rrq", 0, true, false)
	c.decide(l, "tftp-read", map[string]any{"file": file, "server": srv.ip.String()})
	handoff := func(l loc, outcome string) {
		c.decide(l, "pxe-handoff", map[string]any{"outcome": outcome, "delay_ns": int64(pxeHandoff)})
		c.after(pxeHandoff, func(l loc) {
			c.pxe = false
			c.acquire(l)
		})
	}
	if c.cfg.PXEFileMissing {
		c.after(srv.latency, func(l loc) {
			c.g.toVM(l, udpIPv4Frame(srv.mac, c.hw, srv.ip, me, tftpServerPort, tftpClientPort, 2,
				tftpErrorPayload(tftpFileNotFound, "File not found")), "tftp-error", 0)
			c.decide(l, "tftp-error", map[string]any{"file": file, "code": tftpFileNotFound, "message": "File not found"})
			handoff(l, "file-not-found")
		})
		return
	}
	var block func(l loc, n uint16)
	block = func(l loc, n uint16) {
		size := tftpFileLen - int(n-1)*tftpBlock
		if size > tftpBlock {
			size = tftpBlock
		}
		data := make([]byte, size)
		c.g.toVM(l, udpIPv4Frame(srv.mac, c.hw, srv.ip, me, tftpServerPort, tftpClientPort, 2+n,
			tftpDataPayload(n, data)), "tftp-data", uint64(n))
		c.after(clientThink, func(l loc) {
			c.g.fromVM(l, udpIPv4Frame(c.hw, srv.mac, me, srv.ip, tftpClientPort, tftpServerPort, 1+n, tftpAckPayload(n)),
				"tftp-ack", uint64(n), true, false)
			if size < tftpBlock {
				c.decide(l, "tftp-done", map[string]any{"file": file, "bytes": tftpFileLen})
				handoff(l, "loaded")
				return
			}
			c.after(srv.latency, func(l loc) { block(l, n+1) })
		})
	}
	c.after(srv.latency, func(l loc) { block(l, 1) })
}

// startIPv6: router solicitations (RFC 4861 6.3.7) and DHCPv6 SOLICITs (RFC 8415
// 18.2.1) from the link-local address; no router or DHCPv6 server answers in the lab.
func (c *bootClient) startIPv6(l loc) {
	rsDelay := c.cfg.scaled(time.Duration(c.rnd.Float64() * float64(rsMaxDelay)))
	var rs func(l loc, n int)
	rs = func(l loc, n int) {
		c.g.fromVM(l, routerSolicitation(c.hw), "icmpv6-rs", uint64(n), true, true)
		if n < rsMax {
			c.after(c.cfg.scaled(rsInterval), func(l loc) { rs(l, n+1) })
		}
	}
	c.after(rsDelay, func(l loc) { rs(l, 1) })

	f := fnv.New32a()
	f.Write([]byte(c.mac + "/dhcpv6"))
	binary.Write(f, binary.BigEndian, int64(c.boot))
	xid := f.Sum32() & 0xffffff
	var first time.Time
	// RT = IRT + RAND*IRT with RAND in (0, 0.1] for the first; then 2*RTprev + RAND*RTprev,
	// RAND in [-0.1, 0.1], capped at MRT + RAND*MRT (RFC 8415 15, 18.2.1).
	rt := time.Duration(float64(solTimeout) * (1 + 0.1*(1-c.rnd.Float64())))
	var solicit func(l loc, n int)
	solicit = func(l loc, n int) {
		if n == 1 {
			first = time.Now()
		}
		elapsed := time.Since(first) / (10 * time.Millisecond)
		if elapsed > 0xffff {
			elapsed = 0xffff
		}
		c.g.fromVM(l, dhcpv6Solicit(c.hw, xid, uint16(elapsed)), "dhcpv6-solicit", uint64(xid), true, true)
		wait := c.cfg.scaled(rt)
		c.after(wait, func(l loc) { solicit(l, n+1) })
		rt = 2*rt + time.Duration((c.rnd.Float64()*0.2-0.1)*float64(rt))
		if rt > solMaxRT {
			rt = solMaxRT + time.Duration((c.rnd.Float64()*0.2-0.1)*float64(solMaxRT))
		}
	}
	c.after(c.cfg.scaled(time.Duration(c.rnd.Float64()*float64(solMaxDelay))), func(l loc) { solicit(l, 1) })
}

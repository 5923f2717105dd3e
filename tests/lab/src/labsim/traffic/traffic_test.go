package traffic

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"labsim/world"
)

const (
	mac1 = "00:50:56:aa:00:01"
	mac2 = "00:50:56:aa:00:02"
	mac3 = "00:50:56:aa:00:03"
)

func newWorld(t *testing.T) (*world.World, string) {
	t.Helper()
	truth := filepath.Join(t.TempDir(), "truth.jsonl")
	w, err := world.NewWorld(truth)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	w.AddHost(&world.HostState{Name: "esx01", Version: "8.0.3", Uplinks: []string{"vmnic0", "vmnic1"}})
	w.AddHost(&world.HostState{Name: "esx02", Version: "8.0.3", Uplinks: []string{"vmnic0", "vmnic1"}})
	w.AddVM(&world.VMState{Name: "vm1", Folder: "vm", Host: "esx01", Nics: []world.NicSpec{{MAC: mac1, Portgroup: "VM Network"}}})
	w.AddVM(&world.VMState{Name: "vm2", Folder: "vm", Host: "esx01", Nics: []world.NicSpec{{MAC: mac2, Portgroup: "VM Network"}}})
	w.AddVM(&world.VMState{Name: "vm3", Folder: "vm", Host: "esx02", Nics: []world.NicSpec{{MAC: mac3, Portgroup: "VM Network"}}})
	return w, truth
}

// collect gathers frames matching match until n arrived (bounded wait so a broken
// generator fails the test instead of hanging it).
func collect(t *testing.T, s *world.Subscription, n int) []*world.Frame {
	t.Helper()
	var out []*world.Frame
	deadline := time.After(20 * time.Second)
	for len(out) < n {
		select {
		case f := <-s.C:
			out = append(out, f)
		case <-deadline:
			t.Fatalf("got %d of %d frames", len(out), n)
		}
	}
	return out
}

type dhcpInfo struct {
	op, msgType        byte
	xid                uint32
	sport, dport       uint16
	yiaddr, srcIP, dst net.IP
}

func parseDHCP(t *testing.T, b []byte) dhcpInfo {
	t.Helper()
	if len(b) < 14+20+8+240 || binary.BigEndian.Uint16(b[12:]) != 0x0800 || b[14+9] != 17 {
		t.Fatalf("not IPv4/UDP: % x", b[:16])
	}
	ip := b[14:]
	udp := ip[20:]
	bootp := udp[8:]
	d := dhcpInfo{op: bootp[0], xid: binary.BigEndian.Uint32(bootp[4:]), sport: binary.BigEndian.Uint16(udp), dport: binary.BigEndian.Uint16(udp[2:]),
		yiaddr: net.IP(bootp[16:20]), srcIP: net.IP(ip[12:16]), dst: net.IP(ip[16:20])}
	if binary.BigEndian.Uint32(bootp[236:]) != 0x63825363 {
		t.Fatalf("no DHCP magic cookie")
	}
	opts := bootp[240:]
	for i := 0; i < len(opts) && opts[i] != 255; {
		if opts[i] == 0 {
			i++
			continue
		}
		if opts[i] == 53 {
			d.msgType = opts[i+2]
		}
		i += 2 + int(opts[i+1])
	}
	return d
}

func TestDHCPAtBootAfterDelay(t *testing.T) {
	w, _ := newWorld(t)
	w.Settings.BootDHCPDelay = 80 * time.Millisecond
	w.Settings.TrafficInterval = 5 * time.Millisecond
	stop := Start(w)
	defer stop()
	sub := w.Subscribe(1000, func(f *world.Frame) bool { return f.MAC == mac1 })
	if err := w.PowerOn("vm1", "api"); err != nil {
		t.Fatal(err)
	}
	boot := w.FindVM("vm1").BootTime
	port := w.FindVM("vm1").Ports[mac1]
	up := w.UplinkFor("esx01", mac1)
	frames := collect(t, sub, 8)
	type crossing struct {
		kind   string
		port   int64
		uplink string
		dir    int
		msg    byte
	}
	want := []crossing{
		{"dhcp-discover", port, "", 0, 1}, {"dhcp-discover", 0, up, 1, 1},
		{"dhcp-offer", 0, up, 0, 2}, {"dhcp-offer", port, "", 1, 2},
		{"dhcp-request", port, "", 0, 3}, {"dhcp-request", 0, up, 1, 3},
		{"dhcp-ack", 0, up, 0, 5}, {"dhcp-ack", port, "", 1, 5},
	}
	var xid uint32
	for i, f := range frames {
		c := want[i]
		if f.Kind != c.kind || f.Port != c.port || f.Uplink != c.uplink || f.Dir != c.dir || f.Host != "esx01" || f.VM != "vm1" {
			t.Fatalf("frame %d: %+v, want %+v", i, f, c)
		}
		d := parseDHCP(t, f.Data)
		if d.msgType != c.msg {
			t.Fatalf("frame %d: DHCP message type %d, want %d", i, d.msgType, c.msg)
		}
		if i == 0 {
			xid = d.xid
			if f.Time.Sub(boot) < 80*time.Millisecond {
				t.Fatalf("DISCOVER %v after boot, before the 80ms delay", f.Time.Sub(boot))
			}
		}
		if d.xid != xid || uint64(xid) != f.Seq {
			t.Fatalf("frame %d: xid %x, want %x (seq %d)", i, d.xid, xid, f.Seq)
		}
		if (d.msgType == 1 || d.msgType == 3) != (d.sport == 68 && d.dport == 67 && d.op == 1) {
			t.Fatalf("frame %d: ports %d->%d op %d", i, d.sport, d.dport, d.op)
		}
		if d.msgType == 5 && !d.yiaddr.Equal(GuestIP(mac1)) {
			t.Fatalf("ACK gives %v, want %v", d.yiaddr, GuestIP(mac1))
		}
	}
	// A reset is a new boot: a new exchange with a new xid, on the new port.
	w.Reset("vm1", "api")
	newPort := w.FindVM("vm1").Ports[mac1]
	for {
		f := collect(t, sub, 1)[0]
		if f.Kind == "dhcp-discover" {
			if f.Port != newPort || parseDHCP(t, f.Data).xid == xid {
				t.Fatalf("second DISCOVER: port %d (want %d), xid %x", f.Port, newPort, xid)
			}
			break
		}
		if f.Uplink == "" && f.Port != newPort {
			t.Fatalf("frame on the freed port %d after reset: %+v", f.Port, f)
		}
	}
}

// Traffic of NICs already up when Start runs flows at once (no DHCP), and every ICMP
// request crosses port (in) then uplink (out), the reply uplink (in) then port (out).
func TestPeriodicICMPAndUDPDirections(t *testing.T) {
	w, truth := newWorld(t)
	w.Settings.TrafficInterval = 3 * time.Millisecond
	w.PowerOn("vm1", "api")
	w.PowerOn("vm2", "api")
	w.PowerOn("vm3", "api")
	stop := Start(w)
	sub := w.Subscribe(4000, func(f *world.Frame) bool { return true })
	frames := collect(t, sub, 400)
	stop()
	p1, p2 := w.FindVM("vm1").Ports[mac1], w.FindVM("vm2").Ports[mac2]
	up1 := w.UplinkFor("esx01", mac1)
	var icmpSeq []uint64
	sawLocalUDP, sawSink := false, false
	for i, f := range frames {
		if f.Kind == "icmp" && f.MAC == mac1 && f.Port == p1 && f.Dir == 0 {
			if i+3 >= len(frames) {
				break
			}
			n := frames[i+1 : i+4]
			if n[0].Uplink != up1 || n[0].Dir != 1 || n[1].Uplink != up1 || n[1].Dir != 0 || n[2].Port != p1 || n[2].Dir != 1 {
				t.Fatalf("ICMP path: %+v %+v %+v", n[0], n[1], n[2])
			}
			if binary.BigEndian.Uint16(f.Data[14+20+6:]) != uint16(f.Seq) || f.Data[14+20] != 8 || n[2].Data[14+20] != 0 {
				t.Fatalf("ICMP seq/type mismatch")
			}
			icmpSeq = append(icmpSeq, f.Seq)
		}
		if f.Kind == "udp" && f.MAC == mac1 && f.Port == p1 && i+1 < len(frames) {
			// vm2 is on the same host and portgroup: port to port, no uplink.
			nx := frames[i+1]
			if nx.Port != p2 || nx.Dir != 1 || nx.Uplink != "" || nx.Seq != f.Seq {
				t.Fatalf("VM-to-VM UDP went %+v", nx)
			}
			sawLocalUDP = true
		}
		if f.Kind == "udp" && f.MAC == mac3 && f.Uplink != "" {
			sawSink = true // vm3 is alone on esx02: its UDP goes out
		}
		if f.Uplink != "" && f.MAC == mac1 && f.Kind == "udp" {
			t.Fatalf("vm1's UDP to vm2 crossed an uplink: %+v", f)
		}
	}
	if len(icmpSeq) < 2 || !sawLocalUDP || !sawSink {
		t.Fatalf("icmp %v local udp %v sink %v", icmpSeq, sawLocalUDP, sawSink)
	}
	for i := 1; i < len(icmpSeq); i++ {
		if icmpSeq[i] <= icmpSeq[i-1] {
			t.Fatalf("sequence numbers not increasing: %v", icmpSeq)
		}
	}
	// Every crossing is in truth.jsonl.
	w.FlushTruth()
	f, _ := os.Open(truth)
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec map[string]any
		json.Unmarshal(sc.Bytes(), &rec)
		if rec["ev"] == "frame" {
			n++
		}
	}
	if n < len(frames) {
		t.Fatalf("truth has %d frames, subscriber saw %d", n, len(frames))
	}
}

func TestMigrationSendsRARPFromNewHost(t *testing.T) {
	w, _ := newWorld(t)
	w.Settings.TrafficInterval = time.Hour
	w.PowerOn("vm1", "api")
	stop := Start(w)
	defer stop()
	sub := w.Subscribe(100, func(f *world.Frame) bool { return f.Kind == "rarp" })
	w.Migrate("vm1", "esx02", "drs")
	fs := collect(t, sub, 2)
	p := w.FindVM("vm1").Ports[mac1]
	if fs[0].Host != "esx02" || fs[0].Port != p || fs[0].Dir != 0 || fs[1].Uplink == "" || binary.BigEndian.Uint16(fs[0].Data[12:]) != 0x8035 {
		t.Fatalf("RARP: %+v %+v", fs[0], fs[1])
	}
}

func TestPowerOffStopsTrafficAndPendingDHCP(t *testing.T) {
	w, _ := newWorld(t)
	w.Settings.BootDHCPDelay = 30 * time.Millisecond
	w.Settings.TrafficInterval = 2 * time.Millisecond
	stop := Start(w)
	defer stop()
	sub := w.Subscribe(1000, func(f *world.Frame) bool { return f.MAC == mac1 })
	w.PowerOn("vm1", "api")
	w.PowerOff("vm1", "api") // before the DHCP delay: that boot never talks
	w.PowerOn("vm2", "api")
	// Wait until vm2 (booted after vm1 went off) finished its DHCP exchange.
	sub2 := w.Subscribe(1000, func(f *world.Frame) bool { return f.MAC == mac2 && f.Kind == "dhcp-ack" })
	collect(t, sub2, 2)
	select {
	case f := <-sub.C:
		t.Fatalf("powered-off vm1 sent %+v", f)
	default:
	}
}

func TestFloodRateAndFrameLength(t *testing.T) {
	w, _ := newWorld(t)
	w.Settings.TrafficInterval = time.Hour
	w.Settings.FloodPPS = 5000
	w.Settings.FloodVM = "vm1"
	w.Settings.FloodFrameLen = 300
	w.PowerOn("vm1", "api")
	sub := w.Subscribe(10000, func(f *world.Frame) bool { return f.Kind == "flood" && f.Uplink == "" })
	t0 := time.Now()
	stop := Start(w)
	defer stop()
	fs := collect(t, sub, 200)
	for i, f := range fs {
		if len(f.Data) != 300 || f.Dir != 0 || f.Seq != uint64(i+1) {
			t.Fatalf("flood frame %d: len %d dir %d seq %d", i, len(f.Data), f.Dir, f.Seq)
		}
	}
	// The rate is never exceeded: by time T at most (T-start)*5000 frames went out
	// (a slow machine only delays frames, it cannot make this fail).
	for i, f := range fs {
		if sent := float64(i + 1); sent > f.Time.Sub(t0).Seconds()*5000+1 {
			t.Fatalf("frame %d sent %v after start: faster than 5000 pps", i+1, f.Time.Sub(t0))
		}
	}
}

func TestGuestIPAndChecksums(t *testing.T) {
	if ip := GuestIP("00:50:56:01:02:03"); !ip.Equal(net.IPv4(10, 1, 2, 3)) {
		t.Fatalf("GuestIP %v", ip)
	}
	if ip := GuestIP("00:50:56:01:02:00"); !ip.Equal(net.IPv4(10, 1, 2, 1)) {
		t.Fatalf("GuestIP .0 %v", ip)
	}
	f := dhcpFrame(dhcpDiscover, 1, mac1, "vm with spaces")
	ip := f[14:34]
	if checksum(ip, 0) != 0 {
		t.Fatal("IPv4 header checksum does not verify")
	}
	u := f[34:]
	pseudo := append(append(append([]byte{}, ip[12:20]...), 0, 17), byte(len(u)>>8), byte(len(u)))
	var sum uint32
	for i := 0; i < 12; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(pseudo[i:]))
	}
	if checksum(u, sum) != 0 {
		t.Fatal("UDP checksum does not verify")
	}
}

package pktcap

import (
	"encoding/binary"
	"net"
	"testing"
)

// frame builds Ethernet (optionally 802.1Q) + IPv4 + a TCP/UDP port pair.
func frame(src, dst string, vlan int, sip, dip string, proto byte, sport, dport uint16) []byte {
	s, _ := net.ParseMAC(src)
	d, _ := net.ParseMAC(dst)
	b := append(append([]byte{}, d...), s...)
	if vlan >= 0 {
		b = append(b, 0x81, 0x00, byte(vlan>>8), byte(vlan))
	}
	b = append(b, 0x08, 0x00)
	ip := make([]byte, 20)
	ip[0], ip[9] = 0x45, proto
	copy(ip[12:], net.ParseIP(sip).To4())
	copy(ip[16:], net.ParseIP(dip).To4())
	l4 := make([]byte, 8)
	binary.BigEndian.PutUint16(l4, sport)
	binary.BigEndian.PutUint16(l4[2:], dport)
	return append(append(b, ip...), l4...)
}

func TestFlowFilters(t *testing.T) {
	v := ParseVersion("8.0.3")
	udpF := frame("00:50:56:aa:00:01", "00:50:56:aa:00:02", -1, "10.0.0.1", "10.0.0.2", 17, 68, 67)
	tcpF := frame("00:50:56:aa:00:02", "00:50:56:aa:00:01", 12, "10.0.0.2", "10.0.0.1", 6, 443, 5555)
	cases := []struct {
		args     []string
		udp, tcp bool
	}{
		{nil, true, true},
		{[]string{"--mac", "00:50:56:aa:00:01"}, true, true},
		{[]string{"--srcmac", "00:50:56:aa:00:01"}, true, false},
		{[]string{"--dstmac", "00:50:56:aa:00:01"}, false, true},
		{[]string{"--ip", "10.0.0.2"}, true, true},
		{[]string{"--srcip", "10.0.0.2"}, false, true},
		{[]string{"--dstip", "10.0.0.2"}, true, false},
		{[]string{"--proto", "0x11"}, true, false},
		{[]string{"--proto", "6"}, false, true},
		{[]string{"--vlan", "12"}, false, true},
		{[]string{"--ethtype", "0x0800"}, true, true},
		{[]string{"--ethtype", "0x0806"}, false, false},
		{[]string{"--srcport", "68"}, true, false},
		{[]string{"--dstport", "5555"}, false, true},
		{[]string{"--tcpport", "443"}, false, true},
		{[]string{"--tcpport", "67"}, false, false},
		{[]string{"--rcf", "udp and port 67"}, true, false},
		{[]string{"--rcf", "not udp and src host 10.0.0.2"}, false, true},
		{[]string{"--rcf", "ether src 00:50:56:aa:00:01"}, true, false},
		{[]string{"--rcf", "vlan 12 and tcp"}, false, true},
	}
	for _, c := range cases {
		o, err := parsePktcapArgs(append([]string{"--switchport", "1"}, c.args...), v)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if got := o.flt.match(udpF); got != c.udp {
			t.Errorf("%v on the UDP frame: %v, want %v", c.args, got, c.udp)
		}
		if got := o.flt.match(tcpF); got != c.tcp {
			t.Errorf("%v on the TCP frame: %v, want %v", c.args, got, c.tcp)
		}
	}
	if o, _ := parsePktcapArgs([]string{"--switchport", "1"}, v); o.flt.match([]byte{1, 2, 3}) {
		t.Error("a runt frame matched")
	}
	for _, bad := range [][]string{{"--mac", "zz"}, {"--ip", "10.0.0"}, {"--vlan", "5000"}, {"--proto", "0x1ff"}, {"--rcf", "udp or tcp"}} {
		if _, err := parsePktcapArgs(append([]string{"--switchport", "1"}, bad...), v); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestPktcapArgForms(t *testing.T) {
	v := ParseVersion("8.0.3")
	o, err := parsePktcapArgs([]string{"--switchport=0x2000008", "--dir", "inputAndOutput", "-o-", "-c20", "--snap", "10", "-P"}, v)
	if err != nil {
		t.Fatal(err)
	}
	if o.switchport != 0x2000008 || !o.dirs[0] || !o.dirs[1] || o.out != "-" || o.count != 20 || o.snaplen != 24 || !o.ng {
		t.Fatalf("parsed %+v", o)
	}
	if o, _ := parsePktcapArgs([]string{"--uplink", "vmnic1", "--capture", "UplinkSnd"}, v); o.uplink != "vmnic1" || len(o.capture) != 1 {
		t.Fatalf("parsed %+v", o)
	}
	if d := pointDirs([]string{"VnicTx"}); !d[0] || d[1] {
		t.Fatalf("VnicTx (from the VM) should be input: %v", d)
	}
}

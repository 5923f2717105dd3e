package pktcap

// pktcap-uw's command line, parsed like getopt_long does (long options with "--opt V"
// or "--opt=V", unique prefixes, short options -o -c -s -P -A -h), validated against
// the host's version: --dir 2 exists from 6.7, --rcf from 7.0, VM capture point names
// changed in 7.0 (Vmxnet3Rx/Tx -> VnicRx/Tx).

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

type pktcapOpts struct {
	switchport int64
	hasPort    bool
	uplink     string
	vmk        string
	dvfilter   string
	dirs       map[int]bool // 0 input, 1 output
	dirGiven   bool
	stage      int
	capture    []string
	out        string
	hasOut     bool
	ng         bool
	snaplen    int
	count      int64
	listPoints bool
	help       bool
	flt        pktFilter
}

// usageError: print the message and the usage text, exit 1.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// valueError: print the message only, exit 1.
type valueError struct{ msg string }

func (e *valueError) Error() string { return e.msg }

var pktcapLongOpts = map[string]bool{ // name -> takes an argument
	"switchport": true, "uplink": true, "vmk": true, "dvfilter": true, "lifID": true,
	"dir": true, "stage": true, "capture": true, "outfile": true, "ng": false,
	"snaplen": true, "count": true, "srcmac": true, "dstmac": true, "mac": true,
	"ethtype": true, "vlan": true, "srcip": true, "dstip": true, "ip": true, "proto": true,
	"srcport": true, "dstport": true, "tcpport": true, "vxlan": true, "rcf": true,
	"trace": false, "availpoints": false, "help": false, "headroom": true,
}

var pktcapShortOpts = map[byte]string{'o': "outfile", 'c': "count", 's': "snaplen", 'P': "ng", 'A': "availpoints", 'h': "help"}

func capturePoints(v Version) []string {
	if v.AtLeast(7, 0) {
		return []string{"VnicRx", "VnicTx", "PortInput", "PortOutput", "UplinkRcv", "UplinkSnd",
			"UplinkRcvKernel", "UplinkSndKernel", "EtherswitchDispath", "EtherswitchOutput", "Drop",
			"IOChain", "TcpipDispatch", "TcpipRx", "TcpipTx", "VdrRxLeaf", "VdrTxLeaf", "PktFree", "DVFilter"}
	}
	return []string{"Vmxnet3Rx", "Vmxnet3Tx", "PortInput", "PortOutput", "UplinkRcv", "UplinkSnd",
		"EtherswitchDispath", "EtherswitchOutput", "Drop", "IOChain", "TcpipDispatch", "VdrRxLeaf",
		"VdrTxLeaf", "PktFree", "DVFilter"}
}

func parseInt(s string) (int64, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return strconv.ParseInt(s[2:], 16, 64)
	}
	return strconv.ParseInt(s, 10, 64)
}

func parsePktcapArgs(args []string, v Version) (*pktcapOpts, error) {
	o := &pktcapOpts{dirs: map[int]bool{0: true}, snaplen: 0}
	o.flt.vlan, o.flt.proto, o.flt.ethtype = -1, -1, -1
	o.flt.srcport, o.flt.dstport, o.flt.tcpport = -1, -1, -1
	longOpts := map[string]bool{}
	for k, val := range pktcapLongOpts {
		if k == "rcf" && !v.AtLeast(7, 0) {
			continue
		}
		longOpts[k] = val
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		var name, val string
		hasVal := false
		switch {
		case strings.HasPrefix(a, "--") && len(a) > 2:
			name = a[2:]
			if eq := strings.IndexByte(name, '='); eq >= 0 {
				name, val, hasVal = name[:eq], name[eq+1:], true
			}
			if _, ok := longOpts[name]; !ok {
				var cands []string
				for k := range longOpts {
					if strings.HasPrefix(k, name) {
						cands = append(cands, k)
					}
				}
				if len(cands) != 1 {
					return nil, &usageError{fmt.Sprintf("pktcap-uw: unrecognized option '%s'", a)}
				}
				name = cands[0]
			}
			if !longOpts[name] && hasVal {
				return nil, &usageError{fmt.Sprintf("pktcap-uw: option '--%s' doesn't allow an argument", name)}
			}
			if longOpts[name] && !hasVal {
				if i+1 >= len(args) {
					return nil, &usageError{fmt.Sprintf("pktcap-uw: option '--%s' requires an argument", name)}
				}
				val = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			n, ok := pktcapShortOpts[a[1]]
			if !ok {
				return nil, &usageError{fmt.Sprintf("pktcap-uw: invalid option -- '%c'", a[1])}
			}
			name = n
			if pktcapLongOpts[name] {
				if len(a) > 2 {
					val = a[2:]
				} else if i+1 < len(args) {
					val = args[i+1]
					i++
				} else {
					return nil, &usageError{fmt.Sprintf("pktcap-uw: option requires an argument -- '%c'", a[1])}
				}
			} else if len(a) > 2 {
				return nil, &usageError{fmt.Sprintf("pktcap-uw: invalid option -- '%c'", a[2])}
			}
		default:
			return nil, &usageError{fmt.Sprintf("pktcap-uw: unexpected argument '%s'", a)}
		}
		if err := o.set(name, val, v); err != nil {
			return nil, err
		}
	}
	n := 0
	for _, set := range []bool{o.hasPort, o.uplink != "", o.vmk != "", o.dvfilter != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, &valueError{"error: Only one of --switchport, --uplink, --vmk and --dvfilter may be given."}
	}
	if n == 0 && !o.listPoints && !o.help {
		o.vmk = "vmk0" // pktcap-uw with no port captures the management vmkernel port
	}
	return o, nil
}

func (o *pktcapOpts) set(name, val string, v Version) error {
	bad := func(what string) error { return &valueError{fmt.Sprintf("error: Invalid %s: %s", what, val)} }
	switch name {
	case "switchport":
		n, err := parseInt(val)
		if err != nil || n <= 0 {
			return bad("switch port id")
		}
		o.switchport, o.hasPort = n, true
	case "uplink":
		o.uplink = val
	case "vmk":
		o.vmk = val
	case "dvfilter", "lifID":
		o.dvfilter = val
	case "dir":
		d := -1
		switch strings.ToLower(val) {
		case "0":
			d = 0
		case "1":
			d = 1
		case "2":
			d = 2
		case "input":
			if v.AtLeast(6, 7) {
				d = 0
			}
		case "output":
			if v.AtLeast(6, 7) {
				d = 1
			}
		case "inputandoutput":
			if v.AtLeast(6, 7) {
				d = 2
			}
		}
		if d == 2 && !v.AtLeast(6, 7) {
			return &valueError{fmt.Sprintf("error: Invalid direction %s. Valid values are 0 (input) and 1 (output).", val)}
		}
		if d < 0 {
			if v.AtLeast(6, 7) {
				return &valueError{fmt.Sprintf("error: Invalid direction %s. Valid values are 0 (input), 1 (output) and 2 (input and output).", val)}
			}
			return &valueError{fmt.Sprintf("error: Invalid direction %s. Valid values are 0 (input) and 1 (output).", val)}
		}
		o.dirGiven = true
		o.dirs = map[int]bool{}
		if d == 2 {
			o.dirs[0], o.dirs[1] = true, true
		} else {
			o.dirs[d] = true
		}
	case "stage":
		if val != "0" && val != "1" && val != "pre" && val != "post" {
			return bad("stage")
		}
		o.stage = 0
		if val == "1" || val == "post" {
			o.stage = 1
		}
	case "capture":
		valid := capturePoints(v)
		for _, p := range strings.Split(val, ",") {
			ok := false
			for _, q := range valid {
				ok = ok || q == p
			}
			if !ok {
				return &valueError{fmt.Sprintf("error: No such capture point: %s", p)}
			}
			o.capture = append(o.capture, p)
		}
	case "outfile":
		o.out, o.hasOut = val, true
	case "ng":
		o.ng = true
	case "snaplen":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return bad("snap length")
		}
		if n > 0 && n < 24 {
			n = 24
		}
		o.snaplen = n
	case "count":
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || n <= 0 {
			return bad("count")
		}
		o.count = n
	case "mac", "srcmac", "dstmac":
		m, err := net.ParseMAC(val)
		if err != nil || len(m) != 6 {
			return bad("MAC address")
		}
		*map[string]*net.HardwareAddr{"mac": &o.flt.mac, "srcmac": &o.flt.srcmac, "dstmac": &o.flt.dstmac}[name] = m
	case "ip", "srcip", "dstip":
		ip := net.ParseIP(val).To4()
		if ip == nil {
			return bad("IP address")
		}
		*map[string]*net.IP{"ip": &o.flt.ip, "srcip": &o.flt.srcip, "dstip": &o.flt.dstip}[name] = ip
	case "vlan":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 || n > 4095 {
			return bad("vlan id")
		}
		o.flt.vlan = n
	case "proto", "ethtype":
		n, err := parseInt(val)
		max := int64(0xff)
		if name == "ethtype" {
			max = 0xffff
		}
		if err != nil || n < 0 || n > max {
			return bad(map[string]string{"proto": "protocol", "ethtype": "ethernet type"}[name])
		}
		if name == "proto" {
			o.flt.proto = int(n)
		} else {
			o.flt.ethtype = int(n)
		}
	case "srcport", "dstport", "tcpport":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 || n > 65535 {
			return bad("port")
		}
		*map[string]*int{"srcport": &o.flt.srcport, "dstport": &o.flt.dstport, "tcpport": &o.flt.tcpport}[name] = n
	case "vxlan":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return bad("vxlan id")
		}
		o.flt.vxlan = true // the lab carries no VXLAN traffic: nothing matches
	case "rcf":
		e, err := compileRCF(val)
		if err != nil {
			return &valueError{fmt.Sprintf("error: Failed to compile the filter expression \"%s\": %v", val, err)}
		}
		o.flt.rcf = e
	case "trace":
		return &valueError{"error: --trace is not supported by the lab's pktcap-uw"}
	case "availpoints":
		o.listPoints = true
	case "help":
		o.help = true
	case "headroom":
	}
	return nil
}

const pktcapUsage = `Packet Capture and Trace command usage:
	== Create session to capture packets ==
	 pktcap-uw [--capture <capture point> | [--dir <0/1/2>] [--stage <0/1>]]
	    [--switchport <PortID> | --vmk <vmknic> | --uplink <vmnic> |
	       --dvfilter <filter name>]
	       --lifID <lif id for vdr>]
	    [-f [module name.]<function name>]
	    [-AFhP] [-p|--port <Socket PORT>]
	    [-c|--count <number>] [-s|--snaplen <length>]
	    [-o|--outfile <FILE>] [--console]
	    [Flow filter options]
	== Options ==
	--switchport <port ID>: capture on a virtual switch port (see net-stats -l).
	--uplink <vmnic>: capture on a physical adapter.
	--vmk <vmknic>: capture on a vmkernel adapter.
	--dir <0|1|2>: 0 input (default), 1 output, 2 input and output (6.7 and later).
	--stage <0|1>: 0 before (default), 1 after the point.
	--capture <point>: a capture point (-A lists them).
	-o, --outfile <file>: write pcap to <file> ("-" for stdout).
	-P, --ng: write pcapng.
	-s, --snaplen <length>: bytes to keep of each frame (0 = all).
	-c, --count <number>: stop after <number> frames.
	== Flow filter options ==
	--srcmac --dstmac --mac <xx:xx:xx:xx:xx:xx>
	--srcip --dstip --ip <x.x.x.x>
	--vlan <vlan id> --ethtype 0x<ethertype> --proto 0x<IP protocol>
	--srcport --dstport --tcpport <port> --vxlan <vxlan id>
`

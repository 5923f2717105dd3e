package pktcap

// What pktcap-uw prints on stderr, by ESXi release. Sources (see the esx README):
//   - 7.0 and later: a real console capture kept as a test fixture in
//     intel/mfd-packet-capture (tests/unit/test_mfd_packet_capture/test_pktcap.py):
//     "Main thread: N." / "Dump Thread: N." / "Recv Thread: N." after "Listen on port",
//     and at a normal stop "Receive thread exiting...", "Dump thread exiting...",
//     "Join with dump thread failed.", "Join with recvthread failed.",
//     "Destroying session 15.", "Dumped 4 packet to console, dropped 0 packets.",
//     "Done."; a 2022 vSAN capture note shows the same start lines with a "pktcap: "
//     prefix and "The session capture point is PortInput." with --capture.
//   - 6.x: the blog post "Capturing Network Traffic on ESXi Hosts" (vSphere 5.5-6.5):
//     no "pktcap: " prefix, no final periods, and messages run together:
//     "Accept...Vsock connection from port 1030 cid 2",
//     "Dump: 9344, broken : 0, drop: 0, file err: 0error: Error writing 16 bytes of pkt
//     header to file", "Join with dump thread failedDestroying session 5", an empty
//     line, "Dumped 10241 packet to file /tmp/vmnic0.pcap, dropped 0 packets.", "Done.".
// Unverified (the lab's choice): the 6.x start lines before "Local CID", the 6.x lines
// of a stop without an error, and every line of a 7.0+ stop on a full file system.

import (
	"fmt"
	"strings"
)

// Style is a form of pktcap-uw's stderr.
type Style int

const (
	// StyleLegacy is what the lab printed before it followed releases (setting
	// pktcap_messages=legacy): one message per line, no thread lines.
	StyleLegacy Style = iota
	Style6            // ESXi 6.x
	Style7            // ESXi 7.0 and later
)

// StyleFor picks the style for a host: setting "legacy" forces StyleLegacy.
func StyleFor(v Version, setting string) Style {
	switch {
	case setting == "legacy":
		return StyleLegacy
	case v.AtLeast(7, 0):
		return Style7
	}
	return Style6
}

// start describes a capture for its first lines.
type start struct {
	target  string // "The switch port id is 0x02000008."
	point   string // --capture, or ""
	count   int64  // -c, or 0
	out     string // -o, or "" for the console
	vsock   int
	client  int
	session int
}

// head is what is printed before the output file is opened.
func (s Style) head(st start) string {
	var b strings.Builder
	b.WriteString(st.target + "\n")
	switch s {
	case Style7:
		if st.point != "" {
			fmt.Fprintf(&b, "The session capture point is %s.\n", st.point)
		}
		if st.count > 0 {
			fmt.Fprintf(&b, "To capture %d packets.\n", st.count)
		}
		if st.out != "" {
			fmt.Fprintf(&b, "pktcap: The output file is %s.\n", st.out)
		}
	case Style6:
		if st.out != "" {
			fmt.Fprintf(&b, "The output file is %s.\n", st.out)
		}
	default:
		if st.out != "" {
			fmt.Fprintf(&b, "pktcap: The output file is %s.\n", st.out)
		}
	}
	return b.String()
}

// connected is printed once the output is open; packets flow after it.
func (s Style) connected(st start) string {
	var b strings.Builder
	switch s {
	case Style7:
		fmt.Fprintf(&b, "pktcap: No server port specifed, select %d as the port.\n", st.vsock)
		if st.out == "" {
			b.WriteString("pktcap: Output the packet info to console.\n")
		}
		b.WriteString("pktcap: Local CID 2.\n")
		fmt.Fprintf(&b, "pktcap: Listen on port %d.\n", st.vsock)
		main := int64(955338963776) + int64(st.session)*0x200000 + int64(st.vsock%4096)*0x1000
		fmt.Fprintf(&b, "pktcap: Main thread: %d.\n", main)
		fmt.Fprintf(&b, "pktcap: Dump Thread: %d.\n", main+535488)
		fmt.Fprintf(&b, "pktcap: Recv Thread: %d.\n", main+535488+528384)
		b.WriteString("pktcap: Accept...\n")
		fmt.Fprintf(&b, "pktcap: Vsock connection from port %d cid 2.\n", st.client)
	case Style6:
		fmt.Fprintf(&b, "No server port specifed, select %d as the port.\n", st.vsock)
		b.WriteString("Local CID 2\n")
		fmt.Fprintf(&b, "Listen on port %d\n", st.vsock)
		fmt.Fprintf(&b, "Accept...Vsock connection from port %d cid 2\n", st.client)
	default:
		fmt.Fprintf(&b, "pktcap: No server port specifed, select %d as the port.\n", st.vsock)
		b.WriteString("pktcap: Local CID 2.\n")
		fmt.Fprintf(&b, "pktcap: Listen on port %d.\n", st.vsock)
		b.WriteString("pktcap: Accept...\n")
		fmt.Fprintf(&b, "pktcap: Vsock connection from port %d cid 2.\n", st.client)
	}
	return b.String()
}

// end is how a capture ended.
type end struct {
	dumped, dropped int64
	out             string // "" for the console
	session         int
	fileErr         bool // the output file system was full
}

func (e end) dumpedLine() string {
	if e.out == "" {
		return fmt.Sprintf("Dumped %d packet to console, dropped %d packets.\n", e.dumped, e.dropped)
	}
	return fmt.Sprintf("Dumped %d packet to file %s, dropped %d packets.\n", e.dumped, e.out, e.dropped)
}

const writeError = "error: Error writing 16 bytes of pkt header to file"

// tail is printed when the capture ends (a count reached, INT/TERM/HUP, a full disk).
func (s Style) tail(e end) string {
	var b strings.Builder
	switch s {
	case Style7:
		if e.fileErr {
			b.WriteString(writeError + "\n")
		}
		b.WriteString("Receive thread exiting...\nDump thread exiting...\n")
		b.WriteString("Join with dump thread failed.\nJoin with recvthread failed.\n")
		fmt.Fprintf(&b, "Destroying session %d.\n", e.session)
		b.WriteString(e.dumpedLine())
		b.WriteString("Done.\n")
	case Style6:
		fmt.Fprintf(&b, "Dump: %d, broken : 0, drop: %d, file err: 0", e.dumped, e.dropped)
		if e.fileErr {
			b.WriteString(writeError + "\nJoin with dump thread failed")
		}
		fmt.Fprintf(&b, "Destroying session %d\n\n", e.session)
		b.WriteString(e.dumpedLine())
		b.WriteString("Done.\n")
	default:
		fe := 0
		if e.fileErr {
			fe = 1
		}
		fmt.Fprintf(&b, "Dump: %d, broken : 0, drop: %d, file err: %d\n", e.dumped, e.dropped, fe)
		if e.fileErr {
			b.WriteString(writeError + "\nJoin with dump thread failed\n")
		}
		fmt.Fprintf(&b, "Destroying session %d\n", e.session)
		out := e.out
		if out == "" {
			out = "-"
		}
		fmt.Fprintf(&b, "Dumped %d packet to file %s, dropped %d packets.\n", e.dumped, out, e.dropped)
		b.WriteString("Done.\n")
	}
	return b.String()
}

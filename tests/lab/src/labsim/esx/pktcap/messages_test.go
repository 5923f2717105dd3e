package pktcap

import "testing"

func TestStyleByRelease(t *testing.T) {
	for _, c := range []struct {
		version, setting string
		want             Style
	}{
		{"8.0.3", "", Style7}, {"7.0.3", "version", Style7}, {"6.7.0", "", Style6}, {"6.5.0", "", Style6},
		{"8.0.3", "legacy", StyleLegacy}, {"6.5.0", "legacy", StyleLegacy},
	} {
		if got := StyleFor(ParseVersion(c.version), c.setting); got != c.want {
			t.Errorf("%s %q: style %d, want %d", c.version, c.setting, got, c.want)
		}
	}
}

func TestMessagesPerStyle(t *testing.T) {
	st := start{target: "The switch port id is 0x02000008.", point: "VnicRx", count: 4, out: "/tmp/a.pcap",
		vsock: 7799, client: 1823, session: 2}
	normal := end{dumped: 4, dropped: 1, out: "/tmp/a.pcap", session: 2}
	full := end{dumped: 3, out: "/tmp/a.pcap", session: 2, fileErr: true}
	console := end{dumped: 4, session: 15}
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"7 head", Style7.head(st), "The switch port id is 0x02000008.\nThe session capture point is VnicRx.\n" +
			"To capture 4 packets.\npktcap: The output file is /tmp/a.pcap.\n"},
		{"7 connected", Style7.connected(st), "pktcap: No server port specifed, select 7799 as the port.\n" +
			"pktcap: Local CID 2.\npktcap: Listen on port 7799.\npktcap: Main thread: 955358325568.\n" +
			"pktcap: Dump Thread: 955358861056.\npktcap: Recv Thread: 955359389440.\npktcap: Accept...\n" +
			"pktcap: Vsock connection from port 1823 cid 2.\n"},
		{"7 console", Style7.connected(start{vsock: 7800, client: 1824}), "pktcap: No server port specifed, select 7800 as the port.\n" +
			"pktcap: Output the packet info to console.\npktcap: Local CID 2.\npktcap: Listen on port 7800.\n" +
			"pktcap: Main thread: 955354135360.\npktcap: Dump Thread: 955354670848.\npktcap: Recv Thread: 955355199232.\n" +
			"pktcap: Accept...\npktcap: Vsock connection from port 1824 cid 2.\n"},
		{"7 tail", Style7.tail(normal), "Receive thread exiting...\nDump thread exiting...\nJoin with dump thread failed.\n" +
			"Join with recvthread failed.\nDestroying session 2.\nDumped 4 packet to file /tmp/a.pcap, dropped 1 packets.\nDone.\n"},
		{"7 tail console", Style7.tail(console), "Receive thread exiting...\nDump thread exiting...\nJoin with dump thread failed.\n" +
			"Join with recvthread failed.\nDestroying session 15.\nDumped 4 packet to console, dropped 0 packets.\nDone.\n"},
		{"7 tail full", Style7.tail(full), "error: Error writing 16 bytes of pkt header to file\nReceive thread exiting...\n" +
			"Dump thread exiting...\nJoin with dump thread failed.\nJoin with recvthread failed.\nDestroying session 2.\n" +
			"Dumped 3 packet to file /tmp/a.pcap, dropped 0 packets.\nDone.\n"},
		{"6 head", Style6.head(st), "The switch port id is 0x02000008.\nThe output file is /tmp/a.pcap.\n"},
		{"6 connected", Style6.connected(st), "No server port specifed, select 7799 as the port.\nLocal CID 2\n" +
			"Listen on port 7799\nAccept...Vsock connection from port 1823 cid 2\n"},
		{"6 tail", Style6.tail(normal), "Dump: 4, broken : 0, drop: 1, file err: 0Destroying session 2\n\n" +
			"Dumped 4 packet to file /tmp/a.pcap, dropped 1 packets.\nDone.\n"},
		// The one real 6.x log of a full /tmp, line for line.
		{"6 tail full", Style6.tail(full), "Dump: 3, broken : 0, drop: 0, file err: 0error: Error writing 16 bytes of pkt header to file\n" +
			"Join with dump thread failedDestroying session 2\n\nDumped 3 packet to file /tmp/a.pcap, dropped 0 packets.\nDone.\n"},
		{"legacy head", StyleLegacy.head(st), "The switch port id is 0x02000008.\npktcap: The output file is /tmp/a.pcap.\n"},
		{"legacy connected", StyleLegacy.connected(st), "pktcap: No server port specifed, select 7799 as the port.\n" +
			"pktcap: Local CID 2.\npktcap: Listen on port 7799.\npktcap: Accept...\npktcap: Vsock connection from port 1823 cid 2.\n"},
		{"legacy tail full", StyleLegacy.tail(full), "Dump: 3, broken : 0, drop: 0, file err: 1\n" +
			"error: Error writing 16 bytes of pkt header to file\nJoin with dump thread failed\nDestroying session 2\n" +
			"Dumped 3 packet to file /tmp/a.pcap, dropped 0 packets.\nDone.\n"},
		{"legacy tail console", StyleLegacy.tail(console), "Dump: 4, broken : 0, drop: 0, file err: 0\nDestroying session 15\n" +
			"Dumped 4 packet to file -, dropped 0 packets.\nDone.\n"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s:\n%q\nwant\n%q", c.name, c.got, c.want)
		}
	}
}

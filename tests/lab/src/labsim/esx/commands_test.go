package esx

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestVmwareVersionPerHost(t *testing.T) {
	l := newLab(t, 0)
	if r := l.run(t, "esx01", "vmware -vl"); r.stdout != "VMware ESXi 8.0.3 build-24022510\nVMware ESXi 8.0 Update 3\n" || r.status != 0 {
		t.Fatalf("esx01: %+v", r)
	}
	if r := l.run(t, "esx03", "vmware -v"); r.stdout != "VMware ESXi 6.5.0 build-4564106\n" {
		t.Fatalf("esx03 -v: %+v", r)
	}
	if r := l.run(t, "esx03", "vmware -l"); r.stdout != "VMware ESXi 6.5.0 GA\n" {
		t.Fatalf("esx03 -l: %+v", r)
	}
}

func TestEsxcliVMListTable(t *testing.T) {
	l := newLab(t, 0)
	r := l.run(t, "esx01", "esxcli network vm list")
	want := "" +
		"World ID  Name     Num Ports  Networks\n" +
		"--------  -------  ---------  --------------------\n" +
		" 1000107  testvm1          1  VM Network\n" +
		" 1000114  testvm2          2  VM Network, dvpg-lag\n"
	if r.stdout != want || r.status != 0 {
		t.Fatalf("got status %d:\n%s\nwant:\n%s", r.status, r.stdout, want)
	}
}

func TestEsxcliVMListFollowsPowerOff(t *testing.T) {
	l := newLab(t, 0)
	l.w.PowerOff("testvm2", "api")
	r := l.run(t, "esx01", "esxcli network vm list")
	if strings.Contains(r.stdout, "testvm2") || !strings.Contains(r.stdout, "testvm1") {
		t.Fatalf("after power-off:\n%s", r.stdout)
	}
}

func portBlock(l *lab, port int64, pg, mac, vsw, dvport string) string {
	up := l.w.UplinkFor("esx01", mac)
	upID := l.hosts["esx01"].uplinkPortID(up)
	return fmt.Sprintf("   Port ID: %d\n   vSwitch: %s\n   Portgroup: %s\n   DVPort ID: %s\n   MAC Address: %s\n"+
		"   IP Address: 0.0.0.0\n   Team Uplink: %s\n   Uplink Port ID: %d\n   Active Filters: \n\n", port, vsw, pg, dvport, mac, up, upID)
}

func TestEsxcliPortListBlocks(t *testing.T) {
	l := newLab(t, 0)
	v := l.w.FindVM("testvm2")
	r := l.run(t, "esx01", "esxcli network vm port list -w "+strconv.FormatInt(v.WorldID, 10))
	blocks := strings.SplitAfter(r.stdout, "\n\n")
	if len(blocks) != 3 || blocks[2] != "" {
		t.Fatalf("want 2 blocks, got:\n%q", r.stdout)
	}
	if want := portBlock(l, v.Ports[mac2a], "VM Network", mac2a, "vSwitch0", ""); blocks[0] != want {
		t.Fatalf("block 1:\n%q\nwant\n%q", blocks[0], want)
	}
	if !strings.Contains(blocks[1], "   vSwitch: DSwitch\n") || !strings.Contains(blocks[1], "   Portgroup: dvpg-lag\n") ||
		!strings.Contains(blocks[1], "   DVPort ID: 12\n") || !strings.Contains(blocks[1], fmt.Sprintf("   Port ID: %d\n", v.Ports[mac2b])) {
		t.Fatalf("DVS block:\n%s", blocks[1])
	}
	// Long option, and a stale world ID fails.
	if r2 := l.run(t, "esx01", "esxcli network vm port list --world-id="+strconv.FormatInt(v.WorldID, 10)); r2.stdout != r.stdout {
		t.Fatalf("--world-id= differs:\n%s", r2.stdout)
	}
	if r3 := l.run(t, "esx01", "esxcli network vm port list -w 42"); r3.status != 1 || !strings.HasPrefix(r3.stderr, "Error: ") {
		t.Fatalf("stale world: %+v", r3)
	}
	if r4 := l.run(t, "esx01", "esxcli network vm port list"); r4.status != 1 || !strings.Contains(r4.stderr, "Missing required parameter -w|--world-id") {
		t.Fatalf("no -w: %+v", r4)
	}
}

func TestEsxcliFormatters(t *testing.T) {
	l := newLab(t, 0)
	v := l.w.FindVM("testvm1")
	wid := strconv.FormatInt(v.WorldID, 10)
	r := l.run(t, "esx01", "esxcli --formatter=csv network vm list")
	if r.stdout != "Name,Networks,NumPorts,WorldID,\ntestvm1,VM Network,1,1000107,\ntestvm2,\"VM Network,dvpg-lag\",2,1000114,\n" {
		t.Fatalf("csv vm list:\n%s", r.stdout)
	}
	r = l.run(t, "esx01", "esxcli --formatter csv network vm port list -w "+wid)
	lines := strings.Split(r.stdout, "\n")
	if lines[0] != "ActiveFilters,DVPortID,IPAddress,MACAddress,PortID,Portgroup,TeamUplink,UplinkPortID,vSwitch," {
		t.Fatalf("csv port header: %q", lines[0])
	}
	if want := fmt.Sprintf(",,0.0.0.0,%s,%d,VM Network,%s,", mac1, v.Ports[mac1], l.w.UplinkFor("esx01", mac1)); !strings.HasPrefix(lines[1], want) || !strings.HasSuffix(lines[1], ",vSwitch0,") {
		t.Fatalf("csv port row: %q want prefix %q", lines[1], want)
	}
	r = l.run(t, "esx01", "esxcli --formatter=keyvalue network vm port list -w "+wid)
	if !strings.Contains(r.stdout, fmt.Sprintf("Port.PortID.integer=%d\n", v.Ports[mac1])) || !strings.Contains(r.stdout, "Port.MACAddress.string="+mac1+"\n") {
		t.Fatalf("keyvalue:\n%s", r.stdout)
	}
	r = l.run(t, "esx01", "esxcli --formatter=xml network vm list")
	var doc struct {
		Structs []struct {
			TypeName string `xml:"typeName,attr"`
			Fields   []struct {
				Name    string   `xml:"name,attr"`
				Integer string   `xml:"integer"`
				String  string   `xml:"string"`
				List    []string `xml:"list>string"`
			} `xml:"field"`
		} `xml:"root>list>structure"`
	}
	if err := xml.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("xml: %v\n%s", err, r.stdout)
	}
	if len(doc.Structs) != 2 || doc.Structs[1].TypeName != "VM" {
		t.Fatalf("xml structs: %+v", doc)
	}
	got := map[string]string{}
	for _, f := range doc.Structs[1].Fields {
		got[f.Name] = f.Integer + f.String + strings.Join(f.List, "|")
	}
	if got["Name"] != "testvm2" || got["WorldID"] != "1000114" || got["NumPorts"] != "2" || got["Networks"] != "VM Network|dvpg-lag" {
		t.Fatalf("xml fields: %v", got)
	}
	if r := l.run(t, "esx01", "esxcli --formatter=json network vm list"); r.status == 0 {
		t.Fatalf("bad formatter accepted: %+v", r)
	}
	if r := l.run(t, "esx01", "esxcli network vm frobnicate"); r.status != 1 || r.stderr != "Error: Unknown command or namespace network vm frobnicate\n" {
		t.Fatalf("unknown namespace: %+v", r)
	}
}

func TestEsxcliNicListAndVersion(t *testing.T) {
	l := newLab(t, 0)
	r := l.run(t, "esx01", "esxcli network nic list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "Name    PCI Device    Driver  Admin Status  Link Status  Speed  Duplex  MAC Address        MTU   Description") ||
		!strings.HasPrefix(lines[2], "vmnic0  0000:0b:00.0  ixgben  Up            Up           10000  Full    00:0c:29:") {
		t.Fatalf("nic list:\n%s", r.stdout)
	}
	r = l.run(t, "esx03", "esxcli system version get")
	if r.stdout != "   Product: VMware ESXi\n   Version: 6.5.0\n   Build: Releasebuild-4564106\n   Update: 0\n   Patch: 0\n" {
		t.Fatalf("version get:\n%s", r.stdout)
	}
}

func TestNetStatsList(t *testing.T) {
	l := newLab(t, 0)
	r := l.run(t, "esx01", "net-stats -l")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if lines[0] != "PortNum          Type SubType SwitchName       MACAddress         ClientName" {
		t.Fatalf("header %q", lines[0])
	}
	p := portOf(t, l.w, "testvm1", mac1)
	want := fmt.Sprintf("%-16d    5       9 vSwitch0         %s  testvm1.eth0", p, mac1)
	found := false
	for _, ln := range lines {
		found = found || ln == want
	}
	if !found {
		t.Fatalf("no row %q in\n%s", want, r.stdout)
	}
	if !strings.Contains(r.stdout, fmt.Sprintf("%-16d    5       9 DvsPortset-0     %s  testvm2.eth1\n", portOf(t, l.w, "testvm2", mac2b), mac2b)) ||
		!strings.Contains(r.stdout, "2214592514          4       0 DvsPortset-0     ") ||
		!strings.Contains(r.stdout, "33554436            3       0 vSwitch0         ") {
		t.Fatalf("net-stats:\n%s", r.stdout)
	}
	r = l.run(t, "esx03", "net-stats -l")
	if !strings.Contains(r.stdout, "  a VM with a very long name, spa.eth0\n") {
		t.Fatalf("long name not truncated to 31 bytes:\n%s", r.stdout)
	}
	if r := l.run(t, "esx01", "net-stats"); r.status == 0 {
		t.Fatalf("net-stats without -l succeeded")
	}
}

func TestTruncWorldNameKeepsUTF8(t *testing.T) {
	s := strings.Repeat("a", 30) + "ü" // ü is 2 bytes: cutting at 31 would split it
	if got := truncWorldName(s); got != strings.Repeat("a", 30) {
		t.Fatalf("got %q", got)
	}
	if got := truncWorldName("short"); got != "short" {
		t.Fatalf("got %q", got)
	}
}

func TestShellQuotingListsAndPID(t *testing.T) {
	l := newLab(t, 0)
	cases := []struct{ cmd, out string }{
		{`echo 'a  b' "c $$" d\ e`, ""},
		{`echo one; echo two && echo three || echo four`, "one\ntwo\nthree\n"},
		{`false && echo no; echo $?`, "1\n"},
		{`false || echo yes`, "yes\n"},
		{`echo "x\"y" 'it''s' \$HOME`, "x\"y its $HOME\n"},
		{`sh -c 'echo "$0 $1"' name arg`, "name arg\n"},
		{`echo a | grep a`, "a\n"},
		{`echo hi > /tmp/f && cat /tmp/f && rm /tmp/f && cat /tmp/f 2>&1`, "hi\ncat: can't open '/tmp/f': No such file or directory\n"},
	}
	for _, c := range cases {
		r := l.run(t, "esx01", c.cmd)
		if c.out == "" {
			// $$ is the PID of the shell running the line.
			f := strings.Fields(r.stdout)
			if len(f) != 6 || !strings.HasPrefix(r.stdout, "a  b c ") || !strings.HasSuffix(r.stdout, " d e\n") {
				t.Fatalf("%s -> %q", c.cmd, r.stdout)
			}
			if _, err := strconv.Atoi(f[3]); err != nil {
				t.Fatalf("$$ not a number: %q", r.stdout)
			}
			continue
		}
		if r.stdout != c.out {
			t.Fatalf("%s -> %q, want %q (stderr %q)", c.cmd, r.stdout, c.out, r.stderr)
		}
	}
	r := l.run(t, "esx01", "frobnicate --now")
	if r.status != 127 || r.stderr != "sh: frobnicate: not found\n" {
		t.Fatalf("unknown command: %+v", r)
	}
	r = l.run(t, "esx01", "echo 'unterminated")
	if r.status != 2 || !strings.Contains(r.stderr, "unterminated") {
		t.Fatalf("syntax error: %+v", r)
	}
	// BusyBox ash: command substitution works, and kill with no PID says so.
	r = l.run(t, "esx01", "echo $(echo sub) `echo back`; kill $(pidof pktcap-uw)")
	if r.stdout != "sub back\n" || r.status != 1 || r.stderr != "sh: you need to specify whom to kill\n" {
		t.Fatalf("command substitution: %+v", r)
	}
}

// `sh -c 'echo $$; exec CMD'` prints the PID that CMD then runs under, as ps shows it.
func TestEchoPIDThenExecKeepsPID(t *testing.T) {
	l := newLab(t, 0)
	s := l.start(t, "esx01", `sh -c 'echo $$; exec sleep 30'`)
	line := make([]byte, 32)
	n, _ := s.stdout.Read(line)
	pid := strings.TrimSpace(string(line[:n]))
	if _, err := strconv.Atoi(pid); err != nil {
		t.Fatalf("first line %q is not a PID", line[:n])
	}
	want := fmt.Sprintf("%-9s %-9s %-20s sleep 30\n", pid, pid, "sleep")
	ps := l.run(t, "esx01", "ps -c")
	for i := 0; i < 200 && !strings.Contains(ps.stdout, want); i++ { // exec may not have run yet
		time.Sleep(10 * time.Millisecond)
		ps = l.run(t, "esx01", "ps -c")
	}
	if !strings.Contains(ps.stdout, want) {
		t.Fatalf("ps -c does not show sleep as %s:\n%s", pid, ps.stdout)
	}
	if r := l.run(t, "esx01", "kill "+pid); r.status != 0 {
		t.Fatalf("kill: %+v", r)
	}
	err := s.wait(t)
	if err == nil || !strings.Contains(err.Error(), "TERM") {
		t.Fatalf("sleep should die of TERM, got %v", err)
	}
	if r := l.run(t, "esx01", "kill "+pid); r.status != 1 || r.stderr != "sh: can't kill pid "+pid+": No such process\n" {
		t.Fatalf("second kill: %+v", r)
	}
}

// ps and ps -c list the host's real processes in ESXi's format: init, the system
// worlds (hostd, sshd, vpxa, one vmx per running VM whose WID is its World ID), the
// shell and ps itself, with seven-digit IDs as on ESXi.
func TestPsFormat(t *testing.T) {
	l := newLab(t, 0)
	r := l.run(t, "esx01", "ps")
	lines := strings.Split(r.stdout, "\n")
	if lines[0] != "WID       CID       World Name" || lines[1] != "1         1         init" ||
		!strings.Contains(r.stdout, "\n1000107   1000107   vmx\n") || !strings.Contains(r.stdout, "\n1000114   1000114   vmx\n") {
		t.Fatalf("ps:\n%s", r.stdout)
	}
	for _, name := range []string{"hostd", "sshd", "vpxa", "ps"} {
		if findWorld(r.stdout, name) < firstPID {
			t.Fatalf("no %s with a seven-digit WID:\n%s", name, r.stdout)
		}
	}
	r = l.run(t, "esx01", "ps -c")
	if !strings.HasPrefix(r.stdout, "WID       CID       World Name           Command\n") ||
		!strings.Contains(r.stdout, "\n1000107   1000107   vmx                  /bin/vmx -s vmx.stdio.keep=TRUE -18 -P 1000107 /vmfs/volumes/datastore1/testvm1/testvm1.vmx\n") ||
		!strings.Contains(r.stdout, "   hostd                hostd /etc/vmware/hostd/config.xml\n") ||
		!strings.Contains(r.stdout, "   ps                   ps -c\n") {
		t.Fatalf("ps -c:\n%s", r.stdout)
	}
	// esx03 (standalone) has no vpxa, and sees none of esx01's processes.
	r3 := l.run(t, "esx03", "ps")
	if findWorld(r3.stdout, "vpxa") != 0 || strings.Contains(r3.stdout, "1000107") || findWorld(r3.stdout, "hostd") == 0 {
		t.Fatalf("esx03 ps:\n%s", r3.stdout)
	}
}

// findWorld is the WID of the first row of ps output named name (0 if none).
func findWorld(ps, name string) int {
	for _, ln := range strings.Split(ps, "\n") {
		f := strings.Fields(ln)
		if len(f) >= 3 && f[2] == name {
			n, _ := strconv.Atoi(f[0])
			return n
		}
	}
	return 0
}

func TestVdfShowsRamdisksAndDatastores(t *testing.T) {
	l := newLab(t, 0)
	r := l.run(t, "esx01", "vdf -h")
	if !strings.Contains(r.stdout, "VMFS-6") || !strings.Contains(r.stdout, "/vmfs/volumes/datastore1\n") ||
		!strings.Contains(r.stdout, "\n-----\nRamdisk ") {
		t.Fatalf("vdf -h:\n%s", r.stdout)
	}
	found := false
	for _, ln := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(ln)
		if len(f) == 6 && f[0] == "tmp" {
			found = f[1] == "256M" && f[2] == "0B" && f[3] == "256M" && f[4] == "0%"
		}
	}
	if !found {
		t.Fatalf("no empty 256M tmp row:\n%s", r.stdout)
	}
	if err := l.hosts["esx01"].Fill("/tmp", 128<<20); err != nil {
		t.Fatal(err)
	}
	r = l.run(t, "esx01", "vdf -h")
	if !strings.Contains(r.stdout, "tmp                       256M      128M      128M  50% --\n") {
		t.Fatalf("after fill:\n%s", r.stdout)
	}
}

func TestFilesCatStatHashRm(t *testing.T) {
	l := newLab(t, 0)
	r := l.run(t, "esx01", "mkdir -p /vmfs/volumes/datastore1/caps && echo hello > /vmfs/volumes/datastore1/caps/a.txt && stat -c %s /vmfs/volumes/datastore1/caps/a.txt && sha256sum /vmfs/volumes/datastore1/caps/a.txt && md5sum /vmfs/volumes/datastore1/caps/a.txt && ls /vmfs/volumes/datastore1/caps")
	want := "6\n5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  /vmfs/volumes/datastore1/caps/a.txt\n" +
		"b1946ac92492d2347c6235b4d2611184  /vmfs/volumes/datastore1/caps/a.txt\na.txt\n"
	if r.stdout != want {
		t.Fatalf("got %q (stderr %q)", r.stdout, r.stderr)
	}
	// The datastore on esx03 is the same one.
	if r := l.run(t, "esx03", "cat /vmfs/volumes/datastore1/caps/a.txt"); r.stdout != "hello\n" {
		t.Fatalf("shared datastore: %+v", r)
	}
	// The datastore counts the file's blocks (a page of the datastore's tmpfs).
	if ds := l.w.DatastoreSnapshot()[0]; ds.Used != 4096 {
		t.Fatalf("datastore used %d, want 4096 (one block)", ds.Used)
	}
	if r := l.run(t, "esx01", "rm /vmfs/volumes/datastore1/caps/a.txt; rm /nonexistent/x; rm -f /tmp/nothing"); r.stderr != "rm: can't remove '/nonexistent/x': No such file or directory\n" {
		t.Fatalf("rm: %+v", r)
	}
	if ds := l.w.DatastoreSnapshot()[0]; ds.Used != 0 {
		t.Fatalf("datastore used %d after rm", ds.Used)
	}
}

// `cmd > /dev/null 2>&1 & echo $!` leaves a capture running under the printed PID after
// the session ends (what a client does to start a detached file capture).
func TestBackgroundJobOutlivesSession(t *testing.T) {
	l := newLab(t, 0)
	p := portOf(t, l.w, "testvm1", mac1)
	r := l.run(t, "esx01", fmt.Sprintf("nohup pktcap-uw --switchport %d -o /tmp/bg.pcap > /dev/null 2>&1 & echo $!", p))
	pid := strings.TrimSpace(r.stdout)
	if _, err := strconv.Atoi(pid); err != nil || r.status != 0 {
		t.Fatalf("%+v", r)
	}
	want := pid + "   pktcap-uw"
	ps := l.run(t, "esx01", "ps")
	for i := 0; i < 200 && !strings.Contains(ps.stdout, want); i++ {
		time.Sleep(10 * time.Millisecond)
		ps = l.run(t, "esx01", "ps")
	}
	if !strings.Contains(ps.stdout, want) {
		t.Fatalf("no %q in\n%s", want, ps.stdout)
	}
	if r := l.run(t, "esx01", "kill "+pid); r.status != 0 {
		t.Fatalf("kill: %+v", r)
	}
}

func TestFillDatastoreAndKnownHostsLine(t *testing.T) {
	l := newLab(t, 0)
	h := l.hosts["esx01"]
	if err := h.Fill("datastore1", 0); err != nil {
		t.Fatal(err)
	}
	if ds := l.w.DatastoreSnapshot()[0]; ds.Used != ds.Capacity {
		t.Fatalf("datastore not full: %+v", ds)
	}
	if err := h.Fill("datastore1", 1); err == nil {
		t.Fatal("a full datastore took more bytes")
	}
	if r := l.run(t, "esx01", "echo x > /vmfs/volumes/datastore1/y"); r.status == 0 || !strings.Contains(r.stderr, "No space left on device") {
		t.Fatalf("write to a full datastore: %+v", r)
	}
	if err := h.Fill("nosuchds", 10); err == nil {
		t.Fatal("filled a datastore that does not exist")
	}
	l.run(t, "esx01", "rm /vmfs/volumes/datastore1/lab-fill.bin")
	eventually(t, "rm of lab-fill.bin frees the fill", func() bool { return l.w.DatastoreSnapshot()[0].Used == 0 })
	if r := l.run(t, "esx01", "echo x > /vmfs/volumes/datastore1/y"); r.status != 0 {
		t.Fatalf("write after the fill went: %+v", r)
	}
	line := h.KnownHostsLine()
	if !strings.HasPrefix(line, fmt.Sprintf("[127.0.0.1]:%d ecdsa-sha2-nistp256 AAAA", h.Port())) {
		t.Fatalf("known_hosts line %q", line)
	}
}

func TestEsxcliTableAlignsNonASCIINames(t *testing.T) {
	l := newLab(t, 0)
	r := l.run(t, "esx03", "esxcli network vm list")
	want := "" +
		"World ID  Name                                            Num Ports  Networks\n" +
		"--------  ----------------------------------------------  ---------  ----------\n" +
		" 1000121  a VM with a very long name, spaces and ünïcödé          1  VM Network\n"
	if r.stdout != want {
		t.Fatalf("got\n%s\nwant\n%s", r.stdout, want)
	}
}

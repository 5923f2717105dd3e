package esx

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"labsim/world"
)

// A datastore is one file system for every host that mounts it, and vCenter's free
// space follows what the hosts write there.
func TestDatastoreSharedAndFreeSpaceFollowsWrites(t *testing.T) {
	l := newLab(t, 0)
	used := func() int64 { return l.w.DatastoreSnapshot()[0].Used }
	if u := used(); u != 0 {
		t.Fatalf("datastore1 starts with %d bytes used", u)
	}
	if r := l.run(t, "esx01", "dd if=/dev/zero of=/vmfs/volumes/datastore1/one bs=65536 count=16 2>/dev/null && ls -l /vmfs/volumes/datastore1/one"); r.status != 0 {
		t.Fatalf("dd: %+v", r)
	}
	if u := used(); u != 1<<20 {
		t.Fatalf("used %d after a 1 MiB file, want %d", u, 1<<20)
	}
	if r := l.run(t, "esx03", "stat -c %s /vmfs/volumes/datastore1/one && rm /vmfs/volumes/datastore1/one"); r.stdout != "1048576\n" {
		t.Fatalf("esx03 sees: %+v", r)
	}
	if u := used(); u != 0 {
		t.Fatalf("used %d after esx03 removed the file", u)
	}
}

// /tmp is a real ramdisk of its size: a writer meets ENOSPC, whatever program it is.
func TestTmpRamdiskIsFullForEveryWriter(t *testing.T) {
	l := newLab(t, 1<<20)
	r := l.run(t, "esx01", "dd if=/dev/zero of=/tmp/big bs=65536 count=32")
	if r.status == 0 || !strings.Contains(r.stderr, "No space left on device") {
		t.Fatalf("dd past the ramdisk: %+v", r)
	}
	if r := l.run(t, "esx01", "vdf -h"); !strings.Contains(r.stdout, "\ntmp                         1M        1M        0B 100% --\n") {
		t.Fatalf("vdf:\n%s", r.stdout)
	}
	l.run(t, "esx01", "rm /tmp/big")
	if err := l.hosts["esx01"].Fill("/tmp", 0); err != nil {
		t.Fatal(err)
	}
	if r := l.run(t, "esx01", "echo x > /tmp/x"); r.status == 0 {
		t.Fatalf("write after filling /tmp: %+v", r)
	}
	if r := l.run(t, "esx01", "rm /tmp/lab-fill.bin && echo x > /tmp/x && cat /tmp/x"); r.stdout != "x\n" {
		t.Fatalf("after rm of the fill: %+v", r)
	}
}

// On a vSAN datastore, mkdir at the top level fails with "Function not implemented"
// (from the kernel: every program meets it) and osfs-mkdir, in /usr/lib/vmware/osfs/bin,
// makes the directory: a UUID directory and a symlink NAME -> UUID, UUID printed.
// Below such a directory, and on VMFS, mkdir works.
func TestVSANTopLevelMkdirFailsOsfsMkdirWorks(t *testing.T) {
	l := newLab(t, 0)
	const ds = "/vmfs/volumes/vsanDatastore"
	for _, c := range []struct{ cmd, stderr string }{
		{"mkdir " + ds + "/caps", "mkdir: can't create directory '" + ds + "/caps': Function not implemented\n"},
		{"cd " + ds + " && mkdir caps", "mkdir: can't create directory 'caps': Function not implemented\n"},
		{"mkdir -p " + ds + "/a/b", "mkdir: can't create directory '" + ds + "/a/': Function not implemented\n"},
	} {
		if r := l.run(t, "esx01", c.cmd); r.status != 1 || r.stderr != c.stderr {
			t.Errorf("%s: %+v", c.cmd, r)
		}
	}
	if r := l.run(t, "esx01", "osfs-mkdir "+ds+"/caps"); r.status != 127 || r.stderr != "sh: osfs-mkdir: not found\n" {
		t.Errorf("osfs-mkdir should not be on PATH: %+v", r)
	}
	r := l.run(t, "esx01", "/usr/lib/vmware/osfs/bin/osfs-mkdir "+ds+"/caps")
	uuid := strings.TrimSpace(r.stdout)
	if r.status != 0 || !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(uuid) {
		t.Fatalf("osfs-mkdir: %+v", r)
	}
	r = l.run(t, "esx01", fmt.Sprintf("readlink %s/caps && mkdir -p %s/caps/sub && echo hi > %s/caps/sub/f && cat %s/%s/sub/f", ds, ds, ds, ds, uuid))
	if r.stdout != uuid+"\nhi\n" {
		t.Fatalf("inside the new directory: %+v", r)
	}
	if r := l.run(t, "esx01", "/usr/lib/vmware/osfs/bin/osfs-mkdir "+ds+"/caps"); r.status != 1 {
		t.Errorf("osfs-mkdir of an existing name: %+v", r)
	}
	if r := l.run(t, "esx01", "/usr/lib/vmware/osfs/bin/osfs-mkdir /vmfs/volumes/datastore1/x"); r.status != 1 {
		t.Errorf("osfs-mkdir on VMFS: %+v", r)
	}
	if r := l.run(t, "esx01", "mkdir /vmfs/volumes/datastore1/plain && echo ok"); r.stdout != "ok\n" {
		t.Errorf("mkdir on VMFS: %+v", r)
	}
	if r := l.run(t, "esx01", "vdf; df"); strings.Count(r.stdout, "vsan ") != 2 || !strings.Contains(r.stdout, " "+ds+"\n") {
		t.Errorf("vdf and df should show the vsan file system:\n%s", r.stdout)
	}
}

// no_sha256sum removes sha256sum from a host: ash does not find it.
func TestNoSha256sumSetting(t *testing.T) {
	l := newLab(t, 0)
	set := func(hosts ...string) {
		s := l.w.GetSettings()
		s.NoSha256sum = hosts
		l.w.SetSettings(s)
		for _, h := range l.hosts {
			if err := h.SettingsChanged(); err != nil {
				t.Fatal(err)
			}
		}
	}
	const sum = "echo -n > /tmp/e; sha256sum /tmp/e"
	want := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  /tmp/e\n"
	set("esx01")
	if r := l.run(t, "esx01", sum); r.status != 127 || r.stderr != "sh: sha256sum: not found\n" {
		t.Fatalf("esx01 without sha256sum: %+v", r)
	}
	if r := l.run(t, "esx01", "which sha256sum"); r.status == 0 {
		t.Fatalf("which found sha256sum: %+v", r)
	}
	if r := l.run(t, "esx03", sum); r.stdout != want {
		t.Fatalf("esx03 keeps it: %+v", r)
	}
	set()
	if r := l.run(t, "esx01", sum); r.stdout != want {
		t.Fatalf("esx01 with sha256sum again: %+v", r)
	}
}

// df prints ESXi's header "Filesystem Bytes Used Available Use% Mounted on".
func TestDfHeader(t *testing.T) {
	l := newLab(t, 0)
	r := l.run(t, "esx01", "df")
	lines := strings.Split(r.stdout, "\n")
	if strings.Join(strings.Fields(lines[0]), " ") != "Filesystem Bytes Used Available Use% Mounted on" {
		t.Fatalf("df header %q", lines[0])
	}
	if f := strings.Fields(lines[1]); len(f) != 6 || f[0] != "VMFS-6" || f[1] != "1073741824" || f[5] != "/vmfs/volumes/datastore1" {
		t.Fatalf("df row %q", lines[1])
	}
	if r := l.run(t, "esx01", "df -h"); !strings.HasPrefix(r.stdout, "Filesystem             Size") {
		t.Fatalf("df -h:\n%s", r.stdout)
	}
}

// pktcap-uw writing to a full datastore meets ENOSPC: its error lines and exit 1; the
// fill's removal lets the next capture write.
func TestPktcapOnAFullDatastore(t *testing.T) {
	l := newLab(t, 0)
	if err := l.hosts["esx01"].Fill("datastore1", 0); err != nil {
		t.Fatal(err)
	}
	p := portOf(t, l.w, "testvm1", mac1)
	r := l.run(t, "esx01", fmt.Sprintf("pktcap-uw --switchport %d -o /vmfs/volumes/datastore1/c.pcap", p))
	if r.status != 1 || !strings.Contains(r.stderr, "\nerror: Error writing 16 bytes of pkt header to file\n") ||
		!strings.HasSuffix(r.stderr, "Dumped 0 packet to file /vmfs/volumes/datastore1/c.pcap, dropped 0 packets.\nDone.\n") {
		t.Fatalf("capture on a full datastore: %+v", r)
	}
	l.run(t, "esx01", "rm /vmfs/volumes/datastore1/lab-fill.bin")
	eventually(t, "the fill is given back", func() bool { return l.w.DatastoreSnapshot()[0].Used < 1<<20 })
	s := l.start(t, "esx01", fmt.Sprintf("pktcap-uw --switchport %d -o /vmfs/volumes/datastore1/c.pcap -c 1", p))
	s.stderr.waitFor(t, capturing)
	l.w.Emit(&world.Frame{Host: "esx01", Port: p, Dir: 0, Data: make([]byte, 60)})
	if err := s.wait(t); err != nil {
		t.Fatalf("%v\n%s", err, s.stderr.String())
	}
}

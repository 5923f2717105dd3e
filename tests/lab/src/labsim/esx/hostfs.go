package esx

// A host's file systems as the lab sees them: the /tmp ramdisk (a tmpfs of
// Config.TmpSize in the host's mount namespace), the datastores it mounts (the world's
// tmpfs mounts, worldns.go) and its root file system (sha256sum or not).

import (
	"fmt"
	"os"
	"path"
	"strings"
	"syscall"

	"labsim/esx/hostproto"
	"labsim/world"
)

// datastores are the datastores this host mounts (with no host list: every host).
func (h *Host) datastores() []world.DatastoreState {
	var out []world.DatastoreState
	for _, d := range h.w.DatastoreSnapshot() {
		if len(d.Hosts) == 0 || world.HostListed(d.Hosts, h.name) {
			out = append(out, d)
		}
	}
	return out
}

// mountDatastores makes sure the supervisor holds this host's datastores.
func (h *Host) mountDatastores() ([]hostproto.Datastore, error) {
	var out []hostproto.Datastore
	for _, d := range h.datastores() {
		m, err := h.wns.mountDatastore(d)
		if err != nil {
			return nil, err
		}
		out = append(out, hostproto.Datastore{Name: d.Name, Source: m.dir, VSAN: m.vsan})
	}
	return out, nil
}

// tmpUsage is the /tmp ramdisk's size and use, as statfs(2) sees them.
func (h *Host) tmpUsage() (capacity, used int64) {
	size, used, _, err := statfs(h.ns.path("/tmp"))
	if err != nil {
		return h.cfg.TmpSize, 0
	}
	return size, used
}

// Fill adds bytes to "/tmp" or to the datastore named target (bytes <= 0: fill it up),
// as a file lab-fill.bin there that rm can remove. /tmp gets real bytes (fallocate); a
// datastore gets a sparse file its free space counts, the datastore's tmpfs shrinks
// (writers meet ENOSPC), and removing the file gives the space back.
func (h *Host) Fill(target string, bytes int64) error {
	if target == "/tmp" || target == "tmp" {
		return h.fillTmp(bytes)
	}
	for _, d := range h.datastores() {
		if d.Name == target {
			return h.wns.fill(target, bytes)
		}
	}
	return fmt.Errorf("fill %s: no such ramdisk or datastore on host %s", target, h.name)
}

func (h *Host) fillTmp(n int64) error {
	if n <= 0 {
		_, _, free, err := statfs(h.ns.path("/tmp"))
		if err != nil {
			return err
		}
		n = free
	}
	if n <= 0 {
		return nil
	}
	f, err := os.OpenFile(h.ns.path("/tmp/"+fillName), os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := syscall.Fallocate(int(f.Fd()), 0, fi.Size(), n); err != nil {
		return fmt.Errorf("fill /tmp with %d bytes: %v", n, err)
	}
	return nil
}

// osfsMkdir is osfs-mkdir PATH on this host.
func (h *Host) osfsMkdir(p string) (string, error) {
	p = path.Clean(p)
	rest := strings.TrimPrefix(p, "/vmfs/volumes/")
	parts := strings.Split(rest, "/")
	if rest == p || len(parts) != 2 || parts[1] == "" {
		return "", fmt.Errorf("not a top-level directory of a datastore")
	}
	for _, d := range h.datastores() {
		if d.Name == parts[0] {
			return h.wns.osfsMkdir(d.Name, parts[1])
		}
	}
	return "", fmt.Errorf("No such file or directory")
}

func (h *Host) hasSha256sum() bool {
	return !world.HostListed(h.w.GetSettings().NoSha256sum, h.name)
}

// SettingsChanged applies the world's settings that shape the host's files
// (no_sha256sum). The lab calls it after every settings change.
func (h *Host) SettingsChanged() error {
	link := h.ns.path("/bin/sha256sum")
	if h.hasSha256sum() {
		if _, err := os.Lstat(link); err != nil {
			return os.Symlink("/bin/busybox", link)
		}
		return nil
	}
	if err := os.Remove(link); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

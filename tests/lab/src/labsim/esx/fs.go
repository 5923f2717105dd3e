package esx

// The host's simulated filesystem: /tmp is a size-limited ramdisk private to the host,
// /vmfs/volumes/<datastore>/ is shared by every host that mounts the datastore and its
// bytes count against the world's datastore usage (so vCenter's freeSpace is true).
// File contents live on the real disk under <StateDir>/fs/ (sparse where possible);
// sizes are accounted here, so a full ramdisk fails a write exactly like ENOSPC.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"labsim/world"
)

var errNoSpace = errors.New("No space left on device")

// volume is one place files can live: the host's /tmp ramdisk or a datastore.
type volume struct {
	name   string // "tmp" or the datastore name
	prefix string // "/tmp" or "/vmfs/volumes/<ds>"
	dir    string // real directory
	ds     bool
}

type fsys struct {
	w       *world.World
	host    string
	tmp     *volume
	tmpCap  int64
	mu      sync.Mutex
	tmpUsed int64
	root    string
}

// datastoreScan makes sure files already on a datastore are counted once per world,
// even when several hosts mount it.
var (
	scanMu   sync.Mutex
	scanDone = map[*world.World]map[string]bool{}
)

func newFS(w *world.World, host, stateDir string, tmpCap int64) (*fsys, error) {
	root := filepath.Join(stateDir, "fs")
	tmpDir := filepath.Join(root, "hosts", host, "tmp")
	// A ramdisk is empty when the host (re)starts.
	if err := os.RemoveAll(tmpDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return nil, err
	}
	f := &fsys{w: w, host: host, root: root, tmpCap: tmpCap,
		tmp: &volume{name: "tmp", prefix: "/tmp", dir: tmpDir}}
	for _, d := range f.datastores() {
		dir := filepath.Join(root, "datastores", d.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		scanMu.Lock()
		if scanDone[w] == nil {
			scanDone[w] = map[string]bool{}
		}
		if !scanDone[w][d.Name] {
			scanDone[w][d.Name] = true
			var total int64
			filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
				if err == nil && fi.Mode().IsRegular() {
					total += fi.Size()
				}
				return nil
			})
			if total > 0 {
				w.DatastoreUse(d.Name, total)
			}
		}
		scanMu.Unlock()
	}
	return f, nil
}

// datastores mounted on this host (a datastore with no host list is mounted everywhere).
func (f *fsys) datastores() []world.DatastoreState {
	var out []world.DatastoreState
	for _, d := range f.w.DatastoreSnapshot() {
		if len(d.Hosts) == 0 {
			out = append(out, d)
			continue
		}
		for _, h := range d.Hosts {
			if h == f.host {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// resolve maps a host path to its volume and real path. rel is the path inside the volume
// ("" for the volume root).
func (f *fsys) resolve(p string) (*volume, string, error) {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // the SSH session's working directory is /
	}
	p = path.Clean(p)
	if p == "/tmp" || strings.HasPrefix(p, "/tmp/") {
		rel := strings.TrimPrefix(strings.TrimPrefix(p, "/tmp"), "/")
		return f.tmp, rel, nil
	}
	if strings.HasPrefix(p, "/vmfs/volumes/") {
		rest := strings.TrimPrefix(p, "/vmfs/volumes/")
		ds, rel := rest, ""
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			ds, rel = rest[:i], rest[i+1:]
		}
		for _, d := range f.datastores() {
			if d.Name == ds {
				return &volume{name: ds, prefix: "/vmfs/volumes/" + ds,
					dir: filepath.Join(f.root, "datastores", ds), ds: true}, rel, nil
			}
		}
	}
	return nil, "", fmt.Errorf("%s: No such file or directory", p)
}

func (v *volume) real(rel string) string { return filepath.Join(v.dir, filepath.FromSlash(rel)) }

// reserve accounts n more bytes on v (negative frees); it fails with errNoSpace, changing
// nothing, when the volume is full.
func (f *fsys) reserve(v *volume, n int64) error {
	if v.ds {
		if err := f.w.DatastoreUse(v.name, n); err != nil {
			if n > 0 {
				return errNoSpace
			}
		}
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if n > 0 && f.tmpUsed+n > f.tmpCap {
		return errNoSpace
	}
	f.tmpUsed += n
	if f.tmpUsed < 0 {
		f.tmpUsed = 0
	}
	return nil
}

// fileWriter writes a file and accounts every byte before writing it.
type fileWriter struct {
	f    *fsys
	v    *volume
	file *os.File
	size int64
}

// create opens p for writing (truncating or appending), freeing the old size on truncate.
func (f *fsys) create(p string, appendMode bool) (*fileWriter, error) {
	v, rel, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	if rel == "" {
		return nil, fmt.Errorf("%s: Is a directory", p)
	}
	rp := v.real(rel)
	if fi, err := os.Stat(filepath.Dir(rp)); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s: No such file or directory", p)
	}
	var old int64
	if fi, err := os.Stat(rp); err == nil {
		if fi.IsDir() {
			return nil, fmt.Errorf("%s: Is a directory", p)
		}
		old = fi.Size()
	}
	flags := os.O_CREATE | os.O_WRONLY
	if appendMode {
		flags |= os.O_APPEND
	} else {
		flags |= os.O_TRUNC
	}
	file, err := os.OpenFile(rp, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", p, err)
	}
	size := old
	if !appendMode && old > 0 {
		f.reserve(v, -old)
		size = 0
	}
	return &fileWriter{f: f, v: v, file: file, size: size}, nil
}

func (fw *fileWriter) Write(b []byte) (int, error) {
	if err := fw.f.reserve(fw.v, int64(len(b))); err != nil {
		return 0, err
	}
	n, err := fw.file.Write(b)
	fw.size += int64(n)
	if n < len(b) {
		fw.f.reserve(fw.v, int64(n-len(b)))
	}
	return n, err
}

func (fw *fileWriter) Close() error { return fw.file.Close() }

// open opens p for reading.
func (f *fsys) open(p string) (*os.File, error) {
	v, rel, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(v.real(rel))
	if err != nil {
		return nil, fmt.Errorf("%s: No such file or directory", p)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s: Is a directory", p)
	}
	return os.Open(v.real(rel))
}

func (f *fsys) stat(p string) (os.FileInfo, error) {
	if p == "/" || p == "/vmfs" || p == "/vmfs/volumes" {
		return os.Stat(f.root)
	}
	v, rel, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(v.real(rel))
	if err != nil {
		return nil, fmt.Errorf("%s: No such file or directory", p)
	}
	return fi, nil
}

func (f *fsys) remove(p string) error {
	v, rel, err := f.resolve(p)
	if err != nil {
		return err
	}
	rp := v.real(rel)
	fi, err := os.Stat(rp)
	if err != nil {
		return fmt.Errorf("%s: No such file or directory", p)
	}
	if fi.IsDir() || rel == "" {
		return fmt.Errorf("%s: is a directory", p)
	}
	if err := os.Remove(rp); err != nil {
		return fmt.Errorf("%s: %v", p, err)
	}
	f.reserve(v, -fi.Size())
	return nil
}

func (f *fsys) mkdir(p string, parents bool) error {
	v, rel, err := f.resolve(p)
	if err != nil {
		return err
	}
	if rel == "" {
		if parents {
			return nil
		}
		return fmt.Errorf("%s: File exists", p)
	}
	if parents {
		return os.MkdirAll(v.real(rel), 0o755)
	}
	if err := os.Mkdir(v.real(rel), 0o755); err != nil {
		if os.IsExist(err) {
			return fmt.Errorf("%s: File exists", p)
		}
		return fmt.Errorf("%s: No such file or directory", p)
	}
	return nil
}

// list returns the entries of a directory (or the file itself), sorted by name.
func (f *fsys) list(p string) ([]os.FileInfo, bool, error) {
	if path.Clean("/"+p) == "/vmfs/volumes" {
		var out []os.FileInfo
		for _, d := range f.datastores() {
			fi, err := os.Stat(filepath.Join(f.root, "datastores", d.Name))
			if err == nil {
				out = append(out, renamed{fi, d.Name})
			}
		}
		return out, true, nil
	}
	fi, err := f.stat(p)
	if err != nil {
		return nil, false, err
	}
	if !fi.IsDir() {
		return []os.FileInfo{fi}, false, nil
	}
	v, rel, _ := f.resolve(p)
	ents, err := os.ReadDir(v.real(rel))
	if err != nil {
		return nil, true, err
	}
	var out []os.FileInfo
	for _, e := range ents {
		if i, err := e.Info(); err == nil {
			out = append(out, i)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, true, nil
}

type renamed struct {
	os.FileInfo
	name string
}

func (r renamed) Name() string { return r.name }

// tmpUsage reports the ramdisk's capacity and use.
func (f *fsys) tmpUsage() (capacity, used int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tmpCap, f.tmpUsed
}

// fill creates a sparse file of n bytes (n <= 0: everything that is free) on the
// ramdisk ("/tmp") or a datastore (by name), accounted like any other file.
func (f *fsys) fill(target string, n int64) error {
	p := "/tmp/lab-fill.bin"
	if target != "/tmp" && target != "tmp" {
		p = "/vmfs/volumes/" + target + "/lab-fill.bin"
	}
	v, rel, err := f.resolve(p)
	if err != nil {
		return fmt.Errorf("fill %s: no such ramdisk or datastore on host %s", target, f.host)
	}
	if n <= 0 {
		if v.ds {
			for _, d := range f.datastores() {
				if d.Name == v.name {
					n = d.Capacity - d.Used
				}
			}
		} else {
			c, u := f.tmpUsage()
			n = c - u
		}
	}
	if n <= 0 {
		return nil
	}
	if err := f.reserve(v, n); err != nil {
		return fmt.Errorf("fill %s with %d bytes: %v", target, n, err)
	}
	// Append the bytes to the fill file (sparse: no real disk space).
	rp := v.real(rel)
	var old int64
	if fi, err := os.Stat(rp); err == nil {
		old = fi.Size()
	}
	file, err := os.OpenFile(rp, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		f.reserve(v, -n)
		return err
	}
	defer file.Close()
	return file.Truncate(old + n)
}

var _ io.Writer = (*fileWriter)(nil)

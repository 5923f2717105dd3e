package esx

// A host's root file system: BusyBox (Debian's busybox package) and its applets, the
// ESXi commands (the multicall binary labsim/cmd/esxcmd), the system worlds'
// programs, /etc, the device nodes, /proc, /tmp and the datastores.

import (
	"debug/elf"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"labsim/esx/hostproto"
)

// BusyBoxPath is Debian's busybox (tests/deps.sh installs it).
var BusyBoxPath = "/usr/bin/busybox"

// busyboxApplets are the BusyBox applets a host offers in /bin: ordinary user tools
// (a lab choice; ESXi's BusyBox build has its own list, which no source gives whole).
// Tools that change the machine the lab runs on (network, clock, modules, mounts,
// sysctl) are left out, and the ESXi commands (ps, df, uname) are the host's own.
var busyboxApplets = []string{
	"[", "[[", "ash", "awk", "base64", "basename", "bunzip2", "bzcat", "bzip2", "cat", "chgrp",
	"chmod", "chown", "clear", "cmp", "cp", "cpio", "cut", "date", "dd", "diff", "dirname",
	"dmesg", "du", "echo", "egrep", "env", "expand", "expr", "false", "fgrep", "find", "fold",
	"free", "getopt", "grep", "gunzip", "gzip", "head", "hexdump", "hostname", "id", "kill",
	"killall", "less", "ln", "logger", "ls", "md5sum", "mkdir", "mkfifo", "mknod", "mktemp",
	"more", "mv", "nl", "nproc", "od", "paste", "pidof", "printf", "pwd", "readlink",
	"realpath", "renice", "rev", "rm", "rmdir", "sed", "seq", "setsid", "sh", "sha1sum",
	"sha256sum", "sha512sum", "sleep", "sort", "stat", "strings", "stty", "sync", "tac", "tail",
	"tar", "tee", "test", "time", "timeout", "top", "touch", "tr", "true", "truncate", "tty",
	"uniq", "unzip", "uptime", "usleep", "vi", "watch", "wc", "which", "whoami", "xargs", "xxd",
	"yes", "zcat",
}

// esxiCommands are the host's own commands, all one multicall binary.
var esxiCommands = map[string]string{
	"esxcli": "/bin/esxcli", "net-stats": "/bin/net-stats", "vmware": "/bin/vmware",
	"vdf": "/bin/vdf", "df": "/bin/df", "uname": "/bin/uname", "ps": "/bin/ps",
	"pktcap-uw": "/bin/pktcap-uw", "osfs-mkdir": hostproto.OsfsBin + "/osfs-mkdir",
	// Debian's BusyBox has no nohup applet (coreutils has it); ESXi's shell has one.
	"nohup": "/bin/nohup",
}

// System worlds: the programs the lab starts in every host.
const (
	hostdPath = "/bin/hostd"
	sshdPath  = "/usr/lib/vmware/openssh/bin/sshd"
	vpxaPath  = "/usr/lib/vmware/vpxa/bin/vpxa"
	vmxPath   = "/bin/vmx"
)

var busyboxFiles struct {
	once  sync.Once
	files []string
	err   error
}

// elfDeps is an executable's interpreter and shared libraries, recursively.
func elfDeps(path string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	var walk func(p string) error
	walk = func(p string) error {
		f, err := elf.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				b := make([]byte, prog.Filesz)
				if _, err := prog.ReadAt(b, 0); err != nil {
					return err
				}
				interp := string(b[:len(b)-1])
				if !seen[interp] {
					seen[interp] = true
					out = append(out, interp)
				}
			}
		}
		libs, err := f.ImportedLibraries()
		if err != nil {
			return err
		}
		for _, l := range libs {
			found := ""
			for _, dir := range []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"} {
				if _, err := os.Stat(filepath.Join(dir, l)); err == nil {
					found = filepath.Join(dir, l)
					break
				}
			}
			if found == "" {
				return fmt.Errorf("%s needs %s, which is not installed", p, l)
			}
			if !seen[found] {
				seen[found] = true
				out = append(out, found)
				if err := walk(found); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(path); err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// layout is the host's root file system and mounts for its init.
func (h *Host) layout(dss []hostproto.Datastore) (hostproto.HostConfig, error) {
	busyboxFiles.once.Do(func() {
		if _, err := os.Stat(BusyBoxPath); err != nil {
			busyboxFiles.err = fmt.Errorf("BusyBox is not installed (%v): apt-get install busybox (tests/deps.sh)", err)
			return
		}
		busyboxFiles.files, busyboxFiles.err = elfDeps(BusyBoxPath)
	})
	if busyboxFiles.err != nil {
		return hostproto.HostConfig{}, fmt.Errorf("esx: %v", busyboxFiles.err)
	}
	cfg := hostproto.HostConfig{Name: h.name, RootSize: 32 << 20, TmpSize: h.cfg.TmpSize, Datastores: dss,
		FirstPID: h.firstPID(),
		Dirs: []string{"/bin", "/sbin", "/etc/vmware", "/etc/ssh", "/var/run", "/var/log", "/var/tmp",
			"/opt", "/scratch", "/usr/lib/vmware"},
		Files: []hostproto.File{
			{Path: "/etc/passwd", Mode: 0o644, Content: "root:x:0:0:Administrator:/:/bin/sh\n"},
			{Path: "/etc/group", Mode: 0o644, Content: "root:x:0:root\n"},
			{Path: "/etc/hosts", Mode: 0o644, Content: "127.0.0.1 localhost\n"},
			{Path: "/etc/vmware/hostd/config.xml", Mode: 0o644, Content: "<config></config>\n"},
		}}
	for _, f := range busyboxFiles.files {
		real, err := filepath.EvalSymlinks(f)
		if err != nil {
			return cfg, err
		}
		cfg.Binds = append(cfg.Binds, hostproto.Bind{Source: real, Target: f})
	}
	cfg.Binds = append(cfg.Binds, hostproto.Bind{Source: BusyBoxPath, Target: "/bin/busybox"},
		hostproto.Bind{Source: h.cfg.Commands, Target: hostproto.CommandsPath})
	for _, a := range busyboxApplets {
		if a == "sha256sum" && !h.hasSha256sum() {
			continue
		}
		cfg.Symlinks = append(cfg.Symlinks, hostproto.Symlink{Path: "/bin/" + a, Target: "/bin/busybox"})
	}
	names := make([]string, 0, len(esxiCommands))
	for n := range esxiCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cfg.Symlinks = append(cfg.Symlinks, hostproto.Symlink{Path: esxiCommands[n], Target: hostproto.CommandsPath})
	}
	for _, p := range []string{hostdPath, sshdPath, vpxaPath, vmxPath} {
		cfg.Symlinks = append(cfg.Symlinks, hostproto.Symlink{Path: p, Target: hostproto.CommandsPath})
	}
	return cfg, nil
}

// firstPID is where the hosts' PIDs start. ESXi's world and cartel IDs are seven-digit
// numbers (hostd 2097870 on a real host); a new PID namespace counts from 1, and
// ns_last_pid moves it (pid_max is 4194304 in a new namespace).
const firstPID = 2097152

// firstPID is this host's first PID: hosts start apart, so that a PID from one host is
// not, by chance, a process of another.
func (h *Host) firstPID() int {
	f := fnv.New32a()
	f.Write([]byte(h.name))
	return firstPID + int(f.Sum32()%500)*1000
}

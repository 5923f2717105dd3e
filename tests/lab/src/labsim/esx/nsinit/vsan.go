package nsinit

// On a vSAN datastore the top level is an object-store namespace: `mkdir
// /vmfs/volumes/vsanDatastore/X` fails with "Function not implemented" and
// /usr/lib/vmware/osfs/bin/osfs-mkdir is the way to make a directory there (see the
// package esx README for sources). The host's init gives every process of the host a
// seccomp filter that hands mkdir(2) and mkdirat(2) to init (SECCOMP_RET_USER_NOTIF);
// init answers ENOSYS for a new directory directly under a vSAN datastore and lets
// every other call run unchanged (SECCOMP_USER_NOTIF_FLAG_CONTINUE). So BusyBox's mkdir,
// `mkdir -p`, cp and tar all meet the real error, from the kernel.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"unsafe"
)

const (
	seccompSetModeFilter  = 1
	filterFlagTsync       = 1 << 0
	filterFlagNewListener = 1 << 3
	filterFlagTsyncESRCH  = 1 << 4
	retAllow              = 0x7fff0000
	retUserNotif          = 0x7fc00000
	auditArchX8664        = 0xc000003e
	sysSeccomp            = 317 // x86_64
	sysMkdir              = 83
	sysMkdirat            = 258
	userNotifFlagContinue = 1
	ioctlNotifRecv        = 0xc0502100 // _IOWR('!', 0, struct seccomp_notif)
	ioctlNotifSend        = 0xc0182101 // _IOWR('!', 1, struct seccomp_notif_resp)
	ioctlNotifIDValid     = 0x40082102 // _IOW('!', 2, __u64)
	atFDCWD               = -100
	bpfLdWAbs             = 0x20
	bpfJeqK               = 0x15
	bpfRetK               = 0x06
)

type sockFilter struct {
	code   uint16
	jt, jf uint8
	k      uint32
}

type sockFprog struct {
	n      uint16
	_      [6]byte
	filter *sockFilter
}

type seccompData struct {
	nr   int32
	arch uint32
	ip   uint64
	args [6]uint64
}

type seccompNotif struct {
	id    uint64
	pid   uint32
	flags uint32
	data  seccompData
}

type seccompResp struct {
	id    uint64
	val   int64
	error int32
	flags uint32
}

// startMkdirFilter installs the filter on init (and so on everything it starts) and
// serves its notifications. roots are the vSAN datastores' paths.
func startMkdirFilter(roots []string) error {
	prog := []sockFilter{
		{bpfLdWAbs, 0, 0, 4}, // arch
		{bpfJeqK, 0, 3, auditArchX8664},
		{bpfLdWAbs, 0, 0, 0}, // syscall number
		{bpfJeqK, 2, 0, sysMkdir},
		{bpfJeqK, 1, 0, sysMkdirat},
		{bpfRetK, 0, 0, retAllow},
		{bpfRetK, 0, 0, retUserNotif},
	}
	fp := sockFprog{n: uint16(len(prog)), filter: &prog[0]}
	fd, _, errno := syscall.Syscall(sysSeccomp, seccompSetModeFilter,
		filterFlagNewListener|filterFlagTsync|filterFlagTsyncESRCH, uintptr(unsafe.Pointer(&fp)))
	if errno != 0 {
		return fmt.Errorf("seccomp: %v", errno)
	}
	go serveMkdir(int(fd), roots)
	return nil
}

func serveMkdir(fd int, roots []string) {
	for {
		var n seccompNotif
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), ioctlNotifRecv, uintptr(unsafe.Pointer(&n))); e != 0 {
			if e == syscall.EINTR || e == syscall.ENOENT {
				continue
			}
			fmt.Fprintf(os.Stderr, "init: seccomp notifications: %v\n", e)
			return
		}
		r := seccompResp{id: n.id, flags: userNotifFlagContinue}
		if refuseMkdir(fd, &n, roots) {
			r = seccompResp{id: n.id, error: -int32(syscall.ENOSYS)}
		}
		syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), ioctlNotifSend, uintptr(unsafe.Pointer(&r)))
	}
}

// refuseMkdir says whether the notified mkdir makes a new directory directly under a
// vSAN datastore.
func refuseMkdir(fd int, n *seccompNotif, roots []string) bool {
	dirfd, addr := atFDCWD, n.data.args[0]
	if n.data.nr == sysMkdirat {
		dirfd, addr = int(int32(n.data.args[0])), n.data.args[1]
	}
	p, err := readCString(int(n.pid), addr)
	if err != nil {
		return false
	}
	if !filepath.IsAbs(p) {
		link := fmt.Sprintf("/proc/%d/cwd", n.pid)
		if dirfd != atFDCWD {
			link = fmt.Sprintf("/proc/%d/fd/%d", n.pid, dirfd)
		}
		base, err := os.Readlink(link)
		if err != nil {
			return false
		}
		p = filepath.Join(base, p)
	}
	p = filepath.Clean(p)
	id := n.id
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), ioctlNotifIDValid, uintptr(unsafe.Pointer(&id))); e != 0 {
		return false // the caller is gone
	}
	for _, r := range roots {
		if filepath.Dir(p) == r {
			if _, err := os.Lstat(p); err == nil {
				return false // exists: the kernel says EEXIST
			}
			return true
		}
	}
	return false
}

// readCString reads a NUL-terminated string from process pid's memory.
func readCString(pid int, addr uint64) (string, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/mem")
	if err != nil {
		return "", err
	}
	defer f.Close()
	var out []byte
	buf := make([]byte, 256)
	for len(out) < 4096 {
		n, err := f.ReadAt(buf, int64(addr)+int64(len(out)))
		for i := 0; i < n; i++ {
			if buf[i] == 0 {
				return string(append(out, buf[:i]...)), nil
			}
		}
		out = append(out, buf[:n]...)
		if err != nil || n == 0 {
			return "", fmt.Errorf("reading pid %d's path: %v", pid, err)
		}
	}
	return "", fmt.Errorf("path too long")
}

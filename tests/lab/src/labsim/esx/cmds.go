package esx

// The busybox-like commands of the ESXi shell: echo, kill, sh -c, ps, cat, rm, ls,
// stat, sha256sum, md5sum, mkdir, sleep, grep (fixed strings), uname, hostname, vmware.

import (
	"bufio"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

func cmdEcho(c *cmdCtx) int {
	args := c.args[1:]
	nl := true
	if len(args) > 0 && args[0] == "-n" {
		nl, args = false, args[1:]
	}
	out := strings.Join(args, " ")
	if nl {
		out += "\n"
	}
	if _, err := io.WriteString(c.stdout, out); err != nil {
		if err == errNoSpace {
			fmt.Fprintln(c.stderr, "sh: write error: No space left on device")
		}
		return 1
	}
	return 0
}

// kill [-SIG | -s SIG | -N] PID... (busybox ash builtin). Default signal TERM.
func cmdKill(c *cmdCtx) int {
	args := c.args[1:]
	sig := "TERM"
	if len(args) > 0 && args[0] == "-l" {
		fmt.Fprintln(c.stdout, "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM")
		return 0
	}
	if len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "--" {
		s := args[0][1:]
		args = args[1:]
		if s == "s" || s == "n" {
			if len(args) == 0 {
				fmt.Fprintln(c.stderr, "sh: kill: option requires an argument -- s")
				return 1
			}
			s, args = args[0], args[1:]
		}
		s = strings.TrimPrefix(strings.ToUpper(s), "SIG")
		if n, err := strconv.Atoi(s); err == nil {
			s = signalName(n)
		}
		if _, ok := signalNumbers[s]; !ok {
			fmt.Fprintf(c.stderr, "sh: kill: bad signal name '%s'\n", strings.TrimPrefix(c.args[1], "-"))
			return 1
		}
		sig = s
	} else if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(c.stderr, "kill: usage: kill [-s SIGNAL | -SIGNAL] PID...")
		return 1
	}
	status := 0
	for _, a := range args {
		pid, err := strconv.Atoi(a)
		if err != nil {
			fmt.Fprintf(c.stderr, "sh: kill: invalid number '%s'\n", a)
			status = 1
			continue
		}
		if c.h.isSystemWorld(pid) {
			fmt.Fprintf(c.stderr, "sh: can't kill pid %d: Operation not permitted\n", pid)
			status = 1
			continue
		}
		if !c.h.procs.signal(pid, sig) {
			fmt.Fprintf(c.stderr, "sh: can't kill pid %d: No such process\n", pid)
			status = 1
		}
	}
	return status
}

// sh -c SCRIPT [NAME [ARG...]]
func cmdSh(c *cmdCtx) int {
	if len(c.args) < 3 || c.args[1] != "-c" {
		if len(c.args) == 1 {
			fmt.Fprintln(c.stderr, "sh: interactive shells are not available in the lab; use sh -c")
		} else {
			fmt.Fprintf(c.stderr, "sh: can't open '%s': No such file or directory\n", c.args[1])
		}
		return 2
	}
	args := append([]string{"sh"}, c.args[3:]...)
	if len(c.args) > 3 {
		args = c.args[3:]
	}
	sub := &shell{h: c.h, p: c.p, args: args, stdin: c.stdin, stdout: c.stdout, stderr: c.stderr}
	return sub.run(c.args[2])
}

// ps [-c] [other flags ignored]: WID, CID, World Name (and Command with -c). Documented in
// README.md of this package; the real ESXi ps has the same columns.
func cmdPs(c *cmdCtx) int {
	withCmd := false
	for _, a := range c.args[1:] {
		if strings.HasPrefix(a, "-") && strings.Contains(a, "c") {
			withCmd = true
		}
	}
	type row struct {
		pid        int
		name, args string
	}
	var rows []row
	for _, sw := range c.h.systemWorlds() {
		rows = append(rows, row{sw.pid, sw.name, sw.cmd})
	}
	for _, p := range c.h.procs.list() {
		n, a := p.command()
		if a == "" {
			a = n
		}
		rows = append(rows, row{p.pid, n, a})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].pid < rows[j].pid })
	if withCmd {
		fmt.Fprintf(c.stdout, "%-9s %-9s %-20s %s\n", "WID", "CID", "World Name", "Command")
	} else {
		fmt.Fprintf(c.stdout, "%-9s %-9s %s\n", "WID", "CID", "World Name")
	}
	for _, r := range rows {
		if withCmd {
			fmt.Fprintf(c.stdout, "%-9d %-9d %-20s %s\n", r.pid, r.pid, r.name, r.args)
		} else {
			fmt.Fprintf(c.stdout, "%-9d %-9d %s\n", r.pid, r.pid, r.name)
		}
	}
	return 0
}

func cmdCat(c *cmdCtx) int {
	if len(c.args) == 1 {
		io.Copy(c.stdout, c.stdin)
		return 0
	}
	status := 0
	for _, p := range c.args[1:] {
		if p == "-" {
			io.Copy(c.stdout, c.stdin)
			continue
		}
		f, err := c.h.fs.open(p)
		if err != nil {
			fmt.Fprintf(c.stderr, "cat: can't open '%s': %s\n", p, errReason(err))
			status = 1
			continue
		}
		_, err = io.Copy(c.stdout, f)
		f.Close()
		if err != nil {
			return 1
		}
	}
	return status
}

// errReason strips the "path: " prefix of an fs error.
func errReason(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

func cmdRm(c *cmdCtx) int {
	force := false
	status := 0
	for _, a := range c.args[1:] {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			force = force || strings.Contains(a, "f")
			continue
		}
		if err := c.h.fs.remove(a); err != nil {
			if force && strings.Contains(err.Error(), "No such file") {
				continue
			}
			fmt.Fprintf(c.stderr, "rm: can't remove '%s': %s\n", a, errReason(err))
			status = 1
		}
	}
	return status
}

func cmdMkdir(c *cmdCtx) int {
	parents := false
	status := 0
	for _, a := range c.args[1:] {
		if a == "-p" {
			parents = true
			continue
		}
		if err := c.h.fs.mkdir(a, parents); err != nil {
			fmt.Fprintf(c.stderr, "mkdir: can't create directory '%s': %s\n", a, errReason(err))
			status = 1
		}
	}
	return status
}

func lsLine(fi os.FileInfo, name string) string {
	mode := "-rw-r--r--"
	if fi.IsDir() {
		mode = "drwxr-xr-x"
	}
	return fmt.Sprintf("%s    1 root     root     %9d %s %s", mode, fi.Size(), fi.ModTime().UTC().Format("Jan  2 15:04"), name)
}

func cmdLs(c *cmdCtx) int {
	long := false
	var paths []string
	for _, a := range c.args[1:] {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			long = long || strings.Contains(a, "l")
			continue
		}
		paths = append(paths, a)
	}
	if len(paths) == 0 {
		paths = []string{"/tmp"}
	}
	status := 0
	for _, p := range paths {
		ents, isDir, err := c.h.fs.list(p)
		if err != nil {
			fmt.Fprintf(c.stderr, "ls: %s: No such file or directory\n", p)
			status = 1
			continue
		}
		if len(paths) > 1 && isDir {
			fmt.Fprintf(c.stdout, "%s:\n", p)
		}
		for _, fi := range ents {
			name := fi.Name()
			if !isDir {
				name = p
			}
			if long {
				fmt.Fprintln(c.stdout, lsLine(fi, name))
			} else {
				fmt.Fprintln(c.stdout, name)
			}
		}
	}
	return status
}

// stat [-c FORMAT] FILE... (FORMAT: %s size, %n name, %Y mtime, %F type).
func cmdStat(c *cmdCtx) int {
	format := ""
	var paths []string
	for i := 1; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case a == "-c" && i+1 < len(c.args):
			format = c.args[i+1]
			i++
		case strings.HasPrefix(a, "--format="):
			format = strings.TrimPrefix(a, "--format=")
		case strings.HasPrefix(a, "-c") && len(a) > 2:
			format = a[2:]
		default:
			paths = append(paths, a)
		}
	}
	if len(paths) == 0 {
		fmt.Fprintln(c.stderr, "BusyBox v1.29.2 multi-call binary.\n\nUsage: stat [OPTIONS] FILE...")
		return 1
	}
	status := 0
	for _, p := range paths {
		fi, err := c.h.fs.stat(p)
		if err != nil {
			fmt.Fprintf(c.stderr, "stat: can't stat '%s': No such file or directory\n", p)
			status = 1
			continue
		}
		if format == "" {
			kind := "regular file"
			if fi.IsDir() {
				kind = "directory"
			}
			fmt.Fprintf(c.stdout, "  File: %s\n  Size: %-10d\tBlocks: %-10d IO Block: 4096   %s\n", p, fi.Size(), (fi.Size()+511)/512, kind)
			continue
		}
		var b strings.Builder
		for i := 0; i < len(format); i++ {
			if format[i] != '%' || i+1 >= len(format) {
				b.WriteByte(format[i])
				continue
			}
			i++
			switch format[i] {
			case 's':
				b.WriteString(strconv.FormatInt(fi.Size(), 10))
			case 'n':
				b.WriteString(p)
			case 'Y':
				b.WriteString(strconv.FormatInt(fi.ModTime().Unix(), 10))
			case 'F':
				if fi.IsDir() {
					b.WriteString("directory")
				} else {
					b.WriteString("regular file")
				}
			case '%':
				b.WriteByte('%')
			default:
				b.WriteByte('?')
			}
		}
		fmt.Fprintln(c.stdout, b.String())
	}
	return status
}

func hashFiles(c *cmdCtx, name string, mk func() hash.Hash) int {
	status := 0
	for _, p := range c.args[1:] {
		if strings.HasPrefix(p, "-") {
			continue
		}
		f, err := c.h.fs.open(p)
		if err != nil {
			fmt.Fprintf(c.stderr, "%s: can't open '%s': %s\n", name, p, errReason(err))
			status = 1
			continue
		}
		h := mk()
		io.Copy(h, f)
		f.Close()
		fmt.Fprintf(c.stdout, "%x  %s\n", h.Sum(nil), p)
	}
	return status
}

func cmdSha256sum(c *cmdCtx) int { return hashFiles(c, "sha256sum", sha256.New) }
func cmdMd5sum(c *cmdCtx) int    { return hashFiles(c, "md5sum", md5.New) }

// sleep N: ends early, killed, on any signal but CONT.
func cmdSleep(c *cmdCtx) int {
	if len(c.args) < 2 {
		fmt.Fprintln(c.stderr, "BusyBox v1.29.2 multi-call binary.\n\nUsage: sleep [N]...")
		return 1
	}
	secs, err := strconv.ParseFloat(c.args[1], 64)
	if err != nil {
		fmt.Fprintf(c.stderr, "sleep: invalid number '%s'\n", c.args[1])
		return 1
	}
	t := time.NewTimer(time.Duration(secs * float64(time.Second)))
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return 0
		case <-c.h.done:
			c.p.killedBy = "KILL"
			return 128 + 9
		case sig := <-c.p.sig:
			if sig == "CONT" {
				continue
			}
			c.p.killedBy = sig
			return 128 + signalNumbers[sig]
		}
	}
}

// grep [-v] [-i] [-c] [-F] [-e] PATTERN [FILE...]: fixed-string matching only.
func cmdGrep(c *cmdCtx) int {
	invert, icase, count := false, false, false
	pattern := ""
	havePattern := false
	var files []string
	for i := 1; i < len(c.args); i++ {
		a := c.args[i]
		if a == "-e" && i+1 < len(c.args) {
			pattern, havePattern = c.args[i+1], true
			i++
			continue
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 && !havePattern {
			invert = invert || strings.Contains(a, "v")
			icase = icase || strings.Contains(a, "i")
			count = count || strings.Contains(a, "c")
			continue
		}
		if !havePattern {
			pattern, havePattern = a, true
		} else {
			files = append(files, a)
		}
	}
	if !havePattern {
		fmt.Fprintln(c.stderr, "BusyBox v1.29.2 multi-call binary.\n\nUsage: grep [-HhnlLoqvsriwFE] [-m N] [-A/B/C N] PATTERN/-e PATTERN.../-f FILE [FILE]...")
		return 2
	}
	var in io.Reader = c.stdin
	if len(files) > 0 {
		f, err := c.h.fs.open(files[0])
		if err != nil {
			fmt.Fprintf(c.stderr, "grep: %s: No such file or directory\n", files[0])
			return 2
		}
		defer f.Close()
		in = f
	}
	if icase {
		pattern = strings.ToLower(pattern)
	}
	matched := 0
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		l := line
		if icase {
			l = strings.ToLower(l)
		}
		if strings.Contains(l, pattern) != invert {
			matched++
			if !count {
				fmt.Fprintln(c.stdout, line)
			}
		}
	}
	if count {
		fmt.Fprintln(c.stdout, matched)
	}
	if matched == 0 {
		return 1
	}
	return 0
}

func cmdUname(c *cmdCtx) int {
	v := c.h.version()
	if len(c.args) > 1 && strings.Contains(c.args[1], "a") {
		fmt.Fprintf(c.stdout, "VMkernel %s %s #1 SMP Release build-%s x86_64 x86_64 x86_64 ESXi\n", c.h.name, v.full, v.build)
		return 0
	}
	fmt.Fprintln(c.stdout, "VMkernel")
	return 0
}

func cmdHostname(c *cmdCtx) int {
	fmt.Fprintln(c.stdout, c.h.name)
	return 0
}

// vmware -v / -l / -vl
func cmdVmware(c *cmdCtx) int {
	v := c.h.version()
	showV, showL := false, false
	for _, a := range c.args[1:] {
		switch a {
		case "-v", "--version":
			showV = true
		case "-l", "--level":
			showL = true
		case "-vl", "-lv":
			showV, showL = true, true
		default:
			fmt.Fprintf(c.stderr, "Unknown option: %s\nUsage: vmware [-v|-l|-vl]\n", a)
			return 1
		}
	}
	if !showV && !showL {
		fmt.Fprintln(c.stderr, "Usage: vmware [-v|-l|-vl]")
		return 1
	}
	if showV {
		fmt.Fprintf(c.stdout, "VMware ESXi %s build-%s\n", v.full, v.build)
	}
	if showL {
		fmt.Fprintln(c.stdout, v.level())
	}
	return 0
}

// nohup CMD ARGS: runs CMD in the same process (the lab sends no SIGHUP anyway).
func cmdNohup(c *cmdCtx) int {
	if len(c.args) < 2 {
		fmt.Fprintln(c.stderr, "BusyBox v1.29.2 multi-call binary.\n\nUsage: nohup PROG ARGS")
		return 1
	}
	return c.sh.runCommand(c.p, c.args[1:], c.stdin, c.stdout, c.stderr)
}

package esx

// A small POSIX-like shell, enough for what a client sends over `ssh host 'command'`
// (ESXi runs it with busybox ash): quoting ('...', "...", backslash), $$ $! $? and
// $NAME, lists with ; && || &, pipes, redirections (> >> < 2> 2>&1 >&2), comments,
// and the builtins echo, exec, kill, exit, cd, true, false, :. Command substitution is
// refused (syntax error) so a client that relies on it fails loudly in the lab.

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

type seg struct {
	lit  string
	vr   string // variable name when non-empty
	isVr bool
}

type word struct {
	segs   []seg
	quoted bool
}

type token struct {
	op string // "" for a word
	w  word
}

type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return e.msg }

// tokenize splits a shell command line into words and operators.
func tokenize(src string) ([]token, error) {
	var toks []token
	var cur word
	inWord := false
	flush := func() {
		if inWord {
			toks = append(toks, token{w: cur})
		}
		cur, inWord = word{}, false
	}
	addLit := func(s string) {
		inWord = true
		if n := len(cur.segs); n > 0 && !cur.segs[n-1].isVr {
			cur.segs[n-1].lit += s
			return
		}
		cur.segs = append(cur.segs, seg{lit: s})
	}
	// readVar parses a $-expansion at src[i] == '$'; returns the index after it.
	readVar := func(i int) (int, error) {
		if i+1 >= len(src) {
			addLit("$")
			return i + 1, nil
		}
		c := src[i+1]
		switch {
		case c == '$' || c == '!' || c == '?' || c == '#' || (c >= '0' && c <= '9'):
			inWord = true
			cur.segs = append(cur.segs, seg{vr: string(c), isVr: true})
			return i + 2, nil
		case c == '(' || c == '`':
			return 0, &syntaxError{"command substitution is not supported by the lab shell"}
		case c == '{':
			end := strings.IndexByte(src[i:], '}')
			if end < 0 {
				return 0, &syntaxError{"syntax error: bad substitution"}
			}
			inWord = true
			cur.segs = append(cur.segs, seg{vr: src[i+2 : i+end], isVr: true})
			return i + end + 1, nil
		case c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z'):
			j := i + 1
			for j < len(src) && (src[j] == '_' || (src[j]|0x20 >= 'a' && src[j]|0x20 <= 'z') || (src[j] >= '0' && src[j] <= '9')) {
				j++
			}
			inWord = true
			cur.segs = append(cur.segs, seg{vr: src[i+1 : j], isVr: true})
			return j, nil
		}
		addLit("$")
		return i + 1, nil
	}
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
			i++
		case c == '\n':
			flush()
			toks = append(toks, token{op: ";"})
			i++
		case c == '#' && !inWord:
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '\\':
			if i+1 < len(src) {
				if src[i+1] != '\n' {
					addLit(src[i+1 : i+2])
				}
				i += 2
			} else {
				addLit("\\")
				i++
			}
		case c == '\'':
			end := strings.IndexByte(src[i+1:], '\'')
			if end < 0 {
				return nil, &syntaxError{"syntax error: unterminated quoted string"}
			}
			addLit(src[i+1 : i+1+end])
			cur.quoted = true
			i += end + 2
		case c == '"':
			cur.quoted = true
			inWord = true
			i++
			closed := false
			for i < len(src) {
				d := src[i]
				if d == '"' {
					closed = true
					i++
					break
				}
				if d == '\\' && i+1 < len(src) && strings.IndexByte("$`\"\\\n", src[i+1]) >= 0 {
					if src[i+1] != '\n' {
						addLit(src[i+1 : i+2])
					}
					i += 2
					continue
				}
				if d == '`' {
					return nil, &syntaxError{"command substitution is not supported by the lab shell"}
				}
				if d == '$' {
					j, err := readVar(i)
					if err != nil {
						return nil, err
					}
					i = j
					continue
				}
				addLit(src[i : i+1])
				i++
			}
			if !closed {
				return nil, &syntaxError{"syntax error: unterminated quoted string"}
			}
		case c == '$':
			j, err := readVar(i)
			if err != nil {
				return nil, err
			}
			i = j
		case c == '`':
			return nil, &syntaxError{"command substitution is not supported by the lab shell"}
		case c == ';' || c == '&' || c == '|' || c == '<' || c == '>':
			// "2>" "2>>" "2>&1": a lone digit word right before a redirection is its fd.
			fd := ""
			if inWord && len(cur.segs) == 1 && !cur.quoted && !cur.segs[0].isVr &&
				(cur.segs[0].lit == "1" || cur.segs[0].lit == "2") && (c == '>' || c == '<') {
				fd = cur.segs[0].lit
				cur, inWord = word{}, false
			}
			flush()
			op := string(c)
			for _, two := range []string{"&&", "||", ">>", ">&", ";;"} {
				if strings.HasPrefix(src[i:], two) {
					op = two
				}
			}
			if op == ";;" {
				return nil, &syntaxError{"syntax error: unexpected \";;\""}
			}
			i += len(op)
			toks = append(toks, token{op: fd + op})
		case c == '(' || c == ')':
			return nil, &syntaxError{fmt.Sprintf("syntax error: unexpected \"%c\"", c)}
		default:
			addLit(src[i : i+1])
			i++
		}
	}
	flush()
	return toks, nil
}

type redir struct {
	fd     int    // 0, 1 or 2
	op     string // "<", ">", ">>", ">&"
	target word
}

type simpleCmd struct {
	words  []word
	redirs []redir
}

type pipeline struct {
	cmds []simpleCmd
	bg   bool
}

type listItem struct {
	pipe pipeline
	cond string // how it joins the previous item: "", ";", "&&", "||"
}

func parse(toks []token) ([]listItem, error) {
	var items []listItem
	var pipe pipeline
	var cmd simpleCmd
	cond := ""
	unexpected := func(op string) error { return &syntaxError{fmt.Sprintf("syntax error: unexpected \"%s\"", op)} }
	endCmd := func(op string) error {
		if len(cmd.words) == 0 && len(cmd.redirs) == 0 {
			return unexpected(op)
		}
		pipe.cmds = append(pipe.cmds, cmd)
		cmd = simpleCmd{}
		return nil
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.op {
		case "":
			cmd.words = append(cmd.words, t.w)
		case "|":
			if err := endCmd("|"); err != nil {
				return nil, err
			}
		case ";", "&", "&&", "||":
			if len(cmd.words) == 0 && len(cmd.redirs) == 0 && len(pipe.cmds) == 0 {
				if t.op == ";" && cond != "&&" && cond != "||" {
					continue // empty statement (blank line)
				}
				return nil, unexpected(t.op)
			}
			if err := endCmd(t.op); err != nil {
				return nil, err
			}
			pipe.bg = t.op == "&"
			items = append(items, listItem{pipe: pipe, cond: cond})
			pipe = pipeline{}
			cond = t.op
			if t.op == "&" {
				cond = ";"
			}
		default: // redirection
			op, fd := t.op, -1
			if op[0] == '1' || op[0] == '2' {
				fd = int(op[0] - '0')
				op = op[1:]
			}
			if fd < 0 {
				fd = 1
				if op == "<" {
					fd = 0
				}
			}
			if i+1 >= len(toks) || toks[i+1].op != "" {
				return nil, &syntaxError{"syntax error: unexpected newline"}
			}
			i++
			cmd.redirs = append(cmd.redirs, redir{fd: fd, op: op, target: toks[i].w})
		}
	}
	if len(cmd.words) > 0 || len(cmd.redirs) > 0 {
		pipe.cmds = append(pipe.cmds, cmd)
	} else if len(pipe.cmds) > 0 || cond == "&&" || cond == "||" {
		return nil, &syntaxError{"syntax error: unexpected end of file"}
	}
	if len(pipe.cmds) > 0 {
		items = append(items, listItem{pipe: pipe, cond: cond})
	}
	return items, nil
}

// shell runs command lines inside one process (its $$).
type shell struct {
	h      *Host
	p      *proc
	args   []string // $0 $1 ...
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	last   int
	lastBg int
	done   bool // exec or exit ran: the shell is finished
}

func (s *shell) expand(w word) string {
	var b strings.Builder
	for _, sg := range w.segs {
		if !sg.isVr {
			b.WriteString(sg.lit)
			continue
		}
		switch sg.vr {
		case "$":
			b.WriteString(strconv.Itoa(s.p.pid))
		case "!":
			if s.lastBg != 0 {
				b.WriteString(strconv.Itoa(s.lastBg))
			}
		case "?":
			b.WriteString(strconv.Itoa(s.last))
		case "#":
			n := len(s.args) - 1
			if n < 0 {
				n = 0
			}
			b.WriteString(strconv.Itoa(n))
		case "HOME", "PWD":
			b.WriteString("/")
		case "SHELL":
			b.WriteString("/bin/sh")
		case "USER", "LOGNAME":
			b.WriteString("root")
		case "PATH":
			b.WriteString("/bin:/sbin")
		default:
			if n, err := strconv.Atoi(sg.vr); err == nil && n < len(s.args) {
				b.WriteString(s.args[n])
			}
		}
	}
	return b.String()
}

// run executes a script and returns its exit status.
func (s *shell) run(src string) int {
	toks, err := tokenize(src)
	if err == nil {
		var items []listItem
		items, err = parse(toks)
		if err == nil {
			// Like ash and bash, a script that is one simple command runs it in the
			// shell's own process (an implicit exec): same PID, its signal is the exit.
			if len(items) == 1 && !items[0].pipe.bg && len(items[0].pipe.cmds) == 1 {
				s.last = s.runSimple(items[0].pipe.cmds[0], s.p, false, s.stdin, s.stdout)
				return s.last
			}
			return s.runItems(items)
		}
	}
	fmt.Fprintf(s.stderr, "sh: %v\n", err)
	s.last = 2
	return 2
}

func (s *shell) runItems(items []listItem) int {
	for _, it := range items {
		if s.done {
			break
		}
		if sig := s.pendingFatalSignal(); sig != "" {
			s.p.killedBy = sig
			s.done = true
			s.last = 128 + signalNumbers[sig]
			break
		}
		if (it.cond == "&&" && s.last != 0) || (it.cond == "||" && s.last == 0) {
			continue
		}
		if it.pipe.bg {
			s.runBackground(it.pipe)
			s.last = 0
			continue
		}
		s.last = s.runPipeline(it.pipe, s.stdin, s.stdout)
	}
	return s.last
}

// pendingFatalSignal takes a signal sent to the shell itself, if any.
func (s *shell) pendingFatalSignal() string {
	select {
	case sig := <-s.p.sig:
		if sig == "CONT" {
			return ""
		}
		return sig
	default:
		return ""
	}
}

func (s *shell) runBackground(p pipeline) {
	// Each command of a background pipeline is its own process; $! is the last one.
	var procs []*proc
	for range p.cmds {
		procs = append(procs, s.h.procs.spawn("sh", nil))
	}
	s.lastBg = procs[len(procs)-1].pid
	sub := &shell{h: s.h, p: procs[len(procs)-1], args: s.args, stdin: strings.NewReader(""),
		stdout: s.stdout, stderr: s.stderr, lastBg: s.lastBg}
	s.h.bg.Add(1)
	go func() {
		defer s.h.bg.Done()
		sub.runPipelineIn(p, procs, sub.stdin, sub.stdout)
		for _, pr := range procs {
			s.h.procs.exit(pr)
		}
	}()
}

func (s *shell) runPipeline(p pipeline, stdin io.Reader, stdout io.Writer) int {
	if len(p.cmds) == 1 {
		return s.runSimple(p.cmds[0], s.p, true, stdin, stdout)
	}
	procs := make([]*proc, len(p.cmds))
	for i := range p.cmds {
		procs[i] = s.h.procs.spawn("sh", nil)
	}
	st := s.runPipelineIn(p, procs, stdin, stdout)
	for _, pr := range procs {
		s.h.procs.exit(pr)
	}
	return st
}

// runPipelineIn runs each command of p in its own (already spawned) process.
func (s *shell) runPipelineIn(p pipeline, procs []*proc, stdin io.Reader, stdout io.Writer) int {
	n := len(p.cmds)
	status := make([]int, n)
	done := make(chan int, n)
	in := stdin
	for i := range p.cmds {
		out := stdout
		var pw *io.PipeWriter
		var pr *io.PipeReader
		if i < n-1 {
			pr, pw = io.Pipe()
			out = pw
		}
		myIn := in
		go func(i int, myIn io.Reader, out io.Writer, pw *io.PipeWriter) {
			sub := &shell{h: s.h, p: procs[i], args: s.args, stdin: myIn, stdout: out, stderr: s.stderr}
			status[i] = sub.runSimple(p.cmds[i], procs[i], false, myIn, out)
			if pw != nil {
				pw.Close()
			}
			if r, ok := myIn.(*io.PipeReader); ok {
				r.CloseWithError(io.ErrClosedPipe)
			}
			done <- i
		}(i, myIn, out, pw)
		if pr != nil {
			in = pr
		}
	}
	for range p.cmds {
		<-done
	}
	return status[n-1]
}

// runSimple runs one command. inShell: the command runs in the shell's own process
// (builtins always do; other commands get a child process unless exec'd).
func (s *shell) runSimple(c simpleCmd, p *proc, inShell bool, stdin io.Reader, stdout io.Writer) int {
	args := make([]string, 0, len(c.words))
	for _, w := range c.words {
		args = append(args, s.expand(w))
	}
	stderr := s.stderr
	var closers []io.Closer
	defer func() {
		for _, cl := range closers {
			cl.Close()
		}
	}()
	for _, r := range c.redirs {
		target := s.expand(r.target)
		switch r.op {
		case ">&":
			var dst io.Writer
			switch target {
			case "1":
				dst = stdout
			case "2":
				dst = stderr
			default:
				fmt.Fprintf(s.stderr, "sh: %s: bad file descriptor\n", target)
				return 1
			}
			if r.fd == 2 {
				stderr = dst
			} else {
				stdout = dst
			}
		case ">", ">>":
			var dst io.Writer
			if target == "/dev/null" {
				dst = io.Discard
			} else {
				fw, err := s.h.fs.create(target, r.op == ">>")
				if err != nil {
					fmt.Fprintf(s.stderr, "sh: can't create %s: nonexistent directory\n", target)
					return 1
				}
				closers = append(closers, fw)
				dst = fw
			}
			if r.fd == 2 {
				stderr = dst
			} else {
				stdout = dst
			}
		case "<":
			if target == "/dev/null" {
				stdin = strings.NewReader("")
				continue
			}
			f, err := s.h.fs.open(target)
			if err != nil {
				fmt.Fprintf(s.stderr, "sh: can't open %s: no such file\n", target)
				return 1
			}
			closers = append(closers, f)
			stdin = f
		}
	}
	if len(args) == 0 {
		return 0
	}
	name := args[0]
	switch name {
	case "exec":
		if len(args) == 1 {
			return 0
		}
		s.done = true
		return s.runCommand(p, args[1:], stdin, stdout, stderr)
	case "exit":
		s.done = true
		if len(args) > 1 {
			n, _ := strconv.Atoi(args[1])
			return n & 0xff
		}
		return s.last
	}
	if b := builtins[name]; b != nil {
		return b(&cmdCtx{h: s.h, p: p, sh: s, args: args, stdin: stdin, stdout: stdout, stderr: stderr})
	}
	if !inShell {
		return s.runCommand(p, args, stdin, stdout, stderr)
	}
	child := s.h.procs.spawn(name, args)
	defer s.h.procs.exit(child)
	return s.runCommand(child, args, stdin, stdout, stderr)
}

// runCommand runs a non-builtin command in process p (which takes its name).
func (s *shell) runCommand(p *proc, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := args[0]
	base := name
	for _, dir := range []string{"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/lib/vmware/bin/"} {
		if strings.HasPrefix(name, dir) && !strings.Contains(name[len(dir):], "/") {
			base = name[len(dir):]
		}
	}
	if b := builtins[base]; b != nil && base != name {
		return b(&cmdCtx{h: s.h, p: p, sh: s, args: args, stdin: stdin, stdout: stdout, stderr: stderr})
	}
	fn := commands[base]
	if fn == nil {
		fmt.Fprintf(stderr, "sh: %s: not found\n", name)
		return 127
	}
	p.setCommand(base, args)
	return fn(&cmdCtx{h: s.h, p: p, sh: s, args: args, stdin: stdin, stdout: stdout, stderr: stderr})
}

type cmdCtx struct {
	h      *Host
	p      *proc
	sh     *shell
	args   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type cmdFunc func(c *cmdCtx) int

// builtins run inside the calling shell's process; commands get their own.
var builtins map[string]cmdFunc
var commands map[string]cmdFunc

func init() {
	builtins = map[string]cmdFunc{
		"echo": cmdEcho, "kill": cmdKill, "true": func(*cmdCtx) int { return 0 },
		":": func(*cmdCtx) int { return 0 }, "false": func(*cmdCtx) int { return 1 },
		"cd": func(*cmdCtx) int { return 0 }, "pwd": func(c *cmdCtx) int { fmt.Fprintln(c.stdout, "/"); return 0 },
	}
	commands = map[string]cmdFunc{
		"sh": cmdSh, "ash": cmdSh, "cat": cmdCat, "rm": cmdRm, "ls": cmdLs, "stat": cmdStat,
		"sha256sum": cmdSha256sum, "md5sum": cmdMd5sum, "mkdir": cmdMkdir, "vdf": cmdVdf,
		"vmware": cmdVmware, "ps": cmdPs, "sleep": cmdSleep, "uname": cmdUname,
		"hostname": cmdHostname, "grep": cmdGrep, "esxcli": cmdEsxcli, "net-stats": cmdNetStats,
		"pktcap-uw": cmdPktcap, "df": cmdDf, "nohup": cmdNohup,
	}
}

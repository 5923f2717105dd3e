package esx

// The host's process table: every shell and command run over SSH is a "world" with a
// PID (on ESXi the cartel ID, which is what `echo $$` prints and `kill` takes). `ps`
// lists them and `kill` signals them, whichever SSH session started them.

import (
	"sort"
	"strings"
	"sync"
)

var signalNumbers = map[string]int{"HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "USR1": 10,
	"USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "CONT": 18, "STOP": 19}

func signalName(n int) string {
	for k, v := range signalNumbers {
		if v == n {
			return k
		}
	}
	return ""
}

type proc struct {
	pid  int
	mu   sync.Mutex
	name string // world name, e.g. "sh", "pktcap-uw"
	args []string
	sig  chan string // pending signals, by name ("TERM")
	// killedBy is set when the process ended because of a signal it does not handle.
	killedBy string
}

func (p *proc) setCommand(name string, args []string) {
	p.mu.Lock()
	p.name, p.args = name, append([]string{}, args...)
	p.mu.Unlock()
}

func (p *proc) command() (string, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.name, strings.Join(p.args, " ")
}

type procTable struct {
	mu   sync.Mutex
	next int
	m    map[int]*proc
}

func newProcTable(base int) *procTable { return &procTable{next: base, m: map[int]*proc{}} }

func (t *procTable) spawn(name string, args []string) *proc {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next += 3 // real cartel IDs advance by more than one per process
	p := &proc{pid: t.next, name: name, args: append([]string{}, args...), sig: make(chan string, 8)}
	t.m[p.pid] = p
	return p
}

func (t *procTable) exit(p *proc) {
	t.mu.Lock()
	delete(t.m, p.pid)
	t.mu.Unlock()
}

// signal delivers sig to pid; false when there is no such process.
func (t *procTable) signal(pid int, sig string) bool {
	t.mu.Lock()
	p := t.m[pid]
	t.mu.Unlock()
	if p == nil {
		return false
	}
	select {
	case p.sig <- sig:
	default:
	}
	return true
}

func (t *procTable) list() []*proc {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*proc, 0, len(t.m))
	for _, p := range t.m {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pid < out[j].pid })
	return out
}

func (t *procTable) killAll() {
	for _, p := range t.list() {
		t.signal(p.pid, "KILL")
	}
}

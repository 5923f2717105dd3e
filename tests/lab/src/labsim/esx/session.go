package esx

// An SSH session channel: an `exec` request runs `sh -c COMMAND` (BusyBox ash) in the
// host, as OpenSSH's sshd does for a session without a pty (session.c: do_exec_no_pty,
// do_child, session_exit_message, session_close_by_channel, session_signal_req):
//
//   - the shell is argv ["sh", "-c", COMMAND] in a new session (setsid), its cwd and
//     HOME the user's home (/ on ESXi), with USER, LOGNAME, HOME, PATH, MAIL, SHELL,
//     SSH_CLIENT and SSH_CONNECTION set, and SIGPIPE at its default;
//   - its stdin, stdout and stderr are pipes to the channel;
//   - "signal" requests (HUP INT KILL QUIT TERM USR1 USR2) go to its process group
//     (killpg), and are refused on hosts whose sshd predates OpenSSH 7.9;
//   - when it ends, sshd sends "exit-status" (or "exit-signal": the signal's name
//     without "SIG", "SIG@openssh.com" for the ones OpenSSH does not name, the
//     core-dumped flag, empty message and language) at once, stops writing to its stdin,
//     and closes the channel only after EOF on stdout and stderr: a background job that
//     keeps them open keeps the channel open;
//   - when the client closes the channel first, sshd closes the pipes and sends no
//     signal: the next write to stdout or stderr gets SIGPIPE (EPIPE), a read of stdin
//     sees EOF, and a process that writes nothing runs on.

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/crypto/ssh"

	"labsim/world"
)

// sshSignals are the names OpenSSH's sshd accepts in a "signal" request (name2sig).
var sshSignals = map[string]syscall.Signal{"HUP": syscall.SIGHUP, "INT": syscall.SIGINT,
	"KILL": syscall.SIGKILL, "QUIT": syscall.SIGQUIT, "TERM": syscall.SIGTERM,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2}

// exitSignalName is OpenSSH's sig2name.
func exitSignalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGABRT:
		return "ABRT"
	case syscall.SIGALRM:
		return "ALRM"
	case syscall.SIGFPE:
		return "FPE"
	case syscall.SIGHUP:
		return "HUP"
	case syscall.SIGILL:
		return "ILL"
	case syscall.SIGINT:
		return "INT"
	case syscall.SIGKILL:
		return "KILL"
	case syscall.SIGPIPE:
		return "PIPE"
	case syscall.SIGQUIT:
		return "QUIT"
	case syscall.SIGSEGV:
		return "SEGV"
	case syscall.SIGTERM:
		return "TERM"
	case syscall.SIGUSR1:
		return "USR1"
	case syscall.SIGUSR2:
		return "USR2"
	}
	return "SIG@openssh.com"
}

// pump copies a pipe from the process to the channel.
type pump struct {
	r       *os.File
	w       io.Writer
	moved   atomic.Int64
	writing atomic.Bool
	eof     chan struct{}
}

func newPump(r *os.File, w io.Writer) *pump {
	p := &pump{r: r, w: w, eof: make(chan struct{})}
	go p.run()
	return p
}

func (p *pump) run() {
	defer close(p.eof)
	buf := make([]byte, 32<<10)
	for {
		n, err := p.r.Read(buf)
		if n > 0 {
			p.writing.Store(true)
			_, werr := p.w.Write(buf[:n])
			p.writing.Store(false)
			p.moved.Add(int64(n))
			if werr != nil {
				p.r.Close() // the channel is gone: the writer gets EPIPE
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// pending is how many bytes wait in the pipe.
func (p *pump) pending() int {
	n := 0
	rc, err := p.r.SyscallConn()
	if err != nil {
		return 0
	}
	rc.Control(func(fd uintptr) {
		syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
	})
	return n
}

type execSession struct {
	h        *Host
	ch       ssh.Channel
	pid      int
	stdin    *os.File // write end
	out, err *pump
	exited   chan syscall.WaitStatus
	mu       sync.Mutex
	gone     bool // the client closed the channel
	ended    bool // the process ended
}

func (h *Host) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request, meta ssh.ConnMetadata) {
	var s *execSession
	for req := range reqs {
		switch req.Type {
		case "exec":
			var payload struct{ Command string }
			if s != nil || ssh.Unmarshal(req.Payload, &payload) != nil {
				req.Reply(false, nil)
				continue
			}
			var err error
			if s, err = h.execCommand(ch, payload.Command, meta); err != nil {
				fmt.Fprintf(os.Stderr, "esx %s: exec: %v\n", h.name, err)
				s = nil
				req.Reply(false, nil)
				continue
			}
			// Reply first, as sshd does (its one loop answers the request before it
			// can see the child end): a command that ends at once must not close the
			// channel before the client has its reply (x/crypto's Run then says EOF).
			req.Reply(true, nil)
			go s.wait()
		case "signal":
			req.Reply(h.sessionSignal(s, req.Payload), nil)
		case "pty-req", "env", "window-change":
			// Accepted and ignored: the command runs without a terminal.
			req.Reply(true, nil)
		default:
			// No interactive shell or sftp in the lab: clients run commands with exec.
			req.Reply(false, nil)
		}
	}
	// The client closed the channel (or the connection dropped).
	if s != nil {
		s.clientGone()
	} else {
		ch.Close()
	}
}

func (h *Host) sessionSignal(s *execSession, payload []byte) bool {
	if world.HostListed(h.w.GetSettings().NoSSHSignal, h.name) {
		return false // OpenSSH before 7.9 knows no "signal" request
	}
	var p struct{ Signal string }
	if s == nil || ssh.Unmarshal(payload, &p) != nil {
		return false
	}
	sig, ok := sshSignals[p.Signal]
	if !ok {
		return false
	}
	s.mu.Lock()
	ended := s.ended
	s.mu.Unlock()
	if ended {
		return false
	}
	return h.ns.kill(s.pid, sig, true) == nil
}

func sshEnv(user string, meta ssh.ConnMetadata) []string {
	env := []string{"USER=" + user, "LOGNAME=" + user, "HOME=/", "PATH=/bin:/sbin", "MAIL=/var/mail/" + user, "SHELL=/bin/sh"}
	rh, rp, err1 := net.SplitHostPort(meta.RemoteAddr().String())
	lh, lp, err2 := net.SplitHostPort(meta.LocalAddr().String())
	if err1 == nil && err2 == nil {
		env = append(env, fmt.Sprintf("SSH_CLIENT=%s %s %s", rh, rp, lp), fmt.Sprintf("SSH_CONNECTION=%s %s %s %s", rh, rp, lh, lp))
	}
	return env
}

func (h *Host) execCommand(ch ssh.Channel, command string, meta ssh.ConnMetadata) (*execSession, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return nil, err
	}
	s := &execSession{h: h, ch: ch, stdin: inW, exited: make(chan syscall.WaitStatus, 1)}
	pid, err := h.ns.spawn("/bin/sh", []string{"sh", "-c", command}, sshEnv(meta.User(), meta), "/", 0,
		[]*os.File{inR, outW, errW}, func(ws syscall.WaitStatus) { s.exited <- ws })
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		errR.Close()
		return nil, err
	}
	s.pid = pid
	s.out = newPump(outR, ch)
	s.err = newPump(errR, ch.Stderr())
	go func() {
		io.Copy(inW, ch)
		inW.Close() // the client's EOF
	}()
	return s, nil // the caller replies to the exec request, then starts s.wait()
}

// wait follows the process to its end, then the channel to its close.
func (s *execSession) wait() {
	ws := <-s.exited
	s.mu.Lock()
	s.ended = true
	gone := s.gone
	s.mu.Unlock()
	if !gone {
		// What the process wrote before it ended is in the pipes: sshd reads it in the
		// same pass as it collects the child, so it goes out before the exit message,
		// except what a full channel window holds back.
		s.drain()
		if ws.Signaled() {
			s.ch.SendRequest("exit-signal", false, ssh.Marshal(struct {
				Signal     string
				CoreDumped bool
				Error      string
				Lang       string
			}{exitSignalName(ws.Signal()), ws.CoreDump(), "", ""}))
		} else {
			s.ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(ws.ExitStatus())}))
		}
	}
	s.stdin.Close() // chan_write_failed: nothing more goes to the process's stdin
	<-s.out.eof
	<-s.err.eof
	s.ch.CloseWrite()
	s.ch.Close()
}

// drain waits until what the pipes held when the process ended has been handed to the
// channel (a background job may write on), or until nothing moves (the client's
// window is full).
func (s *execSession) drain() {
	type mark struct {
		p      *pump
		target int64
	}
	var marks []mark
	for _, p := range []*pump{s.out, s.err} {
		marks = append(marks, mark{p, p.moved.Load() + int64(p.pending())})
	}
	last, still := int64(-1), time.Now()
	for {
		done := true
		var moved int64
		for _, m := range marks {
			moved += m.p.moved.Load()
			select {
			case <-m.p.eof:
				continue
			default:
			}
			if m.p.moved.Load() < m.target {
				done = false
			}
		}
		if done {
			return
		}
		if moved != last {
			last, still = moved, time.Now()
		} else if time.Since(still) > 100*time.Millisecond {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// clientGone: the client closed the channel while the process may still run.
func (s *execSession) clientGone() {
	s.mu.Lock()
	s.gone = true
	s.mu.Unlock()
	s.out.r.Close()
	s.err.r.Close()
	s.stdin.Close()
	s.ch.Close()
}

package esx

// What sits between a process and the SSH channel on a real host: a pipe to sshd.
// stderr lines go into sshd's buffer even when the client reads nothing (asyncWriter),
// and a process blocked writing stdout to a client that stopped reading still gets its
// signals (sigWriter: the write is interrupted, like EINTR).

import (
	"errors"
	"io"
	"sync"
)

var errInterrupted = errors.New("write interrupted by a signal")

// asyncWriter queues writes and delivers them in order from its own goroutine.
type asyncWriter struct {
	mu      sync.Mutex
	cond    *sync.Cond
	queue   [][]byte
	pending int // chunks queued or being written
	failed  bool
	closed  bool
	dst     io.Writer
}

func newAsyncWriter(dst io.Writer) *asyncWriter {
	a := &asyncWriter{dst: dst}
	a.cond = sync.NewCond(&a.mu)
	go a.run()
	return a
}

func (a *asyncWriter) Write(b []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failed || a.closed {
		return 0, io.ErrClosedPipe
	}
	a.queue = append(a.queue, append([]byte{}, b...))
	a.pending++
	a.cond.Broadcast()
	return len(b), nil
}

func (a *asyncWriter) run() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for {
		for len(a.queue) == 0 && !a.closed {
			a.cond.Wait()
		}
		if len(a.queue) == 0 {
			return
		}
		b := a.queue[0]
		a.queue = a.queue[1:]
		failed := a.failed
		a.mu.Unlock()
		if !failed {
			if _, err := a.dst.Write(b); err != nil {
				failed = true
			}
		}
		a.mu.Lock()
		a.failed = a.failed || failed
		a.pending--
		a.cond.Broadcast()
	}
}

// flush waits until everything queued was handed to dst, or dst failed.
func (a *asyncWriter) flush() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.pending > 0 && !a.failed {
		a.cond.Wait()
	}
}

// close drops what is still queued (the channel is gone) and ends the goroutine.
func (a *asyncWriter) close() {
	a.mu.Lock()
	a.closed, a.failed = true, true
	a.cond.Broadcast()
	a.mu.Unlock()
}

// sigWriter lets INT, TERM, HUP and KILL interrupt a blocked write; the signal is
// kept in sig for the process to act on, and every later write fails at once.
type sigWriter struct {
	w   io.Writer
	p   *proc
	sig string
}

func (s *sigWriter) Write(b []byte) (int, error) {
	if s.sig != "" {
		return 0, errInterrupted
	}
	type res struct {
		n   int
		err error
	}
	ch := make(chan res, 1)
	buf := append([]byte{}, b...)
	go func() {
		n, err := s.w.Write(buf)
		ch <- res{n, err}
	}()
	for {
		select {
		case r := <-ch:
			return r.n, r.err
		case sig := <-s.p.sig:
			switch sig {
			case "INT", "TERM", "HUP", "KILL":
				s.sig = sig
				return 0, errInterrupted
			}
		}
	}
}

package mirror

import (
	"fmt"
	"net"
	"sync"
	"syscall"
)

// Sender puts one GRE packet on the wire from src to dst (both IPv4).
type Sender interface {
	Send(src, dst net.IP, gre []byte) error
	Close()
	Transport() string // "raw-socket", or why none
}

// rawSender sends through raw IPPROTO_GRE sockets, one per source address, bound to
// it: the kernel writes the IPv4 header (protocol 47, TTL, ID, checksum), so the
// packets are what a host's vmkernel stack puts on the wire. Needs CAP_NET_RAW (the
// lab runs as root).
type rawSender struct {
	mu  sync.Mutex
	fds map[string]int
}

// NewRawSender checks that a raw GRE socket can be opened (EPERM without CAP_NET_RAW).
func NewRawSender() (Sender, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_GRE)
	if err != nil {
		return nil, fmt.Errorf("raw IPPROTO_GRE socket: %v (needs CAP_NET_RAW)", err)
	}
	syscall.Close(fd)
	return &rawSender{fds: map[string]int{}}, nil
}

func (s *rawSender) Transport() string { return "raw-socket" }

func (s *rawSender) socket(src net.IP) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fd, ok := s.fds[src.String()]; ok {
		return fd, nil
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_GRE)
	if err != nil {
		return -1, err
	}
	var a syscall.SockaddrInet4
	copy(a.Addr[:], src.To4())
	if err := syscall.Bind(fd, &a); err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("bind %s: %v", src, err)
	}
	s.fds[src.String()] = fd
	return fd, nil
}

func (s *rawSender) Send(src, dst net.IP, gre []byte) error {
	fd, err := s.socket(src)
	if err != nil {
		return err
	}
	var a syscall.SockaddrInet4
	copy(a.Addr[:], dst.To4())
	return syscall.Sendto(fd, gre, 0, &a)
}

func (s *rawSender) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, fd := range s.fds {
		syscall.Close(fd)
		delete(s.fds, k)
	}
}

// noSender is the fallback when no raw socket can be had: every copy is recorded in
// truth.jsonl as "unsent" with the reason, nothing goes on the wire.
type noSender struct{ why string }

func (n noSender) Send(net.IP, net.IP, []byte) error { return fmt.Errorf("%s", n.why) }
func (n noSender) Close()                            {}
func (n noSender) Transport() string                 { return "none: " + n.why }

// DefaultSender is a raw-socket sender, or the fallback that sends nothing.
func DefaultSender() Sender {
	s, err := NewRawSender()
	if err != nil {
		return noSender{why: err.Error()}
	}
	return s
}

package hostproto

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
)

// CtlConn sends and receives Ctl messages, with file descriptors, over one end of a
// SOCK_SEQPACKET socket pair. Send is safe for concurrent use; Recv is not.
type CtlConn struct {
	c   *net.UnixConn
	wmu sync.Mutex
	buf []byte
	oob []byte
}

// SeqpacketPair returns two connected ends: keep the first, hand the second to a child.
func SeqpacketPair() (*CtlConn, *os.File, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	mine := os.NewFile(uintptr(fds[0]), "ctl")
	theirs := os.NewFile(uintptr(fds[1]), "ctl-child")
	c, err := NewCtlConn(mine)
	mine.Close() // FileConn dup'ed it
	if err != nil {
		theirs.Close()
		return nil, nil, err
	}
	return c, theirs, nil
}

// NewCtlConn wraps f (a SOCK_SEQPACKET unix socket); f may be closed afterwards.
func NewCtlConn(f *os.File) (*CtlConn, error) {
	nc, err := net.FileConn(f)
	if err != nil {
		return nil, err
	}
	uc, ok := nc.(*net.UnixConn)
	if !ok {
		nc.Close()
		return nil, fmt.Errorf("ctl: %T is not a unix socket", nc)
	}
	return &CtlConn{c: uc, buf: make([]byte, 1<<20), oob: make([]byte, syscall.CmsgSpace(16*4))}, nil
}

func (c *CtlConn) Close() error { return c.c.Close() }

// Send sends m with files attached (they stay open in the caller).
func (c *CtlConn) Send(m Ctl, files ...*os.File) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var oob []byte
	if len(files) > 0 {
		fds := make([]int, len(files))
		for i, f := range files {
			fds[i] = int(f.Fd())
		}
		oob = syscall.UnixRights(fds...)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, _, err = c.c.WriteMsgUnix(b, oob, nil)
	return err
}

// Recv reads the next message and the descriptors that came with it (close-on-exec).
func (c *CtlConn) Recv() (Ctl, []*os.File, error) {
	n, oobn, _, _, err := c.c.ReadMsgUnix(c.buf, c.oob)
	if err != nil {
		return Ctl{}, nil, err
	}
	if n == 0 && oobn == 0 {
		return Ctl{}, nil, fmt.Errorf("ctl: peer closed")
	}
	var files []*os.File
	if oobn > 0 {
		msgs, err := syscall.ParseSocketControlMessage(c.oob[:oobn])
		if err == nil {
			for i := range msgs {
				fds, err := syscall.ParseUnixRights(&msgs[i])
				if err != nil {
					continue
				}
				for _, fd := range fds {
					syscall.CloseOnExec(fd)
					files = append(files, os.NewFile(uintptr(fd), "passed"))
				}
			}
		}
	}
	var m Ctl
	if err := json.Unmarshal(c.buf[:n], &m); err != nil {
		for _, f := range files {
			f.Close()
		}
		return Ctl{}, nil, fmt.Errorf("ctl: bad message %q: %v", c.buf[:n], err)
	}
	return m, files, nil
}

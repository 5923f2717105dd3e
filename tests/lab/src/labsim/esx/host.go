// Package esx simulates ESXi hosts: one SSH server per host on loopback, with its own
// ed25519 host key, password and public-key authentication, and a small shell offering
// the commands vm-capture runs (esxcli, net-stats, vmware, vdf, ps, kill, cat, rm,
// pktcap-uw, ...) with the output formats of real ESXi. See README.md beside this file.
package esx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"labsim/world"
)

// DefaultTmpSize is the size of a real host's /tmp ramdisk.
const DefaultTmpSize = 256 << 20

type Config struct {
	StateDir           string // host keys are kept here (<StateDir>/hostkeys/<host>), reused across restarts
	ListenAddr         string // "127.0.0.1:0"
	User, Password     string
	AuthorizedKeysFile string // optional: public key auth
	TmpSize            int64  // /tmp ramdisk size; 0 = DefaultTmpSize (256 MB)
}

type Host struct {
	w      *world.World
	name   string
	hs     *world.HostState
	cfg    Config
	ln     net.Listener
	signer ssh.Signer
	sshCfg *ssh.ServerConfig
	procs  *procTable
	fs     *fsys
	done   chan struct{}
	wg     sync.WaitGroup // connections and their sessions
	bg     sync.WaitGroup // background jobs (cmd &)

	mu               sync.Mutex
	conns            map[net.Conn]struct{}
	unreachableUntil time.Time
	closed           bool
	vsockPorts       map[int]bool
	nextSession      int
}

// Start starts host hostName's SSH server.
func Start(w *world.World, hostName string, cfg Config) (*Host, error) {
	hs := w.Hosts[hostName]
	if hs == nil {
		return nil, fmt.Errorf("esx: no host %q in the world; add it with World.AddHost first", hostName)
	}
	if cfg.StateDir == "" {
		return nil, fmt.Errorf("esx: Config.StateDir is empty; give a directory for host keys and files")
	}
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if cfg.TmpSize <= 0 {
		cfg.TmpSize = DefaultTmpSize
	}
	signer, err := loadHostKey(filepath.Join(cfg.StateDir, "hostkeys", hostName))
	if err != nil {
		return nil, err
	}
	var authorized []ssh.PublicKey
	if cfg.AuthorizedKeysFile != "" {
		authorized, err = loadAuthorizedKeys(cfg.AuthorizedKeysFile)
		if err != nil {
			return nil, err
		}
	}
	fs, err := newFS(w, hostName, cfg.StateDir, cfg.TmpSize)
	if err != nil {
		return nil, fmt.Errorf("esx %s: filesystem under %s: %v", hostName, cfg.StateDir, err)
	}
	f := fnv.New32a()
	f.Write([]byte(hostName))
	h := &Host{w: w, name: hostName, hs: hs, cfg: cfg, signer: signer, fs: fs,
		procs: newProcTable(2100000 + int(f.Sum32()%50000)*8), done: make(chan struct{}),
		conns: map[net.Conn]struct{}{}, vsockPorts: map[int]bool{}, nextSession: 1}
	h.sshCfg = &ssh.ServerConfig{
		ServerVersion: "SSH-2.0-OpenSSH_9.6",
		PasswordCallback: func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if cfg.Password != "" && c.User() == cfg.User && string(pw) == cfg.Password {
				return nil, nil
			}
			return nil, fmt.Errorf("password rejected for %s", c.User())
		},
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() == cfg.User {
				for _, k := range authorized {
					if bytes.Equal(k.Marshal(), key.Marshal()) {
						return nil, nil
					}
				}
			}
			return nil, fmt.Errorf("unknown public key for %s", c.User())
		},
	}
	h.sshCfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("esx %s: listen on %s: %v", hostName, cfg.ListenAddr, err)
	}
	h.ln = ln
	h.wg.Add(1)
	go h.acceptLoop()
	return h, nil
}

func loadHostKey(path string) (ssh.Signer, error) {
	if b, err := os.ReadFile(path); err == nil {
		key, err := ssh.ParseRawPrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("esx: host key %s is unreadable (%v); delete it to get a new one", path, err)
		}
		return ssh.NewSignerFromKey(key)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644)
	return signer, nil
}

func loadAuthorizedKeys(path string) ([]ssh.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("esx: authorized keys file: %v", err)
	}
	var keys []ssh.PublicKey
	for len(bytes.TrimSpace(b)) > 0 {
		k, _, _, rest, err := ssh.ParseAuthorizedKey(b)
		if err != nil {
			return nil, fmt.Errorf("esx: authorized keys file %s: %v", path, err)
		}
		keys = append(keys, k)
		b = rest
	}
	return keys, nil
}

func (h *Host) Port() int              { return h.ln.Addr().(*net.TCPAddr).Port }
func (h *Host) Addr() string           { return h.ln.Addr().String() }
func (h *Host) HostKey() ssh.PublicKey { return h.signer.PublicKey() }
func (h *Host) Name() string           { return h.name }

// KnownHostsLine is the host's known_hosts entry: "[127.0.0.1]:PORT ssh-ed25519 AAAA...".
func (h *Host) KnownHostsLine() string {
	host, port, _ := net.SplitHostPort(h.Addr())
	return fmt.Sprintf("[%s]:%s %s", host, port, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(h.HostKey()))))
}

// Close stops the server, drops every connection and kills every process.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.mu.Unlock()
	close(h.done)
	err := h.ln.Close()
	h.DropConnections()
	h.procs.killAll()
	waitTimeout(&h.wg, 5*time.Second)
	waitTimeout(&h.bg, 5*time.Second)
	return err
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	select {
	case <-ch:
	case <-time.After(d):
	}
}

// DropConnections closes every SSH connection now. Processes keep running until they
// write to their closed stdout (like pktcap-uw -o -); captures to a file go on.
func (h *Host) DropConnections() {
	h.mu.Lock()
	conns := make([]net.Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// SetUnreachable blackholes the host for d: new TCP connections get no SSH banner and
// are closed when d ends, and existing connections stall (no bytes either way) until then.
func (h *Host) SetUnreachable(d time.Duration) {
	h.mu.Lock()
	h.unreachableUntil = time.Now().Add(d)
	h.mu.Unlock()
}

// waitReachable blocks while the host is unreachable; false when the host closed.
func (h *Host) waitReachable() bool {
	for {
		h.mu.Lock()
		until := h.unreachableUntil
		h.mu.Unlock()
		d := time.Until(until)
		if d <= 0 {
			return true
		}
		if d > 20*time.Millisecond {
			d = 20 * time.Millisecond // notice SetUnreachable(0) soon
		}
		select {
		case <-time.After(d):
		case <-h.done:
			return false
		}
	}
}

func (h *Host) unreachable() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return time.Now().Before(h.unreachableUntil)
}

// Fill adds bytes to "/tmp" or to the datastore named target (bytes <= 0: fill it up),
// as a file lab-fill.bin there that rm can remove.
func (h *Host) Fill(target string, bytes int64) error { return h.fs.fill(target, bytes) }

// clockSkew is the host's clock offset for capture timestamps (Settings.ClockSkew).
func (h *Host) clockSkew() time.Duration { return h.w.ClockSkew(h.name) }

func (h *Host) allocVsockPort() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := 7799
	for h.vsockPorts[p] {
		p++
	}
	h.vsockPorts[p] = true
	return p
}

func (h *Host) releaseVsockPort(p int) {
	h.mu.Lock()
	delete(h.vsockPorts, p)
	h.mu.Unlock()
}

func (h *Host) newSessionID() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextSession++
	return h.nextSession
}

// stallConn delays every read and write while the host is unreachable.
type stallConn struct {
	net.Conn
	h *Host
}

func (c stallConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if !c.h.waitReachable() {
		return 0, io.EOF
	}
	return n, err
}

func (c stallConn) Write(b []byte) (int, error) {
	if !c.h.waitReachable() {
		return 0, io.ErrClosedPipe
	}
	return c.Conn.Write(b)
}

func (h *Host) acceptLoop() {
	defer h.wg.Done()
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			c.Close()
			return
		}
		h.conns[c] = struct{}{}
		h.mu.Unlock()
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			defer func() {
				h.mu.Lock()
				delete(h.conns, c)
				h.mu.Unlock()
				c.Close()
			}()
			if h.unreachable() {
				h.waitReachable() // blackhole: say nothing, then drop
				return
			}
			h.serveConn(stallConn{c, h})
		}()
	}
}

func (h *Host) serveConn(c net.Conn) {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(c, h.sshCfg)
	if err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only session channels are supported")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.serveSession(ch, creqs, sc.User())
		}()
	}
	wg.Wait()
}

// channelWriter fails every write once the channel is closed; inflight lets the
// session wait, like sshd, until what a process wrote reached the client.
type channelWriter struct {
	mu       sync.Mutex
	w        io.Writer
	closed   bool
	inflight sync.WaitGroup
}

func (c *channelWriter) Write(b []byte) (int, error) {
	c.mu.Lock()
	closed := c.closed
	if !closed {
		c.inflight.Add(1)
	}
	c.mu.Unlock()
	if closed {
		return 0, io.ErrClosedPipe
	}
	defer c.inflight.Done()
	n, err := c.w.Write(b)
	if err != nil {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
	}
	return n, err
}

func (c *channelWriter) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
}

func (h *Host) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request, user string) {
	started := false
	var top *proc
	finished := make(chan struct{})
	stdout := &channelWriter{w: ch}
	stderrCh := &channelWriter{w: ch.Stderr()}
	stderr := newAsyncWriter(stderrCh)
	defer func() {
		if started {
			// The client may close early: keep reading requests until the command ends.
			<-finished
		}
		stdout.close()
		stderrCh.close()
		stderr.close()
		ch.Close()
	}()
	for {
		var req *ssh.Request
		var ok bool
		select {
		case req, ok = <-reqs:
			if !ok {
				// Channel closed by the client: the command goes on until it writes.
				stdout.close()
				stderrCh.close()
				stderr.close()
				return
			}
		case <-finished:
			return
		}
		switch req.Type {
		case "exec":
			var payload struct{ Command string }
			if started || ssh.Unmarshal(req.Payload, &payload) != nil {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			started = true
			top = h.procs.spawn("sh", []string{"sh", "-c", payload.Command})
			go func(cmd string) {
				defer close(finished)
				sh := &shell{h: h, p: top, args: []string{"sh"}, stdin: ch, stdout: stdout, stderr: stderr}
				status := sh.run(cmd)
				h.procs.exit(top) // the process is gone; sshd may still be delivering its output
				// Deliver what the command wrote before its exit status, as sshd does.
				stdout.inflight.Wait()
				stderr.flush()
				if top.killedBy != "" {
					ch.SendRequest("exit-signal", false, ssh.Marshal(struct {
						Signal     string
						CoreDumped bool
						Error      string
						Lang       string
					}{top.killedBy, false, "", ""}))
				} else {
					ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
				}
				ch.CloseWrite()
			}(payload.Command)
		case "signal":
			var payload struct{ Signal string }
			if ssh.Unmarshal(req.Payload, &payload) == nil && top != nil {
				h.procs.signal(top.pid, strings.TrimPrefix(payload.Signal, "SIG"))
			}
			req.Reply(true, nil)
		case "pty-req", "env", "window-change":
			req.Reply(true, nil)
		case "shell", "subsystem":
			// No interactive shell or sftp in the lab: clients run commands with exec.
			req.Reply(false, nil)
		default:
			req.Reply(false, nil)
		}
	}
}

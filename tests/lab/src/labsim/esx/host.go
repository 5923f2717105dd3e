// Package esx simulates ESXi hosts: one SSH server per host on loopback, with its own
// ed25519 host key, password and public-key authentication. Each host is a PID, mount
// and UTS namespace of real processes: SSH commands run in BusyBox ash, and the ESXi
// commands (esxcli, net-stats, vmware, vdf, df, ps, pktcap-uw, ...) are small programs
// (labsim/cmd/esxcmd) that ask the lab for what the world knows and print it in the
// formats of real ESXi. See README.md beside this file.
package esx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"labsim/esx/hostproto"
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
	// Commands is the multicall binary of the hosts' programs (labsim/cmd/esxcmd,
	// built by tests/lab/run beside the lab binary).
	Commands string
	// NoVMXProcesses: no vmx process per running VM (large inventories).
	NoVMXProcesses bool
}

type Host struct {
	w      *world.World
	name   string
	hs     *world.HostState
	cfg    Config
	ln     net.Listener
	signer ssh.Signer
	sshCfg *ssh.ServerConfig
	wns    *worldNS // the world's supervisor and datastores
	ns     *hostNS  // this host's init
	done   chan struct{}
	wg     sync.WaitGroup // connections and their sessions

	vmxMu   sync.Mutex
	vmx     map[int64]*vmxProc // by World ID
	vmxKick chan struct{}

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
	h := &Host{w: w, name: hostName, hs: hs, cfg: cfg, signer: signer, done: make(chan struct{}),
		conns: map[net.Conn]struct{}{}, vsockPorts: map[int]bool{}, nextSession: 1,
		vmx: map[int64]*vmxProc{}, vmxKick: make(chan struct{}, 1)}
	if err := h.startProcesses(); err != nil {
		return nil, fmt.Errorf("esx %s: %v", hostName, err)
	}
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
		h.stopProcesses()
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
	h.stopProcesses()
	waitTimeout(&h.wg, 5*time.Second)
	return err
}

// startProcesses starts the host: its init (root file system, /tmp, datastores), its
// system worlds and the command socket.
func (h *Host) startProcesses() error {
	if h.cfg.Commands == "" {
		return fmt.Errorf("Config.Commands is empty: give the path of the esxcmd binary")
	}
	wns, err := acquireWorldNS(h.w, h.cfg.StateDir, h.cfg.Commands)
	if err != nil {
		return err
	}
	h.wns = wns
	dss, err := h.mountDatastores()
	if err == nil {
		var cfg hostproto.HostConfig
		if cfg, err = h.layout(dss); err == nil {
			h.ns, err = startHostNS(wns, cfg)
		}
	}
	if err != nil {
		wns.release()
		return err
	}
	go h.serveCommands()
	if err := h.startSystemWorlds(); err != nil {
		h.stopProcesses()
		return fmt.Errorf("system worlds: %v", err)
	}
	return nil
}

// stopProcesses kills every process of the host (its init, and with it its PID
// namespace) and lets the world's supervisor go if this was its last host.
func (h *Host) stopProcesses() {
	select {
	case <-h.done:
	default:
		close(h.done)
	}
	if h.ns != nil {
		h.ns.close()
	}
	if h.wns != nil {
		h.wns.release()
		h.wns = nil
	}
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
// write to their closed stdout (SIGPIPE, like pktcap-uw -o -); captures to a file go on.
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
			h.serveSession(ch, creqs, sc)
		}()
	}
	wg.Wait()
}

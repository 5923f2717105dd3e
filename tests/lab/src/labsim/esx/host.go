// Package esx simulates ESXi hosts: one SSH server per host on loopback, with ESXi's
// host keys, algorithms and authentication (sshd.go). Each host is a PID, mount and
// UTS namespace of real processes: SSH commands run in BusyBox ash, and the ESXi
// commands (esxcli, net-stats, vmware, vdf, df, ps, pktcap-uw, ...) are small programs
// (labsim/cmd/esxcmd) that ask the lab for what the world knows and print it in the
// formats of real ESXi. See README.md beside this file.
package esx

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
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
	StateDir           string // host keys are kept here (<StateDir>/hostkeys/<host>_ecdsa, ...), reused across restarts
	ListenAddr         string // "127.0.0.1:0"
	User, Password     string
	AuthorizedKeysFile string   // optional: public key auth
	TmpSize            int64    // /tmp ramdisk size; 0 = DefaultTmpSize (256 MB)
	HostKeyTypes       []string // "ecdsa", "rsa", "ed25519"; nil = DefaultHostKeyTypes (ECDSA P-256 and RSA 2048)
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
	server *sshd    // keys, listener, authentication (sshd.go)
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
	h := &Host{w: w, name: hostName, hs: hs, cfg: cfg, done: make(chan struct{}),
		conns: map[net.Conn]struct{}{}, vsockPorts: map[int]bool{}, nextSession: 1,
		vmx: map[int64]*vmxProc{}, vmxKick: make(chan struct{}, 1)}
	var err error
	if h.server, err = newSSHD(h, cfg); err != nil {
		return nil, err
	}
	if err := h.startProcesses(); err != nil {
		return nil, fmt.Errorf("esx %s: %v", hostName, err)
	}
	if err := h.server.start(cfg.ListenAddr); err != nil {
		h.stopProcesses()
		return nil, err
	}
	return h, nil
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

// Port and Addr stay the same while TSM-SSH is stopped and started again.
func (h *Host) Port() int              { return h.server.addr.Port }
func (h *Host) Addr() string           { return h.server.addr.String() }
func (h *Host) HostKey() ssh.PublicKey { return h.server.signers[0].PublicKey() } // the first of HostKeys
func (h *Host) Name() string           { return h.name }

// HostKeys are every host key the server offers (ECDSA P-256, then RSA, by default).
func (h *Host) HostKeys() []ssh.PublicKey {
	keys := make([]ssh.PublicKey, len(h.server.signers))
	for i, s := range h.server.signers {
		keys[i] = s.PublicKey()
	}
	return keys
}

// KnownHostsLine is the known_hosts entry of the first host key (ECDSA by default).
func (h *Host) KnownHostsLine() string { return h.KnownHostsLines()[0] }

// KnownHostsLines are the host's known_hosts entries, one per host key:
// "[127.0.0.1]:PORT ecdsa-sha2-nistp256 AAAA...".
func (h *Host) KnownHostsLines() []string {
	host, port, _ := net.SplitHostPort(h.Addr())
	var lines []string
	for _, k := range h.HostKeys() {
		lines = append(lines, fmt.Sprintf("[%s]:%s %s", host, port, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))))
	}
	return lines
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
	err := h.server.close()
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

// acceptLoop serves one listener until it closes (TSM-SSH stopped, or Close).
func (h *Host) acceptLoop(ln net.Listener) {
	defer h.wg.Done()
	for {
		c, err := ln.Accept()
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
	sc, chans, reqs, err := ssh.NewServerConn(c, h.server.serverConfig())
	if err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	var slots sessionSlots
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only session channels are supported")
			continue
		}
		ch, creqs, ok := h.server.acceptSession(&slots, nc)
		if !ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer slots.release()
			h.serveSession(ch, creqs, sc)
		}()
	}
	wg.Wait()
}

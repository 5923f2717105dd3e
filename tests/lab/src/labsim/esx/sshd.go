package esx

// The hosts' SSH transport, as ESXi's sshd behaves (sources: tests/lab/README.md,
// "Documented behaviour", and /work/shared/VSPHERE-NOTES.md "ESXi host"):
//
//   - host keys ECDSA P-256 and RSA 2048, both offered, kept under <StateDir>/hostkeys;
//   - kex, cipher and MAC lists of the host's ESXi version (world.SSHSettings.Algorithms);
//   - keyboard-interactive with one "Password: " prompt (PAM), publickey, and the
//     "password" method only where world.SSHSettings.PasswordAuth says so;
//   - in FIPS mode ed25519 (and sk-) client keys are refused;
//   - at most world.SSHSettings.MaxSessions session channels per connection, the next one
//     refused as OpenSSH refuses it ("administratively prohibited", "open failed");
//   - the listener follows the world's host access state: TSM-SSH stopped = connection
//     refused on the same port, started = listening again there; under lockdown only
//     exception users log in.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/crypto/ssh"

	"labsim/world"
)

// DefaultHostKeyTypes are the host key types an ESXi 8 host offers (VSPHERE-NOTES: "Host
// keys ECDSA P-256 and RSA 2048"), in the order known_hosts lists them.
var DefaultHostKeyTypes = []string{"ecdsa", "rsa"}

// Algorithm lists. esxi8* are what a real ESXi 8.0.2 host's sshd offered (`sshd -T`,
// VSPHERE-NOTES "ESXi host"; the vSphere 8.0 STIG ESXI-80-000187 expects the same
// ciphers); esxi65* the 6.5 STIG's ciphers and MACs (ESXI-65-000010, -000017) and, for
// kex, OpenSSH 7's defaults (unverified). Names x/crypto cannot negotiate are dropped
// when offered (see offered).
var (
	esxi8Kex = []string{"ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
		"diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512",
		"diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256"}
	esxi8Ciphers = []string{"aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr", "aes192-ctr", "aes128-ctr"}
	esxi8MACs    = []string{"hmac-sha2-256", "hmac-sha2-512"}

	esxi65Kex = []string{"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
		"ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256",
		"diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256",
		"diffie-hellman-group14-sha1"}
	esxi65Ciphers = []string{"aes256-ctr", "aes192-ctr", "aes128-ctr"}
	esxi65MACs    = []string{"hmac-sha1", "hmac-sha2-256", "hmac-sha2-512"}
)

// notInXCrypto are names from the lists above that Debian's golang.org/x/crypto (0.4.0)
// cannot negotiate as a server: the lab does not offer them (README, "Known limits").
// TestAlgorithmListsNegotiate fails when this goes stale.
var notInXCrypto = map[string]bool{
	"aes256-gcm@openssh.com":               true,
	"hmac-sha2-512":                        true,
	"diffie-hellman-group-exchange-sha256": true, // server side refused by x/crypto
	"diffie-hellman-group16-sha512":        true,
	"diffie-hellman-group18-sha512":        true,
}

func offered(names []string) []string {
	var out []string
	for _, n := range names {
		if !notInXCrypto[n] {
			out = append(out, n)
		}
	}
	return out
}

// sshAlgorithms are the kex, cipher and MAC lists a host of that version offers (nil:
// x/crypto's defaults), and its version string (the OpenSSH versions are unverified;
// mode "go" is the old lab: x/crypto's lists and OpenSSH_9.6 on every host).
func sshAlgorithms(version, mode string) (kex, ciphers, macs []string, ident string) {
	ident = "SSH-2.0-OpenSSH_9.6"
	if strings.ToLower(mode) == "go" {
		return nil, nil, nil, ident
	}
	old := world.VersionBefore(version, "6.7")
	if old {
		ident = "SSH-2.0-OpenSSH_7.5"
	}
	if old {
		return offered(esxi65Kex), offered(esxi65Ciphers), offered(esxi65MACs), ident
	}
	return offered(esxi8Kex), offered(esxi8Ciphers), offered(esxi8MACs), ident
}

// fipsRefusedKey says whether a FIPS-mode sshd refuses this client key type: only
// ecdsa-* and RSA (rsa-sha2-512, rsa-sha2-256, ssh-rsa) are accepted (VSPHERE-NOTES:
// "pubkeyacceptedkeytypes ecdsa-...,rsa-sha2-512,rsa-sha2-256,ssh-rsa").
func fipsRefusedKey(keyType string) bool {
	return !(strings.HasPrefix(keyType, "ecdsa-sha2-") || keyType == ssh.KeyAlgoRSA)
}

// sshd is one host's SSH server: keys, the listener that TSM-SSH opens and closes, and
// the per-connection configuration.
type sshd struct {
	h          *Host
	signers    []ssh.Signer
	authorized []ssh.PublicKey
	addr       *net.TCPAddr // fixed for the host's life: a stopped service keeps its port

	mu        sync.Mutex
	ln        net.Listener // nil while TSM-SSH is stopped
	hold      int          // while stopped: a bound socket that does not listen (port kept, connections refused); -1 none
	listenErr error        // the last failure to reopen or hold the port
	closed    bool
}

func newSSHD(h *Host, cfg Config) (*sshd, error) {
	types := cfg.HostKeyTypes
	if len(types) == 0 {
		types = DefaultHostKeyTypes
	}
	signers, err := loadHostKeys(filepath.Join(cfg.StateDir, "hostkeys"), h.name, types)
	if err != nil {
		return nil, err
	}
	s := &sshd{h: h, signers: signers, hold: -1}
	if cfg.AuthorizedKeysFile != "" {
		if s.authorized, err = loadAuthorizedKeys(cfg.AuthorizedKeysFile); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// start binds the host's port and opens or holds it as the world's access state says,
// then follows every later change.
func (s *sshd) start(listenAddr string) error {
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return fmt.Errorf("esx %s: listen on %s: %v", s.h.name, listenAddr, err)
	}
	s.addr = ln.Addr().(*net.TCPAddr)
	s.mu.Lock()
	s.ln = ln
	s.h.wg.Add(1)
	go s.h.acceptLoop(ln)
	s.mu.Unlock()
	s.apply(s.h.w.HostAccess(s.h.name))
	s.h.w.OnHostAccess(func(host string, a world.HostAccess) {
		if host == s.h.name {
			s.apply(a)
		}
	})
	return nil
}

// apply opens or closes the listener as TSM-SSH's state says. Lockdown needs nothing
// here: every login checks it.
func (s *sshd) apply(a world.HostAccess) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	switch {
	case a.SSHRunning && s.ln == nil:
		s.openLocked()
	case !a.SSHRunning && s.ln != nil:
		s.ln.Close()
		s.ln = nil
		fd, err := holdPort(s.addr)
		s.hold, s.listenErr = fd, err
		if s.h.w.GetSettings().SSH.StopDropsSessions {
			go s.h.DropConnections()
		}
	case a.SSHRunning && s.listenErr != nil:
		s.openLocked() // retry a failed reopen
	}
}

// openLocked listens on the host's port again. The held socket is closed only after the
// new listener is bound, so the port never becomes free in between.
func (s *sshd) openLocked() {
	ln, err := net.Listen("tcp", s.addr.String())
	if err != nil {
		s.listenErr = fmt.Errorf("esx %s: TSM-SSH cannot listen on %s again: %v", s.h.name, s.addr, err)
		return
	}
	if s.hold >= 0 {
		syscall.Close(s.hold)
		s.hold = -1
	}
	s.ln, s.listenErr = ln, nil
	s.h.wg.Add(1)
	go s.h.acceptLoop(ln)
}

func (s *sshd) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var err error
	if s.ln != nil {
		err = s.ln.Close()
		s.ln = nil
	}
	if s.hold >= 0 {
		syscall.Close(s.hold)
		s.hold = -1
	}
	return err
}

// Listening says whether the host's SSH port accepts connections now.
func (h *Host) Listening() bool {
	h.server.mu.Lock()
	defer h.server.mu.Unlock()
	return h.server.ln != nil
}

// ListenError is the last failure to reopen (or keep) the host's SSH port, nil if none.
func (h *Host) ListenError() error {
	h.server.mu.Lock()
	defer h.server.mu.Unlock()
	return h.server.listenErr
}

// holdPort binds a TCP socket to a without listening: the port stays the host's while
// TSM-SSH is stopped, and a connection to it is refused (RST) as on a host with no sshd.
// SO_REUSEADDR on both sides lets the listener bind it again while this is held.
func holdPort(a *net.TCPAddr) (int, error) {
	var sa syscall.Sockaddr
	family := syscall.AF_INET
	if ip4 := a.IP.To4(); ip4 != nil {
		s4 := &syscall.SockaddrInet4{Port: a.Port}
		copy(s4.Addr[:], ip4)
		sa = s4
	} else {
		family = syscall.AF_INET6
		s6 := &syscall.SockaddrInet6{Port: a.Port}
		copy(s6.Addr[:], a.IP.To16())
		sa = s6
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("hold port %s: %v", a, err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("hold port %s: %v", a, err)
	}
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("hold port %s: %v", a, err)
	}
	return fd, nil
}

// serverConfig is the configuration for one new connection, from the settings now.
func (s *sshd) serverConfig() *ssh.ServerConfig {
	h := s.h
	st := h.w.GetSettings().SSH
	kex, ciphers, macs, ident := sshAlgorithms(h.hs.Version, st.Algorithms)
	fips := st.FIPSMode(h.name, h.hs.Version)
	cfg := &ssh.ServerConfig{
		Config:        ssh.Config{KeyExchanges: kex, Ciphers: ciphers, MACs: macs},
		ServerVersion: ident,
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if err := s.loginAllowed(c.User()); err != nil {
				return nil, err
			}
			if fips && fipsRefusedKey(key.Type()) {
				return nil, fmt.Errorf("%s key refused: sshd is in FIPS mode", key.Type())
			}
			if c.User() == h.cfg.User {
				for _, k := range s.authorized {
					if bytes.Equal(k.Marshal(), key.Marshal()) {
						return nil, nil
					}
				}
			}
			return nil, fmt.Errorf("unknown public key for %s", c.User())
		},
		// PAM behind keyboard-interactive: one round, no name or instruction, the prompt
		// "Password: " with echo off.
		KeyboardInteractiveCallback: func(c ssh.ConnMetadata, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			answers, err := challenge("", "", []string{"Password: "}, []bool{false})
			if err != nil {
				return nil, err
			}
			if len(answers) != 1 {
				return nil, errors.New("keyboard-interactive: want one answer")
			}
			return nil, s.checkPassword(c.User(), answers[0])
		},
	}
	if st.PasswordMethod(h.hs.Version) {
		cfg.PasswordCallback = func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			return nil, s.checkPassword(c.User(), string(pw))
		}
	}
	for _, k := range s.signers {
		cfg.AddHostKey(k)
	}
	return cfg
}

func (s *sshd) checkPassword(user, pw string) error {
	if err := s.loginAllowed(user); err != nil {
		return err
	}
	if s.h.cfg.Password != "" && user == s.h.cfg.User && pw == s.h.cfg.Password {
		return nil
	}
	return fmt.Errorf("password rejected for %s", user)
}

// loginAllowed refuses users other than exception users while the host is in lockdown
// mode (KB 425190: direct logins are refused for every user but exception users, root
// included; from 5.1 an SSH key does not get past lockdown either).
func (s *sshd) loginAllowed(user string) error {
	if a := s.h.w.HostAccess(s.h.name); !a.LoginAllowed(user) {
		return fmt.Errorf("%s: host is in %s and %s is not an exception user", s.h.name, a.Lockdown, user)
	}
	return nil
}

// sessionSlots limits the session channels open at once on one connection.
type sessionSlots struct {
	mu   sync.Mutex
	open int
}

// take reserves a slot for a new session channel; false when max are open (max <= 0:
// no limit).
func (l *sessionSlots) take(max int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if max > 0 && l.open >= max {
		return false
	}
	l.open++
	return true
}

func (l *sessionSlots) release() {
	l.mu.Lock()
	l.open--
	l.mu.Unlock()
}

// acceptSession opens a session channel if the connection has a free slot, and refuses
// it as OpenSSH does past MaxSessions (SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED, "open
// failed"). The caller releases the slot when the session ends.
func (s *sshd) acceptSession(slots *sessionSlots, nc ssh.NewChannel) (ssh.Channel, <-chan *ssh.Request, bool) {
	if !slots.take(s.h.w.GetSettings().SSH.MaxSessions) {
		nc.Reject(ssh.Prohibited, "open failed")
		return nil, nil, false
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		slots.release()
		return nil, nil, false
	}
	return ch, reqs, true
}

// ---- host keys ---------------------------------------------------------------------

// loadHostKeys reads the host's keys of the given types from dir, making the missing
// ones (in parallel: an RSA key takes a while): <host>_ecdsa (P-256), <host>_rsa (2048
// bits), <host> (ed25519, the lab's old key), each PKCS#8 PEM with a .pub beside it.
func loadHostKeys(dir, host string, types []string) ([]ssh.Signer, error) {
	signers := make([]ssh.Signer, len(types))
	errs := make([]error, len(types))
	var wg sync.WaitGroup
	for i, t := range types {
		path, gen, err := hostKeyFile(dir, host, t)
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			signers[i], errs[i] = loadHostKey(path, gen)
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return signers, nil
}

func hostKeyFile(dir, host, typ string) (string, func() (interface{}, error), error) {
	switch typ {
	case "ecdsa":
		return filepath.Join(dir, host+"_ecdsa"), func() (interface{}, error) {
			return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}, nil
	case "rsa":
		return filepath.Join(dir, host+"_rsa"), func() (interface{}, error) {
			return rsa.GenerateKey(rand.Reader, 2048)
		}, nil
	case "ed25519":
		return filepath.Join(dir, host), func() (interface{}, error) {
			_, k, err := ed25519.GenerateKey(rand.Reader)
			return k, err
		}, nil
	}
	return "", nil, fmt.Errorf("esx: host key type %q: want ecdsa, rsa or ed25519", typ)
}

// PrepareHostKeys makes the missing host keys of every named host at once, so that
// Start does not wait for them one host after the other.
func PrepareHostKeys(stateDir string, hosts []string, types []string) error {
	if len(types) == 0 {
		types = DefaultHostKeyTypes
	}
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func(i int, h string) {
			defer wg.Done()
			_, errs[i] = loadHostKeys(filepath.Join(stateDir, "hostkeys"), h, types)
		}(i, h)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// SeedHostKeys gives every named host its keys in stateDir from cacheDir: keys missing
// in the cache are made there first (PrepareHostKeys), then the key files stateDir lacks
// are copied. Labs that share a cache share host keys per host name and start without
// waiting for RSA keys; keys already in stateDir are kept.
func SeedHostKeys(cacheDir, stateDir string, hosts, types []string) error {
	if len(types) == 0 {
		types = DefaultHostKeyTypes
	}
	if err := PrepareHostKeys(cacheDir, hosts, types); err != nil {
		return fmt.Errorf("host key cache %s: %v", cacheDir, err)
	}
	if err := os.MkdirAll(filepath.Join(stateDir, "hostkeys"), 0o700); err != nil {
		return err
	}
	for _, h := range hosts {
		for _, t := range types {
			from, _, err := hostKeyFile(filepath.Join(cacheDir, "hostkeys"), h, t)
			if err != nil {
				return err
			}
			to, _, _ := hostKeyFile(filepath.Join(stateDir, "hostkeys"), h, t)
			if _, err := os.Stat(to); err == nil {
				continue // this state dir's own key
			}
			for _, suffix := range []string{".pub", ""} { // the private key last: it marks the pair present
				b, err := os.ReadFile(from + suffix)
				if err != nil {
					return err
				}
				tmp := fmt.Sprintf("%s%s.%d.tmp", to, suffix, os.Getpid())
				if err := os.WriteFile(tmp, b, 0o600); err != nil {
					return err
				}
				if err := os.Rename(tmp, to+suffix); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func loadHostKey(path string, gen func() (interface{}, error)) (ssh.Signer, error) {
	if b, err := os.ReadFile(path); err == nil {
		key, err := ssh.ParseRawPrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("esx: host key %s is unreadable (%v); delete it to get a new one", path, err)
		}
		return ssh.NewSignerFromKey(key)
	}
	priv, err := gen()
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
	// Written whole or not at all: a lab started twice at once must not read half a key.
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644)
	return signer, nil
}

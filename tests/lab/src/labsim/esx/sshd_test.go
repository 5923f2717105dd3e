package esx

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"labsim/esx/esxtest"
	"labsim/world"
)

// seedHostKeys gives dir the host keys of a per-user cache that later runs reuse
// (SeedHostKeys), so that each test's lab does not wait for new RSA keys.
func seedHostKeys(t *testing.T, dir string) {
	t.Helper()
	cache := filepath.Join(os.TempDir(), fmt.Sprintf("labsim-esx-test-hostkeys-%d", os.Getuid()))
	if err := SeedHostKeys(cache, dir, []string{"esx01", "esx02", "esx03"}, nil); err != nil {
		t.Fatal(err)
	}
}

// passwordAuth logs in with a password the way OpenSSH does: keyboard-interactive,
// answering the host's "Password: " prompt, or the password method where a host offers it.
func passwordAuth(pw string) []ssh.AuthMethod {
	return []ssh.AuthMethod{ssh.Password(pw), ssh.KeyboardInteractive(func(user, instr string, qs []string, echos []bool) ([]string, error) {
		answers := make([]string, len(qs))
		for i := range qs {
			answers[i] = pw
		}
		return answers, nil
	})}
}

// dial connects to h with the given auth methods (and, if set, one host key algorithm).
func dial(h *Host, hostKeyAlgo string, auth ...ssh.AuthMethod) (*ssh.Client, error) {
	cfg := &ssh.ClientConfig{User: "root", Auth: auth, Timeout: 10 * time.Second,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			for _, k := range h.HostKeys() {
				if string(k.Marshal()) == string(key.Marshal()) {
					return nil
				}
			}
			return errors.New("unknown host key")
		}}
	if hostKeyAlgo != "" {
		cfg.HostKeyAlgorithms = []string{hostKeyAlgo}
	}
	return ssh.Dial("tcp", h.Addr(), cfg)
}

func canLogin(h *Host, auth ...ssh.AuthMethod) error {
	c, err := dial(h, "", auth...)
	if err != nil {
		return err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return err
	}
	defer s.Close()
	out, err := s.Output("echo in")
	if err != nil || string(out) != "in\n" {
		return fmt.Errorf("echo in: %q %v", out, err)
	}
	return nil
}

func setSSH(w *world.World, edit func(*world.SSHSettings)) {
	s := w.GetSettings()
	edit(&s.SSH)
	w.SetSettings(s)
}

// openSSH runs the OpenSSH client against h with a strict known_hosts holding every host
// key; a password is given through SSH_ASKPASS, which also records the prompts it saw.
type openSSH struct {
	t       *testing.T
	h       *Host
	dir     string
	prompts string
}

func newOpenSSH(t *testing.T, h *Host) *openSSH {
	t.Helper()
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatal("OpenSSH client not installed: apt-get install openssh-client")
	}
	o := &openSSH{t: t, h: h, dir: t.TempDir()}
	o.prompts = filepath.Join(o.dir, "prompts")
	if err := os.WriteFile(filepath.Join(o.dir, "known_hosts"), []byte(strings.Join(h.KnownHostsLines(), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return o
}

// run runs remote on the host; password "" means no askpass (BatchMode).
func (o *openSSH) run(password string, opts []string, remote string) (stdout, stderr string, code int) {
	o.t.Helper()
	args := []string{"-F", "/dev/null", "-o", "UserKnownHostsFile=" + filepath.Join(o.dir, "known_hosts"),
		"-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes",
		"-o", "ConnectTimeout=10", "-p", fmt.Sprint(o.h.Port())}
	env := append(os.Environ(), "HOME="+o.dir)
	if password == "" {
		args = append(args, "-o", "BatchMode=yes")
	} else {
		askpass := filepath.Join(o.dir, "askpass")
		script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$1\" >> '%s'\nprintf '%%s\\n' '%s'\n", o.prompts, password)
		if err := os.WriteFile(askpass, []byte(script), 0o755); err != nil {
			o.t.Fatal(err)
		}
		env = append(env, "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0")
		args = append(args, "-o", "NumberOfPasswordPrompts=1")
	}
	args = append(args, opts...)
	args = append(args, "root@127.0.0.1", remote)
	cmd := exec.Command("ssh", args...)
	cmd.Env = env
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = nil
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		o.t.Fatalf("ssh: %v", err)
	}
	return out.String(), errb.String(), code
}

func (o *openSSH) seenPrompts() string {
	b, _ := os.ReadFile(o.prompts)
	return string(b)
}

// ---- authentication ------------------------------------------------------------------

// An ESXi 8 host takes a password only through keyboard-interactive: one round, no name
// or instruction, one "Password: " prompt with echo off; no "password" method.
func TestPasswordIsKeyboardInteractiveOnESXi8(t *testing.T) {
	l := newLab(t, 0)
	type round struct {
		name, instr string
		qs          []string
		echos       []bool
	}
	var rounds []round
	kbd := ssh.KeyboardInteractive(func(name, instr string, qs []string, echos []bool) ([]string, error) {
		rounds = append(rounds, round{name, instr, append([]string{}, qs...), append([]bool{}, echos...)})
		return []string{"secret"}, nil
	})
	if err := canLogin(l.hosts["esx01"], kbd); err != nil {
		t.Fatalf("keyboard-interactive login: %v", err)
	}
	if len(rounds) != 1 || rounds[0].name != "" || rounds[0].instr != "" || len(rounds[0].qs) != 1 ||
		rounds[0].qs[0] != "Password: " || rounds[0].echos[0] {
		t.Fatalf("keyboard-interactive rounds: %+v", rounds)
	}
	if err := canLogin(l.hosts["esx01"], ssh.Password("secret")); err == nil {
		t.Fatal("an 8.0.3 host took the password method")
	}
	// A wrong answer fails.
	if err := canLogin(l.hosts["esx01"], ssh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
		return []string{"wrong"}, nil
	})); err == nil {
		t.Fatal("wrong password accepted")
	}
}

// ssh_password_auth: auto (8.0.1+: no password method; 6.5: password method, unverified),
// true (every host, the old lab), false (none).
func TestPasswordMethodSetting(t *testing.T) {
	l := newLab(t, 0)
	pw := ssh.Password("secret")
	check := func(mode string, want01, want03 bool) {
		t.Helper()
		setSSH(l.w, func(s *world.SSHSettings) { s.PasswordAuth = mode })
		for host, want := range map[string]bool{"esx01": want01, "esx03": want03} {
			if err := canLogin(l.hosts[host], pw); (err == nil) != want {
				t.Errorf("ssh_password_auth=%s: %s password method: got err=%v, want ok=%v", mode, host, err, want)
			}
			// Keyboard-interactive works in every mode.
			if err := canLogin(l.hosts[host], passwordAuth("secret")[1]); err != nil {
				t.Errorf("ssh_password_auth=%s: %s keyboard-interactive: %v", mode, host, err)
			}
		}
	}
	check("auto", false, true)
	check("true", true, true)
	check("false", false, false)
	check("", false, true)
}

// What the OpenSSH client shows, as with a real 8.0.2 host: the "Password:" prompt, and
// "Permission denied (publickey,keyboard-interactive)." for a wrong password or no method.
func TestOpenSSHClientSeesESXi8Authentication(t *testing.T) {
	l := newLab(t, 0)
	o := newOpenSSH(t, l.hosts["esx01"])
	if out, stderr, code := o.run("secret", nil, "echo ok"); code != 0 || out != "ok\n" {
		t.Fatalf("password login: %d %q %s", code, out, stderr)
	}
	if p := o.seenPrompts(); !strings.HasSuffix(strings.TrimSpace(p), "Password:") {
		t.Fatalf("askpass prompts: %q", p)
	}
	_, stderr, code := o.run("wrong", nil, "echo ok")
	if code != 255 || !strings.Contains(stderr, "root@127.0.0.1: Permission denied (publickey,keyboard-interactive).") {
		t.Fatalf("wrong password: %d %s", code, stderr)
	}
	_, stderr, code = o.run("secret", []string{"-o", "PreferredAuthentications=password"}, "echo ok")
	if code != 255 || !strings.Contains(stderr, "Permission denied (publickey,keyboard-interactive).") {
		t.Fatalf("password method only: %d %s", code, stderr)
	}
	// With ssh_password_auth=true the method list grows again (x/crypto names it first).
	setSSH(l.w, func(s *world.SSHSettings) { s.PasswordAuth = "true" })
	_, stderr, _ = o.run("", nil, "echo ok")
	if !strings.Contains(stderr, "Permission denied (password,publickey,keyboard-interactive).") {
		t.Fatalf("with ssh_password_auth=true: %s", stderr)
	}
}

// ---- host keys -----------------------------------------------------------------------

func TestHostKeysECDSAAndRSAKeptAcrossRestarts(t *testing.T) {
	l := newLab(t, 0)
	h := l.hosts["esx01"]
	keys := h.HostKeys()
	if len(keys) != 2 || keys[0].Type() != "ecdsa-sha2-nistp256" || keys[1].Type() != "ssh-rsa" {
		t.Fatalf("host keys: %v", keys)
	}
	rsaKey := keys[1].(ssh.CryptoPublicKey).CryptoPublicKey().(*rsa.PublicKey)
	if rsaKey.N.BitLen() != 2048 {
		t.Fatalf("RSA host key has %d bits", rsaKey.N.BitLen())
	}
	// Both are offered: a client that wants one algorithm gets that key.
	for algo, want := range map[string]ssh.PublicKey{"ecdsa-sha2-nistp256": keys[0], "rsa-sha2-512": keys[1], "rsa-sha2-256": keys[1]} {
		var got ssh.PublicKey
		c, err := ssh.Dial("tcp", h.Addr(), &ssh.ClientConfig{User: "root", Auth: passwordAuth("secret"), Timeout: 10 * time.Second,
			HostKeyAlgorithms: []string{algo}, HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error { got = k; return nil }})
		if err != nil {
			t.Fatalf("%s: %v", algo, err)
		}
		c.Close()
		if string(got.Marshal()) != string(want.Marshal()) {
			t.Errorf("%s: got a %s key", algo, got.Type())
		}
	}
	if c, err := dial(h, "ssh-ed25519", passwordAuth("secret")...); err == nil {
		c.Close()
		t.Fatal("an ed25519 host key was negotiated")
	}
	for _, f := range []string{"esx01_ecdsa", "esx01_ecdsa.pub", "esx01_rsa", "esx01_rsa.pub"} {
		if _, err := os.Stat(filepath.Join(l.dir, "hostkeys", f)); err != nil {
			t.Errorf("host key file: %v", err)
		}
	}
	// A restart with the same state dir has the same keys.
	h2, err := Start(l.w, "esx01", Config{StateDir: l.dir, User: "root", Password: "secret", Commands: esxtest.Commands(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	for i, k := range h2.HostKeys() {
		if string(k.Marshal()) != string(keys[i].Marshal()) {
			t.Errorf("key %d changed across a restart", i)
		}
	}
	// The old single ed25519 key stays reachable (Config.HostKeyTypes, --ssh-host-keys).
	h3, err := Start(l.w, "esx01", Config{StateDir: t.TempDir(), User: "root", Password: "secret", HostKeyTypes: []string{"ed25519"}, Commands: esxtest.Commands(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer h3.Close()
	if ks := h3.HostKeys(); len(ks) != 1 || ks[0].Type() != "ssh-ed25519" {
		t.Fatalf("ed25519 host keys: %v", ks)
	}
	if err := canLogin(h3, passwordAuth("secret")...); err != nil {
		t.Fatal(err)
	}
}

// SeedHostKeys copies the cache's keys into a state dir that lacks them and keeps the
// ones it has.
func TestSeedHostKeysKeepsOwnKeys(t *testing.T) {
	cache, state := t.TempDir(), t.TempDir()
	if err := PrepareHostKeys(state, []string{"esx01"}, []string{"ecdsa"}); err != nil {
		t.Fatal(err)
	}
	own, _ := os.ReadFile(filepath.Join(state, "hostkeys", "esx01_ecdsa"))
	if err := SeedHostKeys(cache, state, []string{"esx01", "esx02"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"esx01_ecdsa", "esx01_rsa", "esx02_ecdsa", "esx02_rsa"} {
		got, err := os.ReadFile(filepath.Join(state, "hostkeys", f))
		if err != nil {
			t.Fatal(err)
		}
		cached, _ := os.ReadFile(filepath.Join(cache, "hostkeys", f))
		if f == "esx01_ecdsa" {
			if string(got) != string(own) || string(got) == string(cached) {
				t.Errorf("%s: the state dir's own key was replaced", f)
			}
		} else if string(got) != string(cached) {
			t.Errorf("%s: not the cache's key", f)
		}
	}
}

// The OpenSSH client verifies either key through known_hosts (strict).
func TestOpenSSHVerifiesBothHostKeys(t *testing.T) {
	l := newLab(t, 0)
	o := newOpenSSH(t, l.hosts["esx01"])
	for _, algo := range []string{"ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"} {
		out, stderr, code := o.run("secret", []string{"-o", "HostKeyAlgorithms=" + algo}, "echo ok")
		if code != 0 || out != "ok\n" {
			t.Errorf("%s: %d %q %s", algo, code, out, stderr)
		}
	}
}

// ---- algorithms ----------------------------------------------------------------------

// Every algorithm a host offers is negotiable on its own, and what the real sshd offers
// but x/crypto cannot do is truly missing from x/crypto (else notInXCrypto is stale).
func TestAlgorithmListsNegotiate(t *testing.T) {
	l := newLab(t, 0)
	for host, lists := range map[string][3][]string{
		"esx01": {offered(esxi8Kex), offered(esxi8Ciphers), offered(esxi8MACs)},
		"esx03": {offered(esxi65Kex), offered(esxi65Ciphers), offered(esxi65MACs)},
	} {
		h := l.hosts[host]
		for i, names := range lists {
			if len(names) == 0 {
				t.Fatalf("%s offers no algorithm of kind %d", host, i)
			}
			for _, n := range names {
				cfg := &ssh.ClientConfig{User: "root", Auth: passwordAuth("secret"), Timeout: 10 * time.Second,
					HostKeyCallback: ssh.InsecureIgnoreHostKey()}
				switch i {
				case 0:
					cfg.KeyExchanges = []string{n}
				case 1:
					cfg.Ciphers = []string{n}
				case 2:
					cfg.MACs = []string{n}
					cfg.Ciphers = []string{"aes128-ctr"} // a GCM cipher would need no MAC
				}
				c, err := ssh.Dial("tcp", h.Addr(), cfg)
				if err != nil {
					t.Errorf("%s: %s: %v", host, n, err)
					continue
				}
				c.Close()
			}
		}
	}
	for n := range notInXCrypto {
		// In a child process: x/crypto may panic on a name it does not know (hmac-sha2-512).
		cmd := exec.Command(os.Args[0], "-test.run=^TestXCryptoNegotiatesChild$")
		cmd.Env = append(os.Environ(), "LAB_XCRYPTO_ALGO="+n)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("x/crypto now negotiates %s: remove it from notInXCrypto (and the README's limit)", n)
		} else if cmd.ProcessState.ExitCode() < 0 {
			t.Fatalf("child for %s: %v %s", n, err, out)
		}
	}
	// Names outside the lists are refused: curve25519 and chacha20 on an 8.x host.
	for _, cfg := range []ssh.Config{{KeyExchanges: []string{"curve25519-sha256"}}, {Ciphers: []string{"chacha20-poly1305@openssh.com"}},
		{MACs: []string{"hmac-sha1"}, Ciphers: []string{"aes128-ctr"}}} {
		c, err := ssh.Dial("tcp", l.hosts["esx01"].Addr(), &ssh.ClientConfig{Config: cfg, User: "root", Auth: passwordAuth("secret"),
			Timeout: 10 * time.Second, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
		if err == nil {
			c.Close()
			t.Errorf("esx01 negotiated %+v", cfg)
		}
	}
	// ssh_algorithms=go brings x/crypto's defaults back (the old lab).
	setSSH(l.w, func(s *world.SSHSettings) { s.Algorithms = "go" })
	c, err := ssh.Dial("tcp", l.hosts["esx01"].Addr(), &ssh.ClientConfig{User: "root", Auth: passwordAuth("secret"),
		Config:  ssh.Config{KeyExchanges: []string{"curve25519-sha256"}, Ciphers: []string{"chacha20-poly1305@openssh.com"}},
		Timeout: 10 * time.Second, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	if err != nil {
		t.Fatalf("ssh_algorithms=go: %v", err)
	}
	c.Close()
	c, err = dial(l.hosts["esx03"], "", passwordAuth("secret")...)
	if err != nil {
		t.Fatal(err)
	}
	if v := string(c.ServerVersion()); v != "SSH-2.0-OpenSSH_9.6" {
		t.Errorf("ssh_algorithms=go: esx03 says %s", v)
	}
	c.Close()
}

// TestXCryptoNegotiatesChild is TestAlgorithmListsNegotiate's child process: it passes
// when x/crypto negotiates $LAB_XCRYPTO_ALGO (and does nothing without it).
func TestXCryptoNegotiatesChild(t *testing.T) {
	if n := os.Getenv("LAB_XCRYPTO_ALGO"); n != "" {
		if err := xcryptoNegotiates(n); err != nil {
			t.Fatal(err)
		}
	}
}

// xcryptoNegotiates tries a handshake where both x/crypto sides allow only name.
func xcryptoNegotiates(name string) error {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, _ := ssh.NewSignerFromKey(key)
	var cfg ssh.Config
	switch {
	case strings.HasPrefix(name, "hmac-"):
		cfg = ssh.Config{MACs: []string{name}, Ciphers: []string{"aes128-ctr"}}
	case strings.HasPrefix(name, "aes") || strings.HasPrefix(name, "chacha"):
		cfg = ssh.Config{Ciphers: []string{name}}
	default:
		cfg = ssh.Config{KeyExchanges: []string{name}}
	}
	scfg := &ssh.ServerConfig{Config: cfg, NoClientAuth: true}
	scfg.AddHostKey(signer)
	// Over TCP (buffered), not net.Pipe: a side that gives up must not block the other.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	go func() {
		a, err := ln.Accept()
		if err != nil {
			return
		}
		defer a.Close()
		a.SetDeadline(time.Now().Add(10 * time.Second))
		if sc, chans, reqs, err := ssh.NewServerConn(a, scfg); err == nil {
			go ssh.DiscardRequests(reqs)
			go func() {
				for range chans {
				}
			}()
			sc.Wait()
		}
	}()
	b, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	defer b.Close()
	b.SetDeadline(time.Now().Add(10 * time.Second))
	c, _, _, err := ssh.NewClientConn(b, "lab", &ssh.ClientConfig{Config: cfg, User: "x", HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	if err != nil {
		return err
	}
	c.Close()
	return nil
}

// The OpenSSH client sees each host's lists in the server's KEXINIT.
func TestOpenSSHSeesESXiAlgorithmLists(t *testing.T) {
	l := newLab(t, 0)
	for host, want := range map[string]map[string][]string{
		"esx01": {"KEX algorithms": offered(esxi8Kex), "ciphers stoc": offered(esxi8Ciphers), "MACs stoc": offered(esxi8MACs),
			"host key algorithms": {"ecdsa-sha2-nistp256", "rsa-sha2-256", "rsa-sha2-512", "ssh-rsa"}},
		"esx03": {"KEX algorithms": offered(esxi65Kex), "ciphers stoc": offered(esxi65Ciphers), "MACs stoc": offered(esxi65MACs)},
	} {
		o := newOpenSSH(t, l.hosts[host])
		_, stderr, code := o.run("secret", []string{"-vv"}, "true")
		if code != 0 {
			t.Fatalf("%s: ssh -vv: %d\n%s", host, code, stderr)
		}
		got := map[string]string{}
		sc := bufio.NewScanner(strings.NewReader(stderr))
		peer := false
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "peer server KEXINIT proposal") {
				peer = true
				continue
			}
			if peer && strings.HasPrefix(line, "debug2: ") {
				if k, v, ok := strings.Cut(strings.TrimPrefix(line, "debug2: "), ": "); ok {
					got[k] = v
				}
				if strings.HasPrefix(line, "debug2: reserved") {
					break
				}
			}
		}
		for k, names := range want {
			var seen []string
			for _, n := range strings.Split(got[k], ",") {
				if n != "ext-info-s" && !strings.HasPrefix(n, "kex-strict-") {
					seen = append(seen, n)
				}
			}
			if strings.Join(seen, ",") != strings.Join(names, ",") {
				t.Errorf("%s: %s: got %q, want %q", host, k, got[k], strings.Join(names, ","))
			}
		}
		wantIdent := map[string]string{"esx01": "OpenSSH_9.6", "esx03": "OpenSSH_7.5"}[host]
		if !strings.Contains(stderr, "remote software version "+wantIdent) {
			t.Errorf("%s: not %s", host, wantIdent)
		}
	}
}

// ---- FIPS ----------------------------------------------------------------------------

type clientKeys struct {
	ed, ec, rsa ssh.Signer
	file        string
}

func newClientKeys(t *testing.T) clientKeys {
	t.Helper()
	_, edk, _ := ed25519.GenerateKey(rand.Reader)
	eck, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	var k clientKeys
	k.ed, _ = ssh.NewSignerFromKey(edk)
	k.ec, _ = ssh.NewSignerFromKey(eck)
	k.rsa, _ = ssh.NewSignerFromKey(rk)
	k.file = filepath.Join(t.TempDir(), "authorized_keys")
	var b []byte
	for _, s := range []ssh.Signer{k.ed, k.ec, k.rsa} {
		b = append(b, ssh.MarshalAuthorizedKey(s.PublicKey())...)
	}
	if err := os.WriteFile(k.file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return k
}

func startWithKeys(t *testing.T, l *lab, host, authorized string) *Host {
	t.Helper()
	h, err := Start(l.w, host, Config{StateDir: l.dir, User: "root", Password: "secret", AuthorizedKeysFile: authorized, Commands: esxtest.Commands(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// FIPS mode (default on 8.x, off on 6.5; ssh_fips per host) refuses ed25519 client keys
// and takes ECDSA and RSA ones.
func TestFIPSRefusesEd25519ClientKeys(t *testing.T) {
	l := newLab(t, 0)
	k := newClientKeys(t)
	h01, h03 := startWithKeys(t, l, "esx01", k.file), startWithKeys(t, l, "esx03", k.file)
	check := func(h *Host, key ssh.Signer, want bool) {
		t.Helper()
		if err := canLogin(h, ssh.PublicKeys(key)); (err == nil) != want {
			t.Errorf("%s %s key: err=%v, want ok=%v", h.Name(), key.PublicKey().Type(), err, want)
		}
	}
	check(h01, k.ed, false)
	check(h01, k.ec, true)
	check(h01, k.rsa, true)
	check(h03, k.ed, true)
	setSSH(l.w, func(s *world.SSHSettings) { s.FIPS = map[string]bool{"esx01": false, "esx03": true} })
	check(h01, k.ed, true)
	check(h03, k.ed, false)
	check(h03, k.rsa, true)
	// The OpenSSH client, as with the real FIPS host: "Permission denied (publickey,keyboard-interactive)."
	setSSH(l.w, func(s *world.SSHSettings) { s.FIPS = map[string]bool{} })
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	pub, _ := os.ReadFile(keyFile + ".pub")
	f, _ := os.OpenFile(k.file, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(pub)
	f.Close()
	h01b := startWithKeys(t, l, "esx01", k.file)
	o := newOpenSSH(t, h01b)
	if _, stderr, code := o.run("", []string{"-i", keyFile}, "echo ok"); code != 255 ||
		!strings.Contains(stderr, "Permission denied (publickey,keyboard-interactive).") {
		t.Fatalf("ed25519 key on a FIPS host: %d %s", code, stderr)
	}
	setSSH(l.w, func(s *world.SSHSettings) { s.FIPS = map[string]bool{"esx01": false} })
	if out, stderr, code := o.run("", []string{"-i", keyFile}, "echo ok"); code != 0 || out != "ok\n" {
		t.Fatalf("ed25519 key with FIPS off: %d %q %s", code, out, stderr)
	}
}

// ---- sessions per connection ---------------------------------------------------------

// At most 10 session channels per connection (OpenSSH MaxSessions); the 11th is refused
// "administratively prohibited" / "open failed"; closing one frees its slot.
func TestMaxSessionsPerConnection(t *testing.T) {
	l := newLab(t, 0)
	c := l.client(t, "esx01")
	var open []*ssh.Session
	for i := 0; i < 10; i++ {
		s, err := c.NewSession()
		if err != nil {
			t.Fatalf("session %d: %v", i+1, err)
		}
		open = append(open, s)
	}
	_, err := c.NewSession()
	var oce *ssh.OpenChannelError
	if !errors.As(err, &oce) || oce.Reason != ssh.Prohibited || oce.Message != "open failed" {
		t.Fatalf("11th session: %v", err)
	}
	// Another connection has its own ten.
	if r := l.run(t, "esx01", "echo other"); r.stdout != "other\n" {
		t.Fatalf("second connection: %+v", r)
	}
	open[0].Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := c.NewSession()
		if err == nil {
			s.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not freed after a session closed: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// ssh_max_sessions=0: no limit (the old lab).
	setSSH(l.w, func(s *world.SSHSettings) { s.MaxSessions = 0 })
	c2 := l.client(t, "esx01")
	for i := 0; i < 15; i++ {
		if _, err := c2.NewSession(); err != nil {
			t.Fatalf("unlimited: session %d: %v", i+1, err)
		}
	}
}

// ---- TSM-SSH and lockdown (the world's host access state) ----------------------------

func stopped(a world.HostAccess) world.HostAccess       { a.SSHRunning = false; return a }
func running(a world.HostAccess) world.HostAccess       { a.SSHRunning = true; return a }
func refused(err error) bool                            { return errors.Is(err, syscall.ECONNREFUSED) }
func dialTCP(h *Host) (net.Conn, error)                 { return net.DialTimeout("tcp", h.Addr(), 5*time.Second) }
func access(l *lab, host string) world.HostAccess       { return l.w.HostAccess(host) }
func setAccess(l *lab, host string, a world.HostAccess) { l.w.SetHostAccess(host, a) }

// Stopping TSM-SSH refuses new connections on the port; established sessions go on
// (default); starting it listens on the same port again.
func TestSSHServiceStopAndStartOnSamePort(t *testing.T) {
	l := newLab(t, 0)
	h := l.hosts["esx01"]
	addr := h.Addr()
	c := l.client(t, "esx01")
	long := l.start(t, "esx01", "sleep 2; echo survived")
	setAccess(l, "esx01", stopped(access(l, "esx01")))
	if h.Listening() || h.Addr() != addr {
		t.Fatalf("after stop: listening=%v addr=%s (was %s)", h.Listening(), h.Addr(), addr)
	}
	if conn, err := dialTCP(h); !refused(err) {
		if conn != nil {
			conn.Close()
		}
		t.Fatalf("new connection while stopped: %v", err)
	}
	// The established connection still runs commands, and the running one ends normally.
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := s.Output("echo still"); err != nil || string(out) != "still\n" {
		t.Fatalf("established connection after stop: %q %v", out, err)
	}
	var out strings.Builder
	buf := make([]byte, 64)
	for {
		n, err := long.stdout.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if err := long.wait(t); err != nil || out.String() != "survived\n" {
		t.Fatalf("running command across the stop: %q %v", out.String(), err)
	}
	// Started again: the same port takes connections.
	setAccess(l, "esx01", world.HostAccess{SSHRunning: true, SSHPolicy: "on", Lockdown: world.LockdownDisabled})
	if !h.Listening() || h.Addr() != addr || h.ListenError() != nil {
		t.Fatalf("after start: listening=%v addr=%s err=%v", h.Listening(), h.Addr(), h.ListenError())
	}
	if r := l.run(t, "esx01", "echo back"); r.stdout != "back\n" {
		t.Fatalf("after start: %+v", r)
	}
	// Other hosts were not touched.
	if !l.hosts["esx03"].Listening() {
		t.Fatal("esx03 stopped listening")
	}
}

// ssh_stop_drops_sessions: stopping TSM-SSH also ends the established connections.
func TestSSHServiceStopCanDropSessions(t *testing.T) {
	l := newLab(t, 0)
	setSSH(l.w, func(s *world.SSHSettings) { s.StopDropsSessions = true })
	s := l.start(t, "esx01", "sleep 30")
	setAccess(l, "esx01", stopped(access(l, "esx01")))
	if err := s.wait(t); err == nil {
		t.Fatal("session survived the stop")
	}
	setAccess(l, "esx01", running(access(l, "esx01")))
	if r := l.run(t, "esx01", "echo back"); r.stdout != "back\n" {
		t.Fatalf("after start: %+v", r)
	}
}

// A host whose TSM-SSH is stopped before it starts keeps its port closed until started.
func TestHostStartsWithSSHStopped(t *testing.T) {
	l := newLab(t, 0)
	setAccess(l, "esx03", stopped(access(l, "esx03")))
	h, err := Start(l.w, "esx03", Config{StateDir: l.dir, User: "root", Password: "secret", Commands: esxtest.Commands(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.Port() == 0 || h.Listening() {
		t.Fatalf("port %d listening %v", h.Port(), h.Listening())
	}
	if conn, err := dialTCP(h); !refused(err) {
		if conn != nil {
			conn.Close()
		}
		t.Fatalf("connection to a stopped host: %v", err)
	}
	setAccess(l, "esx03", running(access(l, "esx03")))
	if err := canLogin(h, passwordAuth("secret")...); err != nil {
		t.Fatal(err)
	}
	// Close while stopped releases the port.
	setAccess(l, "esx03", stopped(access(l, "esx03")))
	h.Close()
	ln, err := net.Listen("tcp", h.Addr())
	if err != nil {
		t.Fatalf("port still held after Close: %v", err)
	}
	ln.Close()
}

// Lockdown (normal or strict) refuses every login but exception users', by password or
// key, with what OpenSSH shows for any refused login; established sessions go on.
func TestLockdownRefusesNonExceptionUsers(t *testing.T) {
	l := newLab(t, 0)
	k := newClientKeys(t)
	h := startWithKeys(t, l, "esx01", k.file)
	before := l.client(t, "esx01")
	for _, mode := range []string{world.LockdownNormal, world.LockdownStrict} {
		setAccess(l, "esx01", world.HostAccess{SSHRunning: true, SSHPolicy: "on", Lockdown: mode})
		if err := canLogin(h, passwordAuth("secret")...); err == nil {
			t.Errorf("%s: root logged in with a password", mode)
		}
		if err := canLogin(h, ssh.PublicKeys(k.ec)); err == nil {
			t.Errorf("%s: root logged in with a key", mode)
		}
		o := newOpenSSH(t, h)
		if _, stderr, code := o.run("secret", nil, "echo ok"); code != 255 ||
			!strings.Contains(stderr, "Permission denied (publickey,keyboard-interactive).") {
			t.Errorf("%s: OpenSSH: %d %s", mode, code, stderr)
		}
		s, err := before.NewSession()
		if err != nil {
			t.Fatalf("%s: established connection: %v", mode, err)
		}
		if out, err := s.Output("echo still"); err != nil || string(out) != "still\n" {
			t.Errorf("%s: established connection: %q %v", mode, out, err)
		}
		setAccess(l, "esx01", world.HostAccess{SSHRunning: true, SSHPolicy: "on", Lockdown: mode, ExceptionUsers: []string{"svc", "root"}})
		if err := canLogin(h, passwordAuth("secret")...); err != nil {
			t.Errorf("%s: exception user root: %v", mode, err)
		}
		if err := canLogin(h, ssh.PublicKeys(k.ec)); err != nil {
			t.Errorf("%s: exception user root with a key: %v", mode, err)
		}
	}
	setAccess(l, "esx01", world.HostAccess{SSHRunning: true, SSHPolicy: "on", Lockdown: world.LockdownDisabled})
	if err := canLogin(h, passwordAuth("secret")...); err != nil {
		t.Errorf("lockdown disabled: %v", err)
	}
	// Another host is not in lockdown.
	if err := canLogin(l.hosts["esx03"], passwordAuth("secret")...); err != nil {
		t.Errorf("esx03: %v", err)
	}
}

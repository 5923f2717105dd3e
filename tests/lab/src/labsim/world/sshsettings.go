package world

import "strings"

// SSHSettings are the knobs of the hosts' SSH servers (package esx) where real ESXi
// varies between builds, is configurable, or is unverified. Sources are in
// tests/lab/README.md, "Documented behaviour".
type SSHSettings struct {
	// PasswordAuth: whether a host offers the SSH "password" method. "auto" (or ""):
	// hosts from 8.0.1 on do not (PasswordAuthentication is fixed to no there, Broadcom
	// KB 313767) and older ones do (unverified); "true": every host does (the lab's old
	// behaviour); "false": none does. Keyboard-interactive (PAM) is always offered.
	PasswordAuth string `json:"ssh_password_auth"`
	// FIPS: per host, whether its sshd runs in FIPS mode (ed25519 client keys refused).
	// A host not listed takes its version's default: on from 8.0 (vSphere 8.0 STIG
	// ESXI-80-000014: "enabled by default"), off before.
	FIPS map[string]bool `json:"ssh_fips"`
	// MaxSessions: session channels one connection may have open at once (OpenSSH
	// MaxSessions, default 10); 0 = no limit (the lab's old behaviour).
	MaxSessions int `json:"ssh_max_sessions"`
	// StopDropsSessions: stopping TSM-SSH also closes the established connections
	// (default false: they go on, as the vSphere Security guide says of a session
	// open when the SSH availability timeout stops the service).
	StopDropsSessions bool `json:"ssh_stop_drops_sessions"`
	// Algorithms: "esxi" (or ""): each host offers its ESXi version's kex, cipher and
	// MAC lists; "go": x/crypto's defaults (curve25519, chacha20-poly1305, ...: the
	// lab's old behaviour).
	Algorithms string `json:"ssh_algorithms"`
}

// DefaultSSHSettings are the documented behaviour.
func DefaultSSHSettings() SSHSettings {
	return SSHSettings{PasswordAuth: "auto", FIPS: map[string]bool{}, MaxSessions: 10, Algorithms: "esxi"}
}

func (s SSHSettings) clone() SSHSettings {
	f := make(map[string]bool, len(s.FIPS))
	for h, v := range s.FIPS {
		f[h] = v
	}
	s.FIPS = f
	return s
}

// PasswordMethod says whether a host of that ESXi version offers the "password" method.
func (s SSHSettings) PasswordMethod(version string) bool {
	switch strings.ToLower(s.PasswordAuth) {
	case "true":
		return true
	case "false":
		return false
	}
	return VersionBefore(version, "8.0.1")
}

// FIPSMode says whether host (of that ESXi version) runs its sshd in FIPS mode.
func (s SSHSettings) FIPSMode(host, version string) bool {
	if v, ok := s.FIPS[host]; ok {
		return v
	}
	return !VersionBefore(version, "8.0")
}

// VersionBefore compares dotted ESXi versions numerically ("6.5.0" < "8.0.1");
// missing parts count as 0, a non-number as 0.
func VersionBefore(v, than string) bool {
	a, b := strings.Split(v, "."), strings.Split(than, ".")
	for i := 0; i < len(a) || i < len(b); i++ {
		x, y := versionPart(a, i), versionPart(b, i)
		if x != y {
			return x < y
		}
	}
	return false
}

func versionPart(p []string, i int) int {
	if i >= len(p) {
		return 0
	}
	n := 0
	for _, c := range p[i] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

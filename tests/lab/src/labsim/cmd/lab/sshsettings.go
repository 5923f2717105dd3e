package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"labsim/world"
)

// The hosts' SSH settings in GET/POST /settings (world.SSHSettings; sources in
// tests/lab/README.md, "Documented behaviour").

// sshView is embedded in settingsView: its fields appear at the top level.
type sshView struct {
	SSHPasswordAuth      string          `json:"ssh_password_auth"`       // auto, true, false
	SSHFIPS              map[string]bool `json:"ssh_fips"`                // every host's FIPS mode now
	SSHMaxSessions       int             `json:"ssh_max_sessions"`        // 0 = no limit
	SSHStopDropsSessions bool            `json:"ssh_stop_drops_sessions"` // stopping TSM-SSH ends established sessions
	SSHAlgorithms        string          `json:"ssh_algorithms"`          // esxi, go
}

func (l *labRun) sshView(s world.SSHSettings) sshView {
	v := sshView{SSHPasswordAuth: s.PasswordAuth, SSHFIPS: map[string]bool{}, SSHMaxSessions: s.MaxSessions,
		SSHStopDropsSessions: s.StopDropsSessions, SSHAlgorithms: s.Algorithms}
	if v.SSHPasswordAuth == "" {
		v.SSHPasswordAuth = "auto"
	}
	if v.SSHAlgorithms == "" {
		v.SSHAlgorithms = "esxi"
	}
	for _, name := range l.names {
		v.SSHFIPS[name] = s.FIPSMode(name, l.w.Hosts[name].Version)
	}
	return v
}

// applySSHSetting checks and applies one ssh_* setting to s; false when k is not one.
func (l *labRun) applySSHSetting(k, v string, s *world.SSHSettings) (bool, error) {
	switch k {
	case "ssh_password_auth":
		switch strings.ToLower(v) {
		case "auto", "true", "false":
			s.PasswordAuth = strings.ToLower(v)
		default:
			return true, fmt.Errorf("setting ssh_password_auth=%q: want auto, true or false", v)
		}
	case "ssh_fips":
		// NAME=BOOL[,NAME=BOOL...] (the JSON object {"esx01": false} arrives in this form);
		// hosts not named keep their mode.
		fips := map[string]bool{}
		for h, b := range s.FIPS {
			fips[h] = b
		}
		for _, part := range strings.Split(v, ",") {
			name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			b, err := strconv.ParseBool(val)
			if !ok || err != nil {
				return true, fmt.Errorf("setting ssh_fips=%q: want HOST=true|false[,HOST=...]", v)
			}
			if l.hosts[name] == nil {
				names := append([]string(nil), l.names...)
				sort.Strings(names)
				return true, fmt.Errorf("setting ssh_fips=%q: no host %q (hosts: %s)", v, name, strings.Join(names, ", "))
			}
			fips[name] = b
		}
		s.FIPS = fips
	case "ssh_max_sessions":
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 0 || n != float64(int(n)) {
			return true, fmt.Errorf("setting ssh_max_sessions=%q: want a whole number >= 0 (0: no limit)", v)
		}
		s.MaxSessions = int(n)
	case "ssh_stop_drops_sessions":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return true, fmt.Errorf("setting ssh_stop_drops_sessions=%q: want true or false", v)
		}
		s.StopDropsSessions = b
	case "ssh_algorithms":
		switch strings.ToLower(v) {
		case "esxi", "go":
			s.Algorithms = strings.ToLower(v)
		default:
			return true, fmt.Errorf("setting ssh_algorithms=%q: want esxi or go", v)
		}
	default:
		return false, nil
	}
	return true, nil
}

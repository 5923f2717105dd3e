package world

import "sync"

// Host access: whether a host's SSH service (TSM-SSH) runs and whether the host is in
// lockdown mode. vCenter's side (HostServiceSystem, HostAccessManager) changes it; the
// host's SSH server follows it (listener open or closed, logins refused under lockdown).
//
// Sources: "SSH is deactivated by default" (vSphere Security guide 7.0, 8.0); lockdown
// mode (normal or strict) lets only Exception Users log in over SSH (same guide).

// Lockdown modes as vSphere names them (types.HostLockdownMode).
const (
	LockdownDisabled = "lockdownDisabled"
	LockdownNormal   = "lockdownNormal"
	LockdownStrict   = "lockdownStrict"
)

// HostAccess is one host's SSH service state and lockdown mode.
type HostAccess struct {
	SSHRunning     bool     `json:"ssh_running"`     // TSM-SSH running: the SSH listener accepts connections
	SSHPolicy      string   `json:"ssh_policy"`      // TSM-SSH startup policy: "on", "off" or "automatic"
	Lockdown       string   `json:"lockdown"`        // LockdownDisabled, LockdownNormal or LockdownStrict
	ExceptionUsers []string `json:"exception_users"` // users SSH still admits under lockdown
}

// DefaultHostAccess is a host as the lab starts it unless told otherwise: SSH running
// (the lab's tests need it), no lockdown. Real hosts start with SSH stopped; the lab's
// inventory and settings make that choice per host.
func DefaultHostAccess() HostAccess {
	return HostAccess{SSHRunning: true, SSHPolicy: "on", Lockdown: LockdownDisabled}
}

// LoginAllowed says whether user may log in over SSH under a (lockdown admits only
// exception users).
func (a HostAccess) LoginAllowed(user string) bool {
	if a.Lockdown == "" || a.Lockdown == LockdownDisabled {
		return true
	}
	for _, u := range a.ExceptionUsers {
		if u == user {
			return true
		}
	}
	return false
}

type accessTable struct {
	mu        sync.Mutex
	byHost    map[string]HostAccess
	listeners []func(host string, a HostAccess)
}

// HostAccess returns host's access state (DefaultHostAccess until set).
func (w *World) HostAccess(host string) HostAccess {
	w.access.mu.Lock()
	defer w.access.mu.Unlock()
	if a, ok := w.access.byHost[host]; ok {
		a.ExceptionUsers = append([]string(nil), a.ExceptionUsers...)
		return a
	}
	return DefaultHostAccess()
}

// SetHostAccess changes host's access state and tells every listener (outside the
// lock, in registration order), also when nothing changed.
func (w *World) SetHostAccess(host string, a HostAccess) {
	a.ExceptionUsers = append([]string(nil), a.ExceptionUsers...)
	w.access.mu.Lock()
	if w.access.byHost == nil {
		w.access.byHost = map[string]HostAccess{}
	}
	w.access.byHost[host] = a
	ls := append([]func(string, HostAccess){}, w.access.listeners...)
	w.access.mu.Unlock()
	w.truthRecord(map[string]any{"ev": "host-access", "host": host, "ssh_running": a.SSHRunning,
		"lockdown": a.Lockdown})
	for _, fn := range ls {
		fn(host, a)
	}
}

// OnHostAccess registers fn, called after every SetHostAccess.
func (w *World) OnHostAccess(fn func(host string, a HostAccess)) {
	w.access.mu.Lock()
	w.access.listeners = append(w.access.listeners, fn)
	w.access.mu.Unlock()
}

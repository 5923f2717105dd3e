package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"labsim/vc"
	"labsim/world"
)

// /host/{name}/...: a host's SSH service and lockdown mode, changed through the same
// functions as vCenter's HostServiceSystem and HostAccessManager.

type hostAccessView struct {
	Host string `json:"host"`
	world.HostAccess
}

func (l *labRun) handleHost(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/host/"), "/")
	if len(parts) != 2 {
		httpError(w, http.StatusNotFound, fmt.Errorf("want /host/{name}/access, /host/{name}/ssh or /host/{name}/lockdown"))
		return
	}
	name, err := url.PathUnescape(parts[0])
	if err != nil || l.hosts[name] == nil {
		httpError(w, http.StatusNotFound, fmt.Errorf("no host %q (hosts: %s)", parts[0], strings.Join(l.names, ", ")))
		return
	}
	q := r.URL.Query()
	switch op := parts[1]; {
	case op == "access" && r.Method == http.MethodGet:
	case r.Method != http.MethodPost:
		httpError(w, http.StatusMethodNotAllowed, fmt.Errorf("%s needs POST", r.URL.Path))
		return
	case op == "ssh":
		running, err := strconv.ParseBool(q.Get("running"))
		if err != nil {
			httpError(w, http.StatusBadRequest, fmt.Errorf("running=%q: want true or false", q.Get("running")))
			return
		}
		if err := l.vc.SetServiceRunning(name, vc.SSHServiceKey, running); err != nil {
			httpError(w, http.StatusConflict, err)
			return
		}
	case op == "lockdown":
		_, hasExceptions := q["exceptions"]
		if q.Get("mode") == "" && !hasExceptions {
			httpError(w, http.StatusBadRequest, fmt.Errorf("lockdown needs mode=lockdownDisabled|lockdownNormal|lockdownStrict (and/or exceptions=u1,u2)"))
			return
		}
		if m := q.Get("mode"); m != "" {
			if err := l.vc.ChangeLockdownMode(name, m); err != nil {
				httpError(w, http.StatusBadRequest, err)
				return
			}
		}
		if hasExceptions {
			var users []string
			for _, u := range strings.Split(q.Get("exceptions"), ",") {
				if u = strings.TrimSpace(u); u != "" {
					users = append(users, u)
				}
			}
			if err := l.vc.UpdateLockdownExceptions(name, users); err != nil {
				httpError(w, http.StatusBadRequest, err)
				return
			}
		}
	default:
		httpError(w, http.StatusNotFound, fmt.Errorf("no host operation %q (access, ssh, lockdown)", op))
		return
	}
	writeJSON(w, hostAccessView{Host: name, HostAccess: l.w.HostAccess(name)})
}

package vc

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"regexp"
	"strings"

	"github.com/vmware/govmomi/vim25/types"
)

// serveSDK is the /sdk endpoint: with strict_requests it first checks the request
// against the vim25 schema (strict.go) and answers vCenter's InvalidRequest fault
// for one that breaks it; then it routes what the simulator cannot dispatch itself
// and hands the request to the simulator.
func (v *VCenter) serveSDK(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		v.svc.ServeSDK(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	r.Body.Close()
	if err != nil {
		http.Error(w, "reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if v.Options().StrictRequests {
		if rerr := checkRequest(body); rerr != nil {
			log.Printf("strict_requests: rejected: %s\nrequest: %s", strings.ReplaceAll(rerr.Error(), "\n", " | "), body)
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			writeRequestFault(w, rerr)
			return
		}
	}
	body = v.routeLockdown(body)
	body = v.routeDVS(body)
	body = v.routeEventManager(body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	v.svc.ServeSDK(w, r)
}

var (
	lockdownMethod = regexp.MustCompile(`<(?:[\w.-]+:)?(?:Enter|Exit)LockdownMode\b`)
	hostThis       = regexp.MustCompile(`(<(?:[\w.-]+:)?_this\b[^>]*\btype=")HostSystem("[^>]*>)\s*([^<\s]+)\s*(</)`)
)

// routeLockdown sends HostSystem.EnterLockdownMode and ExitLockdownMode (older
// methods of the host itself) to the host's access manager, which implements them
// (access.go): the simulator's HostSystem type cannot be given methods.
func (v *VCenter) routeLockdown(body []byte) []byte {
	if !lockdownMethod.Match(body) {
		return body
	}
	m := hostThis.FindSubmatchIndex(body)
	if m == nil {
		return body
	}
	host := v.hostByRef[types.ManagedObjectReference{Type: "HostSystem", Value: string(body[m[6]:m[7]])}]
	v.access.mu.Lock()
	objs := v.access.objs[host]
	v.access.mu.Unlock()
	if objs == nil {
		return body
	}
	var b strings.Builder
	b.Write(body[:m[2]])
	b.Write(body[m[2]:m[3]])
	b.WriteString("HostAccessManager")
	b.Write(body[m[4]:m[5]])
	b.WriteString(objs.access.Self.Value)
	b.Write(body[m[8]:])
	return []byte(b.String())
}

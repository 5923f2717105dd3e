// The peer of the watch-scale benchmark: a govmomi client (the library govc is built on;
// Debian's golang-github-vmware-govmomi-dev) doing what `govc object.collect -n` does for
// many objects: one PropertyCollector filter over every VM of the lab (the same paths
// vm-capture's watcher follows) and their hosts' config.network.portgroup, read with
// WaitForUpdatesEx through property.WaitForUpdates. It does not tail events (govc
// events is a separate poll); a reset reaches it as the VM's runtime.bootTime change.
//
//	go run main.go LAB_JSON CHANGE_VM     (GOPATH mode: source tests/lab/env.sh)
//
// Prints the same key=value line as vmc_bench_watch: vms, login_ms, sync_ms (filter
// created -> every watched object's initial state received), change_ms (`curl -X POST
// CONTROL/vm/CHANGE_VM/reset` started -> first update about that VM), peak_rss_kb
// (getrusage ru_maxrss).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type labInfo struct {
	VCenter struct {
		URL      string `json:"url"`
		User     string `json:"user"`
		Password string `json:"password"`
		CACert   string `json:"ca_cert"`
	} `json:"vcenter"`
	Control string `json:"control"`
	Hosts   []struct {
		Moref string `json:"moref"`
	} `json:"hosts"`
	VMs []struct {
		Name  string `json:"name"`
		Moref string `json:"moref"`
		Host  string `json:"host"`
	} `json:"vms"`
}

var vmPaths = []string{"name", "runtime.host", "runtime.powerState", "runtime.bootTime", "config.hardware.device"}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", a...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 3 {
		fail("usage: %s LAB_JSON CHANGE_VM", os.Args[0])
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	var lab labInfo
	if err := json.Unmarshal(raw, &lab); err != nil {
		fail("%s: %v", os.Args[1], err)
	}
	ctx := context.Background()

	t0 := time.Now()
	u, err := url.Parse(lab.VCenter.URL)
	if err != nil {
		fail("%v", err)
	}
	sc := soap.NewClient(u, false)
	if err := sc.SetRootCAs(lab.VCenter.CACert); err != nil {
		fail("CA: %v", err)
	}
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		fail("connect: %v", err)
	}
	if err := session.NewManager(c).Login(ctx, url.UserPassword(lab.VCenter.User, lab.VCenter.Password)); err != nil {
		fail("login: %v", err)
	}
	login := time.Since(t0)

	var target types.ManagedObjectReference
	filter := new(property.WaitFilter)
	hosts := map[string]bool{}
	for _, v := range lab.VMs {
		ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: v.Moref}
		filter.Spec.ObjectSet = append(filter.Spec.ObjectSet, types.ObjectSpec{Obj: ref})
		if v.Name == os.Args[2] {
			target = ref
		}
	}
	if target.Value == "" {
		fail("no VM %s in %s", os.Args[2], os.Args[1])
	}
	for _, h := range lab.Hosts {
		if !hosts[h.Moref] {
			hosts[h.Moref] = true
			filter.Spec.ObjectSet = append(filter.Spec.ObjectSet,
				types.ObjectSpec{Obj: types.ManagedObjectReference{Type: "HostSystem", Value: h.Moref}})
		}
	}
	filter.Spec.PropSet = []types.PropertySpec{
		{Type: "VirtualMachine", PathSet: vmPaths},
		{Type: "HostSystem", PathSet: []string{"config.network.portgroup"}},
	}
	want := len(filter.Spec.ObjectSet)

	t0 = time.Now()
	seen := map[types.ManagedObjectReference]bool{}
	var sync, change time.Duration
	var tChange time.Time
	synced := false
	done := make(chan struct{})
	err = property.WaitForUpdates(ctx, property.DefaultCollector(c), filter, func(updates []types.ObjectUpdate) bool {
		if !synced {
			for _, up := range updates {
				seen[up.Obj] = true
			}
			if len(seen) < want || filter.Truncated {
				return false
			}
			synced = true
			sync = time.Since(t0)
			tChange = time.Now()
			go func() {
				cmd := exec.Command("curl", "-sf", "-o", "/dev/null", "-X", "POST", lab.Control+"/vm/"+url.PathEscape(os.Args[2])+"/reset")
				if err := cmd.Run(); err != nil {
					fmt.Fprintf(os.Stderr, "change failed: %v\n", err)
				}
				close(done)
			}()
			return false
		}
		for _, up := range updates {
			if up.Obj == target {
				change = time.Since(tChange)
				return true
			}
		}
		return false
	})
	if err != nil {
		fail("WaitForUpdates: %v", err)
	}
	<-done
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("vms=%d login_ms=%.0f sync_ms=%.0f change_ms=%.0f peak_rss_kb=%d\n",
		len(lab.VMs), ms(login), ms(sync), ms(change), ru.Maxrss)
}

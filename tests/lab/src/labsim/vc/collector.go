package vc

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// labPC replaces the simulator's PropertyCollector. The simulator's WaitForUpdatesEx
// looks for changes on a fixed 250 ms ticker, so every update reaches its client 0 to
// 250 ms late; real vCenter answers as soon as something changes. labPC is woken by
// the update hub (updatehub.go) at every registry change and answers at once, or, with
// the update_batch option (Options.UpdateBatch), on a ticker of that period as the
// simulator does.
//
// The registry's singleton is a labPC, so the per-session copy of the default
// collector (simulator.Session.Get makes it by reflection from the singleton's type)
// is one too, and CreatePropertyCollector makes labPCs. Filters stay the simulator's
// PropertyFilter (Filter lists them); what each filter last sent is kept here.
type labPC struct {
	simulator.PropertyCollector // its nopLocker: calls on a collector run concurrently

	mu      sync.Mutex
	hub     *updateHub // nil on session copies until looked up
	cancel  context.CancelFunc
	waitGen uint64 // which wait `cancel` belongs to

	computeMu sync.Mutex // one update calculation at a time; guards the fields below
	seen      uint64     // hub changes up to this one are accounted for
	version   int
	sent      map[types.ManagedObjectReference]*sentFilter // by filter
}

// installCollector puts a labPC in place of the simulator's PropertyCollector and
// registers the hub for every registry change.
func installCollector(hub *updateHub) {
	si := simulator.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance)
	pc := &labPC{hub: hub}
	pc.Self = si.Content.PropertyCollector
	simulator.Map.Put(pc)
	hub.reg = simulator.Map
	simulator.Map.AddHandler(hub)
}

func (pc *labPC) getHub() *updateHub {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.hub == nil {
		if s, ok := simulator.Map.Get(pc.Self).(*labPC); ok && s != pc {
			s.mu.Lock()
			pc.hub = s.hub
			s.mu.Unlock()
		}
	}
	return pc.hub
}

func (pc *labPC) CreatePropertyCollector(ctx *simulator.Context, c *types.CreatePropertyCollector) soap.HasFault {
	npc := &labPC{hub: pc.getHub()}
	npc.Self.Type = "PropertyCollector" // Session.Put would name it after the Go type
	return &methods.CreatePropertyCollectorBody{
		Res: &types.CreatePropertyCollectorResponse{Returnval: ctx.Session.Put(npc).Reference()}}
}

func (pc *labPC) DestroyPropertyCollector(ctx *simulator.Context, c *types.DestroyPropertyCollector) soap.HasFault {
	pc.CancelWaitForUpdates(&types.CancelWaitForUpdates{This: c.This})
	return pc.PropertyCollector.DestroyPropertyCollector(ctx, c)
}

// CreateFilter wakes a wait in progress: the new filter's objects are news.
func (pc *labPC) CreateFilter(ctx *simulator.Context, c *types.CreateFilter) soap.HasFault {
	res := pc.PropertyCollector.CreateFilter(ctx, c)
	if hub := pc.getHub(); hub != nil {
		hub.poke()
	}
	return res
}

func (pc *labPC) CancelWaitForUpdates(r *types.CancelWaitForUpdates) soap.HasFault {
	pc.mu.Lock()
	if pc.cancel != nil {
		pc.cancel()
	}
	pc.mu.Unlock()
	return &methods.CancelWaitForUpdatesBody{Res: new(types.CancelWaitForUpdatesResponse)}
}

// WaitForUpdatesEx returns the changes since the last update set this collector
// returned (all of the filters' state for an empty version), as soon as there are
// some; nil after MaxWaitSeconds (0: after one calculation); RequestCanceled after
// CancelWaitForUpdates.
func (pc *labPC) WaitForUpdatesEx(ctx *simulator.Context, r *types.WaitForUpdatesEx) soap.HasFault {
	hub := pc.getHub()
	if hub == nil {
		return pc.PropertyCollector.WaitForUpdatesEx(ctx, r)
	}
	body := &methods.WaitForUpdatesExBody{}
	wait, cancel := context.WithCancel(context.Background())
	oneShot := false
	if r.Options != nil && r.Options.MaxWaitSeconds != nil {
		switch max := *r.Options.MaxWaitSeconds; {
		case max == 0:
			oneShot = true
		case max > 0:
			cancel()
			wait, cancel = context.WithTimeout(context.Background(), time.Duration(max)*time.Second)
		}
	}
	pc.mu.Lock()
	pc.waitGen++
	gen := pc.waitGen
	pc.cancel = cancel
	pc.mu.Unlock()
	defer func() {
		pc.mu.Lock()
		if pc.waitGen == gen {
			pc.cancel = nil
		}
		pc.mu.Unlock()
		cancel()
	}()

	if r.Version == "" {
		pc.computeMu.Lock()
		pc.sent = nil // everything is news again
		pc.computeMu.Unlock()
	}
	var tick <-chan time.Time
	if batch := hub.batch(); batch > 0 {
		t := time.NewTicker(batch)
		defer t.Stop()
		tick = t.C
	}
	ended := hub.endSignal()
	computeNow := r.Version == "" || tick == nil
	for {
		var changed <-chan struct{}
		if computeNow {
			set, ch, fault := pc.compute(ctx, hub)
			if fault != nil {
				body.Fault_ = simulator.Fault("", fault)
				return body
			}
			if set != nil || oneShot {
				body.Res = &types.WaitForUpdatesExResponse{Returnval: set}
				return body
			}
			if tick == nil {
				changed = ch
			}
		}
		select {
		case <-wait.Done():
			if wait.Err() == context.Canceled {
				body.Fault_ = simulator.Fault("", new(types.RequestCanceled))
				return body
			}
			body.Res = &types.WaitForUpdatesExResponse{} // MaxWaitSeconds passed: no update set
			return body
		case <-ended:
			body.Fault_ = simulator.Fault("", new(types.RequestCanceled))
			return body
		case <-changed:
			computeNow = true
		case <-tick:
			computeNow = true
		}
	}
}

// compute calculates every filter's update since what was last sent; nil when there
// is none. ch is closed at the next registry change after the calculation started.
func (pc *labPC) compute(ctx *simulator.Context, hub *updateHub) (*types.UpdateSet, <-chan struct{}, types.BaseMethodFault) {
	pc.computeMu.Lock()
	defer pc.computeMu.Unlock()
	chg, ch := hub.since(pc.seen)
	next := map[types.ManagedObjectReference]*sentFilter{}
	set := &types.UpdateSet{}
	for _, ref := range append([]types.ManagedObjectReference(nil), pc.Filter...) {
		f, ok := ctx.Session.Get(ref).(*simulator.PropertyFilter)
		if !ok {
			continue
		}
		sent := pc.sent[ref]
		if !filterNeedsRecompute(sent, f.Spec, chg) {
			next[ref] = sent
			continue
		}
		fu, now, fault := diffFilter(ctx, &pc.PropertyCollector, ref, f.Spec, sent, chg)
		if fault != nil {
			return nil, ch, fault
		}
		next[ref] = now
		if len(fu.ObjectSet) > 0 {
			set.FilterSet = append(set.FilterSet, fu)
		}
	}
	pc.sent = next
	pc.seen = chg.upTo
	if len(set.FilterSet) == 0 {
		return nil, ch, nil
	}
	pc.version++
	set.Version = strconv.Itoa(pc.version)
	return set, ch, nil
}

// WaitForUpdates is the deprecated form (no options: waits until there is an update).
func (pc *labPC) WaitForUpdates(ctx *simulator.Context, r *types.WaitForUpdates) soap.HasFault {
	body := &methods.WaitForUpdatesBody{}
	res := pc.WaitForUpdatesEx(ctx, &types.WaitForUpdatesEx{This: r.This, Version: r.Version})
	if res.Fault() != nil {
		body.Fault_ = res.Fault()
		return body
	}
	body.Res = &types.WaitForUpdatesResponse{}
	if ex := res.(*methods.WaitForUpdatesExBody).Res; ex != nil && ex.Returnval != nil {
		body.Res.Returnval = *ex.Returnval
	}
	return body
}

package vc

import (
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// updateHub is registered with simulator.Map as a RegisterObject handler: it sees
// every object the registry creates (PutObject), changes (UpdateObject, called after
// the change is applied) and removes (RemoveObject), keeps a bounded log of them and
// wakes every waiting property collector (collector.go) at once. Its own moref is
// unique, so it is never replaced by another handler in the registry's handler map
// (the per-session default PropertyCollectors all share one moref).
type updateHub struct {
	mu      sync.Mutex
	seq     uint64               // number of changes seen so far
	log     []hubEntry           // the last len(log) changes, a ring indexed by seq
	changed chan struct{}        // closed (and replaced) at the next change
	taken   bool                 // someone holds `changed`, so the next change must close it
	ended   chan struct{}        // closed (and replaced) to end every wait in progress
	final   bool                 // ended stays closed: the vCenter has stopped
	batch   func() time.Duration // Options.UpdateBatch
	reg     *simulator.Registry  // the registry it is registered with (simulator.Map then)
}

type hubEntry struct {
	seq        uint64
	ref        types.ManagedObjectReference
	props      []string // names of the changed properties (UpdateObject)
	membership bool     // an object was created or removed
}

const hubLogSize = 8192

var hubRef = types.ManagedObjectReference{Type: "LabUpdateHub", Value: "lab-update-hub"}

func newUpdateHub(batch func() time.Duration) *updateHub {
	return &updateHub{log: make([]hubEntry, hubLogSize), changed: make(chan struct{}),
		ended: make(chan struct{}), batch: batch}
}

func (h *updateHub) Reference() types.ManagedObjectReference { return hubRef }

func (h *updateHub) PutObject(o mo.Reference) { h.record(o.Reference(), nil, true) }

func (h *updateHub) UpdateObject(o mo.Reference, changes []types.PropertyChange) {
	names := make([]string, len(changes))
	for i, c := range changes {
		names[i] = c.Name
	}
	h.record(o.Reference(), names, false)
}

// RemoveObject is called before the registry forgets the object, so a collector
// woken now could still see it: record it again once it is gone.
func (h *updateHub) RemoveObject(ref types.ManagedObjectReference) {
	h.record(ref, nil, true)
	go func() {
		for i := 0; i < 2000 && h.reg.Get(ref) != nil; i++ {
			time.Sleep(100 * time.Microsecond)
		}
		h.record(ref, nil, true)
	}()
}

func (h *updateHub) record(ref types.ManagedObjectReference, props []string, membership bool) {
	h.mu.Lock()
	h.seq++
	h.log[h.seq%hubLogSize] = hubEntry{seq: h.seq, ref: ref, props: props, membership: membership}
	if h.taken {
		close(h.changed)
		h.changed = make(chan struct{})
		h.taken = false
	}
	h.mu.Unlock()
}

// poke wakes every waiting collector without a change (a filter was created).
func (h *updateHub) poke() { h.record(hubRef, nil, false) }

// changes is what happened after seq `since`.
type changes struct {
	upTo       uint64                                           // the seq these cover
	overflow   bool                                             // the log lost some: assume anything changed
	membership bool                                             // an object was created or removed
	props      map[types.ManagedObjectReference]map[string]bool // changed objects and property names
}

// since returns the changes after seq `from` and a channel closed at the next change.
func (h *updateHub) since(from uint64) (changes, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := changes{upTo: h.seq, props: map[types.ManagedObjectReference]map[string]bool{}}
	if h.seq-from >= hubLogSize {
		c.overflow = true
	} else {
		for s := from + 1; s <= h.seq; s++ {
			e := h.log[s%hubLogSize]
			if e.ref == hubRef {
				continue
			}
			if e.membership {
				c.membership = true
			}
			m := c.props[e.ref]
			if m == nil {
				m = map[string]bool{}
				c.props[e.ref] = m
			}
			for _, p := range e.props {
				m[p] = true
			}
		}
	}
	h.taken = true
	return c, h.changed
}

// endSignal is closed by the next endWaits.
func (h *updateHub) endSignal() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ended
}

// endWaits ends every wait in progress (RequestCanceled): the vCenter restarts, or
// stops (final: later waits end at once too).
func (h *updateHub) endWaits(final bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.final {
		return
	}
	close(h.ended)
	h.final = final
	if !final {
		h.ended = make(chan struct{})
	}
}

package vc

import (
	"regexp"
	"sort"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// The lab's event collectors. The simulator's EventManager (govmomi 0.24.2) ignores
// EventFilterSpec.type, matches eventTypeId against base classes, has no per-session
// collector limit, and takes its own lock then a collector's when posting but the
// reverse in DestroyCollector and SetCollectorPageSize (a possible hang). The lab
// keeps the simulator's EventManager for posting (every event the simulator or the
// lab posts goes through it and gets its key there), and serves the collectors
// itself:
//
//   - a "spy": one simulator collector with an empty filter and a page of one, whose
//     latestPage update (a registry change) hands every posted event to labEvents;
//   - labEvents keeps the history (every event, in key order) and the collectors;
//   - CreateCollectorForEvents and QueryEvents sent to the EventManager are routed to
//     labEvents (handleSDK rewrites the call's _this, see routeEventManager), which
//     makes eventCollector objects in the caller's session, as vCenter's collectors
//     are ("Event collectors do not persist beyond the current client session");
//   - an eventCollector's methods and its latestPage (read by the PropertyCollector
//     through Get, pushed to WaitForUpdatesEx through the registry's Update) use only
//     labEvents' mutex, never the simulator's locks.
type labEvents struct {
	mo.EventManager // Self is labEventManagerRef: the target of routed calls

	v    *VCenter
	em   types.ManagedObjectReference // the simulator's EventManager (ServiceContent)
	spy  types.ManagedObjectReference
	root types.ManagedObjectReference

	mu         sync.Mutex
	hist       []types.BaseEvent // every event seen, oldest first (keys increase)
	collectors map[types.ManagedObjectReference]*eventCollector
	chaining   bool  // v.post is posting the events of one operation
	chainHead  int32 // key of that operation's first event
	sincePrune int
}

// historyMax bounds the history (vCenter purges old events after event.maxAge);
// when it is exceeded the oldest tenth goes.
const historyMax = 100000

var labEventManagerRef = types.ManagedObjectReference{Type: "EventManager", Value: "LabEventManager"}

// Lock and Unlock are no-ops: the simulator locks a method's object through these
// when they exist; labEvents locks its own state.
func (h *labEvents) Lock()   {}
func (h *labEvents) Unlock() {}

// installEvents puts the lab's event collectors in place (build, after the model
// exists and before the inventory is made, so its events are in the history).
func (v *VCenter) installEvents() error {
	si := simulator.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance)
	h := &labEvents{v: v, em: *si.Content.EventManager, root: si.Content.RootFolder,
		collectors: map[types.ManagedObjectReference]*eventCollector{}}
	h.Self = labEventManagerRef
	em := simulator.Map.EventManager()
	ctx := v.internalContext("")
	var res soap.HasFault
	simulator.Map.WithLock(em, func() {
		// The events posted so far (model creation) enter the history first.
		res = em.CreateCollectorForEvents(ctx, &types.CreateCollectorForEvents{This: h.em,
			Filter: types.EventFilterSpec{MaxCount: maxEventPageSize}})
	})
	body := res.(*methods.CreateCollectorForEventsBody)
	if body.Fault_ != nil {
		return soap.WrapSoapFault(body.Fault_)
	}
	h.spy = body.Res.Returnval
	spy := ctx.Session.Get(h.spy).(*simulator.EventHistoryCollector)
	past := spy.GetLatestPage()
	sort.Slice(past, func(i, j int) bool { return past[i].GetEvent().Key < past[j].GetEvent().Key })
	h.hist = append(h.hist, past...)
	spy.SetCollectorPageSize(ctx, &types.SetCollectorPageSize{This: h.spy, MaxCount: 1})
	simulator.Map.Put(h)
	simulator.Map.AddHandler(h)
	v.events = h
	v.routeEM = regexp.MustCompile(`(<(?:[A-Za-z_][\w.-]*:)?_this\b[^>]*>)\s*` + regexp.QuoteMeta(h.em.Value) +
		`\s*(</(?:[A-Za-z_][\w.-]*:)?_this\s*>)`)
	h.setMaxCollector(v.Options().MaxCollectors())
	return nil
}

// The spy's latestPage update: a new event. The registry calls every handler for
// every change; only the spy's matter here.
func (h *labEvents) PutObject(mo.Reference)                    {}
func (h *labEvents) RemoveObject(types.ManagedObjectReference) {}
func (h *labEvents) UpdateObject(o mo.Reference, changes []types.PropertyChange) {
	if o.Reference() != h.spy {
		return
	}
	for _, c := range changes {
		var page []types.BaseEvent
		switch a := c.Val.(type) {
		case *types.ArrayOfEvent:
			page = a.Event
		case types.ArrayOfEvent:
			page = a.Event
		case []types.BaseEvent:
			page = a
		}
		for _, e := range page {
			h.add(e)
		}
	}
}

// add records a posted event and gives it to every collector whose filter takes it.
// It runs in the posting goroutine, with the simulator's EventManager locked.
func (h *labEvents) add(e types.BaseEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ev := e.GetEvent()
	if n := len(h.hist); n > 0 && h.hist[n-1].GetEvent().Key >= ev.Key {
		return // seen (the spy's page is re-read only after a change, but be sure)
	}
	if h.chaining {
		// The events of one operation share the key of its first event as their
		// chainId ("the parent or group ID", API reference Event.chainId).
		if h.chainHead == 0 {
			h.chainHead = ev.Key
		}
		ev.ChainId = h.chainHead
	}
	h.hist = append(h.hist, e)
	if len(h.hist) > historyMax {
		h.hist = append([]types.BaseEvent(nil), h.hist[len(h.hist)-historyMax*9/10:]...)
	}
	if _, ok := e.(*types.UserLogoutSessionEvent); ok {
		h.sincePrune = 1 << 30 // a session ended: drop its collectors now
	}
	if h.sincePrune++; h.sincePrune > 256 {
		h.pruneLocked()
	}
	opts := h.v.Options()
	for _, c := range h.collectors {
		if c.matches(e, opts) {
			c.page = append(c.page, e)
			if over := len(c.page) - c.size; over > 0 {
				// "the oldest events are removed from the collector to keep the size of
				// the page" (API reference EventHistoryCollector.latestPage)
				c.page = append([]types.BaseEvent(nil), c.page[over:]...)
			}
			c.publishLocked()
		}
	}
	simulator.Map.Update(simulator.Map.EventManager(), []types.PropertyChange{{Name: "latestEvent", Val: e}})
}

// beginChain/endChain bracket the events of one operation (v.post holds the
// simulator's EventManager lock meanwhile, so no other event comes in between).
func (h *labEvents) beginChain() {
	h.mu.Lock()
	h.chaining, h.chainHead = true, 0
	h.mu.Unlock()
}

func (h *labEvents) endChain() {
	h.mu.Lock()
	h.chaining, h.chainHead = false, 0
	h.mu.Unlock()
}

// pruneLocked forgets the collectors of sessions that ended (logout, terminate,
// vCenter restart): their session registry is gone, so nobody can reach them.
func (h *labEvents) pruneLocked() {
	h.sincePrune = 0
	alive := map[string]bool{}
	sm := simulator.Map.SessionManager()
	ctx := h.v.internalContext("")
	for ref, c := range h.collectors {
		ok, seen := alive[c.session]
		if !seen {
			res := sm.SessionIsActive(ctx, &types.SessionIsActive{This: sm.Self, SessionID: c.session, UserName: c.user})
			if b, isBody := res.(*methods.SessionIsActiveBody); isBody && b.Res != nil {
				ok = b.Res.Returnval
			}
			alive[c.session] = ok
		}
		if !ok {
			delete(h.collectors, ref)
		}
	}
}

func (h *labEvents) setMaxCollector(n int) {
	em := simulator.Map.EventManager()
	simulator.Map.WithLock(em, func() {
		simulator.Map.Update(em, []types.PropertyChange{{Name: "maxCollector", Val: int32(n)}})
	})
}

// CreateCollectorForEvents (routed here from the EventManager).
func (h *labEvents) CreateCollectorForEvents(ctx *simulator.Context, req *types.CreateCollectorForEvents) soap.HasFault {
	body := new(methods.CreateCollectorForEventsBody)
	opts := h.v.Options()
	size, fault := pageSize(req.Filter.MaxCount, opts)
	if fault == nil {
		fault = h.checkFilter(req.Filter, opts)
	}
	if fault != nil {
		body.Fault_ = simulator.Fault("", fault)
		return body
	}
	c := &eventCollector{h: h, session: ctx.Session.Key, user: ctx.Session.UserName, spec: req.Filter, size: size}
	c.Self.Type = "EventHistoryCollector" // Session.Put would name it after the Go type
	c.Filter = req.Filter
	ref := ctx.Session.Put(c).Reference() // its reference; nobody knows it yet
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pruneLocked()
	n := 0
	for _, other := range h.collectors {
		if other.session == ctx.Session.Key {
			n++
		}
	}
	if n >= opts.MaxCollectors() {
		ctx.Session.Remove(ref)
		// "InvalidState: Thrown if there are more than the maximum number of event
		// collectors" (API reference EventManager.CreateCollectorForEvents)
		body.Fault_ = simulator.Fault("Too many event collectors in this session", new(types.InvalidState))
		return body
	}
	// Filled and registered under one lock: no event falls between the two.
	c.page = h.matchingLocked(req.Filter, opts, size)
	c.LatestPage = newestFirst(c.page)
	h.collectors[ref] = c
	body.Res = &types.CreateCollectorForEventsResponse{Returnval: ref}
	return body
}

// QueryEvents (routed here): the newest events the filter takes, at most maxCount
// (default: the default page size), newest first, as a collector's latestPage.
func (h *labEvents) QueryEvents(ctx *simulator.Context, req *types.QueryEvents) soap.HasFault {
	body := new(methods.QueryEventsBody)
	opts := h.v.Options()
	size, fault := pageSize(req.Filter.MaxCount, opts)
	if fault == nil {
		fault = h.checkFilter(req.Filter, opts)
	}
	if fault != nil {
		body.Fault_ = simulator.Fault("", fault)
		return body
	}
	h.mu.Lock()
	page := h.matchingLocked(req.Filter, opts, size)
	h.mu.Unlock()
	body.Res = &types.QueryEventsResponse{Returnval: newestFirst(page)}
	return body
}

// matchingLocked is the newest `size` events of the history the filter takes,
// oldest first.
func (h *labEvents) matchingLocked(spec types.EventFilterSpec, opts Options, size int) []types.BaseEvent {
	probe := &eventCollector{h: h, spec: spec}
	var page []types.BaseEvent
	for i := len(h.hist) - 1; i >= 0 && len(page) < size; i-- {
		if probe.matches(h.hist[i], opts) {
			page = append(page, h.hist[i])
		}
	}
	for i, j := 0, len(page)-1; i < j; i, j = i+1, j-1 {
		page[i], page[j] = page[j], page[i]
	}
	return page
}

func pageSize(n int32, opts Options) (int, types.BaseMethodFault) {
	switch {
	case n == 0:
		return opts.PageSize(), nil
	case n < 0 || n > maxEventPageSize:
		return 0, &types.InvalidArgument{InvalidProperty: "maxCount"}
	}
	return int(n), nil
}

func newestFirst(page []types.BaseEvent) []types.BaseEvent {
	out := make([]types.BaseEvent, len(page))
	for i, e := range page {
		out[len(page)-1-i] = e
	}
	return out
}

// eventCollector is one EventHistoryCollector (a session object). Its items are the
// history events its filter takes, oldest first; latestPage is the newest `size` of
// them; the scrollable view's position is `cursor`: the items with a key up to it are
// behind the position (0: before the oldest, where a new collector starts).
type eventCollector struct {
	mo.EventHistoryCollector

	h       *labEvents
	session string
	user    string
	spec    types.EventFilterSpec
	size    int
	page    []types.BaseEvent // the latest page, oldest first
	cursor  int32
}

func (c *eventCollector) Lock()   {}
func (c *eventCollector) Unlock() {}

// Get is what the PropertyCollector reads: a copy made under the lab's lock.
func (c *eventCollector) Get() mo.Reference {
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	m := c.EventHistoryCollector
	m.Filter = c.spec
	m.LatestPage = newestFirst(c.page)
	return &m
}

// publishLocked sends the latest page to the registry's handlers (the property
// collectors' update hub), newest first as the simulator served it: the API
// reference says the page is unordered.
func (c *eventCollector) publishLocked() {
	simulator.Map.Update(c, []types.PropertyChange{{Name: "latestPage", Val: newestFirst(c.page)}})
}

func (c *eventCollector) SetCollectorPageSize(ctx *simulator.Context, req *types.SetCollectorPageSize) soap.HasFault {
	body := new(methods.SetCollectorPageSizeBody)
	opts := c.h.v.Options()
	size, fault := pageSize(req.MaxCount, opts)
	if fault != nil {
		body.Fault_ = simulator.Fault("", fault)
		return body
	}
	c.h.mu.Lock()
	c.size = size
	c.page = c.h.matchingLocked(c.spec, opts, size)
	c.publishLocked()
	c.h.mu.Unlock()
	body.Res = new(types.SetCollectorPageSizeResponse)
	return body
}

// RewindCollector moves the scrollable view to the oldest item.
func (c *eventCollector) RewindCollector(ctx *simulator.Context, req *types.RewindCollector) soap.HasFault {
	c.h.mu.Lock()
	c.cursor = 0
	c.h.mu.Unlock()
	return &methods.RewindCollectorBody{Res: new(types.RewindCollectorResponse)}
}

// ResetCollector moves the scrollable view to the item immediately preceding the
// latest page.
func (c *eventCollector) ResetCollector(ctx *simulator.Context, req *types.ResetCollector) soap.HasFault {
	c.h.mu.Lock()
	switch {
	case len(c.page) > 0:
		c.cursor = c.page[0].GetEvent().Key - 1
	case len(c.h.hist) > 0:
		c.cursor = c.h.hist[len(c.h.hist)-1].GetEvent().Key
	}
	c.h.mu.Unlock()
	return &methods.ResetCollectorBody{Res: new(types.ResetCollectorResponse)}
}

// ReadNextEvents reads up to maxCount items newer than the position, oldest first,
// and moves the position past them; none at the end of the collector.
func (c *eventCollector) ReadNextEvents(ctx *simulator.Context, req *types.ReadNextEvents) soap.HasFault {
	body := &methods.ReadNextEventsBody{}
	if req.MaxCount <= 0 {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "maxCount"})
		return body
	}
	opts := c.h.v.Options()
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	hist := c.h.hist
	i := sort.Search(len(hist), func(i int) bool { return hist[i].GetEvent().Key > c.cursor })
	var out []types.BaseEvent
	for ; i < len(hist) && len(out) < int(req.MaxCount); i++ {
		if c.matches(hist[i], opts) {
			out = append(out, hist[i])
			c.cursor = hist[i].GetEvent().Key
		}
	}
	body.Res = &types.ReadNextEventsResponse{Returnval: out}
	return body
}

// ReadPreviousEvents reads up to maxCount items older than the position, newest
// first, and moves the position before them; none at the head of the collector.
func (c *eventCollector) ReadPreviousEvents(ctx *simulator.Context, req *types.ReadPreviousEvents) soap.HasFault {
	body := &methods.ReadPreviousEventsBody{}
	if req.MaxCount <= 0 {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "maxCount"})
		return body
	}
	opts := c.h.v.Options()
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	hist := c.h.hist
	i := sort.Search(len(hist), func(i int) bool { return hist[i].GetEvent().Key > c.cursor }) - 1
	var out []types.BaseEvent
	for ; i >= 0 && len(out) < int(req.MaxCount); i-- {
		if c.matches(hist[i], opts) {
			out = append(out, hist[i])
			c.cursor = hist[i].GetEvent().Key - 1
		}
	}
	body.Res = &types.ReadPreviousEventsResponse{Returnval: out}
	return body
}

func (c *eventCollector) DestroyCollector(ctx *simulator.Context, req *types.DestroyCollector) soap.HasFault {
	c.h.mu.Lock()
	delete(c.h.collectors, req.This)
	c.h.mu.Unlock()
	ctx.Session.Remove(req.This)
	if hub := c.h.v.hub; hub != nil {
		hub.record(req.This, nil, true) // a property filter watching it sees it leave
	}
	return &methods.DestroyCollectorBody{Res: new(types.DestroyCollectorResponse)}
}

// routeEventManager sends CreateCollectorForEvents and QueryEvents calls on the
// EventManager to labEvents: the simulator looks a method's object up by the call's
// _this, and its EventManager must stay in the registry (it posts every event).
var eventManagerCall = regexp.MustCompile(`<(?:[A-Za-z_][\w.-]*:)?(?:CreateCollectorForEvents|QueryEvents)[\s/>]`)

func (v *VCenter) routeEventManager(body []byte) []byte {
	if v.routeEM != nil && eventManagerCall.Match(body) {
		body = v.routeEM.ReplaceAll(body, []byte("${1}"+labEventManagerRef.Value+"${2}"))
	}
	return body
}

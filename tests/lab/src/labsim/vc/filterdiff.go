package vc

import (
	"sort"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// sentFilter is what one property filter last sent to its client: per object, a
// fingerprint of each property value. nil means nothing was sent (the next update
// is the full state, every object entering).
type sentFilter struct {
	objects map[types.ManagedObjectReference]map[string]fingerprint
}

// filterNeedsRecompute tells whether the changes can alter what the filter reports.
// The simulator's retrieval (collect) reports properties of the objects it reaches
// from the spec's roots by following traversal paths (whatever the object's type), so
// a change matters only if it creates or removes an object, touches a root or an
// object the filter reports, or changes a property named by a traversal path.
func filterNeedsRecompute(sent *sentFilter, spec types.PropertyFilterSpec, ch changes) bool {
	if sent == nil || ch.overflow || ch.membership {
		return true
	}
	roots := map[types.ManagedObjectReference]bool{}
	for _, o := range spec.ObjectSet {
		roots[o.Obj] = true
	}
	paths := traversalPaths(spec)
	for ref, props := range ch.props {
		if roots[ref] || sent.objects[ref] != nil {
			return true
		}
		for p := range props {
			for _, tp := range paths {
				if p == tp || strings.HasPrefix(tp, p+".") || strings.HasPrefix(p, tp+".") {
					return true
				}
			}
		}
	}
	return false
}

func traversalPaths(spec types.PropertyFilterSpec) []string {
	var paths []string
	var walk func([]types.BaseSelectionSpec)
	walk = func(ss []types.BaseSelectionSpec) {
		for _, s := range ss {
			if ts, ok := s.(*types.TraversalSpec); ok {
				paths = append(paths, ts.Path)
				walk(ts.SelectSet)
			}
		}
	}
	for _, o := range spec.ObjectSet {
		walk(o.SelectSet)
	}
	return paths
}

// diffFilter retrieves what the filter's spec selects now and compares it with what
// was sent: objects new to it enter with every property, objects gone leave, and
// objects the changes touched (all of them after a log overflow) are modified with the
// properties whose value differs (a property now unset is assigned no value).
//
// A spec without traversal (vm-capture's: a list of VMs, hosts and its event
// collector) reports exactly its root objects, so only the roots the changes touched
// are retrieved again: one VM's change costs one VM's retrieval, not thousands.
func diffFilter(ctx *simulator.Context, pc *simulator.PropertyCollector, filter types.ManagedObjectReference,
	spec types.PropertyFilterSpec, sent *sentFilter, ch changes) (types.PropertyFilterUpdate, *sentFilter, types.BaseMethodFault) {
	fu := types.PropertyFilterUpdate{Filter: filter}
	spec.ReportMissingObjectsInResults = types.NewBool(true) // a deleted root leaves, it is no fault
	next := &sentFilter{objects: map[types.ManagedObjectReference]map[string]fingerprint{}}
	partial := sent != nil && !ch.overflow && len(traversalPaths(spec)) == 0
	if partial {
		var touched []types.ObjectSpec
		for _, o := range spec.ObjectSet {
			if ch.props[o.Obj] != nil {
				touched = append(touched, o)
			}
		}
		spec.ObjectSet = touched
		for ref, props := range sent.objects {
			if ch.props[ref] == nil {
				next.objects[ref] = props // untouched: as sent
			}
		}
	}
	var objects []types.ObjectContent
	if !partial || len(spec.ObjectSet) > 0 {
		res := pc.RetrievePropertiesEx(ctx, &types.RetrievePropertiesEx{This: pc.Self, SpecSet: []types.PropertyFilterSpec{spec}})
		if f := res.Fault(); f != nil {
			if mf, ok := f.VimFault().(types.BaseMethodFault); ok {
				return fu, sent, mf
			}
			return fu, sent, &types.SystemError{Reason: "retrieving filter " + filter.Value + ": " + f.String}
		}
		if r := res.(*methods.RetrievePropertiesExBody).Res; r != nil && r.Returnval != nil {
			objects = r.Returnval.Objects
		}
	}
	for _, o := range objects {
		if _, dup := next.objects[o.Obj]; dup {
			continue // reached twice (or untouched, kept above)
		}
		var old map[string]fingerprint
		if sent != nil {
			old = sent.objects[o.Obj]
		}
		if old != nil && !ch.overflow && ch.props[o.Obj] == nil {
			next.objects[o.Obj] = old // untouched since last sent
			continue
		}
		now := make(map[string]fingerprint, len(o.PropSet))
		var set []types.PropertyChange
		for _, p := range o.PropSet {
			fp := fingerprintOf(p.Val)
			now[p.Name] = fp
			if prev, ok := old[p.Name]; old == nil || !ok || prev != fp {
				set = append(set, types.PropertyChange{Name: p.Name, Op: types.PropertyChangeOpAssign, Val: p.Val})
			}
		}
		next.objects[o.Obj] = now
		if old == nil {
			fu.ObjectSet = append(fu.ObjectSet, types.ObjectUpdate{Obj: o.Obj, Kind: types.ObjectUpdateKindEnter,
				ChangeSet: set, MissingSet: o.MissingSet})
			continue
		}
		var gone []string
		for name := range old {
			if _, ok := now[name]; !ok {
				gone = append(gone, name)
			}
		}
		sort.Strings(gone)
		for _, name := range gone {
			set = append(set, types.PropertyChange{Name: name, Op: types.PropertyChangeOpAssign})
		}
		if len(set) > 0 {
			fu.ObjectSet = append(fu.ObjectSet, types.ObjectUpdate{Obj: o.Obj, Kind: types.ObjectUpdateKindModify, ChangeSet: set})
		}
	}
	if sent != nil {
		var left []types.ManagedObjectReference
		for ref := range sent.objects {
			if next.objects[ref] == nil {
				left = append(left, ref)
			}
		}
		sort.Slice(left, func(i, j int) bool { return left[i].String() < left[j].String() })
		for _, ref := range left {
			fu.ObjectSet = append(fu.ObjectSet, types.ObjectUpdate{Obj: ref, Kind: types.ObjectUpdateKindLeave})
		}
	}
	return fu, next, nil
}

package vc

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"labsim/world"
)

// VDS port mirroring ("VSPAN") on the lab's distributed switch: ReconfigureDvs_Task
// with VMwareDVSConfigSpec.vspanConfigSpec adds, edits and removes sessions, shown in
// config.vspanSession; configVersion is checked and bumped; bad specs get the faults
// vCenter gives (sources: tests/lab/README.md, "Documented behaviour", and the
// comments below). The bare simulator's ReconfigureDvs_Task only adds and removes
// hosts and ignores configVersion.
//
// The simulator's own code asserts its DistributedVirtualSwitch type in several
// places (VM creation, portgroup destroy, config targets), so the switch object stays
// the simulator's: serveSDK routes ReconfigureDvs_Task for it to vspanHandler (as
// routeLockdown does for the hosts), which runs the task on the switch.

// vspanHandler takes the routed ReconfigureDvs_Task calls of one switch.
type vspanHandler struct {
	Self types.ManagedObjectReference // registered in simulator.Map under this reference
	v    *VCenter
	dvs  types.ManagedObjectReference

	mu      sync.Mutex // one reconfiguration at a time
	nextKey int        // vCenter "generated key" of the next session
}

func (h *vspanHandler) Reference() types.ManagedObjectReference { return h.Self }

// Lock and Unlock are no-ops: the simulator locks a method's object through them;
// the handler serializes with its own mutex and locks the switch itself.
func (h *vspanHandler) Lock()   {}
func (h *vspanHandler) Unlock() {}

// vspanMaxNameLen: a session name longer than 80 characters is refused with
// InvalidArgument (VMware's vcqa test dvs.reconfiguredvs.vspan.Neg013, an 81-character name).
const vspanMaxNameLen = 80

// installVspan registers the handler of the lab's switch (if the inventory has one)
// and gives the switch its first configVersion.
func (v *VCenter) installVspan() error {
	if v.dvsRef.Value == "" {
		return nil
	}
	sw, ok := simulator.Map.Get(v.dvsRef).(*simulator.DistributedVirtualSwitch)
	if !ok {
		return fmt.Errorf("distributed switch %v not in the registry", v.dvsRef)
	}
	simulator.Map.WithLock(sw, func() {
		cfg := *sw.Config.(*types.VMwareDVSConfigInfo)
		cfg.ConfigVersion = "1"
		sw.Config = &cfg
	})
	h := &vspanHandler{v: v, dvs: v.dvsRef, nextKey: 1,
		Self: types.ManagedObjectReference{Type: v.dvsRef.Type, Value: "lab-vspan-" + v.dvsRef.Value}}
	simulator.Map.Put(h)
	v.vspan.route = h.Self
	v.w.SetVspanSessions(DVSName, nil)
	return nil
}

var (
	reconfigureDvsMethod = regexp.MustCompile(`<(?:[\w.-]+:)?ReconfigureDvs_Task\b`)
	dvsThis              = regexp.MustCompile(`(<(?:[\w.-]+:)?_this\b[^>]*\btype=")((?:Vmware)?DistributedVirtualSwitch)("[^>]*>)\s*([^<\s]+)\s*(</)`)
)

// routeDVS sends ReconfigureDvs_Task on the lab's switch to its vspanHandler.
func (v *VCenter) routeDVS(body []byte) []byte {
	if v.vspan.route.Value == "" || !reconfigureDvsMethod.Match(body) {
		return body
	}
	m := dvsThis.FindSubmatchIndex(body)
	if m == nil || string(body[m[8]:m[9]]) != v.dvsRef.Value {
		return body
	}
	var b strings.Builder
	b.Write(body[:m[3]])
	b.WriteString(v.vspan.route.Type)
	b.Write(body[m[6]:m[7]])
	b.WriteString(v.vspan.route.Value)
	b.Write(body[m[10]:])
	return []byte(b.String())
}

// allocDVPort gives a NIC on the distributed portgroup its distributed port key: the
// keys are the switch's port numbers ("0", "1", ...; esxcli shows the same as
// "DVPort ID"), skipping 100..131, the keys of the hosts' uplink ports (build.go).
func (v *VCenter) allocDVPort() string {
	v.vspan.mu.Lock()
	defer v.vspan.mu.Unlock()
	k := v.vspan.nextDVPort
	if k >= 100 && k < 132 {
		k = 132
	}
	v.vspan.nextDVPort = k + 1
	return strconv.Itoa(k)
}

// vspanState is the VCenter's part of port mirroring.
type vspanState struct {
	route      types.ManagedObjectReference // the vspanHandler's reference ("" without a switch)
	mu         sync.Mutex
	nextDVPort int
}

// normalizeVmkIP checks or fills the host's vmk0 address (the i-th host: 127.0.1.i+1).
func (h *HostSpec) normalizeVmkIP(i int) error {
	if h.VmkIP == "" {
		h.VmkIP = fmt.Sprintf("127.0.%d.%d", 1+i/254, 1+i%254)
		return nil
	}
	ip := net.ParseIP(h.VmkIP).To4()
	if ip == nil || ip[0] != 127 {
		return fmt.Errorf("vmk_ip %q is not an IPv4 loopback address (127.0.0.0/8): the lab sends mirrored traffic only there", h.VmkIP)
	}
	h.VmkIP = ip.String()
	return nil
}

// vspanFault is a fault with the localizedMessage vCenter gives it.
type vspanFault struct {
	fault types.BaseMethodFault
	msg   string
}

func vspanInvalid(prop string) *vspanFault {
	// "A specified parameter was not correct: <property>" is vCenter's InvalidArgument
	// message (e.g. "...: ProductSpec.version", ansible-collections/community.vmware
	// issue 576).
	return &vspanFault{&types.InvalidArgument{InvalidProperty: prop}, "A specified parameter was not correct: " + prop}
}

func vspanNotFound() *vspanFault {
	return &vspanFault{&types.NotFound{}, "The object or item referred to could not be found."}
}

func (h *vspanHandler) ReconfigureDvsTask(ctx *simulator.Context, req *types.ReconfigureDvs_Task) soap.HasFault {
	sw, _ := simulator.Map.Get(h.dvs).(*simulator.DistributedVirtualSwitch)
	if sw == nil {
		return &methods.ReconfigureDvs_TaskBody{Fault_: simulator.Fault("", &types.ManagedObjectNotFound{Obj: h.dvs})}
	}
	var failed *vspanFault
	task := simulator.CreateTask(sw, "reconfigureDvs", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		failed = h.reconfigure(ctx, sw, req.Spec)
		if failed != nil {
			return nil, failed.fault
		}
		return nil, nil
	})
	ref := task.Run()
	if failed != nil {
		// Task.Run names the fault's Go type as its message; vCenter says a sentence.
		simulator.Map.Update(task, []types.PropertyChange{{Name: "info.error",
			Val: types.LocalizedMethodFault{Fault: failed.fault, LocalizedMessage: failed.msg}}})
	}
	return &methods.ReconfigureDvs_TaskBody{Res: &types.ReconfigureDvs_TaskResponse{Returnval: ref}}
}

// reconfigure checks the whole spec first and changes nothing when any part fails.
func (h *vspanHandler) reconfigure(ctx *simulator.Context, sw *simulator.DistributedVirtualSwitch, spec types.BaseDVSConfigSpec) *vspanFault {
	h.mu.Lock()
	defer h.mu.Unlock()
	if spec == nil {
		return vspanInvalid("spec")
	}
	base := spec.GetDVSConfigSpec()
	var cur types.VMwareDVSConfigInfo
	simulator.Map.WithLock(sw, func() { cur = *sw.Config.(*types.VMwareDVSConfigInfo) })
	ms := h.v.w.GetSettings().Mirror

	// "configVersion: The version string of the configuration that this spec is
	// trying to change. This property is required in reconfiguring a switch and should
	// be set to the same value as DVSConfigInfo.configVersion" (API reference,
	// DVSConfigSpec); a stale version is ConcurrentAccess "Cannot complete operation due
	// to concurrent modification by another operation." (pyvmomi issue 538, the same
	// check on ReconfigureDVPort_Task).
	if !ms.IgnoreConfigVersion && base.ConfigVersion != cur.ConfigVersion {
		return &vspanFault{&types.ConcurrentAccess{},
			"Cannot complete operation due to concurrent modification by another operation."}
	}

	var specs []types.VMwareDVSVspanConfigSpec
	if vs, ok := spec.(*types.VMwareDVSConfigSpec); ok {
		specs = vs.VspanConfigSpec
	}
	sessions := make([]types.VMwareVspanSession, len(cur.VspanSession))
	copy(sessions, cur.VspanSession)
	ports := h.v.dvPortKeys()
	nextKey := h.nextKey
	keys := make([]string, len(specs)) // the session each spec changed
	for i, s := range specs {
		var f *vspanFault
		sessions, keys[i], f = applyVspanSpec(sessions, s, &nextKey, ports, ms.UniqueNames, sw)
		if f != nil {
			return f
		}
	}

	// Host members: the simulator's own ReconfigureDvs_Task (add/remove).
	if len(base.Host) > 0 {
		var sub types.ManagedObjectReference
		simulator.Map.WithLock(sw, func() {
			res := sw.ReconfigureDvsTask(&types.ReconfigureDvs_Task{This: sw.Self, Spec: &types.DVSConfigSpec{Host: base.Host}})
			sub = res.(*methods.ReconfigureDvs_TaskBody).Res.Returnval
		})
		if t, ok := simulator.Map.Get(sub).(*simulator.Task); ok && t.Info.Error != nil {
			return &vspanFault{t.Info.Error.Fault, t.Info.Error.LocalizedMessage}
		}
	}

	h.nextKey = nextKey
	next := cur
	next.VspanSession = sessions
	n, err := strconv.Atoi(cur.ConfigVersion)
	if err != nil {
		n = 0
	}
	next.ConfigVersion = strconv.Itoa(n + 1)
	simulator.Map.WithLock(sw, func() {
		simulator.Map.Update(sw, []types.PropertyChange{{Name: "config", Val: &next}})
	})
	h.v.w.SetVspanSessions(sw.Name, worldSessions(sessions))
	for i, s := range specs {
		h.v.w.TruthRecord(map[string]any{"ev": "vspan", "dvs": sw.Name, "op": s.Operation, "key": keys[i],
			"name": sessionName(sessions, keys[i], s.VspanSession.Name), "config_version": next.ConfigVersion})
	}
	user := ""
	if ctx != nil && ctx.Session != nil {
		user = ctx.Session.UserName
	}
	h.v.post(user, &types.DvsReconfiguredEvent{DvsEvent: types.DvsEvent{Event: types.Event{
		Datacenter: &types.DatacenterEventArgument{Datacenter: h.v.dc, EntityEventArgument: types.EntityEventArgument{Name: h.v.dcName}},
		Dvs:        &types.DvsEventArgument{Dvs: sw.Self, EntityEventArgument: types.EntityEventArgument{Name: sw.Name}},
	}}, ConfigSpec: spec})
	return nil
}

func sessionName(ss []types.VMwareVspanSession, key, dflt string) string {
	for _, s := range ss {
		if s.Key == key {
			return s.Name
		}
	}
	return dflt
}

// dvPortKeys are the distributed ports of the lab's switch: the portgroup's ports and
// every key given to a NIC.
func (v *VCenter) dvPortKeys() map[string]bool {
	keys := map[string]bool{}
	if pg, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "DistributedVirtualPortgroup", Value: v.dvpgKey}).(*simulator.DistributedVirtualPortgroup); ok {
		simulator.Map.WithLock(pg, func() {
			for _, k := range pg.PortKeys {
				keys[k] = true
			}
		})
	}
	for _, vm := range v.w.VMsSnapshot() {
		for _, n := range vm.Nics {
			if n.DVPort != "" {
				keys[n.DVPort] = true
			}
		}
	}
	return keys
}

var (
	vspanSessionTypes = map[string]bool{"mixedDestMirror": true, "dvPortMirror": true, "remoteMirrorSource": true,
		"remoteMirrorDest": true, "encapsulatedRemoteMirrorSource": true}
	vspanEncapTypes = map[string]bool{"gre": true, "erspan2": true, "erspan3": true}
)

// applyVspanSpec applies one VMwareDVSVspanConfigSpec to sessions (never changed in
// place) and returns the new list and the key of the session it changed, or says what
// vCenter refuses.
func applyVspanSpec(sessions []types.VMwareVspanSession, spec types.VMwareDVSVspanConfigSpec, nextKey *int,
	ports map[string]bool, uniqueNames bool, sw *simulator.DistributedVirtualSwitch) ([]types.VMwareVspanSession, string, *vspanFault) {
	find := func(key string) int {
		for i := range sessions {
			if key != "" && sessions[i].Key == key {
				return i
			}
		}
		return -1
	}
	s := spec.VspanSession
	switch spec.Operation {
	case string(types.ConfigSpecOperationAdd):
		// "key: The generated key as the identifier for the session" (API reference):
		// vCenter chooses it, whatever the spec says.
		s.Key = strconv.Itoa(*nextKey)
		if s.SessionType == "" {
			// "Default value is mixedDestMirror if unspecified in a VSPAN create
			// operation" (API reference, VMwareVspanSession.sessionType).
			s.SessionType = string(types.VMwareDVSVspanSessionTypeMixedDestMirror)
		}
		if s.EncapType == "" && s.SessionType == string(types.VMwareDVSVspanSessionTypeEncapsulatedRemoteMirrorSource) {
			// "Default value is encapProtocolGRE if unspecified in a VSPAN create
			// operation" (API reference, encapType).
			s.EncapType = string(types.VMwareDVSVspanSessionEncapTypeGre)
		}
		if f := checkVspanSession(s, sessions, -1, ports, uniqueNames, sw); f != nil {
			return sessions, "", f
		}
		*nextKey++
		return append(append([]types.VMwareVspanSession(nil), sessions...), s), s.Key, nil
	case string(types.ConfigSpecOperationEdit):
		if s.Key == "" {
			return sessions, "", vspanInvalid("vspanSession.key") // vcqa vspan.Neg011: edit without a key
		}
		i := find(s.Key)
		if i < 0 {
			return sessions, "", vspanNotFound() // vcqa vspan.Neg012, portmirror.Neg006: an unknown key
		}
		merged := mergeVspanSession(sessions[i], s)
		if f := checkVspanSession(merged, sessions, i, ports, uniqueNames, sw); f != nil {
			return sessions, "", f
		}
		out := append([]types.VMwareVspanSession(nil), sessions...)
		out[i] = merged
		return out, s.Key, nil
	case string(types.ConfigSpecOperationRemove):
		i := find(s.Key)
		if i < 0 {
			return sessions, "", vspanNotFound() // vcqa vspan.Neg027: remove with an invalid or no key
		}
		out := append([]types.VMwareVspanSession(nil), sessions[:i]...)
		return append(out, sessions[i+1:]...), s.Key, nil
	default:
		return sessions, "", vspanInvalid("operation") // vcqa vspan.Neg004, portmirror.Neg019
	}
}

// mergeVspanSession is an edit: what the spec sets replaces the session's value
// (vcqa's expected result merges the edit spec into the session); the booleans that
// are not optional in the schema always replace.
func mergeVspanSession(old, s types.VMwareVspanSession) types.VMwareVspanSession {
	m := old
	if s.Name != "" {
		m.Name = s.Name
	}
	if s.Description != "" {
		m.Description = s.Description
	}
	m.Enabled, m.StripOriginalVlan, m.NormalTrafficAllowed = s.Enabled, s.StripOriginalVlan, s.NormalTrafficAllowed
	if s.SourcePortTransmitted != nil {
		m.SourcePortTransmitted = s.SourcePortTransmitted
	}
	if s.SourcePortReceived != nil {
		m.SourcePortReceived = s.SourcePortReceived
	}
	if s.DestinationPort != nil {
		m.DestinationPort = s.DestinationPort
	}
	if s.EncapsulationVlanId != 0 {
		m.EncapsulationVlanId = s.EncapsulationVlanId
	}
	if s.MirroredPacketLength != 0 {
		m.MirroredPacketLength = s.MirroredPacketLength
	}
	if s.SessionType != "" {
		m.SessionType = s.SessionType
	}
	if s.SamplingRate != 0 {
		m.SamplingRate = s.SamplingRate
	}
	if s.EncapType != "" {
		m.EncapType = s.EncapType
	}
	if s.ErspanId != 0 {
		m.ErspanId = s.ErspanId
	}
	if s.ErspanCOS != 0 {
		m.ErspanCOS = s.ErspanCOS
	}
	if s.ErspanGraNanosec != nil {
		m.ErspanGraNanosec = s.ErspanGraNanosec
	}
	if s.Netstack != "" {
		m.Netstack = s.Netstack
	}
	return m
}

func emptyPort(p *types.VMwareVspanPort) bool {
	return p == nil || len(p.PortKey)+len(p.UplinkPortName)+len(p.WildcardPortConnecteeType)+len(p.Vlans)+len(p.IpAddress) == 0
}

// checkVspanSession checks one session as it would be after the change; self is its
// index in sessions (-1 for an added one).
func checkVspanSession(s types.VMwareVspanSession, sessions []types.VMwareVspanSession, self int,
	ports map[string]bool, uniqueNames bool, sw *simulator.DistributedVirtualSwitch) *vspanFault {
	if len([]rune(s.Name)) > vspanMaxNameLen {
		return vspanInvalid("vspanSession.name")
	}
	if uniqueNames {
		for i, o := range sessions {
			if i != self && o.Name == s.Name {
				return &vspanFault{&types.DuplicateName{Name: s.Name, Object: sw.Self},
					fmt.Sprintf("The name '%s' already exists.", s.Name)}
			}
		}
	}
	// An unknown sessionType is InvalidArgument (vcqa portmirror.Neg004, and Neg020 on
	// an edit); so is an unknown encapType (lab's assumption, as for sessionType).
	if !vspanSessionTypes[s.SessionType] {
		return vspanInvalid("vspanSession.sessionType")
	}
	if s.EncapType != "" && !vspanEncapTypes[s.EncapType] {
		return vspanInvalid("vspanSession.encapType")
	}
	// "samplingRate: ... Valid values are between 1 to 65535, and default value is 1"
	// (API reference); vcqa portmirror.Neg001: -1, 0 and 65536 refused, and any
	// sampling rate on a mixedDestMirror session.
	if s.SamplingRate != 0 && (s.SamplingRate < 1 || s.SamplingRate > 65535) {
		return vspanInvalid("vspanSession.samplingRate")
	}
	if s.SessionType == "mixedDestMirror" && s.SamplingRate > 1 {
		return vspanInvalid("vspanSession.samplingRate")
	}
	// "mirroredPacketLength: ... If unset, all of the frame would be mirrored ... The
	// value cannot be less than 60" (API reference); vcqa portmirror.Neg009: -1 means
	// all, [*,-2] and [0,60) are refused (0 is also "unset" on the wire here).
	if l := s.MirroredPacketLength; l < -1 || (l > 0 && l < 60) {
		return vspanInvalid("vspanSession.mirroredPacketLength")
	}
	// erspanId "Valid values are between 0 to 0x3ff", erspanCOS "between 0 to 7"
	// (API reference); the fault for values outside is the lab's assumption.
	if s.ErspanId < 0 || s.ErspanId > 0x3ff {
		return vspanInvalid("vspanSession.erspanId")
	}
	if s.ErspanCOS < 0 || s.ErspanCOS > 7 {
		return vspanInvalid("vspanSession.erspanCOS")
	}
	if s.EncapsulationVlanId < 0 || s.EncapsulationVlanId > 4094 {
		return vspanInvalid("vspanSession.encapsulationVlanId") // vcqa vspan.Neg023, portmirror.Neg008
	}
	if f := checkVspanPorts(s, ports); f != nil {
		return f
	}
	return checkVspanConflicts(s, sessions, self)
}

// checkVspanPorts: what each session type takes as source and destination (API
// reference, VMwareVspanSession: "encapRemoteMirrorSource | Distributed Ports | IP
// address" and the rest of its table); fields a type does not use are refused with
// InvalidArgument (vcqa portmirror.Neg011..Neg018, "useless fields"; Neg013: an
// encapsulationVlanId on a remote mirror source of another kind; vspan.Neg018/019:
// uplinkPortName as a source).
func checkVspanPorts(s types.VMwareVspanSession, ports map[string]bool) *vspanFault {
	tx, rx, dst := s.SourcePortTransmitted, s.SourcePortReceived, s.DestinationPort
	onlyPortKeys := func(name string, p *types.VMwareVspanPort) *vspanFault {
		if p == nil {
			return nil
		}
		if len(p.UplinkPortName) > 0 {
			return vspanInvalid(name + ".uplinkPortName")
		}
		if len(p.Vlans) > 0 {
			return vspanInvalid(name + ".vlans")
		}
		if len(p.IpAddress) > 0 {
			return vspanInvalid(name + ".ipAddress")
		}
		return nil
	}
	// Wildcards: "A fault will be raised if wildcards are specified as destination
	// ports or source ports mirroring traffic on the transmit side" (API reference,
	// VMwareVspanPort.wildcardPortConnecteeType).
	if tx != nil && len(tx.WildcardPortConnecteeType) > 0 {
		return vspanInvalid("vspanSession.sourcePortTransmitted.wildcardPortConnecteeType")
	}
	if dst != nil && len(dst.WildcardPortConnecteeType) > 0 {
		return vspanInvalid("vspanSession.destinationPort.wildcardPortConnecteeType")
	}
	switch s.SessionType {
	case "remoteMirrorDest":
		// Source: VLANs (received side only); destination: distributed ports.
		if !emptyPort(tx) {
			return vspanInvalid("vspanSession.sourcePortTransmitted")
		}
		if rx != nil && (len(rx.PortKey)+len(rx.UplinkPortName)+len(rx.IpAddress) > 0) {
			return vspanInvalid("vspanSession.sourcePortReceived")
		}
		for _, vl := range vlansOf(rx) {
			if vl < 1 || vl > 4094 {
				return vspanInvalid("vspanSession.sourcePortReceived.vlans") // vcqa portmirror.Neg003
			}
		}
	default:
		if f := onlyPortKeys("vspanSession.sourcePortTransmitted", tx); f != nil {
			return f
		}
		if f := onlyPortKeys("vspanSession.sourcePortReceived", rx); f != nil {
			return f
		}
	}
	if dst != nil {
		switch s.SessionType {
		case "encapsulatedRemoteMirrorSource":
			if len(dst.PortKey) > 0 || len(dst.UplinkPortName) > 0 || len(dst.Vlans) > 0 {
				return vspanInvalid("vspanSession.destinationPort")
			}
			// An address that is not an IP address is refused (vcqa portmirror.Neg002:
			// "10.111", "2011:1", "10.1.1.1.1": InvalidArgument or DvsOperationBulkFault).
			for _, a := range dst.IpAddress {
				if net.ParseIP(a) == nil {
					return vspanInvalid("vspanSession.destinationPort.ipAddress")
				}
			}
		case "remoteMirrorSource":
			if len(dst.PortKey) > 0 || len(dst.IpAddress) > 0 || len(dst.Vlans) > 0 {
				return vspanInvalid("vspanSession.destinationPort")
			}
		case "mixedDestMirror":
			if len(dst.IpAddress) > 0 || len(dst.Vlans) > 0 {
				return vspanInvalid("vspanSession.destinationPort")
			}
		default: // dvPortMirror, remoteMirrorDest
			if len(dst.UplinkPortName) > 0 || len(dst.IpAddress) > 0 || len(dst.Vlans) > 0 {
				return vspanInvalid("vspanSession.destinationPort")
			}
		}
	}
	if s.SessionType == "encapsulatedRemoteMirrorSource" && s.EncapsulationVlanId != 0 {
		// vcqa portmirror.Neg008 (test 004): an encapsulation VLAN on an encapsulated
		// remote mirror source is refused.
		return vspanInvalid("vspanSession.encapsulationVlanId")
	}
	// Unknown distributed ports are NotFound (vcqa vspan.Neg014/015/020: an invalid
	// port key for Tx, Rx or the destination), and so are unknown uplink names
	// (vspan.Neg022).
	for _, p := range []*types.VMwareVspanPort{tx, rx, dst} {
		if p == nil {
			continue
		}
		for _, k := range p.PortKey {
			if !ports[k] {
				return vspanNotFound()
			}
		}
		for _, u := range p.UplinkPortName {
			if u != "uplink1" && u != "uplink2" && u != "lag1-0" && u != "lag1-1" {
				return vspanNotFound()
			}
		}
	}
	return nil
}

func vlansOf(p *types.VMwareVspanPort) []int32 {
	if p == nil {
		return nil
	}
	return p.Vlans
}

func portKeys(p *types.VMwareVspanPort) []string {
	if p == nil {
		return nil
	}
	return p.PortKey
}

// checkVspanConflicts: "In a session, a port cannot be both a Source and a
// Destination. A port cannot be a destination for more than one session" (vSphere
// Networking guide, port mirroring caveats); faults VspanSameSessionPortConflict,
// VspanPortConflict ("Thrown if a DistributedVirtualPort appears in both the
// transmitted source and destination ports of any Distributed Port Mirroring
// session", API reference) and VspanDestPortConflict (vcqa vspan.Neg008, Neg009, Neg032).
func checkVspanConflicts(s types.VMwareVspanSession, sessions []types.VMwareVspanSession, self int) *vspanFault {
	dst := map[string]bool{}
	for _, k := range portKeys(s.DestinationPort) {
		dst[k] = true
	}
	for _, k := range append(append([]string(nil), portKeys(s.SourcePortTransmitted)...), portKeys(s.SourcePortReceived)...) {
		if dst[k] {
			return &vspanFault{&types.VspanSameSessionPortConflict{VspanSessionKey: s.Key, PortKey: k},
				fmt.Sprintf("Port %s is both a source and a destination of port mirroring session %s.", k, s.Key)}
		}
	}
	for i, o := range sessions {
		if i == self {
			continue
		}
		for _, k := range portKeys(o.DestinationPort) {
			if dst[k] {
				return &vspanFault{&types.VspanDestPortConflict{VspanSessionKey1: s.Key, VspanSessionKey2: o.Key, PortKey: k},
					fmt.Sprintf("Port %s is a destination of port mirroring sessions %s and %s.", k, s.Key, o.Key)}
			}
		}
		osrc := append(append([]string(nil), portKeys(o.SourcePortTransmitted)...), portKeys(o.SourcePortReceived)...)
		for _, k := range osrc {
			if dst[k] {
				return &vspanFault{&types.VspanPortConflict{VspanSessionKey1: s.Key, VspanSessionKey2: o.Key, PortKey: k},
					fmt.Sprintf("Port %s is a source of port mirroring session %s and a destination of session %s.", k, o.Key, s.Key)}
			}
		}
		odst := map[string]bool{}
		for _, k := range portKeys(o.DestinationPort) {
			odst[k] = true
		}
		for _, k := range append(append([]string(nil), portKeys(s.SourcePortTransmitted)...), portKeys(s.SourcePortReceived)...) {
			if odst[k] {
				return &vspanFault{&types.VspanPortConflict{VspanSessionKey1: s.Key, VspanSessionKey2: o.Key, PortKey: k},
					fmt.Sprintf("Port %s is a source of port mirroring session %s and a destination of session %s.", k, s.Key, o.Key)}
			}
		}
	}
	return nil
}

// worldSessions is what the mirror's data plane needs of the sessions, defaults filled.
func worldSessions(ss []types.VMwareVspanSession) []world.VspanSession {
	out := make([]world.VspanSession, 0, len(ss))
	for _, s := range ss {
		ws := world.VspanSession{Key: s.Key, Name: s.Name, Enabled: s.Enabled, Type: s.SessionType,
			Encap: s.EncapType, ErspanID: int(s.ErspanId), COS: int(s.ErspanCOS),
			GraNanosec: s.ErspanGraNanosec != nil && *s.ErspanGraNanosec, MirroredLen: int(s.MirroredPacketLength),
			SamplingRate: int(s.SamplingRate), Transmitted: portKeys(s.SourcePortTransmitted),
			Received: portKeys(s.SourcePortReceived)}
		if ws.SamplingRate == 0 {
			ws.SamplingRate = 1
		}
		if ws.Encap == "" {
			ws.Encap = "gre"
		}
		if s.DestinationPort != nil {
			ws.DestIPs = append([]string(nil), s.DestinationPort.IpAddress...)
		}
		sort.Strings(ws.Transmitted)
		sort.Strings(ws.Received)
		out = append(out, ws)
	}
	return out
}

// ReconfigureVspan applies port mirroring specs to the lab's switch through the same
// code as a client's ReconfigureDvs_Task (the current configVersion is given), as the
// lab's user; it returns the keys of the sessions the specs changed, or vCenter's
// fault as an error (the control endpoint's POST /mirror/session uses it).
func (v *VCenter) ReconfigureVspan(specs []types.VMwareDVSVspanConfigSpec) ([]string, error) {
	obj, _ := simulator.Map.Get(v.vspan.route).(*vspanHandler)
	sw, _ := simulator.Map.Get(v.dvsRef).(*simulator.DistributedVirtualSwitch)
	if obj == nil || sw == nil {
		return nil, fmt.Errorf("the inventory has no distributed switch")
	}
	var version string
	simulator.Map.WithLock(sw, func() { version = sw.Config.GetDVSConfigInfo().ConfigVersion })
	before := map[string]bool{}
	for _, s := range v.w.VspanSessions() {
		before[s.Key] = true
	}
	spec := &types.VMwareDVSConfigSpec{DVSConfigSpec: types.DVSConfigSpec{ConfigVersion: version}, VspanConfigSpec: specs}
	if f := obj.reconfigure(v.internalContext(v.cfg.User), sw, spec); f != nil {
		return nil, fmt.Errorf("%s", f.msg)
	}
	var keys []string
	for _, s := range specs {
		if s.Operation != string(types.ConfigSpecOperationAdd) {
			keys = append(keys, s.VspanSession.Key)
		}
	}
	for _, s := range v.w.VspanSessions() {
		if !before[s.Key] {
			keys = append(keys, s.Key)
		}
	}
	return keys, nil
}

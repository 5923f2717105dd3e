package mirror

import (
	"math/rand"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"labsim/world"
)

// Engine watches the world's frames and sends the mirrored copies. Per host and
// session (and destination) the copies carry their own GRE sequence numbers,
// "increments per packet per session" (include/net/erspan.h); a copy lost on the way
// (setting mirror_loss) has used its number, so the collector sees the gap.
type Engine struct {
	w    *world.World
	send Sender
	sub  *world.Subscription

	watched atomic.Pointer[map[string]bool] // dvport keys some enabled L3 session mirrors

	mu       sync.Mutex
	sessions []world.VspanSession
	st       world.Settings // refreshed by the loop
	seq      map[flowKey]uint32
	seen     map[flowKey]uint64 // frames per host and session, for samplingRate
	held     map[string]*pending
	rng      *rand.Rand

	stats Stats
	stop  chan struct{}
	done  chan struct{}
}

// Stats counts what the engine did with mirrored copies.
type Stats struct {
	Sent      uint64 `json:"sent"`
	Lost      uint64 `json:"lost"`      // mirror_loss
	Blocked   uint64 `json:"blocked"`   // destination outside 127.0.0.0/8
	Unsent    uint64 `json:"unsent"`    // the send failed (no raw socket)
	Reordered uint64 `json:"reordered"` // mirror_reorder
	Overflow  uint64 `json:"overflow"`  // frames the engine could not take in time
}

type flowKey struct{ host, session, dst string }

type pending struct {
	at       time.Time
	src, dst net.IP
	gre      []byte
	rec      *copyRecord
}

// copyRecord is a mirrored copy's truth.jsonl record (tests/lab/README.md, "VDS port
// mirroring").
type copyRecord struct {
	T           int64   `json:"t"` // the frame's true time
	Ev          string  `json:"ev"`
	Host        string  `json:"host"`
	Src         string  `json:"src"`
	Dst         string  `json:"dst"`
	DVS         string  `json:"dvs"`
	Session     string  `json:"session"`
	SessionName string  `json:"session_name"`
	Encap       string  `json:"encap"`
	ErspanID    int     `json:"erspan_id"`
	DVPort      string  `json:"dvport"`
	Port        int64   `json:"port"`
	Dir         int     `json:"dir"`
	VM          string  `json:"vm"`
	MAC         string  `json:"mac"`
	Kind        string  `json:"kind"`
	Seq         uint64  `json:"seq"`
	GreSeq      *uint32 `json:"gre_seq,omitempty"` // none on the wire with mirror_gre_header=plain
	Len         int     `json:"len"`
	MirroredLen int     `json:"mirrored_len"`
	Truncated   bool    `json:"truncated"`
	Timestamp   *uint32 `json:"timestamp,omitempty"` // erspan3
	Gra         *int    `json:"gra,omitempty"`       // erspan3
	Index       *uint32 `json:"index,omitempty"`     // erspan2
	Fate        string  `json:"fate"`                // sent, lost, blocked, unsent
	Why         string  `json:"why,omitempty"`
	Reordered   bool    `json:"reordered,omitempty"`
	SentT       int64   `json:"sent_t,omitempty"`
}

// frameBuffer is how many frames may wait for the engine; beyond, frames are not
// mirrored and counted (Stats.Overflow, truth record "mirror-overflow").
const frameBuffer = 1 << 16

// holdMax is the longest a reordered copy waits for its host's next copy.
const holdMax = 50 * time.Millisecond

// Start runs the engine until Close.
func Start(w *world.World, s Sender) *Engine {
	e := &Engine{w: w, send: s, seq: map[flowKey]uint32{}, seen: map[flowKey]uint64{},
		held: map[string]*pending{}, rng: rand.New(rand.NewSource(1)), stop: make(chan struct{}), done: make(chan struct{})}
	empty := map[string]bool{}
	e.watched.Store(&empty)
	e.st = w.GetSettings()
	w.OnVspan(e.reload)
	e.reload()
	e.sub = w.Subscribe(frameBuffer, func(f *world.Frame) bool {
		return f.DVPort != "" && (*e.watched.Load())[f.DVPort]
	})
	go e.loop()
	return e
}

// Transport says how copies leave ("raw-socket", or "none: why").
func (e *Engine) Transport() string { return e.send.Transport() }

// Stats returns the counters so far.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.stats
	s.Overflow = e.w.DroppedFrames(e.sub)
	return s
}

// Close stops the engine; held copies are sent first.
func (e *Engine) Close() {
	select {
	case <-e.stop:
		return
	default:
	}
	close(e.stop)
	<-e.done
	e.w.Unsubscribe(e.sub)
	e.send.Close()
}

func (e *Engine) reload() {
	ss := e.w.VspanSessions()
	watched := map[string]bool{}
	for _, s := range ss {
		if !s.Enabled || s.Type != "encapsulatedRemoteMirrorSource" {
			continue
		}
		for _, k := range s.Transmitted {
			watched[k] = true
		}
		for _, k := range s.Received {
			watched[k] = true
		}
	}
	e.mu.Lock()
	e.sessions = ss
	e.mu.Unlock()
	e.watched.Store(&watched)
}

func (e *Engine) loop() {
	defer close(e.done)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var lastDropped uint64
	for {
		select {
		case <-e.stop:
			e.mu.Lock()
			e.flushHeld(time.Time{})
			e.mu.Unlock()
			return
		case f := <-e.sub.C:
			e.handle(f)
		case now := <-tick.C:
			st := e.w.GetSettings()
			e.mu.Lock()
			e.st = st
			e.flushHeld(now.Add(-holdMax))
			e.mu.Unlock()
			if d := e.w.DroppedFrames(e.sub); d != lastDropped {
				e.w.TruthRecord(map[string]any{"ev": "mirror-overflow", "frames": d - lastDropped})
				lastDropped = d
			}
		}
	}
}

// flushHeld sends every held copy held since before cutoff (zero: all).
func (e *Engine) flushHeld(cutoff time.Time) {
	for host, p := range e.held {
		if cutoff.IsZero() || p.at.Before(cutoff) {
			delete(e.held, host)
			e.emit(p, true)
		}
	}
}

func (e *Engine) handle(f *world.Frame) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.sessions {
		if !s.Enabled || s.Type != "encapsulatedRemoteMirrorSource" {
			continue
		}
		// Dir 0 = the frame came from the VM into the switch: the port received it
		// (ingress); Dir 1 = the port transmitted it to the VM (egress).
		srcs := s.Received
		if f.Dir == 1 {
			srcs = s.Transmitted
		}
		if !contains(srcs, f.DVPort) {
			continue
		}
		fk := flowKey{host: f.Host, session: s.Key}
		e.seen[fk]++
		if s.SamplingRate > 1 && (e.seen[fk]-1)%uint64(s.SamplingRate) != 0 {
			continue // "one of every n packets is mirrored" (API reference, samplingRate)
		}
		for _, d := range s.DestIPs {
			e.copyTo(f, s, d)
		}
	}
}

func contains(l []string, k string) bool {
	for _, x := range l {
		if x == k {
			return true
		}
	}
	return false
}

// copyTo makes and sends (or loses, holds or refuses) one copy of f for session s
// and destination dst.
func (e *Engine) copyTo(f *world.Frame, s world.VspanSession, dst string) {
	ms := e.st.Mirror
	src := net.ParseIP(e.w.HostVmkIP(f.Host)).To4()
	fk := flowKey{host: f.Host, session: s.Key, dst: dst}
	e.seq[fk]++
	data := f.Data
	truncated := false
	if s.MirroredLen > 0 && len(data) > s.MirroredLen {
		data, truncated = data[:s.MirroredLen], true
	}
	h := Header{Encap: s.Encap, GREHeader: ms.GREHeader, Seq: e.seq[fk], Key: uint32(s.ErspanID),
		SessionID: s.ErspanID, COS: s.COS, Truncated: truncated, OrigLen: len(f.Data), Egress: f.Dir == 1}
	port, _ := strconv.ParseUint(f.DVPort, 10, 32)
	h.Index = uint32(port) & 0xfffff
	rec := &copyRecord{T: f.Time.UnixNano(), Ev: "mirror", Host: f.Host, Src: src.String(), Dst: dst, DVS: s.DVS,
		Session: s.Key, SessionName: s.Name, Encap: s.Encap, ErspanID: s.ErspanID, DVPort: f.DVPort, Port: f.Port,
		Dir: f.Dir, VM: f.VM, MAC: f.MAC, Kind: f.Kind, Seq: f.Seq, Len: len(f.Data), MirroredLen: len(data),
		Truncated: truncated}
	if !(s.Encap == "gre" && ms.GREHeader == "plain") { // else nothing on the wire carries it
		seq := h.Seq
		rec.GreSeq = &seq
	}
	if s.Encap == "erspan3" {
		if s.GraNanosec {
			h.Gra = 1
		}
		// The host's clock stamps the copy: a skewed host (clock_skew) is off here too.
		h.Timestamp = Erspan3Timestamp(f.Time.Add(e.st.ClockSkew[f.Host]), h.Gra, ms.Erspan3Ticks)
		ts, gra := h.Timestamp, h.Gra
		rec.Timestamp, rec.Gra = &ts, &gra
		if ms.Erspan3Subheader {
			h.Subheader, h.PlatformID, h.PlatInfo = true, 3, uint64(port)
		}
	}
	if s.Encap == "erspan2" {
		idx := h.Index
		rec.Index = &idx
	}
	p := &pending{at: time.Now(), src: src, dst: net.ParseIP(dst), gre: Encapsulate(h, data), rec: rec}
	switch {
	case src == nil || p.dst.To4() == nil || !p.dst.To4().IsLoopback():
		// Test traffic goes only to 127.0.0.0/8: any other destination is refused
		// here, whatever the session says (vCenter accepts any address).
		rec.Fate, rec.Why = "blocked", "destination outside 127.0.0.0/8 (the lab sends only to loopback)"
		e.stats.Blocked++
		e.w.TruthJSON(rec)
	case ms.Loss > 0 && e.rng.Float64() < ms.Loss:
		rec.Fate = "lost"
		e.stats.Lost++
		e.w.TruthJSON(rec)
	case ms.Reorder > 0 && e.held[f.Host] == nil && e.rng.Float64() < ms.Reorder:
		e.held[f.Host] = p // sent after this host's next copy
	default:
		e.emit(p, false)
		if h := e.held[f.Host]; h != nil {
			delete(e.held, f.Host)
			e.emit(h, true)
		}
	}
}

// emit sends one copy and records it (reordered: it was held back).
func (e *Engine) emit(p *pending, reordered bool) {
	p.rec.SentT = time.Now().UnixNano()
	if reordered {
		p.rec.Reordered = true
		e.stats.Reordered++
	}
	if err := e.send.Send(p.src, p.dst, p.gre); err != nil {
		p.rec.Fate, p.rec.Why = "unsent", err.Error()
		e.stats.Unsent++
	} else {
		p.rec.Fate = "sent"
		e.stats.Sent++
	}
	e.w.TruthJSON(p.rec)
}

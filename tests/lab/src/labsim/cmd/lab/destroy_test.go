package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// truthLines reads truth.jsonl as records.
func truthLines(t *testing.T, l *labRun) []map[string]interface{} {
	t.Helper()
	l.w.FlushTruth()
	b, err := os.ReadFile(filepath.Join(l.opts.StateDir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]interface{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var rec map[string]interface{}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("truth line %q: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

func TestControlDestroy(t *testing.T) {
	l, info := start(t)
	ctl := info.Control
	v := l.w.FindVM("testvm1")
	var port float64
	for _, p := range v.Ports {
		port = float64(p)
	}
	isFrame := func(r map[string]interface{}) bool {
		return r["ev"] == "frame" && r["port"] == port && r["host"] == "esx01"
	}
	// Wait until the VM's traffic shows on its port (its DHCP at boot), so silence after means something.
	for i := 0; ; i++ {
		n := 0
		for _, r := range truthLines(t, l) {
			if isFrame(r) {
				n++
			}
		}
		if n > 0 {
			break
		}
		if i == 200 {
			t.Fatalf("no frame on testvm1's port %v in truth.jsonl", port)
		}
		time.Sleep(100 * time.Millisecond)
	}

	code, body := call(t, "POST", ctl+"/vm/testvm1/destroy", nil)
	if code != 200 || !strings.Contains(body, `"removed": true`) || !strings.Contains(body, `"moref": "`+v.Moref+`"`) {
		t.Fatalf("destroy: %d %s", code, body)
	}
	if _, body := call(t, "GET", ctl+"/state", nil); strings.Contains(body, `"testvm1"`) {
		t.Errorf("GET /state still lists testvm1")
	}
	if code, body := call(t, "POST", ctl+"/vm/testvm1/destroy", nil); code != 404 || !strings.Contains(body, `no VM named \"testvm1\"`) {
		t.Errorf("second destroy: %d %s", code, body)
	}
	// Let the traffic generator run a few more rounds, then read the truth: the port is
	// released, the VM removed, and no frame crosses the port after its release.
	if code, body := call(t, "POST", ctl+"/settings?traffic_interval=20ms", nil); code != 200 {
		t.Fatalf("settings: %d %s", code, body)
	}
	others := func() int { // frames of testvm2
		n := 0
		for _, r := range truthLines(t, l) {
			if r["ev"] == "frame" && r["vm"] == "testvm2" {
				n++
			}
		}
		return n
	}
	for n0, i := others(), 0; others() < n0+20; i++ {
		if i == 200 {
			t.Fatalf("testvm2's traffic stalled")
		}
		time.Sleep(50 * time.Millisecond)
	}
	released, removed := -1, -1
	recs := truthLines(t, l)
	for i, r := range recs {
		switch {
		case r["ev"] == "port-release" && r["port"] == port:
			released = i
		case r["ev"] == "removed" && r["vm"] == "testvm1":
			removed = i
			if r["moref"] != v.Moref || r["host"] != "esx01" {
				t.Errorf("removed record %v", r)
			}
		case isFrame(r) && released >= 0:
			t.Fatalf("frame on the freed port %v after its release: %v", port, r)
		}
	}
	if released < 0 || removed < released {
		t.Errorf("truth: port-release at line %d, removed at line %d", released, removed)
	}
}

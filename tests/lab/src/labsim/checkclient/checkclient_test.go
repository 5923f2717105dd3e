package checkclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"labsim/esx/esxtest"
)

// TestAgainstTheLabBinary builds and starts the real lab program (as tests/lab/run
// would), runs the independent client against it, checks truth.jsonl, and stops the
// lab with SIGTERM, which must exit 0.
func TestAgainstTheLabBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "lab")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(goTool, "build", "-o", bin, "labsim/cmd/lab")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the lab: %v\n%s", err, out)
	}
	if _, err := esxtest.Build(dir); err != nil { // beside the lab, as tests/lab/run does
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	var stdout, stderr bytes.Buffer
	lab := exec.Command(bin, "--state-dir", state, "--boot-dhcp-delay", "20ms", "--traffic-interval", "500ms")
	lab.Stdout, lab.Stderr = &stdout, &stderr
	if err := lab.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- lab.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			lab.Process.Kill()
			<-exited
		}
	}()
	labJSON := filepath.Join(state, "lab.json")
	for i := 0; ; i++ {
		if _, err := os.Stat(labJSON); err == nil {
			break
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("lab exited before it was ready: %v\n%s%s", err, stdout.String(), stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if i > 1200 {
			t.Fatalf("no lab.json after 60 s\n%s%s", stdout.String(), stderr.String())
		}
	}

	var out bytes.Buffer
	r, err := Run(context.Background(), labJSON, &out)
	t.Logf("client output:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems() {
		t.Error(p)
	}

	// truth.jsonl: after testvm1's reset, a full DHCP exchange (the boot DHCP delay is 20 ms).
	want := []string{"dhcp-discover", "dhcp-offer", "dhcp-request", "dhcp-ack"}
	var got []string
	for i := 0; i < 200 && len(got) < len(want); i++ {
		got = dhcpAfterReset(t, filepath.Join(state, "truth.jsonl"), "testvm1", want)
		time.Sleep(50 * time.Millisecond)
	}
	if len(got) != len(want) {
		t.Errorf("truth.jsonl after testvm1's reset shows DHCP %v, want %v", got, want)
	}

	if err := lab.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("lab after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("lab still running 30 s after SIGTERM")
	}
	if _, err := os.Stat(labJSON); !os.IsNotExist(err) {
		t.Errorf("lab.json left behind after stop: %v", err)
	}
}

// dhcpAfterReset lists, in order, the DHCP kinds seen for vm's frames after its
// first reset record, keeping only the sequence `want` in order.
func dhcpAfterReset(t *testing.T, truth, vm string, want []string) []string {
	f, err := os.Open(truth)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	reset := false
	var got []string
	for sc.Scan() {
		var rec struct {
			Ev, VM, Kind string
		}
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.VM != vm {
			continue
		}
		if rec.Ev == "reset" {
			reset, got = true, nil
			continue
		}
		if reset && rec.Ev == "frame" && len(got) < len(want) && rec.Kind == want[len(got)] {
			got = append(got, rec.Kind)
		}
	}
	return got
}

// Package esxtest builds the simulated hosts' multicall binary (labsim/cmd/esxcmd) for
// the tests of the packages that start hosts: once per test process, removed when the
// process's tests end (call Main from TestMain).
package esxtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Build builds the host programs into dir (as tests/lab/run does) and returns the path.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "esxcmd")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "labsim/cmd/esxcmd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building labsim/cmd/esxcmd: %v\n%s", err, out)
	}
	return bin, nil
}

// Commands is the path of a binary built from this source tree.
func Commands(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "vmc-esxcmd-")
		if built.err == nil {
			built.path, built.err = Build(built.dir)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// Main runs the tests and removes the binary.
func Main(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

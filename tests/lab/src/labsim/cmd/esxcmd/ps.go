package main

// ps [-c]: the host's processes in ESXi's format (WID, CID, World Name and, with -c,
// Command), from /proc of the host's PID namespace. A process is one world whose world
// and cartel IDs are its PID (ESXi lists every world of a cartel; the lab lists
// processes). Format: "%-9d %-9d %-20s %s", sorted by WID; see the esx README.

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

func ps(args []string) int {
	withCmd := false
	for _, a := range args {
		if strings.HasPrefix(a, "-") && strings.Contains(a, "c") {
			withCmd = true
		}
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		fmt.Fprintf(os.Stderr, "ps: can't read /proc: %v\n", err)
		return 1
	}
	type row struct {
		pid       int
		name, cmd string
	}
	var rows []row
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil {
			continue // it ended
		}
		name := strings.TrimSuffix(string(comm), "\n")
		cmd := name
		if b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && len(b) > 0 {
			cmd = strings.TrimRight(strings.ReplaceAll(string(b), "\x00", " "), " ")
		}
		rows = append(rows, row{pid, name, cmd})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].pid < rows[j].pid })
	var b strings.Builder
	if withCmd {
		fmt.Fprintf(&b, "%-9s %-9s %-20s %s\n", "WID", "CID", "World Name", "Command")
	} else {
		fmt.Fprintf(&b, "%-9s %-9s %s\n", "WID", "CID", "World Name")
	}
	for _, r := range rows {
		if withCmd {
			fmt.Fprintf(&b, "%-9d %-9d %-20s %s\n", r.pid, r.pid, r.name, r.cmd)
		} else {
			fmt.Fprintf(&b, "%-9d %-9d %s\n", r.pid, r.pid, r.name)
		}
	}
	os.Stdout.WriteString(b.String())
	return 0
}

// Command esxcmd is the one binary behind every program of a simulated ESXi host
// (package labsim/esx), chosen by the name it is run as (argv[0]):
//
//	esxcli net-stats vmware vdf df uname osfs-mkdir   ask the lab (the host's command
//	                                                  socket) and print its answer
//	pktcap-uw                                         captures the lab's frames itself
//	ps                                                lists the host's processes (/proc)
//	nohup                                             runs a command with SIGHUP ignored
//	hostd sshd vpxa vmx                               system worlds: wait for a signal
//
// and, by $VMC_LAB_ROLE, the hosts' supervisor and each host's init (labsim/esx/nsinit).
// Build it static (CGO_ENABLED=0): it runs inside the hosts, which have no C library
// of their own.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"labsim/esx/hostproto"
	"labsim/esx/nsinit"
	"labsim/esx/pktcap"
)

func main() {
	switch os.Getenv(hostproto.EnvRole) {
	case hostproto.RoleSupervisor:
		os.Exit(nsinit.Supervisor())
	case hostproto.RoleHostInit:
		os.Exit(nsinit.HostInit())
	}
	name := filepath.Base(os.Args[0])
	switch name {
	case "pktcap-uw":
		conn := dial(name)
		os.Exit(pktcap.Main(os.Args[1:], conn))
	case "ps":
		os.Exit(ps(os.Args[1:]))
	case "nohup":
		os.Exit(nohup(os.Args[1:]))
	case "hostd", "sshd", "vpxa", "vmx":
		for {
			syscall.Pause() // a system world: it ends when it is killed
		}
	case "esxcli", "net-stats", "vmware", "vdf", "df", "uname", "osfs-mkdir":
		os.Exit(run(name))
	}
	fmt.Fprintf(os.Stderr, "%s: not an ESXi command of the lab (esxcmd is the simulated hosts' multicall binary)\n", name)
	os.Exit(127)
}

func dial(name string) net.Conn {
	c, err := net.Dial("unix", hostproto.SocketPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: cannot reach the host's services: %v\n", name, err)
		os.Exit(1)
	}
	return c
}

// run asks the lab to run the command and prints what it answers.
func run(name string) int {
	c := dial(name)
	defer c.Close()
	cwd, _ := os.Getwd()
	argv := append([]string{name}, os.Args[1:]...)
	if err := json.NewEncoder(c).Encode(hostproto.Request{Cmd: "run", Argv: argv, Cwd: cwd, PID: os.Getpid()}); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	line, err := bufio.NewReader(c).ReadBytes('\n')
	var r hostproto.RunReply
	if err == nil {
		err = json.Unmarshal(line, &r)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: no answer from the host's services: %v\n", name, err)
		return 1
	}
	// A closed stdout kills us with SIGPIPE, as it would the real command.
	os.Stdout.Write(r.Stdout)
	os.Stderr.Write(r.Stderr)
	return r.Status
}

// nohup COMMAND ARGS: COMMAND in this process, with SIGHUP ignored (SIG_IGN survives
// exec). Output stays where it is (it is not a terminal).
func nohup(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "Usage: nohup PROG ARGS")
		return 1
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "nohup: can't execute '%s': No such file or directory\n", args[0])
		return 127
	}
	signal.Ignore(syscall.SIGHUP)
	err = syscall.Exec(path, args, os.Environ())
	fmt.Fprintf(os.Stderr, "nohup: can't execute '%s': %v\n", args[0], err)
	return 126
}

// Package hostproto is what the lab process and the programs inside a simulated ESXi
// host (labsim/cmd/esxcmd: the host's init, its system worlds and its ESXi commands)
// say to each other.
//
// Three channels, all unix sockets:
//   - lab <-> supervisor: one SOCK_SEQPACKET pair per world. The supervisor owns the
//     mount namespace that holds the datastores' tmpfs mounts and starts each host's init.
//   - lab <-> a host's init: one SOCK_SEQPACKET pair per host, passed through the
//     supervisor. Ctl messages (JSON, one per packet), file descriptors as SCM_RIGHTS.
//   - ESXi commands -> lab: a SOCK_STREAM listener that init creates at SocketPath inside
//     the host and hands to the lab. Requests are JSON lines; pktcap-uw's frames come
//     back as binary records (see frames.go).
package hostproto

// Environment variables that select the role of the multicall binary.
const (
	EnvRole        = "VMC_LAB_ROLE"        // "supervisor" or "host-init"
	EnvHostConfig  = "VMC_LAB_HOST_CONFIG" // HostConfig (JSON) for a host's init
	EnvStaging     = "VMC_LAB_STAGING"     // the supervisor's mount directory
	RoleSupervisor = "supervisor"
	RoleHostInit   = "host-init"
)

// Paths inside a host.
const (
	// SocketPath is where a host's commands reach the lab.
	SocketPath = "/var/run/vmc-lab/esx.sock"
	// CommandsPath is the multicall binary of the ESXi commands (bound read-only).
	CommandsPath = "/usr/lib/vmware/lab/esxcmd"
	// OsfsBin holds osfs-mkdir, as on a real host (not on PATH).
	OsfsBin = "/usr/lib/vmware/osfs/bin"
)

// DatastoreReserve is the page each datastore's tmpfs keeps for itself (not counted).
const DatastoreReserve = 4096

// Ctl is a control message between the lab and a supervisor or a host's init. Every
// request carries an ID; its reply carries the same ID. Unsolicited messages from init
// ("exit") have ID 0.
type Ctl struct {
	Op string `json:"op"`
	ID int64  `json:"id,omitempty"`

	// spawn
	Path    string   `json:"path,omitempty"`
	Argv    []string `json:"argv,omitempty"`
	Env     []string `json:"env,omitempty"`
	Dir     string   `json:"dir,omitempty"`
	Stdio   bool     `json:"stdio,omitempty"`    // three descriptors (stdin, stdout, stderr) attached
	WantPID int      `json:"want_pid,omitempty"` // give the process this PID if it is free
	Report  bool     `json:"report,omitempty"`   // send "exit" when it ends

	// spawn reply, exit, kill
	PID    int    `json:"pid,omitempty"`
	Status int    `json:"status,omitempty"` // wait(2) status
	Sig    int    `json:"sig,omitempty"`
	Group  bool   `json:"group,omitempty"` // kill the process group (killpg)
	Error  string `json:"error,omitempty"`

	// supervisor: datastore tmpfs, host start
	Name   string      `json:"name,omitempty"`
	Size   int64       `json:"size,omitempty"`
	Host   *HostConfig `json:"host,omitempty"`
	Mounts string      `json:"mounts,omitempty"` // directory of a datastore's tmpfs (reply)
}

// HostConfig is everything a host's init sets up before it serves the lab: a root
// file system (tmpfs) with these directories, files, device nodes, read-only binds and
// symlinks, /proc of its own PID namespace, a /tmp ramdisk and the datastores.
type HostConfig struct {
	Name       string      `json:"name"`
	Root       string      `json:"root"` // mount point of the root tmpfs (supervisor's view)
	RootSize   int64       `json:"root_size"`
	TmpSize    int64       `json:"tmp_size"`
	Dirs       []string    `json:"dirs"`
	Files      []File      `json:"files"`
	Binds      []Bind      `json:"binds"`
	Symlinks   []Symlink   `json:"symlinks"`
	Datastores []Datastore `json:"datastores"`
	// FirstPID is where the host's PIDs start (ns_last_pid + 1): ESXi's world IDs are
	// seven-digit numbers, a fresh PID namespace's are small.
	FirstPID int `json:"first_pid"`
}

type File struct {
	Path    string `json:"path"`
	Mode    uint32 `json:"mode"`
	Content string `json:"content"`
}

type Bind struct {
	Source string `json:"source"` // a real path (the supervisor's mount namespace)
	Target string `json:"target"` // a path in the host
}

type Symlink struct {
	Path   string `json:"path"`
	Target string `json:"target"`
}

type Datastore struct {
	Name   string `json:"name"`
	Source string `json:"source"` // the datastore's tmpfs in the supervisor's namespace
	VSAN   bool   `json:"vsan"`   // top-level mkdir fails with ENOSYS (osfs-mkdir works)
}

// Request is what an ESXi command sends to the lab (one JSON line).
type Request struct {
	Cmd  string   `json:"cmd"` // "run", "pktcap-hello", "pktcap-subscribe", "stop"
	Argv []string `json:"argv,omitempty"`
	Cwd  string   `json:"cwd,omitempty"`
	PID  int      `json:"pid,omitempty"` // the caller's PID in the host
}

// RunReply is the lab's answer to "run": what the command prints and its exit status.
type RunReply struct {
	Stdout []byte `json:"stdout,omitempty"`
	Stderr []byte `json:"stderr,omitempty"`
	Status int    `json:"status"`
}

// PktcapHello tells pktcap-uw what the host is.
type PktcapHello struct {
	Version  string   `json:"version"` // "8.0.3"
	Build    string   `json:"build"`
	Uplinks  []string `json:"uplinks"`
	Messages string   `json:"messages"` // stderr style: "version" or "legacy"
}

// PktcapSubscribed answers "pktcap-subscribe": frames follow this line.
type PktcapSubscribed struct {
	VsockPort  int    `json:"vsock_port"`  // "select N as the port"
	ClientPort int    `json:"client_port"` // "Vsock connection from port N"
	Session    int    `json:"session"`     // "Destroying session N"
	Error      string `json:"error,omitempty"`
}

// Security checks of the real `capture` binary against the lab (issue 8):
//  - no secret anywhere: with distinctive vCenter and SSH passwords, a capture session
//    (plain and --json logs, -v) leaves neither password in its stderr, manifest,
//    journal/state directory or pcapng, nor in the command line of the capture process
//    or of anything it spawns (scanned in /proc while it runs), nor in the argv of the
//    commands it runs on the ESXi hosts (the lab's `ps -c` Command column, polled over
//    SSH while it runs: the lab keeps no record of commands that already ended, so
//    short-lived commands are seen only if a poll catches them);
//  - TLS verification is on by default and fails closed: without --ca-file/--thumbprint
//    against the lab's own CA, or with a CA bundle or thumbprint that does not match,
//    `capture vm` fails with a clear TLS error before anything is changed or captured;
//  - SSH host keys are verified and fail closed: an unknown key (no --accept-new-host-key)
//    and a changed key (even with --accept-new-host-key) are refused, nothing runs on the
//    host, nothing is captured and known_hosts is not modified;
//  - the journal, the state directory, the manifest and the output files are owner-only
//    (0600 files, 0700 directories) even with umask 000, and an existing state directory
//    open to others is tightened.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "itest_util.h"
#include "lab_fixture.h"
#include "vsphere/vcenter.h"

namespace vmc::itest {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string random_hex(size_t n) {
  std::random_device rd;
  std::mt19937_64 g(rd());
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(digits[g() % 16]);
  return s;
}

// Letters, digits and '-' only, so no escaping (JSON, shell, URL) could hide a leak.
const std::string kVcPassword = "VcPw-" + random_hex(16);
const std::string kSshPassword = "SshPw-" + random_hex(16);

Lab* lab = nullptr;
std::string work;  // our own files (outside the lab's dir, which holds the passwords)

class LabEnv : public ::testing::Environment {
 public:
  void SetUp() override {
    lab = new Lab("--vc-password " + kVcPassword + " --ssh-password " + kSshPassword);
    lab->export_env();
    ASSERT_EQ(kVcPassword, std::string(getenv("GOVC_PASSWORD")));
    ASSERT_EQ(kSshPassword, std::string(getenv("VMC_SSH_PASSWORD")));
    char tmpl[] = "/tmp/vmc-security-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    work = tmpl;
  }
  void TearDown() override {
    delete lab;
    if (!getenv("VMC_KEEP_LAB")) fs::remove_all(work);
  }
};
const auto* env = ::testing::AddGlobalTestEnvironment(new LabEnv);

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The capture binary as a child: own process group, stdin /dev/null, stderr to `log`,
/// optional umask and environment changes (NAME=VALUE sets, NAME= unsets).
struct Capture {
  pid_t pid = -1;
  std::string log;
  Capture(const std::vector<std::string>& args, std::string log_path,
          const std::vector<std::string>& env_changes = {}, std::optional<mode_t> umask_value = {})
      : log(std::move(log_path)) {
    pid = fork();
    if (pid == 0) {
      setpgid(0, 0);
      if (umask_value) umask(*umask_value);
      for (const auto& e : env_changes) {
        auto eq = e.find('=');
        if (eq + 1 == e.size()) {
          unsetenv(e.substr(0, eq).c_str());
        } else {
          setenv(e.substr(0, eq).c_str(), e.substr(eq + 1).c_str(), 1);
        }
      }
      int in = open("/dev/null", O_RDONLY);
      int err = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(in, 0);
      dup2(err, 2);
      std::vector<std::string> a{std::string(VMC_BINARY_DIR) + "/capture"};
      a.insert(a.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& s : a) argv.push_back(s.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  bool running() const {
    return pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0;
  }
  /// Waits for the process to end by itself; its exit code.
  int wait() {
    int st = 0;
    waitpid(pid, &st, 0);
    pid = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  int stop(int sig = SIGINT) {
    kill(pid, sig);
    return wait();
  }
  ~Capture() {
    if (pid > 0) stop(SIGKILL);
  }
};

bool wait_for(const std::function<bool()>& cond, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return cond();
}

/// `ps -c` of every lab host (OpenSSH with the lab's ssh_config, password via askpass),
/// keyed by host name.
std::map<std::string, std::string> host_processes() {
  std::map<std::string, std::string> out;
  const std::string askpass = lab->state_dir() + "/security-askpass.sh";
  if (access(askpass.c_str(), X_OK) != 0) {
    std::ofstream(askpass) << "#!/bin/sh\necho \"$VMC_SSH_PASSWORD\"\n";
    chmod(askpass.c_str(), 0700);
  }
  for (const auto& h : lab->info().at("hosts")) {
    const std::string name = h.at("name");
    out[name] = sh("SSH_ASKPASS='" + askpass + "' SSH_ASKPASS_REQUIRE=force ssh -F '" +
                   lab->info().at("ssh_config").get<std::string>() + "' " + name +
                   " 'ps -c' </dev/null 2>/dev/null")
                    .out;
  }
  return out;
}

int pktcaps_on_hosts() {
  int n = 0;
  for (const auto& [host, ps] : host_processes())
    for (const auto& line : lines(ps)) n += line.find("pktcap-uw") != std::string::npos;
  return n;
}

/// The process and its descendants (by walking /proc's parent links).
std::vector<pid_t> process_tree(pid_t root) {
  std::map<pid_t, std::vector<pid_t>> children;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      pid_t p = static_cast<pid_t>(atoi(e->d_name));
      if (p <= 0) continue;
      std::string stat = slurp("/proc/" + std::to_string(p) + "/stat");
      auto rp = stat.rfind(')');
      if (rp == std::string::npos) continue;
      std::istringstream rest(stat.substr(rp + 2));
      std::string state;
      pid_t ppid = 0;
      rest >> state >> ppid;
      children[ppid].push_back(p);
    }
    closedir(d);
  }
  std::vector<pid_t> out{root};
  for (size_t i = 0; i < out.size(); ++i)
    for (pid_t c : children[out[i]]) out.push_back(c);
  return out;
}

/// Every file under `dir` whose bytes contain `needle`.
std::vector<std::string> files_containing(const std::string& dir, const std::string& needle) {
  std::vector<std::string> hits;
  if (!fs::exists(dir)) return hits;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && slurp(e.path().string()).find(needle) != std::string::npos) {
      hits.push_back(e.path().string());
    }
  }
  return hits;
}

std::unique_ptr<vsphere::VCenter> connect_vc() {
  const auto& v = lab->info().at("vcenter");
  vsphere::ConnectOptions o;
  o.url = v.at("url");
  o.user = v.at("user");
  o.password = v.at("password");
  o.ca_file = v.at("ca_cert");
  auto vc = vsphere::VCenter::connect(o);
  EXPECT_TRUE(vc.ok()) << vc.error().message;
  return vc.ok() ? std::move(*vc) : nullptr;
}

std::optional<std::string> override_of(vsphere::VCenter& vc, const model::VmInfo& vm) {
  auto c = vc.cluster_info(vm.cluster);
  EXPECT_TRUE(c.ok());
  if (!c.ok()) return std::nullopt;
  for (const auto& o : c->overrides)
    if (o.vm == vm.ref) return o.behavior;
  return std::nullopt;
}

size_t frames_in(const std::string& pcapng) {
  return lines(sh("tshark -r '" + pcapng + "' -T fields -e frame.number 2>/dev/null").out).size();
}

// ---- No secret in logs, files, process arguments or remote argv ----

TEST(Security, NoPasswordInLogsFilesOrCommandLines) {
  struct Run {
    const char* name;
    std::vector<std::string> flags;
    std::vector<std::string> env;
  };
  // The second run takes the vCenter password from a 0600 credential file instead of
  // GOVC_PASSWORD.
  const std::string cred = work + "/vc-credential";
  std::ofstream(cred) << kVcPassword << "\n";
  chmod(cred.c_str(), 0600);
  const std::vector<Run> runs{
      {"plain", {"-v"}, {}},
      {"json", {"-v", "--json", "--credential-file", cred}, {"GOVC_PASSWORD="}},
  };
  for (const auto& r : runs) {
    SCOPED_TRACE(r.name);
    const std::string dir = work + "/secret-" + r.name;
    fs::create_directories(dir + "/out");
    const std::string out = dir + "/out/cap.pcapng", state = dir + "/state", log = dir + "/stderr.log";
    std::vector<std::string> args = r.flags;
    args.insert(args.end(), {"--state-dir", state, "vm", "testvm1", "-w", out});
    Capture cap(args, log, r.env);

    // While it runs: the command lines of the capture process and of anything it starts,
    // and the commands it runs on the hosts.
    std::set<std::string> cmdlines, remote_rows;
    bool saw_pktcap = false;
    auto poll = [&] {
      for (pid_t p : process_tree(cap.pid)) {
        std::string c = slurp("/proc/" + std::to_string(p) + "/cmdline");
        for (char& ch : c) ch = ch == '\0' ? ' ' : ch;
        if (!c.empty()) cmdlines.insert(c);
      }
      for (const auto& [host, ps] : host_processes()) {
        for (const auto& line : lines(ps)) {
          remote_rows.insert(host + ": " + line);
          if (line.find("pktcap-uw --") != std::string::npos) saw_pktcap = true;
        }
      }
    };
    ASSERT_TRUE(wait_for([&] {
      poll();
      return saw_pktcap && slurp(log).find("capturing to") != std::string::npos;
    }, 60s)) << "the capture never started; log:\n" << slurp(log);
    for (int i = 0; i < 10; ++i) {  // frames flow for a while; keep looking
      poll();
      std::this_thread::sleep_for(200ms);
    }
    EXPECT_EQ(0, cap.stop(SIGINT)) << slurp(log);

    ASSERT_FALSE(cmdlines.empty());
    for (const auto& c : cmdlines) {
      EXPECT_EQ(c.find(kVcPassword), std::string::npos) << "vCenter password in a command line: " << c;
      EXPECT_EQ(c.find(kSshPassword), std::string::npos) << "SSH password in a command line: " << c;
    }
    for (const auto& row : remote_rows) {
      EXPECT_EQ(row.find(kVcPassword), std::string::npos) << "vCenter password in a host command: " << row;
      EXPECT_EQ(row.find(kSshPassword), std::string::npos) << "SSH password in a host command: " << row;
    }
    // Everything the session wrote: its log, the capture, the manifest, the journal.
    ASSERT_GT(frames_in(out), 0u) << "nothing was captured, so the file scan proves little";
    ASSERT_TRUE(fs::exists(dir + "/out/cap.manifest.json"));
    ASSERT_FALSE(fs::is_empty(state));
    const std::string text = slurp(log);
    ASSERT_NE(text.find("capturing to"), std::string::npos);
    for (const auto& pw : {kVcPassword, kSshPassword}) {
      EXPECT_EQ(text.find(pw), std::string::npos) << "a password in the log:\n" << text;
      EXPECT_EQ(files_containing(dir, pw), std::vector<std::string>{}) << "a password in these files";
    }
    if (std::string(r.name) == "json") {
      for (const auto& l : lines(text)) {
        if (l.rfind("{", 0) == 0) {
          EXPECT_FALSE(nlohmann::json::parse(l, nullptr, false).is_discarded()) << "not a JSON line: " << l;
        }
      }
    }
    std::printf("%s: %zu local command lines and %zu host process rows checked (pktcap-uw seen), "
                "%zu frames captured; no password found\n",
                r.name, cmdlines.size(), remote_rows.size(), frames_in(out));
  }
}

// ---- TLS verification on by default, failing closed ----

TEST(Security, TlsIsVerifiedByDefaultAndFailsClosed) {
  auto vc = connect_vc();
  ASSERT_TRUE(vc);
  auto vm = vc->find_vm("testvm1");
  ASSERT_TRUE(vm.ok());
  const auto override_before = override_of(*vc, *vm);
  const std::string real_fp = [&] {
    const std::string host = lab->info().at("vcenter").at("host");
    auto r = sh("openssl s_client -connect " + host + " </dev/null 2>/dev/null | "
                "openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//'");
    return r.out.substr(0, r.out.find('\n'));
  }();
  ASSERT_EQ(real_fp.size(), 95u) << "cannot read the lab certificate's fingerprint: " << real_fp;
  std::string wrong_fp = real_fp;
  wrong_fp[0] = wrong_fp[0] == 'A' ? 'B' : 'A';

  struct Case {
    const char* name;
    std::vector<std::string> flags, env;
    std::vector<std::string> stderr_has;
  };
  const std::vector<Case> cases{
      {"no CA given: the system store", {}, {"GOVC_TLS_CA_CERTS="},
       {"TLS with", "certificate verify failed", "--ca-file", "--thumbprint"}},
      {"a CA bundle without the lab CA", {}, {"GOVC_TLS_CA_CERTS=/etc/ssl/certs/ca-certificates.crt"},
       {"TLS with", "certificate verify failed"}},
      {"--ca-file overrides GOVC_TLS_CA_CERTS", {"--ca-file", "/etc/ssl/certs/ca-certificates.crt"}, {},
       {"certificate verify failed"}},
      {"a thumbprint that does not match", {"--thumbprint", wrong_fp}, {"GOVC_TLS_CA_CERTS="},
       {"presented a certificate with SHA-256 thumbprint", "not the pinned"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string dir = work + "/tls-" + std::to_string(&c - cases.data());
    fs::create_directories(dir);
    std::vector<std::string> args = c.flags;
    args.insert(args.end(), {"--state-dir", dir + "/state", "vm", "testvm1", "-w", dir + "/x.pcapng"});
    Capture cap(args, dir + "/stderr.log", c.env);
    const int rc = cap.wait();
    const std::string err = slurp(dir + "/stderr.log");
    EXPECT_EQ(3, rc) << err;
    for (const auto& s : c.stderr_has) EXPECT_NE(err.find(s), std::string::npos) << "'" << s << "' not in:\n" << err;
    EXPECT_EQ(err.find(kVcPassword), std::string::npos);
    // Nothing done: no output, no journal, no override, nothing on the hosts.
    EXPECT_FALSE(fs::exists(dir + "/state")) << "a journal was started";
    EXPECT_FALSE(fs::exists(dir + "/x.pcapng"));
    EXPECT_FALSE(fs::exists(dir + "/x.manifest.json"));
    EXPECT_EQ(override_before, override_of(*vc, *vm));
    EXPECT_EQ(0, pktcaps_on_hosts());
  }
  // Control: the right thumbprint is accepted (so the refusals above are about trust).
  auto ok = sh("GOVC_TLS_CA_CERTS= " + std::string(VMC_BINARY_DIR) + "/capture --thumbprint " + real_fp +
               " vm testvm1 --dry-run 2>&1");
  EXPECT_EQ(0, ok.status) << ok.out;
  EXPECT_NE(ok.out.find("dry run"), std::string::npos) << ok.out;
}

// ---- SSH host keys verified, failing closed ----

TEST(Security, UnknownOrChangedHostKeysAreRefused) {
  // known_hosts files: empty (every key unknown), and the lab's with every key replaced
  // by another ed25519 key (every key changed).
  const std::string dir = work + "/hostkeys";
  fs::create_directories(dir);
  const std::string unknown = dir + "/empty_known_hosts", changed = dir + "/changed_known_hosts";
  std::ofstream(unknown).close();
  ASSERT_EQ(0, sh("ssh-keygen -q -t ed25519 -N '' -f '" + dir + "/other' >/dev/null").status);
  std::istringstream other(slurp(dir + "/other.pub"));
  std::string other_type, other_key;
  other >> other_type >> other_key;
  {
    std::ofstream kh(changed);
    for (const auto& line : lines(slurp(lab->info().at("known_hosts")))) {
      std::istringstream l(line);
      std::string host;
      l >> host;
      if (!host.empty() && host[0] != '#') kh << host << " " << other_type << " " << other_key << "\n";
    }
  }
  const std::string changed_before = slurp(changed);
  ASSERT_FALSE(changed_before.empty());

  struct Case {
    const char* name;
    std::string known_hosts;
    std::vector<std::string> flags;
    std::vector<std::string> refusal;
  };
  const std::vector<Case> cases{
      {"unknown", unknown, {}, {"esx01: host key SHA256:", "is not in " + unknown}},
      {"changed, even with --accept-new-host-key", changed, {"--accept-new-host-key"},
       {"esx01: the host key CHANGED (now SHA256:", "not the key in " + changed}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string sub = dir + "/" + std::to_string(&c - cases.data());
    fs::create_directories(sub);
    const std::string out = sub + "/x.pcapng";
    std::vector<std::string> args = c.flags;
    args.insert(args.end(), {"--state-dir", sub + "/state", "vm", "testvm1", "-w", out});
    const std::string kh_before = slurp(c.known_hosts);
    Capture cap(args, sub + "/stderr.log", {"VMC_SSH_KNOWN_HOSTS=" + c.known_hosts});
    ASSERT_TRUE(wait_for([&] { return slurp(sub + "/stderr.log").find("capturing to") != std::string::npos; }, 60s))
        << slurp(sub + "/stderr.log");
    // Several connection attempts happen meanwhile (backoff 0.5, 1, 2 s): none may start
    // a capture on a host.
    int seen = 0;
    for (int i = 0; i < 8; ++i) {
      seen += pktcaps_on_hosts();
      std::this_thread::sleep_for(400ms);
    }
    // The refusal needs the user: an error on stderr at once (once per host), and the
    // session ends with a failure status.
    const std::string err = slurp(sub + "/stderr.log");
    for (const auto& r : c.refusal) EXPECT_NE(err.find(r), std::string::npos) << r << " not on stderr:\n" << err;
    EXPECT_NE(0, cap.stop(SIGINT)) << slurp(sub + "/stderr.log");
    EXPECT_EQ(0, seen) << "a pktcap-uw ran on a host whose key was not trusted";
    EXPECT_EQ(kh_before, slurp(c.known_hosts)) << "known_hosts was modified";
    EXPECT_EQ(0u, frames_in(out));
    // The refusal is recorded with the host, the key fingerprint and the file.
    const std::string manifest = slurp(sub + "/x.manifest.json");
    for (const auto& r : c.refusal) EXPECT_NE(manifest.find(r), std::string::npos) << r << " not in " << manifest;
    auto j = nlohmann::json::parse(manifest);
    EXPECT_TRUE(j.at("pins").empty()) << "a capture was pinned";
    EXPECT_EQ(0, pktcaps_on_hosts());
  }
}

// ---- Owner-only files and directories, whatever the umask ----

std::string mode_problems(const std::string& root) {
  std::string bad;
  auto check = [&](const fs::path& p) {
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0) return;
    const mode_t m = st.st_mode & 07777;
    const bool dir = S_ISDIR(st.st_mode);
    if ((dir && m != 0700) || (!dir && m != 0600)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%04o", m);
      bad += "  " + p.string() + " " + buf + "\n";
    }
  };
  check(root);
  if (fs::is_directory(root)) {
    for (const auto& e : fs::recursive_directory_iterator(root)) check(e.path());
  }
  return bad;
}

TEST(Security, EverythingWrittenIsOwnerOnlyEvenWithUmask000) {
  const std::string dir = work + "/modes";
  fs::create_directories(dir);
  // An output directory of ours (0700 itself), a state directory that does not exist yet
  // (its parents are created by capture), a default state directory under
  // XDG_STATE_HOME, and a pre-existing state directory open to everyone.
  const std::string out_dir = dir + "/out", state = dir + "/new/deeper/state",
                    xdg = dir + "/xdg", open_state = dir + "/open-state";
  fs::create_directories(out_dir);
  chmod(out_dir.c_str(), 0700);
  fs::create_directories(open_state);
  chmod(open_state.c_str(), 0777);

  struct Run {
    std::vector<std::string> args;
    std::vector<std::string> env;
  };
  const std::vector<Run> runs{
      {{"--state-dir", state, "vm", "testvm1", "-w", out_dir + "/rot.pcapng", "--rotate-packets", "20"}, {}},
      {{"vm", "testvm1", "-w", out_dir + "/xdg.pcapng"}, {"XDG_STATE_HOME=" + xdg}},
      {{"--state-dir", open_state, "vm", "testvm1", "-w", out_dir + "/open.pcapng"}, {}},
  };
  for (const auto& r : runs) {
    SCOPED_TRACE(r.args.back());
    const std::string log = dir + "/stderr-" + std::to_string(&r - runs.data()) + ".log";
    Capture cap(r.args, log, r.env, mode_t{0});
    ASSERT_TRUE(wait_for([&] { return slurp(log).find("capturing to") != std::string::npos; }, 60s))
        << slurp(log);
    // While it runs, the file being written (".part") is already private.
    std::string part_modes;
    ASSERT_TRUE(wait_for([&] {
      for (const auto& e : fs::directory_iterator(out_dir)) {
        if (e.path().extension() == ".part") {
          part_modes = mode_problems(e.path().string());
          return true;
        }
      }
      return false;
    }, 30s)) << "no .part file appeared";
    EXPECT_EQ("", part_modes);
    // Frames written, and for the rotating run a few rotations: 4 KB of this run's files.
    const auto w = std::find(r.args.begin(), r.args.end(), "-w");
    ASSERT_NE(w, r.args.end());
    const std::string stem = fs::path(*(w + 1)).stem().string();
    ASSERT_TRUE(wait_for([&] {
      uintmax_t bytes = 0;
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(out_dir, ec))
        if (e.path().filename().string().rfind(stem, 0) == 0) bytes += fs::file_size(e.path(), ec);
      return bytes > 4 * 1024;
    }, 30s)) << slurp(log);
    EXPECT_EQ(0, cap.stop(SIGINT)) << slurp(log);
  }
  // What capture created or wrote: every directory 0700, every file 0600.
  EXPECT_EQ("", mode_problems(out_dir));
  EXPECT_EQ("", mode_problems(dir + "/new"));
  EXPECT_EQ("", mode_problems(xdg));
  EXPECT_EQ("", mode_problems(open_state));
  // And it wrote what we looked at: several rotated files, manifests, three journals.
  size_t pcapngs = 0, manifests = 0;
  for (const auto& e : fs::directory_iterator(out_dir)) {
    pcapngs += e.path().extension() == ".pcapng";
    manifests += e.path().string().find(".manifest.json") != std::string::npos;
  }
  EXPECT_GE(pcapngs, 3u);
  EXPECT_EQ(manifests, 3u);
  EXPECT_FALSE(fs::is_empty(state));
  EXPECT_FALSE(fs::is_empty(xdg + "/vm-capture"));
  EXPECT_FALSE(fs::is_empty(open_state));
}

}  // namespace
}  // namespace vmc::itest

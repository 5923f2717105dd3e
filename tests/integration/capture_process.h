// The real `capture` binary as a child process of an integration test, and the small
// checks every end-to-end test makes around it: pktcap-uw processes left on the lab's
// hosts (over OpenSSH), the DRS override of a VM, RFC 3339 times of the manifest.
// Header-only so that any *_itest.cc can include it without a CMake change.
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "itest_util.h"
#include "lab_fixture.h"

namespace vmc::itest {

inline std::string capture_binary() { return std::string(VMC_BINARY_DIR) + "/capture"; }

/// `capture ARGS` in its own process group, stdout to /dev/null (or `stdout_path`), stderr
/// to `log`. The destructor kills it (SIGKILL) if the test did not stop it.
class CaptureProcess {
 public:
  CaptureProcess(const std::string& args, std::string log_path,
                 const std::string& stdout_path = "/dev/null")
      : log_(std::move(log_path)) {
    const std::string cmd = "exec " + capture_binary() + " " + args + " >" + stdout_path +
                            " 2>" + log_;
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    started_ = std::chrono::steady_clock::now();
  }
  CaptureProcess(const CaptureProcess&) = delete;
  CaptureProcess& operator=(const CaptureProcess&) = delete;
  ~CaptureProcess() {
    if (pid_ > 0) stop(SIGKILL);
  }

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_; }
  std::string log() const { return sh("cat '" + log_ + "'").out; }

  /// True while the process has not exited (reaps it when it has).
  bool running() {
    if (pid_ <= 0) return false;
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      rc_ = decode(st);
      pid_ = -1;
      return false;
    }
    return true;
  }

  /// Sends `sig` and waits for the exit; returns the exit code (128 + signal if killed).
  int stop(int sig) {
    if (pid_ > 0) {
      kill(pid_, sig);
      int st = 0;
      waitpid(pid_, &st, 0);
      rc_ = decode(st);
      pid_ = -1;
    }
    return rc_.value_or(-1);
  }

  /// Waits up to `limit` for the process to exit on its own; its exit code, or nullopt.
  std::optional<int> wait_exit(std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (!running()) return rc_;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!running()) return rc_;
    return std::nullopt;
  }

  std::optional<int> exit_code() const { return rc_; }

 private:
  static int decode(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }
  pid_t pid_ = -1;
  std::string log_;
  std::optional<int> rc_;
  std::chrono::steady_clock::time_point started_;
};

inline bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds limit,
                       std::chrono::milliseconds step = std::chrono::milliseconds(100)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(step);
  }
  return cond();
}

/// `ps -c` lines naming pktcap-uw on one lab host, over OpenSSH with the lab's ssh_config.
inline std::vector<std::string> pktcap_lines_on(const Lab& lab, const nlohmann::json& host) {
  const std::string askpass = lab.state_dir() + "/askpass.sh";
  {
    std::ofstream f(askpass);
    f << "#!/bin/sh\necho '" << host.at("password").get<std::string>() << "'\n";
  }
  chmod(askpass.c_str(), 0700);
  auto r = sh("SSH_ASKPASS='" + askpass + "' SSH_ASKPASS_REQUIRE=force ssh -F '" +
              lab.info().at("ssh_config").get<std::string>() + "' " +
              host.at("name").get<std::string>() + " 'ps -c' 2>/dev/null");
  std::vector<std::string> out;
  for (const auto& line : lines(r.out))
    if (line.find("pktcap-uw") != std::string::npos) out.push_back(line);
  return out;
}

/// Every pktcap-uw on every lab host, as "esx01: <ps line>".
inline std::vector<std::string> pktcaps_on_hosts(const Lab& lab) {
  std::vector<std::string> out;
  for (const auto& h : lab.info().at("hosts"))
    for (auto& l : pktcap_lines_on(lab, h)) out.push_back(h.at("name").get<std::string>() + ": " + l);
  return out;
}

inline std::string joined(const std::vector<std::string>& v, const std::string& sep = "\n") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

/// "2026-11-26T07:17:01.123456789Z" -> ns since the epoch.
inline int64_t ns_of(const std::string& rfc3339) {
  std::tm tm{};
  strptime(rfc3339.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  int64_t s = timegm(&tm);
  int64_t frac = 0;
  if (rfc3339.size() > 20 && rfc3339[19] == '.') {
    std::string f;
    for (size_t i = 20; i < rfc3339.size() && isdigit(static_cast<unsigned char>(rfc3339[i])); ++i)
      f += rfc3339[i];
    f = f.substr(0, 9);
    while (f.size() < 9) f += '0';
    frac = std::stoll(f);
  }
  return s * 1'000'000'000 + frac;
}

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace vmc::itest

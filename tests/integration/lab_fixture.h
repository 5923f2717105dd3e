// Starts the simulated lab (tests/lab/run) for integration tests and talks to its
// control endpoint. One Lab per test binary (see lab_env.cc); tests read its facts.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>

namespace vmc::itest {

class Lab {
 public:
  /// Starts `tests/lab/run --state-dir <fresh temp dir> <extra_args>` and waits for
  /// lab.json (up to `timeout_s`, the first run builds the lab). Throws on failure.
  explicit Lab(const std::string& extra_args = "", int timeout_s = 180);
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  const nlohmann::json& info() const { return info_; }
  const std::string& state_dir() const { return dir_; }
  std::string env_file() const { return dir_ + "/env"; }
  pid_t pid() const { return pid_; }

  /// POSTs to the control endpoint (path like "/drs"); returns the body. Throws on HTTP error.
  std::string post(const std::string& path, const std::string& body = "") const;
  std::string get(const std::string& path) const;

  /// Lines of truth.jsonl parsed, optionally only those with "ev" == ev.
  std::vector<nlohmann::json> truth(const std::string& ev = "") const;

  /// Sets GOVC_* and VMC_SSH_* in this process's environment from DIR/env.
  void export_env() const;

 private:
  std::string request(const std::string& method, const std::string& path,
                      const std::string& body) const;
  std::string dir_;
  pid_t pid_ = -1;
  nlohmann::json info_;
};

}  // namespace vmc::itest

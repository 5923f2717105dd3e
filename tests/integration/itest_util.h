// Small helpers for integration tests: run a shell command and read its output, find
// the lab's facts, and parse tshark field output.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vmc::itest {

struct CmdResult {
  int status = -1;
  std::string out;
};

/// Runs `cmd` with /bin/sh, capturing stdout (stderr goes to the test log).
inline CmdResult sh(const std::string& cmd) {
  CmdResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  size_t a = 0;
  while (a < s.size()) {
    size_t b = s.find('\n', a);
    if (b == std::string::npos) b = s.size();
    if (b > a) out.push_back(s.substr(a, b - a));
    a = b + 1;
  }
  return out;
}

inline const nlohmann::json* find_by_name(const nlohmann::json& arr, const std::string& name) {
  for (const auto& x : arr)
    if (x.value("name", "") == name) return &x;
  return nullptr;
}

}  // namespace vmc::itest

#include "session/credentials.h"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <spdlog/spdlog.h>

namespace vmc::session {

namespace {

const char* env_lookup(const char* name) { return std::getenv(name); }

/// Asks on the terminal with echo off; empty when stdin is no terminal.
std::string prompt_password(const std::string& what) {
  if (!isatty(STDIN_FILENO)) return "";
  std::fprintf(stderr, "%s: ", what.c_str());
  termios old {};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string pw;
  std::getline(std::cin, pw);
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::fprintf(stderr, "\n");
  return pw;
}

}  // namespace

Result<std::string> read_credential_file(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return Error("credentials.file", "--credential-file " + path + ": cannot read it");
  }
  if ((st.st_mode & 077) != 0) {
    return Error("credentials.mode", "--credential-file " + path +
                                         ": readable by others; run `chmod 600 " + path +
                                         "` (a password file must be private)");
  }
  std::ifstream f(path);
  std::string pw;
  std::getline(f, pw);
  if (pw.empty()) return Error("credentials.file", "--credential-file " + path + ": empty");
  return pw;
}

Result<std::unique_ptr<vsphere::VCenter>> connect_vcenter(const GlobalOptions& g, std::string* url) {
  auto opts = vsphere::resolve_connect_options(g.vcenter, env_lookup);
  if (!opts.ok()) return opts.error();
  if (url != nullptr) *url = opts->url;
  if (opts->password.empty() && !g.credential_file.empty()) {
    auto pw = read_credential_file(g.credential_file);
    if (!pw.ok()) return pw.error();
    opts->password = *pw;
  }
  if (opts->password.empty()) {
    opts->password = prompt_password("vCenter password for " + opts->user);
  }
  if (opts->password.empty()) {
    return Error("credentials.missing",
                 "no vCenter password: set GOVC_PASSWORD, use --credential-file FILE, or run "
                 "on a terminal to be asked");
  }
  if (opts->insecure) {
    spdlog::warn("--insecure: the vCenter certificate is NOT verified; anyone on the path can "
                 "read the password. Prefer --ca-file or --thumbprint.");
  }
  spdlog::info("connecting to {}", vsphere::describe(*opts));
  return vsphere::VCenter::connect(*opts);
}

}  // namespace vmc::session

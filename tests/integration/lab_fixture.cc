#include "lab_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace vmc::itest {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

Lab::Lab(const std::string& extra_args, int timeout_s) {
  char tmpl[] = "/tmp/vmc-lab-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  std::string cmd = std::string("exec ") + VMC_SOURCE_DIR + "/tests/lab/run --state-dir " + dir_ +
                    " " + extra_args + " >" + dir_ + "/lab.log 2>&1";
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    setpgid(0, 0);
    execl("/bin/bash", "bash", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid_, pid_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("lab exited early; log:\n" + slurp(dir_ + "/lab.log"));
    }
    if (access((dir_ + "/lab.json").c_str(), R_OK) == 0) {
      info_ = nlohmann::json::parse(slurp(dir_ + "/lab.json"));
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("lab not ready after " + std::to_string(timeout_s) + " s; log:\n" +
                           slurp(dir_ + "/lab.log"));
}

Lab::~Lab() {
  if (pid_ > 0) {
    kill(-pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) { pid_ = -1; break; }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (pid_ > 0) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  if (!getenv("VMC_KEEP_LAB")) {
    std::string rm = "rm -rf '" + dir_ + "'";
    if (system(rm.c_str()) != 0) { /* best effort */ }
  }
}

std::string Lab::request(const std::string& method, const std::string& path,
                         const std::string& body) const {
  // control is "http://127.0.0.1:PORT"
  std::string url = info_.at("control").get<std::string>();
  auto hp = url.substr(url.find("//") + 2);
  if (auto slash = hp.find('/'); slash != std::string::npos) hp = hp.substr(0, slash);
  auto colon = hp.rfind(':');
  std::string host = hp.substr(0, colon);
  int port = std::stoi(hp.substr(colon + 1));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &sa.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    throw std::runtime_error("cannot connect to lab control " + url);
  }
  std::string req = method + " " + path + " HTTP/1.0\r\nHost: " + host +
                    "\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    throw std::runtime_error("short write to lab control");
  }
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  auto sp = resp.find(' ');
  int status = sp == std::string::npos ? 0 : std::atoi(resp.c_str() + sp + 1);
  auto hdr_end = resp.find("\r\n\r\n");
  std::string payload = hdr_end == std::string::npos ? "" : resp.substr(hdr_end + 4);
  if (status < 200 || status >= 300) {
    throw std::runtime_error(method + " " + path + " -> HTTP " + std::to_string(status) + ": " +
                             payload);
  }
  return payload;
}

std::string Lab::post(const std::string& path, const std::string& body) const {
  return request("POST", path, body);
}

std::string Lab::get(const std::string& path) const { return request("GET", path, ""); }

std::vector<nlohmann::json> Lab::truth(const std::string& ev) const {
  std::vector<nlohmann::json> out;
  std::ifstream f(dir_ + "/truth.jsonl");
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;  // a line being written right now
    if (ev.empty() || j.value("ev", "") == ev) out.push_back(std::move(j));
  }
  return out;
}

void Lab::export_env() const {
  std::ifstream f(env_file());
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"') && v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
    }
    setenv(k.c_str(), v.c_str(), 1);
  }
}

}  // namespace vmc::itest

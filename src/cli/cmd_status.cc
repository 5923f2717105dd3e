#include "cli/cmd_status.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <vector>

#include "session/run_session.h"

namespace vmc::cli {

namespace {

namespace fs = std::filesystem;

std::string octal(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

struct Findings {
  std::ostream& err;
  bool untrusted = false;
  void fail(const std::string& text) {
    err << "capture status: " << text << "\n";
    untrusted = true;
  }
  void warn(const std::string& text) { err << "capture status: warning: " << text << "\n"; }
};

/// Ownership and mode of the directory or a journal in it. Returns false when the
/// entry cannot be trusted.
bool check_owner_and_mode(const std::string& path, const struct stat& st, uid_t me,
                          const char* private_mode, Findings& f) {
  if (st.st_uid != me) {
    f.fail(path + " belongs to uid " + std::to_string(st.st_uid) + ", not to you (uid " +
           std::to_string(me) +
           "): its sessions are not yours to trust. If vm-capture ran as that user (e.g. "
           "with sudo), run `capture status` as that user, or give it back with `chown -R " +
           std::to_string(me) + " " + path + "`; or use your own --state-dir");
    return false;
  }
  if ((st.st_mode & 022) != 0) {
    f.fail(path + " can be written by others (mode " + octal(st.st_mode) +
           "): anyone could add or change journals, and cleanup acts on them. Check its "
           "content, then run `chmod " + private_mode + " " + path + "`");
    return false;
  }
  if ((st.st_mode & 044) != 0) {
    f.warn(path + " can be read by others (mode " + octal(st.st_mode) +
           "): journals name hosts, VMs and captures; run `chmod " + private_mode + " " +
           path + "`");
  }
  return true;
}

/// The directory itself; false when nothing in it can be trusted.
bool check_dir(const StatusOptions& o, Findings& f, bool& missing) {
  const std::string& dir = o.state_dir;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      missing = true;
      return true;
    }
    f.fail("cannot read the state directory " + dir + ": " + std::strerror(errno) +
           "; fix the path or its permissions, or use another --state-dir");
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    f.fail("the state directory " + dir +
           " is not a directory; move that file away or use another --state-dir "
           "(or XDG_STATE_HOME)");
    return false;
  }
  if (!check_owner_and_mode(dir, st, o.me, "700", f)) return false;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    f.fail("cannot list the state directory " + dir + ": " + ec.message() +
           "; run `chmod 700 " + dir + "` as its owner");
    return false;
  }
  return true;
}

bool has_real_start(const orchestrator::SessionListing& s) {
  return s.pid > 0 && s.started != model::TimePoint{};
}

}  // namespace

int show_status(const StatusOptions& o, std::ostream& out, std::ostream& err) {
  Findings f{err};
  bool missing = false;
  if (!check_dir(o, f, missing)) {
    err << "capture status: the session list cannot be shown\n";
    return session::kExitFailed;
  }
  if (missing) {
    out << orchestrator::format_sessions({});
    return session::kExitOk;
  }

  // Each journal: a regular file of ours that only we can write.
  std::map<std::string, bool> trusted;  // path -> usable
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(o.state_dir, ec)) {
    if (e.path().extension() != ".jsonl") continue;
    const std::string path = e.path().string();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      f.fail("cannot read journal " + path + ": " + std::strerror(errno));
      trusted[path] = false;
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      f.fail("journal " + path +
             " is not a regular file (a link or a directory); vm-capture never makes one: "
             "look at it, then remove it");
      trusted[path] = false;
      continue;
    }
    trusted[path] = check_owner_and_mode(path, st, o.me, "600", f);
  }

  std::vector<orchestrator::SessionListing> shown;
  for (auto& s : orchestrator::list_sessions(o.state_dir, o.alive)) {
    auto t = trusted.find(s.path);
    if (t != trusted.end() && !t->second) continue;  // said above
    if (s.problem.rfind("cannot read journal", 0) == 0) {  // the file, not its content
      f.fail(s.problem + "; make it readable (`chmod 600 " + s.path +
             "` as its owner) and run `capture status` again");
      continue;
    }
    if (!s.problem.empty()) {
      f.fail("journal " + s.path + " is damaged: " + s.problem +
             ". What its session left running (pktcap-uw on hosts, a DRS override) cannot "
             "be read from it: look at the file, undo by hand what it lists, then remove it");
      continue;
    }
    if (!has_real_start(s)) {
      if (s.leftovers.empty()) {
        f.fail("journal " + s.path +
               " is damaged: it has no session start (a session refused before it started, "
               "or a crash while it was made) and lists nothing to undo: remove it (rm " +
               s.path + ")");
      } else {
        f.fail("journal " + s.path +
               " is damaged: it has no session start, but lists captures or DRS overrides "
               "that may still be in place: run `capture cleanup` to undo them");
      }
      continue;
    }
    shown.push_back(std::move(s));
  }
  // With problems said above, an empty list does not mean "no sessions".
  if (!shown.empty() || !f.untrusted) out << orchestrator::format_sessions(shown);
  return f.untrusted ? session::kExitFailed : session::kExitOk;
}

}  // namespace vmc::cli

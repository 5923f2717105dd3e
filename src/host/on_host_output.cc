#include "host/on_host_output.h"

#include <cctype>
#include <condition_variable>
#include <mutex>

#include "host/sha256.h"
#include "host/text.h"

namespace vmc::host {
namespace {

bool under(std::string_view path, std::string_view dir) {
  return path == dir || (path.substr(0, dir.size()) == dir && path.size() > dir.size() &&
                         path[dir.size()] == '/');
}

bool clean_component(std::string_view s) {
  if (s.empty() || s == "." || s == ".." || s.size() > 255) return false;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '/' || u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

bool clean_path(std::string_view p) {
  if (p.empty() || p[0] != '/') return false;
  size_t i = 1;
  while (i <= p.size()) {
    size_t e = p.find('/', i);
    if (e == std::string_view::npos) e = p.size();
    std::string_view comp = p.substr(i, e - i);
    if (!(comp.empty() && e == p.size()) && !clean_component(comp)) return false;
    i = e + 1;
  }
  return true;
}

std::string mib(int64_t b) { return std::to_string(b / (1024 * 1024)) + " MiB"; }

}  // namespace

Result<std::string> on_host_directory(const model::OutputSpec& out) {
  const std::string& ds = out.datastore;
  if (ds.empty()) {
    return Error("onhost.datastore", "on-host output needs a datastore (a name such as datastore1 "
                                     "or a /vmfs/volumes/... directory)");
  }
  if (ds[0] != '/') {
    if (!clean_component(ds)) {
      return Error("onhost.datastore", "datastore name " + excerpt(ds) + " is not a plain name");
    }
    return "/vmfs/volumes/" + ds + "/vm-capture";
  }
  if (!clean_path(ds)) return Error("onhost.path", excerpt(ds) + " is not a clean absolute path");
  if (under(ds, "/tmp")) {
    if (!out.force_tmp) {
      return Error("onhost.tmp",
                   ds + " is on the host's /tmp ramdisk (256 MB on ESXi): when it fills, pktcap-uw "
                        "stops with \"Error writing ... to file\" and parallel captures end early. "
                        "Write to a datastore (/vmfs/volumes/<name>) instead, or force /tmp explicitly.");
    }
    return ds;
  }
  constexpr std::string_view kVolumes = "/vmfs/volumes/";
  if (ds.size() <= kVolumes.size() || ds.compare(0, kVolumes.size(), kVolumes) != 0 ||
      ds[kVolumes.size()] == '/') {
    return Error("onhost.path", excerpt(ds) + " is not on a datastore: give /vmfs/volumes/<datastore>[/dir]"
                                             " (system directories on ESXi are small ramdisks)");
  }
  return ds;
}

bool is_capture_file_path(std::string_view path) {
  if (!clean_path(path) || !(under(path, "/vmfs/volumes") || under(path, "/tmp"))) return false;
  const std::string_view name = path.substr(path.rfind('/') + 1);
  constexpr std::string_view kPrefix = "vmc-", kSuffix = ".pcap";
  return name.size() > kPrefix.size() + kSuffix.size() && name.substr(0, kPrefix.size()) == kPrefix &&
         name.substr(name.size() - kSuffix.size()) == kSuffix;
}

Result<FsUsage> remote_space(HostConnection& conn, const std::string& path) {
  auto r = conn.run({"vdf"});
  if (!r) return r.error();
  if (r->exit_status != 0) {
    return Error("host.command", conn.host() + ": `vdf` exited with status " + std::to_string(r->exit_status) +
                                     ": " + excerpt(trim(r->err)));
  }
  auto all = parse_vdf(r->out);
  if (!all) return all.error().context(conn.host());
  auto u = usage_for_path(*all, path);
  if (!u) {
    return Error("onhost.datastore", conn.host() + ": no mounted datastore holds " + path +
                                         " (see `vdf` on the host)");
  }
  return *u;
}

SpaceCheck check_space(const FsUsage& u, int64_t extra) {
  SpaceCheck c;
  int64_t two_percent = u.size / 50;
  constexpr int64_t kFloor = int64_t{16} << 20, kCap = int64_t{1} << 30;
  c.reserve = two_percent < kFloor ? kFloor : two_percent > kCap ? kCap : two_percent;
  if (u.avail - extra < c.reserve) {
    c.ok = false;
    c.message = (u.ramdisk ? "ramdisk " + u.name : u.mount) + " has " + mib(u.avail) + " free of " +
                mib(u.size) + ", below the " + mib(c.reserve) +
                " kept free; stopping the on-host capture so the files written so far stay intact. "
                "Free space there or choose another datastore.";
  }
  return c;
}

Error kept_on_host(const std::string& host, const std::string& remote_path, const Error& why) {
  return why.reworded(host + ":" + remote_path + ": " + why.message + "; the file was kept on the host");
}

Result<FetchReport> fetch_verified(HostConnection& conn, const std::string& remote_path,
                                   const std::function<Status(std::string_view)>& sink, bool remove) {
  auto keep = [&](const std::string& why, const char* code = "onhost.fetch") {
    return kept_on_host(conn.host(), remote_path, Error(code, why));
  };
  auto kept = [&](const Error& e) { return kept_on_host(conn.host(), remote_path, e); };
  auto st = conn.run({"stat", "-c", "%s", remote_path});
  if (!st) return kept(st.error());
  auto size = parse_int(trim(st->out));
  if (st->exit_status != 0 || !size || *size < 0) {
    if (st->exit_status != 0 && st->err.find("No such file") != std::string::npos) {
      return Error("onhost.missing", conn.host() + ":" + remote_path + ": no such file on the host",
                   ErrorKind::NotFound);
    }
    return keep("`stat` failed: " + excerpt(trim(st->err.empty() ? st->out : st->err)));
  }
  auto sum = conn.run({"sha256sum", remote_path});
  if (!sum) return kept(sum.error());
  auto fields = split_ws(trim(sum->out));
  if (sum->exit_status != 0 || fields.empty() || fields[0].size() != 64) {
    return keep("`sha256sum` failed: " + excerpt(trim(sum->err.empty() ? sum->out : sum->err)));
  }
  std::string remote_hash(fields[0]);
  for (char& ch : remote_hash) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));

  struct Shared {
    std::mutex m;
    std::condition_variable cv;
    Sha256 hash;
    uint64_t bytes = 0;
    std::optional<Error> sink_error;
    std::optional<ProcessExit> exit;
    std::string err;
  } sh;
  ProcessCallbacks cb;
  cb.on_stdout = [&](std::string_view d) {
    std::lock_guard<std::mutex> g(sh.m);
    if (sh.sink_error) return;
    sh.hash.update(d);
    sh.bytes += d.size();
    if (auto s = sink(d); !s) sh.sink_error = s.error();
  };
  cb.on_stderr_line = [&](std::string_view l) {
    std::lock_guard<std::mutex> g(sh.m);
    if (sh.err.size() < 4096) sh.err.append(l).append("\n");
  };
  cb.on_exit = [&](const ProcessExit& e) {
    std::lock_guard<std::mutex> g(sh.m);
    sh.exit = e;
    sh.cv.notify_all();
  };
  auto proc = conn.start({"cat", remote_path}, std::move(cb));
  if (!proc) return kept(proc.error());
  {
    std::unique_lock<std::mutex> lk(sh.m);
    sh.cv.wait(lk, [&] { return sh.exit.has_value() || sh.sink_error.has_value(); });
  }
  (*proc)->close();  // no-op when already finished; stops the transfer after a sink error
  std::lock_guard<std::mutex> g(sh.m);
  if (sh.sink_error) return keep("writing the local copy failed: " + sh.sink_error->message);
  if (sh.exit->connection_lost) return keep("the connection broke during the transfer");
  if (sh.exit->status.value_or(-1) != 0) {
    return keep("`cat` failed (" + sh.exit->detail + "): " + excerpt(trim(sh.err)));
  }
  FetchReport rep;
  rep.bytes = sh.bytes;
  rep.sha256 = sh.hash.hex_digest();
  if (static_cast<int64_t>(rep.bytes) != *size || rep.sha256 != remote_hash) {
    return keep("the copy does not match (got " + std::to_string(rep.bytes) + " bytes, sha256 " + rep.sha256 +
                    "; the host has " + std::to_string(*size) + " bytes, sha256 " + remote_hash + ")",
                "onhost.verify");
  }
  if (remove) {
    auto rm = conn.run({"rm", remote_path});
    if (!rm) return rm.error();
    if (rm->exit_status != 0) {
      return Error("onhost.remove", conn.host() + ":" + remote_path + " was fetched and verified but `rm` "
                                        "failed: " + excerpt(trim(rm->err)) + "; remove it by hand");
    }
    rep.removed = true;
  }
  return rep;
}

}  // namespace vmc::host

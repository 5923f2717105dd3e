#include "vsphere/api_version.h"

#include <vector>

namespace vmc::vsphere {
namespace {

bool numeric_version(std::string_view v) {
  if (v.empty() || v.size() > 32 || v.front() == '.' || v.back() == '.') return false;
  for (char c : v) {
    if (c != '.' && (c < '0' || c > '9')) return false;
  }
  return v.find("..") == std::string_view::npos;
}

std::vector<long> parts(std::string_view v) {
  std::vector<long> out;
  long cur = 0;
  for (char c : v) {
    if (c == '.') {
      out.push_back(cur);
      cur = 0;
    } else {
      cur = cur * 10 + (c - '0');
      if (cur > 1000000) cur = 1000000;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

int compare_versions(std::string_view a, std::string_view b) {
  auto pa = parts(a), pb = parts(b);
  for (size_t i = 0; i < pa.size() || i < pb.size(); ++i) {
    long x = i < pa.size() ? pa[i] : 0, y = i < pb.size() ? pb[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

Result<std::string> pick_api_version(std::string_view xml) {
  // Find the <namespace> whose <name> is urn:vim25, then every <version> inside it.
  size_t pos = 0;
  while ((pos = xml.find("<namespace>", pos)) != std::string_view::npos) {
    size_t end = xml.find("</namespace>", pos);
    if (end == std::string_view::npos) break;
    std::string_view ns = xml.substr(pos, end - pos);
    pos = end;
    if (ns.find("<name>urn:vim25</name>") == std::string_view::npos) continue;
    std::string best;
    for (size_t v = ns.find("<version>"); v != std::string_view::npos;
         v = ns.find("<version>", v + 1)) {
      size_t close = ns.find("</version>", v);
      if (close == std::string_view::npos) break;
      std::string_view text = ns.substr(v + 9, close - v - 9);
      if (!numeric_version(text) || compare_versions(text, kNewestKnownApi) > 0) continue;
      if (best.empty() || compare_versions(text, best) > 0) best = std::string(text);
    }
    if (!best.empty()) return best;
  }
  return Error("vsphere.version",
               "vimServiceVersions.xml lists no urn:vim25 version this client can speak "
               "(it knows up to " + std::string(kNewestKnownApi) + ")");
}

}  // namespace vmc::vsphere

#include "plan/plan_sections.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>

#include "plan/filter_keys.h"
#include "plan/spec_checks.h"
#include "plan/values.h"

// The targets of a plan: VMs (by name, path, moref or MAC, with their NICs) and uplinks
// (explicit vmnics or a LAG).

namespace vmc::plan::sections {

void Loader::targets(const YAML::Node& k, const YAML::Node& v) {
  mark("targets", k);
  if (!expect_map(k, v, "targets", "vms and/or uplinks")) return;
  each_key(v, "targets", kTargetKeys, [&](const std::string& key, const YAML::Node& tk, const YAML::Node& tv) {
    if (key == "vms") {
      vms(tk, tv);
    } else {
      uplinks(tk, tv);
    }
  });
}

void Loader::vms(const YAML::Node& k, const YAML::Node& v) {
  spec_.vms.clear();
  forget("targets.vms");
  mark("targets.vms", k);
  const std::string shape = "VMs (a name, or a mapping with one of vm, name, path, moref, mac and optional nics)";
  if (v.IsScalar()) {
    add_vm_scalar(v, "targets.vms[0]");
    return;
  }
  if (!expect_list(k, v, "targets.vms", shape)) return;
  size_t i = 0;
  for (const auto& e : v) {
    std::string field = "targets.vms[" + std::to_string(i++) + "]";
    if (e.IsScalar()) {
      add_vm_scalar(e, field);
    } else if (e.IsMap()) {
      add_vm_map(e, field);
    } else {
      error(loc(e), "plan.bad-type", "'" + field + "' must be one of " + shape + ", not " + kind_of(e));
    }
  }
}

std::optional<std::string> Loader::vm_ref(const std::string& how, const YAML::Node& n, const std::string& field) {
  std::string s = n.Scalar();
  auto fail = [&](const std::string& why) {
    error(loc(n), "plan.bad-value", "'" + field + "': " + why);
    return std::nullopt;
  };
  if (s.empty() || !printable(s)) return fail("a VM reference must be non-empty printable text");
  if (how == "mac" || (how == "vm" && looks_like_mac(s))) {
    auto m = parse_mac(s);
    if (!m) return fail(m.error().message);
    return *m;
  }
  if (how == "path") {
    if (s[0] != '/' || s.back() == '/' || s.find("//") != std::string::npos) {
      return fail("'" + s + "' is not an inventory path; expected a path like /dc1/vm/folder/testvm1");
    }
    return s;
  }
  if (how == "moref") {
    std::string id = s.rfind("VirtualMachine:", 0) == 0 ? s.substr(15) : s;
    bool ok = id.size() > 3 && id.rfind("vm-", 0) == 0 &&
              std::all_of(id.begin() + 3, id.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!ok) return fail("'" + s + "' is not a VM managed object id; expected vm-<number> like vm-42");
    return id;
  }
  if (s.size() > 80) return fail("'" + s.substr(0, 40) + "...' is longer than vSphere's 80-character VM names");
  return s;
}

void Loader::add_vm_scalar(const YAML::Node& n, const std::string& field) {
  if (auto ref = vm_ref("vm", n, field)) {
    mark("targets.vms[" + std::to_string(spec_.vms.size()) + "]", n);
    spec_.vms.push_back(model::VmTarget{*ref, {}});
  }
}

void Loader::add_vm_map(const YAML::Node& n, const std::string& field) {
  model::VmTarget t;
  bool ok = true;
  std::vector<std::string> refs;
  YAML::Node nics_key;
  each_key(n, field, kVmKeys, [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
    if (key == "nics") {
      for (const auto& [nic, node] : scalar_list(k, v, field + ".nics", "NIC labels or MACs")) {
        if (nic.empty() || !printable(nic)) {
          error(loc(node), "plan.bad-value", "'" + field + ".nics': a NIC is a label like \"Network adapter 1\" or a MAC");
          ok = false;
        } else if (looks_like_mac(nic)) {
          t.nics.push_back(*parse_mac(nic));
        } else {
          t.nics.push_back(nic);
        }
      }
      nics_key = k;
      return;
    }
    refs.push_back(key);
    if (refs.size() > 1) {
      error(loc(k), "plan.conflict", "'" + field + "' names its VM twice (" + refs.front() + " and " + key +
                                         "); give exactly one of vm, name, path, moref or mac");
      ok = false;
      return;
    }
    auto s = scalar(k, v, field + "." + key, "a VM " + key);
    if (!s) {
      ok = false;
      return;
    }
    if (auto ref = vm_ref(key, v, field + "." + key)) {
      t.vm = *ref;
    } else {
      ok = false;
    }
  });
  if (refs.empty()) {
    error(loc(n), "plan.missing", "'" + field + "' does not say which VM; add one of vm, name, path, moref or mac");
    return;
  }
  if (!ok) return;
  // Marks use the index in spec.vms (entries with errors are left out of it).
  std::string spec_field = "targets.vms[" + std::to_string(spec_.vms.size()) + "]";
  mark(spec_field, n);
  if (nics_key.IsDefined()) mark(spec_field + ".nics", nics_key);
  spec_.vms.push_back(std::move(t));
}

void Loader::uplinks(const YAML::Node& k, const YAML::Node& v) {
  spec_.uplinks.clear();
  forget("targets.uplinks");
  mark("targets.uplinks", k);
  const std::string shape = "mappings with host and one of vmnics or lag";
  if (!expect_list(k, v, "targets.uplinks", shape)) return;
  size_t i = 0;
  for (const auto& e : v) {
    std::string field = "targets.uplinks[" + std::to_string(i++) + "]";
    if (!e.IsMap()) {
      error(loc(e), "plan.bad-type", "'" + field + "' must be a mapping with host and one of vmnics or lag, not " + kind_of(e));
      continue;
    }
    model::UplinkTarget u;
    bool ok = true;
    bool has_host = false;
    each_key(e, field, kUplinkKeys, [&](const std::string& key, const YAML::Node& uk, const YAML::Node& uv) {
      if (key == "host") {
        auto s = scalar(uk, uv, field + ".host", "a host name as in vCenter, like esx01");
        if (!s) {
          ok = false;
        } else if (s->empty() || s->size() > 255 ||
                   !std::all_of(s->begin(), s->end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':';
                   })) {
          error(loc(uv), "plan.bad-value", "'" + field + ".host': '" + *s + "' is not a host name; expected a name like esx01 or esx01.example.com");
          ok = false;
        } else {
          u.host = *s;
          has_host = true;
        }
      } else if (key == "vmnics") {
        for (const auto& [name, node] : scalar_list(uk, uv, field + ".vmnics", "uplink names like vmnic0")) {
          auto r = parse_uplink_name(name);
          if (!r) {
            error(loc(node), r.error().code, "'" + field + ".vmnics': " + r.error().message);
            ok = false;
          } else {
            u.uplinks.push_back(*r);
          }
        }
        if (u.uplinks.empty() && ok && uv.IsSequence()) {
          error(loc(uv), "plan.missing", "'" + field + ".vmnics' is empty; list uplinks like [vmnic0, vmnic1]");
          ok = false;
        }
      } else {
        auto s = scalar(uk, uv, field + ".lag", "a LAG name like lag1");
        if (!s || s->empty() || !printable(*s) || s->size() > 80) {
          if (s) error(loc(uv), "plan.bad-value", "'" + field + ".lag': expected a LAG name like lag1");
          ok = false;
        } else {
          u.lag = *s;
        }
      }
    });
    if (!has_host && ok) {
      error(loc(e), "plan.missing", "'" + field + "' has no host; add host: esx01 (the host whose uplinks to capture)");
      ok = false;
    }
    if (ok) {
      mark("targets.uplinks[" + std::to_string(spec_.uplinks.size()) + "]", e);
      spec_.uplinks.push_back(std::move(u));
    }
  }
}

}  // namespace vmc::plan::sections

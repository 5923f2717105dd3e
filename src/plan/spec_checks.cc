#include "plan/spec_checks.h"

#include <set>

namespace vmc::plan {

namespace {

void conflict(std::vector<Problem>& out, std::string field, std::string message, std::string other = "") {
  out.push_back(Problem{std::move(field), "plan.conflict", std::move(message), std::move(other)});
}

void check_filter(const model::Filter& f, std::vector<Problem>& out) {
  if (f.rcf) {
    model::Filter rest = f;
    rest.rcf.reset();
    if (!rest.empty()) {
      conflict(out, "capture.filter.rcf",
               "rcf cannot be combined with other filters; write the whole condition as one pcap "
               "expression in rcf (e.g. \"udp port 67 and ether host 00:50:56:aa:bb:cc\"), or drop rcf");
    }
  }
  if (f.tcpport && f.proto && *f.proto != 6) {
    conflict(out, "capture.filter.tcpport",
             "tcpport matches TCP only, but proto is " + std::to_string(*f.proto) +
                 " (pktcap-uw ANDs its filters, so nothing would be captured); use srcport/dstport "
                 "with proto udp, or set proto tcp",
             "capture.filter.proto");
  }
  if ((f.srcport || f.dstport) && f.proto && *f.proto != 6 && *f.proto != 17) {
    conflict(out, f.srcport ? "capture.filter.srcport" : "capture.filter.dstport",
             "srcport/dstport match TCP and UDP only, but proto is " + std::to_string(*f.proto) +
                 "; remove the port or set proto to tcp or udp",
             "capture.filter.proto");
  }
  if (f.ethtype && *f.ethtype != 0x0800 && *f.ethtype != 0x8100 &&
      (f.ip || f.srcip || f.dstip || f.proto || f.srcport || f.dstport || f.tcpport)) {
    conflict(out, "capture.filter.ethtype",
             "IP filters (ip, srcip, dstip, proto, ports) match IPv4 frames only, but ethtype is "
             "neither 0x0800 (ipv4) nor 0x8100 (vlan); remove ethtype or the IP filters");
  }
}

void check_output(const model::OutputSpec& o, std::vector<Problem>& out) {
  bool to_stdout = o.path == "-";
  if (to_stdout && o.on_host) {
    conflict(out, "output.on_host",
             "on_host writes files on the host's datastore and fetches each as its capture stops, so it "
             "cannot stream to stdout (output path '-'); remove on_host or write to a file",
             "output.path");
  }
  if (to_stdout && o.rotation.enabled()) {
    conflict(out, "output.rotation",
             "rotation writes a series of files, but the output is stdout ('-'); remove the "
             "rotation or write to a file",
             "output.path");
  }
  if (o.rotation.ring > 0 && !o.rotation.enabled()) {
    conflict(out, "output.rotation.ring",
             "ring " + std::to_string(o.rotation.ring) +
                 " keeps the newest files of a rotation, but no rotation is set; add size, time "
                 "or packets to output.rotation, or remove ring");
  }
  if (o.on_host) {
    const std::string& ds = o.datastore;
    bool in_tmp = ds == "/tmp" || ds.rfind("/tmp/", 0) == 0;
    if (ds.empty() && !o.force_tmp) {
      out.push_back(Problem{"output.on_host", "plan.missing",
                            "on_host needs a datastore (a name like datastore1 or a "
                            "/vmfs/volumes/... path); the host's /tmp is a small ramdisk and is "
                            "used only with force_tmp: true",
                            ""});
    } else if (in_tmp && !o.force_tmp) {
      conflict(out, "output.on_host.datastore",
               "'" + ds + "' is on the host's /tmp ramdisk (256 MB shared with the system), "
               "which a capture fills quickly; use a datastore, or set force_tmp: true");
    } else if (!ds.empty() && ds[0] == '/' && !in_tmp && ds.rfind("/vmfs/volumes/", 0) != 0) {
      conflict(out, "output.on_host.datastore",
               "'" + ds + "' is neither a datastore name nor a /vmfs/volumes/... path; give a "
               "datastore like datastore1");
    } else if (!ds.empty() && ds[0] != '/' && ds.find('/') != std::string::npos) {
      conflict(out, "output.on_host.datastore",
               "'" + ds + "' is not a datastore name (names have no '/'); give a name like "
               "datastore1 or a full /vmfs/volumes/... path");
    }
  }
}

}  // namespace

std::vector<Problem> check_spec(const model::SessionSpec& spec, SpecKind kind) {
  std::vector<Problem> out;
  if (kind == SpecKind::Plan) {
    if (spec.vms.empty() && spec.uplinks.empty()) {
      out.push_back(Problem{"targets", "plan.missing",
                            "the plan has no targets; add targets.vms (VMs to follow) and/or "
                            "targets.uplinks (host uplinks or a LAG)",
                            ""});
    }
    if (spec.stop.boots && spec.vms.empty()) {
      conflict(out, "stop.boots",
               "boots counts power-ons and resets of the target VMs, but the plan has no VM "
               "targets; add targets.vms or stop by duration, packets or size",
               "targets");
    }
  }
  std::set<std::string> seen_vms;
  for (size_t i = 0; i < spec.vms.size(); ++i) {
    const auto& vm = spec.vms[i];
    std::string field = "targets.vms[" + std::to_string(i) + "]";
    if (!seen_vms.insert(vm.vm).second) {
      conflict(out, field, "VM '" + vm.vm + "' is listed twice; list it once with all its NICs");
    }
    std::set<std::string> seen_nics;
    for (const auto& n : vm.nics) {
      if (!seen_nics.insert(n).second) {
        conflict(out, field + ".nics", "NIC '" + n + "' of VM '" + vm.vm + "' is listed twice");
      }
    }
  }
  std::set<std::string> seen_uplinks;
  for (size_t i = 0; i < spec.uplinks.size(); ++i) {
    const auto& u = spec.uplinks[i];
    std::string field = "targets.uplinks[" + std::to_string(i) + "]";
    if (u.uplinks.empty() == u.lag.empty()) {
      out.push_back(Problem{field, u.lag.empty() ? "plan.missing" : "plan.conflict",
                            "uplinks of host '" + u.host +
                                "' need exactly one of vmnics (a list like [vmnic0, vmnic1]) "
                                "or lag (a LAG name like lag1)",
                            ""});
    }
    for (const auto& name : u.uplinks) {
      if (!seen_uplinks.insert(u.host + "/" + name).second) {
        conflict(out, field, "uplink " + name + " of host '" + u.host + "' is listed twice");
      }
    }
    if (!u.lag.empty() && !seen_uplinks.insert(u.host + "/lag:" + u.lag).second) {
      conflict(out, field, "LAG " + u.lag + " of host '" + u.host + "' is listed twice");
    }
  }
  if (!spec.capture_point.empty() && spec.stage) {
    conflict(out, "capture.stage",
             "stage and point exclude each other: a capture point already fixes where in the "
             "data path frames are taken; keep one",
             "capture.point");
  }
  check_filter(spec.filter, out);
  check_output(spec.output, out);
  // An on-host capture's frames come home only when it stops, so nothing counts them
  // while it runs.
  if (spec.output.on_host) {
    if (spec.stop.packets) {
      conflict(out, "stop.packets",
               "packets cannot be counted while on_host captures run (their frames are fetched "
               "when they stop); stop by duration or boots, or remove on_host",
               "output.on_host");
    }
    if (spec.stop.bytes) {
      conflict(out, "stop.size",
               "the captured size cannot be counted while on_host captures run (their frames "
               "are fetched when they stop); stop by duration or boots, or remove on_host",
               "output.on_host");
    }
  }
  return out;
}

}  // namespace vmc::plan

#include "report/report_json.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "report/frame_parser.h"
#include "report/test_frames.h"

namespace vmc::report {
namespace {

using namespace testing;  // NOLINT: the frame builders
using nlohmann::json;

constexpr int64_t kS = 1'000'000'000, kMs = 1'000'000;
constexpr int64_t kBoot = 1'700'000'000 * kS;
const Mac kVm = mac("00:50:56:aa:00:01");
const Mac kServerMac = mac("02:00:5e:00:00:01");
const Ipv4 kServer = ip(10, 255, 255, 254);
const Ipv4 kAddr = ip(10, 170, 0, 1);

Bytes client(uint8_t type, uint32_t xid, std::optional<Ipv4> requested = {}, std::optional<Ipv4> server = {},
             const std::string& vendor = "") {
  Dhcp d;
  d.type = type, d.xid = xid, d.chaddr = kVm;
  if (requested) d.opt_ip(50, *requested);
  if (server) d.opt_ip(54, *server);
  if (!vendor.empty()) d.opt_str(60, vendor);
  return client_frame(d);
}

Bytes reply(uint8_t type, uint32_t xid, Ipv4 yiaddr, Ipv4 from = kServer, Mac from_mac = kServerMac) {
  Dhcp d;
  d.op = 2, d.type = type, d.xid = xid, d.yiaddr = yiaddr;
  d.opt_ip(54, from);
  if (type == 6) {
    d.opt_str(56, "wrong network");
  } else {
    d.opt(51, {0, 1, 0x51, 0x80}).opt_str(66, from.str()).opt_str(67, "pxelinux.0");
  }
  return server_frame(d, from_mac, from, type == 6);
}

/// Two boots with everything the report knows: PXE with a missing file, two servers,
/// a NAK, an address conflict and a DECLINE, IPv6, a cut frame, a capture gap.
Report rich_report() {
  std::vector<std::pair<int64_t, Bytes>> f;
  auto at = [&](int64_t t, Bytes b) { f.emplace_back(kBoot + t, std::move(b)); };
  at(1 * kS, client(1, 1, {}, {}, "PXEClient:Arch:00000:UNDI:002001"));
  at(1 * kS + 2 * kMs, reply(2, 1, kAddr));
  at(1 * kS + 3 * kMs, reply(2, 1, ip(192, 168, 66, 1), ip(192, 168, 66, 1), mac("02:00:5e:00:00:66")));
  at(1 * kS + 4 * kMs, client(3, 1, kAddr, kServer));
  at(1 * kS + 6 * kMs, reply(5, 1, kAddr));
  at(1 * kS + 8 * kMs, ethernet(kServerMac, kVm, 0x0800, ipv4(kAddr, kServer, 17, udp(2070, 69, tftp_rrq("pxelinux.0")))));
  at(1 * kS + 10 * kMs,
     ethernet(kVm, kServerMac, 0x0800, ipv4(kServer, kAddr, 17, udp(49152, 2070, tftp_error(1, "File not found")))));
  at(2 * kS, router_solicitation(kVm));
  at(2 * kS + 1 * kMs, dhcpv6_solicit(kVm, 0x123456));
  at(3 * kS, client(3, 2, ip(192, 168, 1, 1)));
  at(3 * kS + 2 * kMs, reply(6, 2, Ipv4{}));
  const Bytes cut = client(1, 3);
  f.emplace_back(kBoot + 3 * kS + 4 * kMs, Bytes(cut.begin(), cut.begin() + 100));
  // The reset: an address conflict, a DECLINE, then the usual address.
  at(40 * kS, client(1, 4));
  at(40 * kS + 2 * kMs, reply(2, 4, ip(10, 254, 0, 1)));
  at(40 * kS + 4 * kMs, client(3, 4, ip(10, 254, 0, 1), kServer));
  at(40 * kS + 6 * kMs, reply(5, 4, ip(10, 254, 0, 1)));
  at(40 * kS + 500 * kMs, arp(1, kVm, Ipv4{}, Mac{}, ip(10, 254, 0, 1), kBroadcast));
  at(40 * kS + 501 * kMs, arp(2, mac("02:00:5e:00:00:99"), ip(10, 254, 0, 1), kVm, Ipv4{}, kVm, 0x0806));
  at(40 * kS + 503 * kMs, client(4, 4, ip(10, 254, 0, 1), kServer));
  at(41 * kS, ethernet(kServerMac, kVm, 0x0800, ipv4(kAddr, kServer, 1, Bytes(64, 0))));
  std::vector<Frame> frames;
  for (const auto& [t, b] : f) {
    frames.push_back(Frame{t, b, b.size() == 100 ? uint32_t{342} : 0});
  }
  AnalysisOptions o;
  o.vm_macs = {kVm};
  o.capture_end_ns = kBoot + 120 * kS;
  Boot reset{kBoot + 40 * kS, BootTrigger::Reset, "VmResettingEvent", "esx02", "esx01"};
  return analyze_frames({Boot{kBoot, BootTrigger::PowerOn, "VmPoweredOnEvent", "esx01", ""}, reset}, frames,
                        {{kBoot + 50 * kS, kBoot + 52 * kS, "re-pin"}}, o);
}

TEST(ReportJson, Shape) {
  const json j = report_json(rich_report());
  EXPECT_EQ(j["format"], "vm-capture-boot-report/1");
  ASSERT_EQ(j["boots"].size(), 2u);
  const json& a = j["boots"][0];
  EXPECT_EQ(a["trigger"], "power-on");
  EXPECT_EQ(a["at_ns"], kBoot);
  EXPECT_EQ(a["window"]["to_ns"], kBoot + 39 * kS);
  EXPECT_DOUBLE_EQ(a["first_dhcp_s"].get<double>(), 1.0);
  EXPECT_EQ(a["dhcp"]["servers"], json({"10.255.255.254", "192.168.66.1"}));
  EXPECT_EQ(a["dhcp"]["lease"]["address"], "10.170.0.1");
  EXPECT_EQ(a["tftp"][0]["error_code"], 1);
  EXPECT_EQ(a["frames"]["truncated"], 1);
  std::vector<std::string> kinds;
  for (const json& f : a["findings"]) kinds.push_back(f["kind"]);
  EXPECT_EQ(kinds, (std::vector<std::string>{"multiple-servers", "tftp-error", "nak"}));
  EXPECT_EQ(a["events"][0]["kind"], "dhcp");
  EXPECT_EQ(a["events"][0]["dhcp"]["vendor_class"], "PXEClient:Arch:00000:UNDI:002001");
  EXPECT_DOUBLE_EQ(a["events"][0]["t_s"].get<double>(), 1.0);
  const json& b = j["boots"][1];
  EXPECT_EQ(b["trigger"], "reset");
  EXPECT_EQ(b["moved_from"], "esx01");
  EXPECT_EQ(b["window"]["to_ns"], kBoot + 120 * kS);
  kinds.clear();
  for (const json& f : b["findings"]) kinds.push_back(f["kind"]);
  EXPECT_EQ(kinds, (std::vector<std::string>{"address-conflict", "decline", "capture-gap"}));
}

/// Runs Debian's python3-jsonschema (tests/deps.sh) on `doc`: "" when it is valid, else
/// the validator's complaints.
std::string validate(const json& doc) {
  const auto dir = std::filesystem::temp_directory_path() / ("vmc-report-json-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto doc_path = dir / "report.json";
  std::ofstream(doc_path) << doc.dump(2);
  const std::string schema = std::string(VMC_SOURCE_DIR) + "/src/report/boot-report.schema.json";
  const std::string cmd =
      "/usr/bin/python3 -c 'import json, sys, jsonschema\n"
      "schema = json.load(open(sys.argv[1]))\n"
      "jsonschema.Draft202012Validator.check_schema(schema)\n"
      "errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))\n"
      "for e in errors: print(\"/\".join(map(str, e.absolute_path)), e.message)\n"
      "sys.exit(1 if errors else 0)' '" +
      schema + "' '" + doc_path.string() + "' 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "popen failed";
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int rc = pclose(p);
  std::filesystem::remove_all(dir);
  if (rc != 0 && out.empty()) out = "validator exit status " + std::to_string(rc);
  return rc == 0 ? "" : out;
}

TEST(ReportJson, ValidAgainstTheSchema) {
  const json j = report_json(rich_report());
  EXPECT_EQ(validate(j), "");
  // An empty report, and one boot with nothing seen.
  EXPECT_EQ(validate(report_json(Report{})), "");
  EXPECT_EQ(validate(report_json(analyze({Boot{}}, {}, {}, {}))), "");
}

// The validation is not vacuous: the schema refuses what the report must not be.
TEST(ReportJson, TheSchemaRefusesBrokenReports) {
  json j = report_json(rich_report());
  j["boots"][0].erase("trigger");
  EXPECT_NE(validate(j).find("'trigger' is a required property"), std::string::npos) << validate(j);
  j = report_json(rich_report());
  j["boots"][1]["findings"][0]["kind"] = "haunted";
  EXPECT_NE(validate(j), "");
  j = report_json(rich_report());
  j["boots"][0]["events"][0]["dhcp"]["client_mac"] = "00:50:56";
  EXPECT_NE(validate(j), "");
  j = report_json(rich_report());
  j["boots"][0]["extra"] = 1;
  EXPECT_NE(validate(j), "");
}

}  // namespace
}  // namespace vmc::report

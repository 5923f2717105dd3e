#include "host/esxi_version.h"

#include <gtest/gtest.h>

#include "model/inventory.h"

namespace vmc::host {
namespace {

TEST(ParseVmwareVl, Versions) {
  struct Case {
    const char* text;
    EsxiVersion want;
    bool dir_both;
  };
  const Case cases[] = {
      {"VMware ESXi 8.0.3 build-24022510\nVMware ESXi 8.0 Update 3\n", {"8.0.3", "24022510", "Update 3"}, true},
      {"VMware ESXi 6.7.0 build-8169922\r\nVMware ESXi 6.7.0 GA\r\n", {"6.7.0", "8169922", "GA"}, true},
      {"VMware ESXi 6.5.0 build-4564106\n", {"6.5.0", "4564106", ""}, false},
      {"VMware ESXi 7.0.3 build-21930508", {"7.0.3", "21930508", ""}, true},
  };
  for (const auto& c : cases) {
    auto r = parse_vmware_vl(c.text);
    ASSERT_TRUE(r.ok()) << c.text;
    EXPECT_EQ(*r, c.want);
    EXPECT_EQ(model::supports_dir_both(r->version), c.dir_both) << c.text;
  }
}

TEST(ParseVmwareVl, Rejects) {
  for (const char* t : {"", "Linux 6.1\n", "VMware ESXi\n", "VMware ESXi build-1\n", "VMware ESXi 8.x.3\n",
                        "VMware Workstation 17.0.0 build-1\n"}) {
    auto r = parse_vmware_vl(t);
    ASSERT_FALSE(r.ok()) << t;
    EXPECT_EQ(r.error().code, "esxi.version");
  }
}

}  // namespace
}  // namespace vmc::host

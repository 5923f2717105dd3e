#include "host/port_key.h"

#include <gtest/gtest.h>

namespace vmc::host {
namespace {

TEST(PortIdFromKey, Table) {
  EXPECT_EQ(port_id_from_key("key-vim.host.PortGroup.Port-33554436"), 33554436);
  EXPECT_EQ(port_id_from_key("key-vim.host.PortGroup.Port-1"), 1);
  EXPECT_FALSE(port_id_from_key("key-vim.host.PortGroup.Port-"));
  EXPECT_FALSE(port_id_from_key("key-vim.host.PortGroup.Port--5"));
  EXPECT_FALSE(port_id_from_key("key-vim.host.PortGroup.Port-0"));
  EXPECT_FALSE(port_id_from_key("key-vim.host.PortGroup.Port-12x"));
  EXPECT_FALSE(port_id_from_key("key-vim.host.PortGroup.Port-99999999999999999999"));
  EXPECT_FALSE(port_id_from_key("key-vim.host.PortGroup-VM Network"));
  EXPECT_FALSE(port_id_from_key("12"));
  EXPECT_FALSE(port_id_from_key(""));
}

}  // namespace
}  // namespace vmc::host

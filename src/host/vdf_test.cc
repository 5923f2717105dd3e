#include "host/vdf.h"

#include <gtest/gtest.h>

namespace vmc::host {
namespace {

constexpr int64_t K = 1024, M = K * K, G = M * K;

const char* kVdf =
    "Filesystem   Size   Used Avail Use% Mounted on\n"
    "VMFS-6     499.8G 200.5G 299.2G  40% /vmfs/volumes/datastore1\n"
    "VMFS-6      20.0G  19.9G  100M  99% /vmfs/volumes/small ds\n"
    "VFFS       119.8G   3.8G 116.0G   3% /vmfs/volumes/OSDATA-6304a5d1\n"
    "vfat-with-a-very-long-name\n"
    "             4.0G 201.6M   3.8G   5% /vmfs/volumes/BOOTBANK1\n"
    "-----\n"
    "Ramdisk                   Size      Used Available Use% Mounted on\n"
    "root                       32M        5M       26M  17% --\n"
    "etc                        28M      168K       27M   0% --\n"
    "tmp                       256M      255M        1M  99% --\n"
    "hostdstats                803M        6M      796M   0% --\n";

TEST(ParseVdf, FilesystemsAndRamdisks) {
  auto r = parse_vdf(kVdf);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 8u);
  EXPECT_EQ((*r)[0].name, "VMFS-6");
  EXPECT_EQ((*r)[0].avail, static_cast<int64_t>(299.2 * G + 0.5));
  EXPECT_EQ((*r)[0].use_percent, 40);
  EXPECT_EQ((*r)[0].mount, "/vmfs/volumes/datastore1");
  EXPECT_FALSE((*r)[0].ramdisk);
  EXPECT_EQ((*r)[1].mount, "/vmfs/volumes/small ds");
  EXPECT_EQ((*r)[1].avail, 100 * M);
  EXPECT_EQ((*r)[3].name, "vfat-with-a-very-long-name");
  EXPECT_EQ((*r)[3].size, 4 * G);
  EXPECT_EQ((*r)[6], (FsUsage{"tmp", 256 * M, 255 * M, 1 * M, 99, "--", true}));
  EXPECT_EQ((*r)[5].used, 168 * K);
}

TEST(ParseVdf, KiloBlocks) {
  auto r = parse_vdf(
      "Filesystem    1K-blocks      Used Available Use% Mounted on\r\n"
      "VMFS-6        524021760 210239488 313782272  40% /vmfs/volumes/datastore1\r\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].avail, 313782272LL * 1024);

  // The lab's (and ESXi's) plain vdf: the ramdisk section follows in KiB too.
  auto lab = parse_vdf(
      "Filesystem      1K-blocks         Used    Available Use% Mounted on\n"
      "VMFS-6          524288000    125829120    398458880  24% /vmfs/volumes/datastore1\n"
      "-----\n"
      "Ramdisk                   Size      Used Available Use% Mounted on\n"
      "tmp                     262144       12    262132   0% --\n");
  ASSERT_TRUE(lab.ok()) << lab.error().message;
  ASSERT_EQ(lab->size(), 2u);
  EXPECT_EQ((*lab)[1].size, 256 * M);
  EXPECT_TRUE((*lab)[1].ramdisk);
}

TEST(ParseVdf, UsageForPath) {
  auto r = parse_vdf(kVdf);
  ASSERT_TRUE(r.ok());
  auto ds = usage_for_path(*r, "/vmfs/volumes/datastore1/vmc/cap.pcap");
  ASSERT_TRUE(ds);
  EXPECT_EQ(ds->mount, "/vmfs/volumes/datastore1");
  auto tmp = usage_for_path(*r, "/tmp/x.pcap");
  ASSERT_TRUE(tmp);
  EXPECT_EQ(tmp->name, "tmp");
  EXPECT_TRUE(tmp->ramdisk);
  EXPECT_FALSE(usage_for_path(*r, "/vmfs/volumes/datastore10/x"));
  EXPECT_FALSE(usage_for_path(*r, "/scratch/x"));
}

TEST(ParseHumanSize, Units) {
  EXPECT_EQ(parse_human_size("0B"), 0);
  EXPECT_EQ(parse_human_size("12K"), 12 * K);
  EXPECT_EQ(parse_human_size("1.5G"), 3 * G / 2);
  EXPECT_EQ(parse_human_size("7"), 7);
  EXPECT_FALSE(parse_human_size("G"));
  EXPECT_FALSE(parse_human_size("1.2.3G"));
  EXPECT_FALSE(parse_human_size("-1G"));
  EXPECT_FALSE(parse_human_size("99999999P"));
}

TEST(ParseVdf, Errors) {
  const char* bad[] = {
      "VMFS-6 1G 1G 0 100% /x\n",
      "Filesystem Size Used Avail Use% Mounted on\nVMFS-6 1G 1G\n",
      "Filesystem Size Used Avail Use% Mounted on\nVMFS-6 1Q 1G 0 10% /x\n",
      "Filesystem Size Used Avail Use% Mounted on\nVMFS-6 1G 1G 0 101% /x\n",
      "Filesystem Size Used Avail Use% Mounted on\nVMFS-6 1G 1G 0 10 /x\n",
  };
  for (const char* t : bad) {
    auto r = parse_vdf(t);
    ASSERT_FALSE(r.ok()) << t;
    EXPECT_EQ(r.error().code, "vdf.parse");
  }
  auto empty = parse_vdf("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace vmc::host

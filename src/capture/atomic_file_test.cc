#include "capture/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "capture/test_util.h"

namespace vmc::capture {
namespace {

namespace fs = std::filesystem;

TEST(AtomicFile, CommitRenamesTheTemporaryFileWithOwnerOnlyMode) {
  testing::TempDir d;
  const auto path = d.file("out.pcapng");
  auto f = AtomicFile::create(path);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->temp_path(), path + ".part");
  ASSERT_EQ(::write(f->fd(), "abc", 3), 3);
  EXPECT_TRUE(fs::exists(path + ".part"));
  EXPECT_FALSE(fs::exists(path));
  ASSERT_TRUE(f->commit().ok());
  EXPECT_FALSE(fs::exists(path + ".part"));
  EXPECT_EQ(testing::read_file(path), (std::vector<uint8_t>{'a', 'b', 'c'}));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(f->commit().ok());
}

TEST(AtomicFile, DestructorRemovesAnUncommittedFileAndNeverRenames) {
  testing::TempDir d;
  const auto path = d.file("out.pcapng");
  {
    auto f = AtomicFile::create(path);
    ASSERT_TRUE(f.ok());
    ASSERT_EQ(::write(f->fd(), "abc", 3), 3);
    AtomicFile moved = std::move(*f);
    EXPECT_TRUE(fs::exists(path + ".part"));
  }
  EXPECT_FALSE(fs::exists(path + ".part"));
  EXPECT_FALSE(fs::exists(path));
}

TEST(AtomicFile, ExistingPartFileIsMadeOwnerOnly) {
  testing::TempDir d;
  const auto path = d.file("x");
  testing::write_file(path + ".part", {1, 2, 3});
  ::chmod((path + ".part").c_str(), 0666);
  auto f = AtomicFile::create(path);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->commit().ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 0);
}

TEST(AtomicFile, UnwritableDirectoryIsAnErrorNamingThePath) {
  auto f = AtomicFile::create("/nonexistent-dir/out.pcapng");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("/nonexistent-dir/out.pcapng.part"), std::string::npos);
}

}  // namespace
}  // namespace vmc::capture

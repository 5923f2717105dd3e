#include "session/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace vmc::session {
namespace {

std::string file_with(const std::string& name, const std::string& text, mode_t mode) {
  const std::string path = (std::filesystem::path(::testing::TempDir()) / name).string();
  std::filesystem::remove(path);
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(CredentialFile, ThePrivateFilesFirstLineIsThePassword) {
  auto pw = read_credential_file(file_with("cred-ok", "s3cret\nignored\n", 0600));
  ASSERT_TRUE(pw.ok()) << pw.error().message;
  EXPECT_EQ("s3cret", *pw);
}

TEST(CredentialFile, AFileOthersMayReadIsRefused) {
  const auto path = file_with("cred-open", "s3cret\n", 0644);
  auto pw = read_credential_file(path);
  ASSERT_FALSE(pw.ok());
  EXPECT_EQ("credentials.mode", pw.error().code);
  EXPECT_NE(std::string::npos, pw.error().message.find("chmod 600 " + path)) << pw.error().message;
}

TEST(CredentialFile, MissingOrEmptyIsSaid) {
  auto missing = read_credential_file("/nonexistent/cred");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ("credentials.file", missing.error().code);
  auto empty = read_credential_file(file_with("cred-empty", "", 0600));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(std::string::npos, empty.error().message.find(": empty")) << empty.error().message;
}

}  // namespace
}  // namespace vmc::session

// Where plans and policies are read from: the file system, or memory in tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "util/result.h"

namespace vmc::plan {

class FileSource {
 public:
  virtual ~FileSource() = default;
  /// The whole file. Errors: "plan.file" (missing, unreadable, larger than 1 MiB).
  virtual Result<std::string> read(const std::filesystem::path& path) const = 0;
  /// Names of the *.yaml files directly in `dir`, sorted; empty if it does not exist.
  virtual std::vector<std::string> list_yaml(const std::filesystem::path& dir) const = 0;
};

class DiskFiles : public FileSource {
 public:
  Result<std::string> read(const std::filesystem::path& path) const override;
  std::vector<std::string> list_yaml(const std::filesystem::path& dir) const override;
};

}  // namespace vmc::plan

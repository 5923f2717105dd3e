// Test helpers: FileSources for plan tests (header-only, used by *_test.cc only).
#pragma once

#include <map>
#include <string>

#include "plan/file_source.h"

namespace vmc::plan::testing {

/// Files in memory, by path as given.
class MemoryFiles : public FileSource {
 public:
  std::map<std::string, std::string> files;
  Result<std::string> read(const std::filesystem::path& path) const override {
    auto it = files.find(path.string());
    if (it == files.end()) return Error("plan.file", "cannot read " + path.string() + ": no such file");
    return it->second;
  }
  std::vector<std::string> list_yaml(const std::filesystem::path& dir) const override {
    std::vector<std::string> names;
    for (const auto& [p, text] : files) {
      std::filesystem::path fp(p);
      if (fp.parent_path() == dir && fp.extension() == ".yaml") names.push_back(fp.filename().string());
    }
    return names;
  }
};

/// The disk, with relative paths resolved under `root` (so messages show short paths).
class RootedFiles : public FileSource {
 public:
  explicit RootedFiles(std::filesystem::path root) : root_(std::move(root)) {}
  Result<std::string> read(const std::filesystem::path& path) const override { return disk_.read(resolve(path)); }
  std::vector<std::string> list_yaml(const std::filesystem::path& dir) const override {
    return disk_.list_yaml(resolve(dir));
  }

 private:
  std::filesystem::path resolve(const std::filesystem::path& p) const { return p.is_absolute() ? p : root_ / p; }
  std::filesystem::path root_;
  DiskFiles disk_;
};

}  // namespace vmc::plan::testing

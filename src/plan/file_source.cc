#include "plan/file_source.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace vmc::plan {

namespace {
constexpr std::uintmax_t kMaxFile = 1 << 20;
}

Result<std::string> DiskFiles::read(const std::filesystem::path& path) const {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return Error("plan.file", "cannot read " + path.string() + ": no such file");
  }
  if (std::filesystem::is_directory(status)) {
    return Error("plan.file", "cannot read " + path.string() + ": it is a directory, not a YAML file");
  }
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxFile) {
    return Error("plan.file", path.string() + " is " + std::to_string(size) +
                                  " bytes; plans and policies are limited to 1 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error("plan.file", "cannot read " + path.string() + ": " + std::strerror(errno));
  // Read at most one byte more than allowed: a device or pipe that never ends
  // (/dev/zero, /dev/urandom) must not be read into memory without bound.
  std::string text(kMaxFile + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxFile) {
    return Error("plan.file", path.string() + " is larger than 1 MiB; plans and policies are limited to 1 MiB");
  }
  return text;
}

std::vector<std::string> DiskFiles::list_yaml(const std::filesystem::path& dir) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".yaml") names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace vmc::plan

#include "launcher/launcher.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "launcher/commands_module.h"

namespace vmc::launcher {

std::vector<std::string> module_paths(const std::string& exe) {
  const std::filesystem::path dir = std::filesystem::path(exe).parent_path();
  return {(dir / kModuleFile).string(),
          (dir / VMC_COMMANDS_RELDIR / kModuleFile).lexically_normal().string()};
}

std::string self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

std::string find_module() {
  const std::string exe = self_exe();
  if (exe.empty()) return {};
  for (const auto& p : module_paths(exe)) {
    if (::access(p.c_str(), R_OK) == 0) return p;
  }
  return {};
}

int run_in_module(int argc, char** argv) {
  const std::string exe = self_exe();
  if (exe.empty()) {
    std::fprintf(stderr,
                 "capture: cannot find this program's own path (/proc/self/exe), so not "
                 "its commands module %s either; only `capture merge` works without it\n",
                 kModuleFile);
    return kExitNoModule;
  }
  const auto paths = module_paths(exe);
  const std::string path = find_module();
  if (path.empty()) {
    std::fprintf(stderr,
                 "capture: this command needs the commands module, which is not installed: "
                 "expected %s or %s (only `capture merge` works without it)\n",
                 paths[0].c_str(), paths[1].c_str());
    return kExitNoModule;
  }
  // RTLD_NOW: a module that cannot resolve its libraries fails here, with dlerror's
  // reason, instead of in the middle of a command. RTLD_LOCAL: its symbols stay its own.
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* why = ::dlerror();
    std::fprintf(stderr, "capture: cannot load the commands module %s: %s\n", path.c_str(),
                 why ? why : "unknown error");
    return kExitNoModule;
  }
  auto entry = reinterpret_cast<EntryPoint>(::dlsym(h, kEntryPoint));
  if (entry == nullptr) {
    std::fprintf(stderr,
                 "capture: %s is not this version's commands module (no %s); reinstall "
                 "vm-capture\n",
                 path.c_str(), kEntryPoint);
    return kExitNoModule;
  }
  // The module stays loaded until exit: its static objects are destroyed by exit().
  return entry(argc, argv);
}

}  // namespace vmc::launcher

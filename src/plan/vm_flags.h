// `capture vm NAME [flags]` -> SessionSpec. The CLI collects the flags as text into
// VmFlags; this validates them with the same parsers and whole-spec checks as plans, on
// top of the same policy, so a flag and the equivalent plan key always agree.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/session_spec.h"
#include "plan/plan_loader.h"

namespace vmc::plan {

/// The flags as typed; unset optionals keep the policy's value.
struct VmFlags {
  std::string vm;                             // NAME: name, inventory path, vm-NN or a MAC
  std::vector<std::string> nics;              // --nic LABEL|MAC (repeatable)
  std::string policy;                         // --policy NAME|PATH (empty = default)
  std::optional<std::string> dir;             // --dir in|out|both
  std::vector<std::string> filters;           // --filter KEY=VALUE[,KEY=VALUE] (repeatable)
  std::optional<std::string> capture_point;   // --capture-point VnicRx
  std::optional<std::string> stage;           // --stage pre|post
  std::optional<std::string> duration;        // --duration 30m
  std::optional<std::string> packets;         // --packets N
  std::optional<std::string> size;            // --size 500MB
  std::optional<std::string> boots;           // --boots N
  std::optional<std::string> output;          // -w FILE|-
  std::optional<std::string> rotate_size;     // --rotate-size 100MB
  std::optional<std::string> rotate_time;     // --rotate-time 10m
  std::optional<std::string> rotate_packets;  // --rotate-packets N
  std::optional<std::string> ring;            // --ring N
  std::optional<std::string> snaplen;         // --snaplen N
  std::optional<std::string> on_host;         // --on-host DATASTORE
  bool force_tmp = false;                     // --force-tmp
  std::optional<std::string> drs;             // --drs manual|...|none
  std::optional<std::string> bridge;          // --bridge on|off
};

/// The flag each spec field comes from, for messages: "stop.duration" -> "--duration".
std::string flag_for_field(const std::string& field);

/// Diagnostics name the flag ("--duration: '5x' has an unknown unit ..."); problems in
/// the policy file name its file:line:column.
LoadResult spec_from_flags(const VmFlags& flags, const LoadOptions& options);

}  // namespace vmc::plan

// The runtime's timings and identity, shared by its parts.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace vmc::orchestrator {

struct RuntimeOptions {
  std::string session_id;
  int64_t pid = 0;                                 // of this process, for the journal
  std::chrono::milliseconds tick{500};             // longest wait for an event
  std::chrono::milliseconds resync{30000};         // re-check every known port this often
  std::chrono::milliseconds settle{15000};         // after an event, re-check the VM's ports at every pass
  std::chrono::milliseconds backoff_initial{500};  // per-host retry after a failure
  // Short: a host back after an outage must be captured again within seconds.
  std::chrono::milliseconds backoff_max{5000};
  // Reports of one boot this close are one boot (the reset event and the bootTime it set
  // arrive within milliseconds; two resets are seconds apart).
  std::chrono::milliseconds boot_window{1000};
  std::chrono::milliseconds boots_grace{10000};    // keep capturing this long after the last boot
  std::chrono::milliseconds vcenter_give_up{300000};  // vCenter unreachable this long = error
  int teardown_attempts = 3;                       // per stop/restore at the end
  const std::atomic<bool>* stop_flag = nullptr;    // set by a signal handler
};

}  // namespace vmc::orchestrator

// Which VM NICs a capture covers, checked after every change to what runs: a NIC that
// was covered and is not any more opens a gap (from when its capture was last known to
// work, with why it stopped), and the gap closes when a capture covers the NIC again. A
// capture cut off from us but still recording on its host keeps its NIC covered until
// the NIC's next capture runs (its frames come when its file is fetched).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/inventory.h"
#include "orchestrator/nic_key.h"
#include "orchestrator/pin.h"
#include "orchestrator/summary.h"

namespace vmc::orchestrator {

class Coverage {
 public:
  /// The NIC's capture was stopped, for `reason`.
  void stopped(const NicKey& nic, std::string reason);
  /// The NIC's capture ended by itself: `reason`, and when it was last known to work;
  /// `still_recording`: it goes on recording on its host.
  void ended(const NicKey& nic, std::string reason, model::TimePoint last_good,
             bool still_recording);
  /// Compares what covers each NIC now (`running`, and captures still recording while
  /// their VM is among `vms`) with the last check: gaps open and close in `gaps`. A NIC
  /// uncovered with no stop or end recorded gets `why`. Returns what to comment.
  std::vector<std::string> update(const std::vector<Pin>& running,
                                  const std::vector<model::VmInfo>& vms, const std::string& why,
                                  model::TimePoint now, std::vector<Gap>& gaps);

 private:
  std::map<NicKey, std::string> covered_;   // at the last check, with the VM's name
  std::map<NicKey, size_t> open_gaps_;      // index in the summary's gaps
  std::map<NicKey, std::string> stop_reasons_;         // since the last check
  std::map<NicKey, model::TimePoint> last_good_;        // ditto
  std::set<NicKey> still_recording_;
};

}  // namespace vmc::orchestrator

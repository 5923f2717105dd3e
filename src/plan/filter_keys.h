// The pktcap-uw filter keys a plan's `capture.filter` and `--filter KEY=VALUE` accept,
// each validated by one parser from values.h. pktcap-uw ANDs its filters and takes one
// value per key; `rcf` (vSphere 7+) takes a whole pcap expression instead.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/session_spec.h"
#include "util/result.h"

namespace vmc::plan {

/// mac, srcmac, dstmac, ip, srcip, dstip, vlan, proto, srcport, dstport, tcpport, ethtype, rcf
const std::vector<std::string>& filter_keys();

/// Validates `value` for `key` and stores it in `filter`. Errors: "plan.unknown-key" for a
/// key not in filter_keys(), "plan.bad-value" for a value the key does not accept.
Status set_filter_key(model::Filter& filter, std::string_view key, std::string_view value);

/// The set keys with their values in pktcap-uw's notation, in filter_keys() order:
/// {{"proto", "0x11"}, {"dstport", "67"}}.
std::vector<std::pair<std::string, std::string>> filter_items(const model::Filter& filter);

}  // namespace vmc::plan

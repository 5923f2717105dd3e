// Uplink captures: a LAG (or an explicit list) becomes its member vmnics on one host,
// each captured in both directions (one process with --dir 2, or two on old hosts).
#pragma once

#include <string>
#include <vector>

#include "host/pktcap_args.h"
#include "model/inventory.h"
#include "model/session_spec.h"
#include "util/result.h"

namespace vmc::host {

/// The vmnics `t` names on `host`: t.lag's members (code "uplink.lag" when the host has
/// no such LAG, listing those it has) plus t.uplinks; each must be one of host.uplinks
/// when the host lists any (code "uplink.unknown"). No duplicates, order kept.
Result<std::vector<std::string>> expand_uplinks(const model::UplinkTarget& t, const model::HostInfo& host);

/// One plan per vmnic: `base` with its target set to that uplink and direction Both.
Result<std::vector<PlannedProcess>> plan_uplink_capture(const model::UplinkTarget& t,
                                                        const model::HostInfo& host,
                                                        const PktcapRequest& base);

}  // namespace vmc::host

// Which vim25 API version to announce (SOAPAction "urn:vim25/<version>"), chosen from
// the server's /sdk/vimServiceVersions.xml like other clients do.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace vmc::vsphere {

/// The newest version the subset was written against.
inline constexpr std::string_view kNewestKnownApi = "8.0.3.0";

/// The highest dotted-numeric urn:vim25 version (current or prior) in `xml` that is not
/// newer than kNewestKnownApi. Non-numeric internal versions ("uA046D008") are skipped.
/// Errors when the document lists no usable urn:vim25 version.
Result<std::string> pick_api_version(std::string_view xml);

/// -1, 0, 1 comparing dotted numeric versions ("8.0.2.0" vs "8.0.10"); missing parts are 0.
int compare_versions(std::string_view a, std::string_view b);

}  // namespace vmc::vsphere

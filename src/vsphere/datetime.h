// xsd:dateTime as vCenter writes it ("2023-12-12T10:07:13.322128Z", offsets allowed),
// parsed from untrusted text into a system_clock time point.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/inventory.h"

namespace vmc::vsphere {

/// Years the time point can hold (system_clock counts nanoseconds in int64).
inline constexpr int kFirstYear = 1678;
inline constexpr int kLastYear = 2261;

/// Parses YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm); no zone means UTC.
/// Fractions beyond microseconds are truncated. nullopt for anything else,
/// including a year outside kFirstYear..kLastYear.
std::optional<model::TimePoint> parse_datetime(std::string_view text);

/// Formats as UTC with microseconds, "2023-12-12T10:07:13.322128Z".
std::string format_datetime(model::TimePoint t);

}  // namespace vmc::vsphere

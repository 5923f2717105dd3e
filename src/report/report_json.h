// The boot report as JSON, as src/report/boot-report.schema.json describes it (its
// "format" member names the version). Times are nanoseconds since the Unix epoch
// ("*_ns") and, for reading, seconds on the boot's clock ("*_s": since the boot's
// vCenter time). Text from frames is printable already (frame_parser.h).
#pragma once

#include <nlohmann/json.hpp>

#include "report/boot_analysis.h"

namespace vmc::report {

inline constexpr const char* kBootReportFormat = "vm-capture-boot-report/1";

nlohmann::json event_json(const BootEvent& e, int64_t boot_ns);
nlohmann::json boot_json(const BootReport& r);
nlohmann::json report_json(const Report& r);

}  // namespace vmc::report

// libFuzzer target: one frame through the boot report's parser (the first byte's low
// bit marks a frame cut by the snaplen), then through the per-boot analysis twice (as a
// frame of the VM and at the boot's start). Must never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <span>

#include "report/boot_analysis.h"
#include "report/frame_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vmc::report;
  if (size == 0) return 0;
  const std::span<const uint8_t> frame(data + 1, size - 1);
  const uint32_t orig_len = (data[0] & 1) ? static_cast<uint32_t>(frame.size() + 1 + data[0]) : 0;
  const BootEvent e = parse_boot_frame(frame, 1'000'000'000, orig_len);
  (void)describe(e);
  const Frame frames[] = {{999'000'000, frame, orig_len}, {1'000'000'000, frame, orig_len}, {2'000'000'000, frame, orig_len}};
  AnalysisOptions options;
  options.discover_within_ns = 500'000'000;
  const Report r = analyze_frames({Boot{1'000'000'000, BootTrigger::Reset, "", "", ""}}, frames,
                                  {{1'500'000'000, 1'600'000'000, "fuzz"}}, options);
  return r.boots.size() == 1 ? 0 : 1;
}

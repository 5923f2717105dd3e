// A pull source of frames in (roughly) chronological order: a file, or a test list.
#pragma once

#include <string>

#include "capture/frame.h"
#include "util/result.h"

namespace vmc::capture {

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  /// Fills `out` (bytes valid until the next call) and returns true; false at the
  /// end; an Error naming the source and the offset when the input is corrupt. Frames
  /// returned before an Error are good.
  virtual Result<bool> next(FrameView& out) = 0;
  virtual const std::string& name() const = 0;
  /// The link-layer type (LINKTYPE_*, 1 = Ethernet) of the frames.
  virtual int linktype() const = 0;
};

}  // namespace vmc::capture

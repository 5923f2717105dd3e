#include "model/session_spec.h"

namespace vmc::model {

const char* to_string(Direction d) {
  switch (d) {
    case Direction::In: return "in";
    case Direction::Out: return "out";
    case Direction::Both: return "both";
  }
  return "both";
}

}  // namespace vmc::model

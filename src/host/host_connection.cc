#include "host/host_connection.h"

namespace vmc::host {

void LineSplitter::feed(std::string_view data, const std::function<void(std::string_view)>& line) {
  for (char c : data) {
    if (c == '\n') {
      std::string_view l = buf_;
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      line(l);
      buf_.clear();
      continue;
    }
    buf_ += c;
    if (buf_.size() >= max_) {
      line(buf_);
      buf_.clear();
    }
  }
}

void LineSplitter::finish(const std::function<void(std::string_view)>& line) {
  if (!buf_.empty()) {
    std::string_view l = buf_;
    if (l.back() == '\r') l.remove_suffix(1);
    line(l);
    buf_.clear();
  }
}

}  // namespace vmc::host

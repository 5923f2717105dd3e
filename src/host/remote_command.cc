#include "host/remote_command.h"

#include "host/text.h"
#include "util/shell_quote.h"

namespace vmc::host {

Result<std::string> pid_framed_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return Error("remote.command", "no command to run");
  auto joined = util::shell_join(argv);
  if (!joined) return joined.error();
  return "sh -c " + util::shell_quote("echo $$; exec " + *joined);
}

Result<std::string> plain_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return Error("remote.command", "no command to run");
  return util::shell_join(argv);
}

Status PidLineSplitter::feed(std::string_view data,
                             const std::function<void(std::string_view)>& payload) {
  if (failed_) return *failed_;
  if (pid_) {
    if (!data.empty()) payload(data);
    return {};
  }
  size_t nl = data.find('\n');
  std::string_view head = nl == std::string_view::npos ? data : data.substr(0, nl);
  line_.append(head);
  // Fail on the first byte that cannot belong to "<digits>[\r]" (e.g. pcap magic).
  bool bad_byte = false;
  for (size_t i = 0; i < line_.size(); ++i) {
    char c = line_[i];
    if (!(c >= '0' && c <= '9') && !(c == '\r' && i + 1 == line_.size())) bad_byte = true;
  }
  if (line_.size() > 20 || bad_byte) {
    failed_ = Error("remote.pid", "the first line of the remote command's output " + excerpt(line_) +
                                      " is not a process id; the host's shell did not run "
                                      "`echo $$` as expected");
    return *failed_;
  }
  if (nl == std::string_view::npos) return {};
  std::string_view l = line_;
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  auto v = parse_int(l);
  if (!v || *v <= 0) {
    failed_ = Error("remote.pid", "the first line of the remote command's output " + excerpt(line_) +
                                      " is not a process id; the host's shell did not run "
                                      "`echo $$` as expected");
    return *failed_;
  }
  pid_ = *v;
  std::string_view rest = data.substr(nl + 1);
  if (!rest.empty()) payload(rest);
  return {};
}

}  // namespace vmc::host

// The session journal: append-only JSON lines, one file per session under the user's
// state directory, recording every remote process and every DRS override change as it
// happens, so that a crashed or killed session can be undone later (cleanup.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/inventory.h"
#include "util/result.h"

namespace vmc::orchestrator {

struct JournalRecord {
  enum class Kind {
    SessionStart,      // session_id, pid, name
    ProcessStarted,    // host*, remote_pid, pin_key, pin_name, remote_file
    ProcessStopped,    // host*, remote_pid, detail
    OverrideSet,       // cluster, vm, previous, applied (written before the change)
    OverrideFailed,    // cluster, vm, detail: the set did not happen
    OverrideRestored,  // cluster, vm
    SessionEnd,        // detail = end reason
    CleanupDone,       // a later `capture cleanup` undid what was left
  };
  Kind kind = Kind::SessionStart;
  model::TimePoint at{};

  std::string session_id;
  int64_t pid = 0;  // the vm-capture process
  std::string name;

  model::MoRef host;
  std::string host_name;
  std::string host_address;
  int64_t remote_pid = 0;
  std::string pin_key;
  std::string pin_name;
  std::string remote_file;  // on-host output: the capture's file on the host

  model::MoRef cluster;
  model::MoRef vm;
  std::optional<model::DrsVmOverride> previous;
  std::optional<model::DrsVmOverride> applied;

  std::string detail;
};

const char* to_string(JournalRecord::Kind k);

/// One JSON object, no newline. Never throws: bytes that are not UTF-8 in any string are
/// written as U+FFFD.
std::string to_json_line(const JournalRecord& r);
/// Parses one line; the error says what is wrong with it.
Result<JournalRecord> parse_journal_line(const std::string& line);

/// Where records go. Append is durable when it returns (the file journal syncs).
class Journal {
 public:
  virtual ~Journal() = default;
  virtual Status append(const JournalRecord& r) = 0;
};

/// A journal file `<state_dir>/<session_id>.jsonl`, mode 0600.
class FileJournal : public Journal {
 public:
  /// A journal for a new session (the directory is created 0700 if missing; an existing
  /// file of that id is refused). The file itself is made by the first append, which must
  /// be the session's start: a session refused before it starts leaves no file, and no
  /// journal begins with anything but a real start (`capture status` lists its pid/time).
  static Result<std::unique_ptr<FileJournal>> create(const std::string& state_dir,
                                                     const std::string& session_id);
  /// Opens an existing journal to add records (cleanup).
  static Result<std::unique_ptr<FileJournal>> open(const std::string& path);
  ~FileJournal() override;
  FileJournal(const FileJournal&) = delete;
  FileJournal& operator=(const FileJournal&) = delete;

  Status append(const JournalRecord& r) override;
  const std::string& path() const { return path_; }

 private:
  FileJournal(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Status create_file(const JournalRecord& first);
  Status write_line(const JournalRecord& r);
  int fd_;  // -1 until the first record of a new journal is appended
  std::string path_;
};

/// Reads a journal. A torn last line (the process died mid-write) is skipped; any other
/// bad line is an error naming file and line.
Result<std::vector<JournalRecord>> read_journal(const std::string& path);

/// $XDG_STATE_HOME/vm-capture, else ~/.local/state/vm-capture.
std::string default_state_dir();

/// Creates the directory (and parents) with mode 0700; an existing one readable by
/// others is tightened to 0700.
Status ensure_state_dir(const std::string& dir);

/// "20261126T072500Z-12345": sortable by start time, unique per process.
std::string make_session_id(model::TimePoint start, int64_t pid);

/// A ProcessStarted or ProcessStopped record: pktcap-uw `remote_pid` on `host`, capturing
/// the pin `pin_key` (`pin_name` for people).
JournalRecord process_record(JournalRecord::Kind kind, model::TimePoint at,
                             const model::HostInfo& host, int64_t remote_pid,
                             std::string pin_key, std::string pin_name, std::string detail = {});

/// An Override* record: the VM's override in `cluster`, what was there and what the
/// session applied.
JournalRecord override_record(JournalRecord::Kind kind, model::TimePoint at,
                              const model::MoRef& cluster, const model::MoRef& vm,
                              std::optional<model::DrsVmOverride> previous,
                              std::optional<model::DrsVmOverride> applied, std::string detail = {});

/// ISO 8601 UTC with milliseconds, and back.
std::string format_time(model::TimePoint t);
std::optional<model::TimePoint> parse_time(const std::string& s);

}  // namespace vmc::orchestrator

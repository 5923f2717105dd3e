// What a session tells as it runs: the summary it ends with, comments (into the output
// and the log), journal records and the errors that make it fail. The runtime's parts
// all write through one SessionRecord.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "orchestrator/journal.h"
#include "orchestrator/seams.h"
#include "orchestrator/summary.h"

namespace vmc::orchestrator {

class SessionRecord {
 public:
  SessionRecord(Sink& sink, Journal& journal, Clock& clock)
      : sink_(sink), journal_(journal), clock_(clock) {}

  SessionSummary& summary() { return summary_; }
  Sink& sink() { return sink_; }
  Clock& clock() { return clock_; }
  model::TimePoint now() { return clock_.now(); }

  /// Into the log and the output, at the clock's now.
  void comment(const std::string& text);
  /// The reconciler's comments of one pass: each said when it was not at the pass before.
  void pass_comments(const std::vector<std::string>& texts);
  /// Appends to the journal; a failure is said as a comment and the step goes on.
  void journal(const JournalRecord& r);
  /// Appends to the journal; a failure is returned (a step that must not happen
  /// unrecorded does not go on).
  Status journal_or_fail(const JournalRecord& r) { return journal_.append(r); }

  /// An error that makes the session fail at its end; `first` puts it before the others.
  void error(std::string text, bool first = false);
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  Sink& sink_;
  Journal& journal_;
  Clock& clock_;
  SessionSummary summary_;
  std::set<std::string> last_pass_comments_;
  std::vector<std::string> errors_;
};

}  // namespace vmc::orchestrator

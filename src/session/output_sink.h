// orchestrator::Sink over capture::SessionOutput: each pin is one pcapng interface per
// direction (a `--dir 2` VM-port capture becomes an "in" and an "out" interface, split by
// MAC), frames arrive from host I/O threads and are merged by time, a ticker thread
// writes out what is due, and finalize() turns the session summary into the manifest.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "capture/clock_offset.h"
#include "capture/session_output.h"
#include "orchestrator/seams.h"

namespace vmc::session {

class OutputSink : public orchestrator::Sink {
 public:
  /// Opens the output (files under temporary names until finalize). With
  /// `correct_host_clocks` a host whose frame times are seconds off this machine's arrival
  /// times is shifted onto this machine's time line; on-host captures (frames fetched long
  /// after they were captured) turn it off, their arrival time says nothing of the clock.
  static Result<std::unique_ptr<OutputSink>> open(capture::SessionOutputOptions options,
                                                  bool correct_host_clocks = true);
  ~OutputSink() override;

  void frame(const orchestrator::Pin& pin, const orchestrator::CapturedFrame& f) override;
  void pin_opened(const orchestrator::Pin& pin, model::TimePoint at,
                  const std::string& reason) override;
  void capture_dropped(const orchestrator::Pin& pin, uint64_t dropped) override;
  void pin_closed(const orchestrator::Pin& pin, model::TimePoint at,
                  const std::string& reason) override;
  void comment(model::TimePoint at, const std::string& text) override;
  orchestrator::SinkTotals totals() override;
  std::optional<std::string> output_failure() override;
  /// Ends the session through output_failure() for a reason outside this output (an
  /// on-host capture's datastore is full), while the output stays writable: what is
  /// still to come (files fetched from the hosts while the session stops) is written.
  /// The first reason is kept. Thread-safe.
  void fail(std::string why);
  Status finalize(const orchestrator::SessionSummary& summary) override;

  /// Errors of streams (corrupt pcap from a host) so far, for the log.
  std::vector<std::string> take_errors();

 private:
  OutputSink(std::unique_ptr<capture::SessionOutput> out, bool correct_host_clocks);
  void ticker();
  static capture::PinInfo info_for(const orchestrator::Pin& pin, model::Direction d);
  /// The pin's interfaces, made on first sight (a frame may come before pin_opened).
  std::map<model::Direction, uint32_t>& ensure_pin(const orchestrator::Pin& pin,
                                                  model::TimePoint at);

  std::mutex mu_;
  std::unique_ptr<capture::SessionOutput> out_;
  // pin key -> interface per direction (In/Out/Both)
  std::map<std::string, std::map<model::Direction, uint32_t>> ifaces_;
  std::map<std::string, uint64_t> dropped_;  // pin key -> pktcap-uw's dropped count
  orchestrator::SinkTotals totals_;
  std::vector<std::string> errors_;
  std::map<std::string, capture::ClockOffset> clocks_;  // per host
  std::optional<std::string> output_failure_;  // the first write error
  std::optional<std::string> failed_;          // fail(): ends the session, writing goes on
  bool correct_host_clocks_ = true;
  void write_failed(const Status& st);         // records it once
  bool finalized_ = false;
  std::atomic<bool> stop_{false};
  std::condition_variable cv_;
  std::thread ticker_;
};

int64_t to_ns(model::TimePoint t);

}  // namespace vmc::session

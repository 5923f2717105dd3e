// The Watcher behind VCenter::watch: the session's PropertyCollector, one filter over
// the watched VMs and an EventHistoryCollector's latestPage, another over their hosts'
// port groups (replaced alone when the VMs' hosts change, so the VMs are not fetched
// again), read with WaitForUpdatesEx and turned into model::VmEvent by EventTranslator.
#include <set>

#include "vsphere/datetime.h"
#include "vsphere/event_translator.h"
#include "vsphere/vcenter_impl.h"
#include "vsphere/vim_convert.h"
#include "vsphere/vim_types.h"
#include "vsphere/watch_updates.h"

namespace vmc::vsphere {
namespace {

// Event classes the tail asks for (others are not fetched at all).
const std::vector<std::string> kEventTypes = {
    "VmResettingEvent",      "VmDasBeingResetEvent",   "VmStartingEvent",
    "VmPoweredOnEvent",      "DrsVmPoweredOnEvent",    "VmRestartedOnAlternateHostEvent",
    "VmPoweredOffEvent",     "VmGuestRebootEvent",     "VmBeingHotMigratedEvent",
    "VmMigratedEvent",       "DrsVmMigratedEvent",     "VmRelocatedEvent",
    "VmEmigratingEvent",     "VmRemovedEvent",         "EventEx"};

class VimWatcher : public Watcher {
 public:
  VimWatcher(VCenter::Impl& impl, std::vector<model::MoRef> vms) : impl_(impl), vms_(std::move(vms)) {
    for (const auto& vm : vms_) tr_.watch(vm);
  }
  ~VimWatcher() override { teardown(); }

  Status build() {
    teardown();
    generation_ = impl_.session.generation();
    const auto& sc = impl_.session.service();
    // The session's own PropertyCollector: the session belongs to this process. (A
    // collector from CreatePropertyCollector would do on vCenter, but the govmomi
    // simulator loses it once an EventHistoryCollector in its filter changes.)
    pc_ = sc.property_collector;
    auto ec = impl_.session.run([&](VimClient& v) {
      return v.create_event_collector(sc.event_manager, EventQuery{sc.root_folder, true, kEventTypes});
    });
    if (!ec.ok()) return ec.error();
    collector_ = *ec;
    // A burst of events between two updates must fit in one page.
    (void)impl_.session.run([&](VimClient& v) { return v.set_collector_page_size(collector_, 100); });
    primed_ = false;
    return make_filter();
  }

  Result<std::vector<model::VmEvent>> next_events(std::chrono::seconds timeout) override {
    std::vector<model::VmEvent> out;
    const int secs = static_cast<int>(timeout.count());
    impl_.session.set_io_timeout(std::max(60, secs + 30));
    if (pc_.empty() || impl_.session.generation() != generation_) {
      if (auto st = resync(out); !st) return st.error();
      return out;
    }
    auto u = impl_.session.run([&](VimClient& v) { return v.wait_for_updates(pc_, version_, secs); });
    if (!u.ok()) {
      // A new session (re-login, vCenter restart) dropped our collector and filter.
      if (impl_.session.generation() != generation_ || u.error().is(ErrorKind::NotFound)) {
        if (auto st = resync(out); !st) return st.error();
        return out;
      }
      return u.error();
    }
    if (!*u) return out;
    version_ = (*u)->version;
    UpdateBatch batch = batch_from_update(**u);
    out = feed(batch, model::TimePoint(std::chrono::system_clock::now()));
    if (hosts_changed()) {
      if (auto st = make_host_filter(); !st) return st.error();
    }
    order_events(out);
    return out;
  }

 private:
  std::vector<model::VmEvent> feed(const UpdateBatch& b, model::TimePoint now) {
    std::vector<model::VmEvent> out;
    auto append = [&out](std::vector<model::VmEvent> es) {
      for (auto& e : es) out.push_back(std::move(e));
    };
    for (const auto& o : b.vms) append(tr_.observe_vm(o, now));
    for (const auto& [host, ports] : b.host_ports) append(tr_.observe_host_ports(host, ports, now));
    for (const auto& e : b.events) {
      auto es = tr_.observe_event(e);
      if (primed_) append(std::move(es));  // the first page holds history, not news
    }
    if (b.saw_event_page) primed_ = true;
    return out;
  }

  bool hosts_changed() const {
    std::set<model::MoRef> now;
    for (const auto& vm : vms_) {
      auto h = tr_.host_of(vm);
      if (!h.empty()) now.insert(h);
    }
    return now != hosts_;
  }

  // The VMs and the event page: made once per session.
  Status make_filter() {
    std::vector<PropertyQuery> qs;
    // The event collector goes first: the govmomi simulator (0.24) crashes matching an
    // update of a session-scoped object against a first propSet of another type.
    qs.push_back({{collector_}, {}, "EventHistoryCollector", {"latestPage"}});
    qs.push_back({vms_, {}, "VirtualMachine", kVmPaths});
    auto f = impl_.session.run([&](VimClient& v) { return v.create_filter(pc_, qs); });
    if (!f.ok()) return f.error();
    filter_ = *f;
    version_.clear();
    hosts_.clear();
    return make_host_filter();
  }

  // The port groups of the hosts the VMs are on now: replaced when that set changes.
  // The new filter's state comes with the next update (the version goes on).
  Status make_host_filter() {
    if (!host_filter_.empty()) {
      auto f = host_filter_;
      host_filter_ = {};
      (void)impl_.session.run([&](VimClient& v) { return v.destroy_filter(f); });
    }
    hosts_.clear();
    for (const auto& vm : vms_) {
      auto h = tr_.host_of(vm);
      if (!h.empty()) hosts_.insert(h);
    }
    if (hosts_.empty()) return {};
    std::vector<PropertyQuery> qs;
    qs.push_back({{hosts_.begin(), hosts_.end()}, {}, "HostSystem", {"config.network.portgroup"}});
    auto f = impl_.session.run([&](VimClient& v) { return v.create_filter(pc_, qs); });
    if (!f.ok()) return f.error();
    host_filter_ = *f;
    return {};
  }

  Status resync(std::vector<model::VmEvent>& out) {
    // The translator keeps its last view of each VM: the first full state after the new
    // session is compared with it, so a reset or move made while vCenter was away is
    // still reported (as its property change) instead of becoming the new baseline.
    hosts_.clear();
    filter_ = {};
    host_filter_ = {};
    pc_ = {};
    collector_ = {};
    if (auto st = build(); !st) return st;
    auto now = model::TimePoint(std::chrono::system_clock::now());
    for (const auto& vm : vms_) {
      model::VmEvent e;
      e.kind = model::VmEventKind::Resynced;
      e.vm = vm;
      e.at = now;
      e.source = "watcher";
      e.detail = "new session: full state follows";
      out.push_back(e);
    }
    return {};
  }

  void teardown() {
    if (impl_.session.generation() != generation_) return;  // the server already forgot them
    if (!filter_.empty()) (void)impl_.session.vim().destroy_filter(filter_);
    if (!host_filter_.empty()) (void)impl_.session.vim().destroy_filter(host_filter_);
    if (!collector_.empty()) (void)impl_.session.vim().destroy_collector(collector_);
    filter_ = host_filter_ = collector_ = pc_ = {};
  }

  VCenter::Impl& impl_;
  std::vector<model::MoRef> vms_;
  EventTranslator tr_;
  model::MoRef pc_, filter_, host_filter_, collector_;
  std::set<model::MoRef> hosts_;
  std::string version_;
  uint64_t generation_ = 0;
  bool primed_ = false;
};

}  // namespace

Result<std::unique_ptr<Watcher>> VCenter::watch(const std::vector<model::MoRef>& vms) {
  if (vms.empty()) return Error("vsphere.watch", "no VM to watch");
  auto w = std::make_unique<VimWatcher>(*impl_, vms);
  if (auto st = w->build(); !st) return st.error();
  return std::unique_ptr<Watcher>(std::move(w));
}

}  // namespace vmc::vsphere

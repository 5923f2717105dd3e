// Typed vim25 calls on a SoapBinding. Pointers to gSOAP objects returned here live in
// the binding's context: they stay valid until the next call on this client (each call
// starts by freeing what the previous one deserialized). Convert them at once.
// Internal to src/vsphere.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/inventory.h"
#include "soapH.h"
#include "util/result.h"
#include "vsphere/soap_binding.h"
#include "vsphere/types.h"

namespace vmc::vsphere {

/// What a PropertyCollector filter or retrieval covers: either explicit objects, or
/// every object of `type` in a ContainerView (`view`), and the properties to read.
struct PropertyQuery {
  std::vector<model::MoRef> objects;  // used when `view` is empty
  model::MoRef view;                  // a ContainerView: its "view" property is traversed
  std::string type;                   // "VirtualMachine", "HostSystem", ...
  std::vector<std::string> paths;     // "name", "runtime.host", ...
};

/// EventFilterSpec subset: events about `entity` (and its children when recursive),
/// restricted to the given type names when `types` is not empty.
struct EventQuery {
  model::MoRef entity;
  bool recursive = false;
  std::vector<std::string> types;
};

/// RetrieveOptions.maxObjects of every RetrievePropertiesEx: the server returns at most
/// this many objects per page (see kMaxReplyBytes).
inline constexpr int kRetrievePageObjects = 1000;

class VimClient {
 public:
  explicit VimClient(SoapBinding& binding) : b_(binding) {}

  SoapBinding& binding() { return b_; }
  struct soap* soap() { return b_.soap(); }

  Result<ServiceInfo> retrieve_service_content();
  Result<SessionInfo> login(const model::MoRef& session_manager, const std::string& user,
                            const std::string& password);
  Status logout(const model::MoRef& session_manager);
  Result<bool> session_is_active(const model::MoRef& session_manager, const std::string& key,
                                 const std::string& user);
  /// ServiceInstance.CurrentTime: the cheapest authenticated call (keep-alive).
  Result<std::string> current_time();

  /// RetrievePropertiesEx plus ContinueRetrievePropertiesEx until every page is read.
  Result<std::vector<vim25__ObjectContent*>> retrieve(const model::MoRef& collector,
                                                      const PropertyQuery& q);

  Result<model::MoRef> create_container_view(const model::MoRef& view_manager,
                                             const model::MoRef& container,
                                             const std::vector<std::string>& types,
                                             bool recursive);
  Status destroy_view(const model::MoRef& view);

  Result<model::MoRef> create_property_collector(const model::MoRef& collector);
  Status destroy_property_collector(const model::MoRef& collector);
  /// One filter over several queries (each becomes a propSet/objectSet pair).
  Result<model::MoRef> create_filter(const model::MoRef& collector,
                                     const std::vector<PropertyQuery>& queries);
  Status destroy_filter(const model::MoRef& filter);
  /// nullptr when nothing changed within `max_wait_seconds`.
  Result<vim25__UpdateSet*> wait_for_updates(const model::MoRef& collector,
                                             const std::string& version, int max_wait_seconds);
  Status cancel_wait_for_updates(const model::MoRef& collector);

  Result<model::MoRef> create_event_collector(const model::MoRef& event_manager,
                                              const EventQuery& q);
  Status set_collector_page_size(const model::MoRef& collector, int max_count);
  Status destroy_collector(const model::MoRef& collector);

  /// nullopt when nothing is at `path`.
  Result<std::optional<model::MoRef>> find_by_inventory_path(const model::MoRef& search_index,
                                                             const std::string& path);

  /// ReconfigureComputeResource_Task(ClusterConfigSpecEx{drsVmConfigSpec}, modify=true).
  /// `op` is "add", "edit" or "remove"; for remove only `vm` matters.
  Result<model::MoRef> reconfigure_drs_vm(const model::MoRef& cluster, const std::string& op,
                                          const model::DrsVmOverride& info);

  Status cancel_task(const model::MoRef& task);

 private:
  vim25__ManagedObjectReference* mo(const model::MoRef& ref);
  vim25__PropertyFilterSpec* filter_spec(const PropertyQuery& q);

  SoapBinding& b_;
};

/// Plain MoRef from a gSOAP one (empty for nullptr).
model::MoRef to_moref(const vim25__ManagedObjectReference* m);

}  // namespace vmc::vsphere

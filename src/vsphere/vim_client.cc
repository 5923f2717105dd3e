#include "vsphere/vim_client.h"

namespace vmc::vsphere {
namespace {

std::string str(const std::string* s) { return s ? *s : std::string(); }

}  // namespace

model::MoRef to_moref(const vim25__ManagedObjectReference* m) {
  if (!m) return {};
  return model::MoRef{m->type ? *m->type : std::string(), m->__item};
}

vim25__ManagedObjectReference* VimClient::mo(const model::MoRef& ref) {
  auto* m = soap_new_vim25__ManagedObjectReference(soap());
  m->__item = ref.value;
  m->type = soap_new_std__string(soap());
  *m->type = ref.type;
  return m;
}

Result<ServiceInfo> VimClient::retrieve_service_content() {
  b_.reset();
  _vim25__RetrieveServiceContent req;
  _vim25__RetrieveServiceContentResponse resp;
  req._USCOREthis = mo({"ServiceInstance", "ServiceInstance"});
  if (auto st = b_.call("RetrieveServiceContent", soap_call___vim25__RetrieveServiceContent, req,
                        resp);
      !st) {
    return st.error();
  }
  const vim25__ServiceContent* sc = resp.returnval;
  if (!sc || !sc->about || !sc->rootFolder || !sc->propertyCollector) {
    return Error("vsphere.xml",
                 "RetrieveServiceContent: the reply lacks rootFolder, propertyCollector or "
                 "about; is the endpoint a vSphere /sdk URL?");
  }
  ServiceInfo info;
  info.root_folder = to_moref(sc->rootFolder);
  info.property_collector = to_moref(sc->propertyCollector);
  info.view_manager = to_moref(sc->viewManager);
  info.session_manager = to_moref(sc->sessionManager);
  info.event_manager = to_moref(sc->eventManager);
  info.search_index = to_moref(sc->searchIndex);
  info.name = sc->about->name;
  info.full_name = sc->about->fullName;
  info.version = sc->about->version;
  info.build = sc->about->build;
  info.api_type = sc->about->apiType;
  info.api_version = sc->about->apiVersion;
  info.instance_uuid = str(sc->about->instanceUuid);
  return info;
}

Result<SessionInfo> VimClient::login(const model::MoRef& session_manager, const std::string& user,
                                     const std::string& password) {
  b_.reset();
  _vim25__Login req;
  _vim25__LoginResponse resp;
  req._USCOREthis = mo(session_manager);
  req.userName = user;
  req.password = password;
  auto st = b_.call("Login", soap_call___vim25__Login, req, resp);
  // Do not leave the password in memory longer than needed.
  req.password.assign(req.password.size(), '\0');
  if (!st) return st.error();
  if (!resp.returnval) return Error("vsphere.xml", "Login: the reply has no UserSession");
  SessionInfo s;
  s.key = resp.returnval->key;
  s.user_name = resp.returnval->userName;
  s.full_name = resp.returnval->fullName;
  s.login_time = resp.returnval->loginTime;
  return s;
}

Status VimClient::logout(const model::MoRef& session_manager) {
  b_.reset();
  _vim25__Logout req;
  _vim25__LogoutResponse resp;
  req._USCOREthis = mo(session_manager);
  return b_.call("Logout", soap_call___vim25__Logout, req, resp);
}

Result<bool> VimClient::session_is_active(const model::MoRef& session_manager,
                                          const std::string& key, const std::string& user) {
  b_.reset();
  _vim25__SessionIsActive req;
  _vim25__SessionIsActiveResponse resp;
  req._USCOREthis = mo(session_manager);
  req.sessionID = key;
  req.userName = user;
  if (auto st = b_.call("SessionIsActive", soap_call___vim25__SessionIsActive, req, resp); !st) {
    return st.error();
  }
  return resp.returnval;
}

Result<std::string> VimClient::current_time() {
  b_.reset();
  _vim25__CurrentTime req;
  _vim25__CurrentTimeResponse resp;
  req._USCOREthis = mo({"ServiceInstance", "ServiceInstance"});
  if (auto st = b_.call("CurrentTime", soap_call___vim25__CurrentTime, req, resp); !st) {
    return st.error();
  }
  return resp.returnval;
}

vim25__PropertyFilterSpec* VimClient::filter_spec(const PropertyQuery& q) {
  auto* spec = soap_new_vim25__PropertyFilterSpec(soap());
  auto* ps = soap_new_vim25__PropertySpec(soap());
  ps->type = q.type;
  ps->pathSet = q.paths;
  if (q.paths.empty()) {
    ps->all = soap_new_bool(soap());
    *ps->all = true;
  }
  spec->propSet.push_back(ps);
  if (!q.view.empty()) {
    auto* os = soap_new_vim25__ObjectSpec(soap());
    os->obj = mo(q.view);
    os->skip = soap_new_bool(soap());
    *os->skip = true;
    auto* ts = soap_new_vim25__TraversalSpec(soap());
    ts->name = soap_new_std__string(soap());
    *ts->name = "traverseView";
    ts->type = "ContainerView";
    ts->path = "view";
    ts->skip = soap_new_bool(soap());
    *ts->skip = false;
    os->selectSet.push_back(ts);
    spec->objectSet.push_back(os);
  } else {
    for (const auto& o : q.objects) {
      auto* os = soap_new_vim25__ObjectSpec(soap());
      os->obj = mo(o);
      os->skip = soap_new_bool(soap());
      *os->skip = false;
      spec->objectSet.push_back(os);
    }
  }
  return spec;
}

Result<std::vector<vim25__ObjectContent*>> VimClient::retrieve(const model::MoRef& collector,
                                                               const PropertyQuery& q) {
  b_.reset();
  std::vector<vim25__ObjectContent*> out;
  if (q.view.empty() && q.objects.empty()) return out;
  _vim25__RetrievePropertiesEx req;
  _vim25__RetrievePropertiesExResponse resp;
  req._USCOREthis = mo(collector);
  req.specSet.push_back(filter_spec(q));
  req.options = soap_new_vim25__RetrieveOptions(soap());
  // Pages of at most kRetrievePageObjects objects (the loop below follows the tokens),
  // so that a large inventory stays well under the binding's reply size limit.
  req.options->maxObjects = soap_new_int(soap());
  *req.options->maxObjects = kRetrievePageObjects;
  if (auto st = b_.call("RetrievePropertiesEx", soap_call___vim25__RetrievePropertiesEx, req, resp);
      !st) {
    return st.error();
  }
  const vim25__RetrieveResult* page = resp.returnval;
  // A server that keeps returning tokens must not keep us here forever.
  for (int pages = 0; page; ++pages) {
    for (auto* oc : page->objects) {
      if (oc) out.push_back(oc);
    }
    if (!page->token || page->token->empty()) break;
    if (pages > 100000) {
      return Error("vsphere.xml", "RetrievePropertiesEx: more than 100000 result pages");
    }
    _vim25__ContinueRetrievePropertiesEx more;
    auto* next = soap_new__vim25__ContinueRetrievePropertiesExResponse(soap());
    more._USCOREthis = mo(collector);
    more.token = *page->token;
    if (auto st = b_.call("ContinueRetrievePropertiesEx",
                          soap_call___vim25__ContinueRetrievePropertiesEx, more, *next);
        !st) {
      return st.error();
    }
    page = next->returnval;
  }
  return out;
}

Result<model::MoRef> VimClient::create_container_view(const model::MoRef& view_manager,
                                                      const model::MoRef& container,
                                                      const std::vector<std::string>& types,
                                                      bool recursive) {
  b_.reset();
  _vim25__CreateContainerView req;
  _vim25__CreateContainerViewResponse resp;
  req._USCOREthis = mo(view_manager);
  req.container = mo(container);
  req.type = types;
  req.recursive = recursive;
  if (auto st = b_.call("CreateContainerView", soap_call___vim25__CreateContainerView, req, resp);
      !st) {
    return st.error();
  }
  if (!resp.returnval) return Error("vsphere.xml", "CreateContainerView: no view in the reply");
  return to_moref(resp.returnval);
}

Status VimClient::destroy_view(const model::MoRef& view) {
  b_.reset();
  _vim25__DestroyView req;
  _vim25__DestroyViewResponse resp;
  req._USCOREthis = mo(view);
  return b_.call("DestroyView", soap_call___vim25__DestroyView, req, resp);
}

Result<model::MoRef> VimClient::create_property_collector(const model::MoRef& collector) {
  b_.reset();
  _vim25__CreatePropertyCollector req;
  _vim25__CreatePropertyCollectorResponse resp;
  req._USCOREthis = mo(collector);
  if (auto st = b_.call("CreatePropertyCollector", soap_call___vim25__CreatePropertyCollector,
                        req, resp);
      !st) {
    return st.error();
  }
  if (!resp.returnval) return Error("vsphere.xml", "CreatePropertyCollector: empty reply");
  return to_moref(resp.returnval);
}

Status VimClient::destroy_property_collector(const model::MoRef& collector) {
  b_.reset();
  _vim25__DestroyPropertyCollector req;
  _vim25__DestroyPropertyCollectorResponse resp;
  req._USCOREthis = mo(collector);
  return b_.call("DestroyPropertyCollector", soap_call___vim25__DestroyPropertyCollector, req,
                 resp);
}

Result<model::MoRef> VimClient::create_filter(const model::MoRef& collector,
                                              const std::vector<PropertyQuery>& queries) {
  b_.reset();
  _vim25__CreateFilter req;
  _vim25__CreateFilterResponse resp;
  req._USCOREthis = mo(collector);
  req.spec = soap_new_vim25__PropertyFilterSpec(soap());
  for (const auto& q : queries) {
    auto* one = filter_spec(q);
    for (auto* p : one->propSet) req.spec->propSet.push_back(p);
    for (auto* o : one->objectSet) req.spec->objectSet.push_back(o);
  }
  req.partialUpdates = false;
  if (auto st = b_.call("CreateFilter", soap_call___vim25__CreateFilter, req, resp); !st) {
    return st.error();
  }
  if (!resp.returnval) return Error("vsphere.xml", "CreateFilter: empty reply");
  return to_moref(resp.returnval);
}

Status VimClient::destroy_filter(const model::MoRef& filter) {
  b_.reset();
  _vim25__DestroyPropertyFilter req;
  _vim25__DestroyPropertyFilterResponse resp;
  req._USCOREthis = mo(filter);
  return b_.call("DestroyPropertyFilter", soap_call___vim25__DestroyPropertyFilter, req, resp);
}

Result<vim25__UpdateSet*> VimClient::wait_for_updates(const model::MoRef& collector,
                                                      const std::string& version,
                                                      int max_wait_seconds) {
  b_.reset();
  _vim25__WaitForUpdatesEx req;
  auto* resp = soap_new__vim25__WaitForUpdatesExResponse(soap());
  req._USCOREthis = mo(collector);
  req.version = soap_new_std__string(soap());
  *req.version = version;
  req.options = soap_new_vim25__WaitOptions(soap());
  req.options->maxWaitSeconds = soap_new_int(soap());
  *req.options->maxWaitSeconds = max_wait_seconds;
  if (auto st = b_.call("WaitForUpdatesEx", soap_call___vim25__WaitForUpdatesEx, req, *resp); !st) {
    return st.error();
  }
  return resp->returnval;
}

Status VimClient::cancel_wait_for_updates(const model::MoRef& collector) {
  b_.reset();
  _vim25__CancelWaitForUpdates req;
  _vim25__CancelWaitForUpdatesResponse resp;
  req._USCOREthis = mo(collector);
  return b_.call("CancelWaitForUpdates", soap_call___vim25__CancelWaitForUpdates, req, resp);
}

Result<model::MoRef> VimClient::create_event_collector(const model::MoRef& event_manager,
                                                       const EventQuery& q) {
  b_.reset();
  _vim25__CreateCollectorForEvents req;
  _vim25__CreateCollectorForEventsResponse resp;
  req._USCOREthis = mo(event_manager);
  req.filter = soap_new_vim25__EventFilterSpec(soap());
  if (!q.entity.empty()) {
    req.filter->entity = soap_new_vim25__EventFilterSpecByEntity(soap());
    req.filter->entity->entity = mo(q.entity);
    req.filter->entity->recursion = q.recursive ? "all" : "self";
  }
  req.filter->type = q.types;
  if (auto st = b_.call("CreateCollectorForEvents", soap_call___vim25__CreateCollectorForEvents,
                        req, resp);
      !st) {
    return st.error();
  }
  if (!resp.returnval) return Error("vsphere.xml", "CreateCollectorForEvents: empty reply");
  return to_moref(resp.returnval);
}

Status VimClient::set_collector_page_size(const model::MoRef& collector, int max_count) {
  b_.reset();
  _vim25__SetCollectorPageSize req;
  _vim25__SetCollectorPageSizeResponse resp;
  req._USCOREthis = mo(collector);
  req.maxCount = max_count;
  return b_.call("SetCollectorPageSize", soap_call___vim25__SetCollectorPageSize, req, resp);
}

Status VimClient::destroy_collector(const model::MoRef& collector) {
  b_.reset();
  _vim25__DestroyCollector req;
  _vim25__DestroyCollectorResponse resp;
  req._USCOREthis = mo(collector);
  return b_.call("DestroyCollector", soap_call___vim25__DestroyCollector, req, resp);
}

Result<std::optional<model::MoRef>> VimClient::find_by_inventory_path(
    const model::MoRef& search_index, const std::string& path) {
  b_.reset();
  _vim25__FindByInventoryPath req;
  _vim25__FindByInventoryPathResponse resp;
  req._USCOREthis = mo(search_index);
  req.inventoryPath = path;
  if (auto st = b_.call("FindByInventoryPath", soap_call___vim25__FindByInventoryPath, req, resp);
      !st) {
    return st.error();
  }
  if (!resp.returnval || resp.returnval->__item.empty()) {
    return std::optional<model::MoRef>();
  }
  return std::optional<model::MoRef>(to_moref(resp.returnval));
}

Result<model::MoRef> VimClient::reconfigure_drs_vm(const model::MoRef& cluster,
                                                   const std::string& op,
                                                   const model::DrsVmOverride& info) {
  b_.reset();
  _vim25__ReconfigureComputeResource_USCORETask req;
  _vim25__ReconfigureComputeResource_USCORETaskResponse resp;
  req._USCOREthis = mo(cluster);
  auto* spec = soap_new_vim25__ClusterConfigSpecEx(soap());
  auto* vmspec = soap_new_vim25__ClusterDrsVmConfigSpec(soap());
  vmspec->operation = op;
  if (op == "remove") {
    vmspec->removeKey = mo(info.vm);
  } else {
    vmspec->info = soap_new_vim25__ClusterDrsVmConfigInfo(soap());
    vmspec->info->key = mo(info.vm);
    if (info.enabled) {
      vmspec->info->enabled = soap_new_bool(soap());
      *vmspec->info->enabled = *info.enabled;
    }
    if (!info.behavior.empty()) {
      vmspec->info->behavior = soap_new_std__string(soap());
      *vmspec->info->behavior = info.behavior;
    }
  }
  spec->drsVmConfigSpec.push_back(vmspec);
  req.spec = spec;
  req.modify = true;
  if (auto st = b_.call("ReconfigureComputeResource_Task",
                        soap_call___vim25__ReconfigureComputeResource_USCORETask, req, resp);
      !st) {
    return st.error();
  }
  if (!resp.returnval) return Error("vsphere.xml", "ReconfigureComputeResource_Task: no task");
  return to_moref(resp.returnval);
}

Status VimClient::cancel_task(const model::MoRef& task) {
  b_.reset();
  _vim25__CancelTask req;
  _vim25__CancelTaskResponse resp;
  req._USCOREthis = mo(task);
  return b_.call("CancelTask", soap_call___vim25__CancelTask, req, resp);
}

}  // namespace vmc::vsphere

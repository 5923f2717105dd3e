#include "vm_operations.h"

#include <functional>

#include "vsphere/vcenter_impl.h"
#include "vsphere/vim_client.h"

namespace vmc::itest {

namespace {

using vsphere::VimClient;

vim25__ManagedObjectReference* mo(VimClient& v, const model::MoRef& ref) {
  auto* m = soap_new_vim25__ManagedObjectReference(v.soap());
  m->__item = ref.value;
  m->type = soap_new_std__string(v.soap());
  *m->type = ref.type;
  return m;
}

// One vim25 method taking the VM as _this and returning a Task.
template <typename Req, typename Resp, typename Stub>
Result<model::MoRef> task_call(VimClient& v, const char* name, Stub stub, const model::MoRef& vm,
                               const std::function<void(Req&)>& fill = {}) {
  v.binding().reset();
  Req req;
  Resp resp;
  req._USCOREthis = mo(v, vm);
  if (fill) fill(req);
  if (auto st = v.binding().call(name, stub, req, resp); !st) return st.error();
  return vsphere::to_moref(resp.returnval);
}

Result<model::MoRef> start(VimClient& v, const model::MoRef& vm, VmOperation op, const model::MoRef& host) {
  switch (op) {
    case VmOperation::PowerOn:
      return task_call<_vim25__PowerOnVM_USCORETask, _vim25__PowerOnVM_USCORETaskResponse>(
          v, "PowerOnVM_Task", soap_call___vim25__PowerOnVM_USCORETask, vm);
    case VmOperation::PowerOff:
      return task_call<_vim25__PowerOffVM_USCORETask, _vim25__PowerOffVM_USCORETaskResponse>(
          v, "PowerOffVM_Task", soap_call___vim25__PowerOffVM_USCORETask, vm);
    case VmOperation::Reset:
      return task_call<_vim25__ResetVM_USCORETask, _vim25__ResetVM_USCORETaskResponse>(
          v, "ResetVM_Task", soap_call___vim25__ResetVM_USCORETask, vm);
    case VmOperation::Migrate:
      return task_call<_vim25__MigrateVM_USCORETask, _vim25__MigrateVM_USCORETaskResponse>(
          v, "MigrateVM_Task", soap_call___vim25__MigrateVM_USCORETask, vm,
          [&](_vim25__MigrateVM_USCORETask& r) {
            if (!host.empty()) r.host = mo(v, host);
            r.priority = "defaultPriority";
          });
    case VmOperation::Relocate:
      return task_call<_vim25__RelocateVM_USCORETask, _vim25__RelocateVM_USCORETaskResponse>(
          v, "RelocateVM_Task", soap_call___vim25__RelocateVM_USCORETask, vm,
          [&](_vim25__RelocateVM_USCORETask& r) {
            r.spec = soap_new_vim25__VirtualMachineRelocateSpec(v.soap());
            if (!host.empty()) r.spec->host = mo(v, host);
          });
    case VmOperation::Destroy:
      return task_call<_vim25__Destroy_USCORETask, _vim25__Destroy_USCORETaskResponse>(
          v, "Destroy_Task", soap_call___vim25__Destroy_USCORETask, vm);
    case VmOperation::RebootGuest:
      break;
  }
  return Error("itest.operation", "not a task");
}

}  // namespace

Status vm_operation(vsphere::VCenter& vc, const model::MoRef& vm, VmOperation op, const model::MoRef& host) {
  auto& session = vc.impl().session;
  if (op == VmOperation::RebootGuest) {
    return session.run([&](VimClient& v) -> Status {
      v.binding().reset();
      _vim25__RebootGuest req;
      _vim25__RebootGuestResponse resp;
      req._USCOREthis = mo(v, vm);
      return v.binding().call("RebootGuest", soap_call___vim25__RebootGuest, req, resp);
    });
  }
  auto task = session.run([&](VimClient& v) { return start(v, vm, op, host); });
  if (!task.ok()) return task.error();
  return vc.wait_task(*task);
}

}  // namespace vmc::itest

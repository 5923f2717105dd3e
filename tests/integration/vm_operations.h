// The VM operations the integration tests drive vCenter with: power, reset, guest
// reboot, migration and destroy. Test support only: the product, which holds vCenter
// credentials, never changes a VM, so these calls are not in it.
#pragma once

#include "model/inventory.h"
#include "util/result.h"
#include "vsphere/vcenter.h"

namespace vmc::itest {

enum class VmOperation { PowerOn, PowerOff, Reset, RebootGuest, Migrate, Relocate, Destroy };

/// Runs the operation on `vm` and waits for its task; `host` is the destination for
/// Migrate and Relocate.
Status vm_operation(vsphere::VCenter& vc, const model::MoRef& vm, VmOperation op,
                    const model::MoRef& host = {});

}  // namespace vmc::itest

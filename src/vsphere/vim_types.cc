#include "vsphere/vim_types.h"

namespace vmc::vsphere {

// Every data type of vsphere-api/vim25-subset.xsd whose name can matter at run time.
// A name missing from the schema fails to compile here, which keeps the two in step.
#define VMC_VIM_TYPES(X)                                                                  \
  X(ManagedObjectReference) X(DynamicData) X(ArrayOfString) X(ArrayOfInt) X(ArrayOfLong)  \
  X(ArrayOfManagedObjectReference) X(KeyValue) X(KeyAnyValue) X(OptionValue)              \
  X(LocalizableMessage) X(Description) X(MethodFault) X(LocalizedMethodFault)             \
  X(RuntimeFault) X(VimFault) X(SecurityError) X(NoPermission) X(NotAuthenticated)        \
  X(InvalidLogin) X(InvalidArgument) X(ManagedObjectNotFound) X(InvalidRequest)           \
  X(NotSupported) X(RequestCanceled) X(InvalidState) X(InvalidPowerState)                 \
  X(TaskInProgress) X(InvalidCollectorVersion) X(InvalidProperty) X(NotFound)             \
  X(AlreadyExists) X(AboutInfo) X(ServiceContent) X(UserSession) X(TaskInfo)              \
  X(VirtualDeviceBackingInfo) X(VirtualDeviceDeviceBackingInfo)                           \
  X(VirtualEthernetCardNetworkBackingInfo) X(DistributedVirtualSwitchPortConnection)      \
  X(VirtualEthernetCardDistributedVirtualPortBackingInfo)                                 \
  X(VirtualEthernetCardOpaqueNetworkBackingInfo) X(VirtualDevice) X(VirtualEthernetCard)  \
  X(VirtualE1000) X(VirtualE1000e) X(VirtualPCNet32) X(VirtualVmxnet) X(VirtualVmxnet2)   \
  X(VirtualVmxnet3) X(VirtualVmxnet3Vrdma) X(VirtualSriovEthernetCard)                    \
  X(ArrayOfVirtualDevice) X(VirtualHardware) X(VirtualMachineConfigInfo)                  \
  X(VirtualMachineRuntimeInfo) X(VirtualMachineSummary) X(HostPortGroup)                  \
  X(ArrayOfHostPortGroup) X(ArrayOfHostVirtualSwitch) X(ArrayOfPhysicalNic)               \
  X(ArrayOfHostProxySwitch) X(ArrayOfHostVirtualNic) X(HostNetworkInfo) X(HostConfigInfo) \
  X(HostRuntimeInfo) X(HostListSummary) X(ClusterDrsConfigInfo) X(ClusterDrsVmConfigInfo) \
  X(ArrayOfClusterDrsVmConfigInfo) X(ClusterConfigInfoEx) X(DatastoreSummary) X(Event)    \
  X(ArrayOfEvent) X(VmEvent) X(VmResettingEvent) X(VmStartingEvent) X(VmStoppingEvent)    \
  X(VmPoweredOnEvent) X(DrsVmPoweredOnEvent) X(VmRestartedOnAlternateHostEvent)           \
  X(VmPoweredOffEvent) X(VmSuspendedEvent) X(VmGuestRebootEvent) X(VmRemovedEvent)        \
  X(VmEmigratingEvent) X(VmDasBeingResetEvent) X(VmBeingHotMigratedEvent)                 \
  X(VmBeingMigratedEvent) X(VmMigratedEvent) X(DrsVmMigratedEvent) X(VmRelocateSpecEvent) \
  X(VmBeingRelocatedEvent) X(VmRelocatedEvent) X(EventEx)

std::string_view vim_type_name(long id) {
  switch (id) {
#define VMC_CASE(name) \
  case SOAP_TYPE_vim25__##name: \
    return #name;
    VMC_VIM_TYPES(VMC_CASE)
#undef VMC_CASE
    default:
      return {};
  }
}

std::string_view vim_type_name(const xsd__anyType* object) {
  return object ? vim_type_name(object->soap_type()) : std::string_view();
}

}  // namespace vmc::vsphere

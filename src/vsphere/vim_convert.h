// gSOAP vim25 objects -> plain src/model types. Every input is untrusted: missing
// elements, unknown subclasses and odd values give empty fields, never a crash.
// Internal to src/vsphere.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/inventory.h"
#include "soapH.h"

namespace vmc::vsphere {

// ---- Property values (DynamicProperty.val / PropertyChange.val, xsd:anyType) ----

/// Text of a primitive or enum value (xsd:string, xsd:dateTime, VirtualMachinePowerState,
/// an unknown simple type, ...); nullopt for complex values.
std::optional<std::string> string_value(const xsd__anyType* v);
std::optional<bool> bool_value(const xsd__anyType* v);
std::optional<int64_t> int_value(const xsd__anyType* v);
/// A ManagedObjectReference value.
std::optional<model::MoRef> moref_value(const xsd__anyType* v);
/// ArrayOfManagedObjectReference.
std::vector<model::MoRef> moref_array_value(const xsd__anyType* v);

/// The devices of a value that is ArrayOfVirtualDevice (config.hardware.device),
/// VirtualHardware (config.hardware) or VirtualMachineConfigInfo (config).
std::vector<const vim25__VirtualDevice*> devices_value(const xsd__anyType* v);
/// The port groups of ArrayOfHostPortGroup (config.network.portgroup), HostNetworkInfo
/// (config.network) or HostConfigInfo (config).
std::vector<const vim25__HostPortGroup*> portgroups_value(const xsd__anyType* v);
/// HostNetworkInfo from itself or from HostConfigInfo.
const vim25__HostNetworkInfo* network_value(const xsd__anyType* v);

// ---- Conversions ----

/// vCenter's MAC text in model::Mac's form; empty when it is no MAC.
std::string mac_text(const std::string& mac);

/// Ethernet cards among `devices` (VirtualEthernetCard and its subclasses), in order.
std::vector<model::NicInfo> nics_from_devices(const std::vector<const vim25__VirtualDevice*>& devices);

/// "key-vim.host.PortGroup.Port-33554436" -> 33554436.
std::optional<int64_t> port_id_from_key(const std::string& key);

/// One PortInfo per (port, MAC) of every port group; ports without a usable id are
/// skipped. Port group names come from spec.name.
std::vector<model::PortInfo> ports_from_portgroups(
    const std::vector<const vim25__HostPortGroup*>& groups);

/// Uplinks (pnic device names) and LAGs (from proxy switches' hostLag + pnic backing)
/// of a host network; the management address is vmk0's IPv4 address when present.
void fill_host_network(const vim25__HostNetworkInfo& net, model::HostInfo& host);

model::PowerState power_state_from(const std::string& s);

/// DRS settings and per-VM overrides of a cluster's configurationEx.
void fill_cluster_config(const vim25__ClusterConfigInfoEx& cfg, model::ClusterInfo& out);

model::DatastoreInfo datastore_from(const vim25__DatastoreSummary& s);

}  // namespace vmc::vsphere

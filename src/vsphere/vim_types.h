// The vim25 type name of a deserialized gSOAP object: events, faults, devices and
// backings are told apart by their xsi:type, which gSOAP turns into a C++ class.
#pragma once

#include <string_view>

#include "soapH.h"

namespace vmc::vsphere {

/// "VmResettingEvent" for SOAP_TYPE_vim25__VmResettingEvent; empty for ids that are not
/// vim25 data types of the subset.
std::string_view vim_type_name(long soap_type_id);

/// Same for an object (its dynamic type); empty for nullptr.
std::string_view vim_type_name(const xsd__anyType* object);

}  // namespace vmc::vsphere

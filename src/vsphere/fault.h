// Names of vim25 faults as they appear in SOAP fault details, from untrusted XML text.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace vmc::vsphere {

/// The vim25 fault type a SOAP fault <detail> names: the xsi:type of its first element
/// ("InvalidLogin"), else that element's local name without its "Fault" suffix
/// (<NotAuthenticatedFault> -> "NotAuthenticated"). Namespace prefixes are dropped.
/// Empty when the detail names nothing recognisable.
std::string fault_type_from_detail(std::string_view detail_xml);

/// What a vim25 fault means to a caller: ManagedObjectNotFound is NotFound; InvalidLogin,
/// NoPermission and NotAuthorized are Refused; any other is Failed.
ErrorKind fault_kind(std::string_view fault_type);

/// The session cookie to send back from a Set-Cookie header value: its first
/// `name=value` pair if the name is `vmware_soap_session`, else empty.
std::string session_cookie_from_set_cookie(std::string_view header_value);

}  // namespace vmc::vsphere

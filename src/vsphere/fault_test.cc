#include "vsphere/fault.h"

#include <gtest/gtest.h>

namespace vmc::vsphere {
namespace {

TEST(Fault, KindOfEachFaultACallerActsOn) {
  EXPECT_EQ(ErrorKind::NotFound, fault_kind("ManagedObjectNotFound"));
  EXPECT_EQ(ErrorKind::Refused, fault_kind("InvalidLogin"));
  EXPECT_EQ(ErrorKind::Refused, fault_kind("NoPermission"));
  EXPECT_EQ(ErrorKind::Refused, fault_kind("NotAuthorized"));
  EXPECT_EQ(ErrorKind::Failed, fault_kind("NotAuthenticated"));
  EXPECT_EQ(ErrorKind::Failed, fault_kind("SoapFault"));
}

TEST(FaultTypeFromDetail, PrefersXsiType) {
  EXPECT_EQ(fault_type_from_detail(
                "<InvalidLoginFault xmlns=\"urn:vim25\" xsi:type=\"InvalidLogin\"></InvalidLoginFault>"),
            "InvalidLogin");
  EXPECT_EQ(fault_type_from_detail("<x:NoPermissionFault xsi:type=\"vim25:NoPermission\"/>"),
            "NoPermission");
}

TEST(FaultTypeFromDetail, FallsBackToElementNameWithoutFaultSuffix) {
  EXPECT_EQ(fault_type_from_detail("<NotAuthenticatedFault xmlns=\"urn:vim25\"><object/></NotAuthenticatedFault>"),
            "NotAuthenticated");
  EXPECT_EQ(fault_type_from_detail("<?xml version=\"1.0\"?><!-- c --><vim25:InvalidState/>"),
            "InvalidState");
}

TEST(FaultTypeFromDetail, IgnoresTheBareTypeAttributeAndGarbage) {
  // `type=` is a MoRef attribute, not the instance type.
  EXPECT_EQ(fault_type_from_detail("<ManagedObjectNotFoundFault type=\"VirtualMachine\">"),
            "ManagedObjectNotFound");
  EXPECT_EQ(fault_type_from_detail(""), "");
  EXPECT_EQ(fault_type_from_detail("no xml at all"), "");
  EXPECT_EQ(fault_type_from_detail("<"), "");
  EXPECT_EQ(fault_type_from_detail("<Fault>"), "Fault");
  EXPECT_EQ(fault_type_from_detail("<a xsi:type=\"bad type!\">"), "a");
}

TEST(SessionCookie, TakesOnlyTheVmwareSessionPair) {
  EXPECT_EQ(session_cookie_from_set_cookie(
                "vmware_soap_session=\"7bea48\"; Path=/; HttpOnly; Secure;"),
            "vmware_soap_session=\"7bea48\"");
  EXPECT_EQ(session_cookie_from_set_cookie("other=1; Path=/"), "");
  EXPECT_EQ(session_cookie_from_set_cookie("vmware_soap_session="), "");
  EXPECT_EQ(session_cookie_from_set_cookie("vmware_soap_session=a\r\nX-Evil: 1"), "");
}

}  // namespace
}  // namespace vmc::vsphere

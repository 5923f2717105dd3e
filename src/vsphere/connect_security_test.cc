// Security properties of the vCenter connection settings (issue 8): certificate
// verification is on unless --insecure is asked for, a thumbprint must be a full SHA-256,
// and no error about a URL ever repeats the credentials a GOVC_URL may carry.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "vsphere/connect_options.h"
#include "vsphere/soap_binding.h"

namespace vmc::vsphere {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(ConnectSecurity, CertificatesAreVerifiedUnlessInsecureIsAsked) {
  EXPECT_FALSE(ConnectOptions{}.insecure);
  EXPECT_FALSE(TlsOptions{}.insecure);
  SoapBinding verified("https://vc.example.com/sdk");
  ASSERT_TRUE(verified.configure_tls(TlsOptions{}).ok());
  EXPECT_TRUE(verified.soap()->ssl_flags & SOAP_SSL_REQUIRE_SERVER_AUTHENTICATION);
  EXPECT_FALSE(verified.soap()->ssl_flags & SOAP_SSL_SKIP_HOST_CHECK);
  // A pin replaces the CA and host-name checks, but the certificate is still checked.
  SoapBinding pinned("https://vc.example.com/sdk");
  ASSERT_TRUE(pinned.configure_tls(TlsOptions{"", false, std::string(64, 'a')}).ok());
  EXPECT_TRUE(pinned.soap()->ssl_flags & SOAP_SSL_REQUIRE_SERVER_AUTHENTICATION);
  SoapBinding off("https://vc.example.com/sdk");
  ASSERT_TRUE(off.configure_tls(TlsOptions{"", true, ""}).ok());
  EXPECT_FALSE(off.soap()->ssl_flags & SOAP_SSL_REQUIRE_SERVER_AUTHENTICATION);
  // GOVC_INSECURE must say so explicitly.
  for (const char* v : {"", "0", "false", "no", "off", "maybe"}) {
    auto o = resolve_connect_options({}, env_of({{"GOVC_URL", "u@vc1"}, {"GOVC_INSECURE", v}}));
    ASSERT_TRUE(o.ok()) << v;
    EXPECT_FALSE(o->insecure) << "GOVC_INSECURE=" << v;
  }
}

TEST(ConnectSecurity, ThumbprintsMustBeFullSha256) {
  SoapBinding b("https://vc.example.com/sdk");
  auto sha1 = b.configure_tls(TlsOptions{"", false, std::string(40, 'a')});
  ASSERT_FALSE(sha1.ok());
  EXPECT_EQ(sha1.error().code, "vsphere.tls.thumbprint");
  EXPECT_NE(sha1.error().message.find("SHA-1 thumbprints are not accepted"), std::string::npos);
  auto junk = b.configure_tls(TlsOptions{"", false, "zz:zz"});
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.error().message.find("not hexadecimal"), std::string::npos);
}

TEST(ConnectSecurity, UrlErrorsNeverRepeatTheCredentials) {
  const std::string pw = "Pw-in-the-URL-9f2c";
  for (const std::string& url : std::vector<std::string>{"ftp://admin:" + pw + "@vc1/sdk", "https://admin:" + pw + "@vc 1/sdk",
                                "https://admin:" + pw + "@/sdk", "gopher://admin:" + pw + "@vc1"}) {
    auto o = resolve_connect_options({}, env_of({{"GOVC_URL", url}}));
    ASSERT_FALSE(o.ok()) << url;
    EXPECT_EQ(o.error().code, "vsphere.url") << url;
    EXPECT_EQ(o.error().message.find(pw), std::string::npos) << o.error().message;
  }
  auto good = resolve_connect_options({}, env_of({{"GOVC_URL", "https://admin:" + pw + "@vc1/sdk"}}));
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->url.find(pw), std::string::npos);
  EXPECT_EQ(describe(*good).find(pw), std::string::npos);
}

}  // namespace
}  // namespace vmc::vsphere

#include "vsphere/connect_options.h"

#include <gtest/gtest.h>

#include <map>

namespace vmc::vsphere {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(NormalizeUrl, GovcRules) {
  std::string u, p;
  EXPECT_EQ(*normalize_url("vc1", u, p), "https://vc1/sdk");
  EXPECT_EQ(*normalize_url("vc1:8443", u, p), "https://vc1:8443/sdk");
  EXPECT_EQ(*normalize_url("http://127.0.0.1:8989/", u, p), "http://127.0.0.1:8989/sdk");
  EXPECT_EQ(*normalize_url("HTTPS://vc1/custom", u, p), "https://vc1/custom");
  EXPECT_TRUE(u.empty());
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(*normalize_url("https://admin%40vsphere.local:p%40ss:w@vc1/sdk", u, p),
            "https://vc1/sdk");
  EXPECT_EQ(u, "admin@vsphere.local");
  EXPECT_EQ(p, "p@ss:w");
}

TEST(NormalizeUrl, RejectsNonsense) {
  std::string u, p;
  EXPECT_EQ(normalize_url("", u, p).error().code, "vsphere.url");
  EXPECT_EQ(normalize_url("ftp://vc1", u, p).error().code, "vsphere.url");
  EXPECT_EQ(normalize_url("https:///sdk", u, p).error().code, "vsphere.url");
  EXPECT_EQ(normalize_url("vc 1", u, p).error().code, "vsphere.url");
}

TEST(ResolveConnectOptions, EnvironmentFillsWhatFlagsLeaveOpen) {
  auto o = resolve_connect_options(
      {}, env_of({{"GOVC_URL", "vc.lab"}, {"GOVC_USERNAME", "admin"}, {"GOVC_PASSWORD", "s3cret"},
                  {"GOVC_INSECURE", "1"}, {"GOVC_TLS_CA_CERTS", "/etc/ca.pem"}}));
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->url, "https://vc.lab/sdk");
  EXPECT_EQ(o->user, "admin");
  EXPECT_EQ(o->password, "s3cret");
  EXPECT_TRUE(o->insecure);
  EXPECT_EQ(o->ca_file, "/etc/ca.pem");

  ConnectOptions flags;
  flags.url = "vc.other";
  flags.user = "me";
  auto f = resolve_connect_options(flags, env_of({{"GOVC_URL", "vc.lab"}, {"GOVC_USERNAME", "admin"},
                                                  {"GOVC_INSECURE", "false"}}));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->url, "https://vc.other/sdk");
  EXPECT_EQ(f->user, "me");
  EXPECT_FALSE(f->insecure);
}

TEST(ResolveConnectOptions, CredentialsInUrl) {
  auto o = resolve_connect_options({}, env_of({{"GOVC_URL", "https://u:pw@vc1/sdk"}}));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->user, "u");
  EXPECT_EQ(o->password, "pw");
  EXPECT_EQ(o->url.find("pw"), std::string::npos);
}

TEST(ResolveConnectOptions, ExplainsWhatIsMissingOrContradictory) {
  auto none = resolve_connect_options({}, env_of({}));
  EXPECT_EQ(none.error().code, "vsphere.url");
  EXPECT_NE(none.error().message.find("GOVC_URL"), std::string::npos);
  auto nouser = resolve_connect_options({}, env_of({{"GOVC_URL", "vc1"}}));
  EXPECT_EQ(nouser.error().code, "vsphere.credentials");
  auto cas = resolve_connect_options({}, env_of({{"GOVC_URL", "u@vc1"}, {"GOVC_TLS_CA_CERTS", "a.pem:b.pem"}}));
  EXPECT_EQ(cas.error().code, "vsphere.tls.ca");
  ConnectOptions both;
  both.insecure = true;
  both.thumbprint = "AA";
  auto b = resolve_connect_options(both, env_of({{"GOVC_URL", "u@vc1"}}));
  EXPECT_EQ(b.error().code, "vsphere.tls");
}

TEST(Describe, NeverShowsThePassword) {
  ConnectOptions o{"https://vc1/sdk", "admin", "hunter2", "", false, ""};
  std::string d = describe(o);
  EXPECT_EQ(d.find("hunter2"), std::string::npos);
  EXPECT_NE(d.find("admin"), std::string::npos);
  EXPECT_NE(d.find("system CA store"), std::string::npos);
  o.insecure = true;
  EXPECT_NE(describe(o).find("NOT verified"), std::string::npos);
}

}  // namespace
}  // namespace vmc::vsphere

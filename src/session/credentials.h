// The vCenter password and the connection made with it: from GOVC_PASSWORD (or the
// URL), else a private --credential-file, else asked on the terminal; never from a flag.
#pragma once

#include <memory>
#include <string>

#include "session/global_options.h"
#include "util/result.h"
#include "vsphere/vcenter.h"

namespace vmc::session {

/// The first line of `path`, refused when others may read the file ("credentials.mode")
/// or it is missing or empty ("credentials.file").
Result<std::string> read_credential_file(const std::string& path);

/// Connects and logs in to the vCenter of `g` (flags over the environment); `url`, when
/// given, gets the vCenter's URL. No password anywhere: "credentials.missing".
Result<std::unique_ptr<vsphere::VCenter>> connect_vcenter(const GlobalOptions& g,
                                                          std::string* url = nullptr);

}  // namespace vmc::session

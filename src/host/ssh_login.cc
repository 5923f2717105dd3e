#include "host/ssh_login.h"

#include <libssh/libssh.h>
#include <sys/stat.h>

#include <cstdlib>

namespace vmc::host {
namespace {

std::string home_path(const char* rel) {
  const char* h = std::getenv("HOME");
  return std::string(h ? h : "") + "/" + rel;
}

void mkdir_parent(const std::string& file) {
  size_t slash = file.rfind('/');
  if (slash == std::string::npos || slash == 0) return;
  std::string dir = file.substr(0, slash);
  ::mkdir(dir.c_str(), 0700);  // one level (~/.ssh); a failure shows up when writing
}

// The host refused our trust (its key) or our login: no retry helps until someone acts.
Error refused(std::string code, std::string message) {
  return Error(std::move(code), std::move(message), ErrorKind::Refused);
}

Status check_host_key(const SshOptions& opts, ssh_session s, const std::string& kh, std::string& fp) {
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(s, &key) != SSH_OK) {
    return refused("ssh.hostkey", opts.host + ": the server sent no host key: " + ssh_get_error(s));
  }
  unsigned char* hash = nullptr;
  size_t hlen = 0;
  int rc = ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen);
  ssh_key_free(key);
  if (rc != SSH_OK) return refused("ssh.hostkey", opts.host + ": cannot hash the host key");
  char* raw = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
  ssh_clean_pubkey_hash(&hash);
  fp = raw ? raw : "";
  ssh_string_free_char(raw);

  switch (ssh_session_is_known_server(s)) {
    case SSH_KNOWN_HOSTS_OK:
      return {};
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
      return refused("ssh.hostkey-changed",
                   opts.host + ": the host key CHANGED (now " + fp + ", not the key in " + kh +
                       "). This can be a man-in-the-middle attack or a reinstalled host. Verify the "
                       "fp on the host's console, then remove the old line from " + kh + ".");
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
      if (opts.host_key_policy == HostKeyPolicy::AcceptNew) {
        mkdir_parent(kh);
        if (ssh_session_update_known_hosts(s) != SSH_OK) {
          return refused("ssh.hostkey", opts.host + ": cannot add the host key " + fp +
                                          " to " + kh + ": " + ssh_get_error(s));
        }
        return {};
      }
      return refused("ssh.hostkey-unknown",
                   opts.host + ": host key " + fp + " is not in " + kh +
                       ". Compare it with the key on the host's console, then connect once with "
                       "host key policy accept-new (or `ssh " + opts.host + "`) to record it.");
    case SSH_KNOWN_HOSTS_ERROR:
      break;
  }
  return refused("ssh.hostkey", opts.host + ": cannot check the host key against " + kh + ": " +
                                  ssh_get_error(s));
}

Status authenticate(const SshOptions& opts, ssh_session s) {
  int rc = ssh_userauth_none(s, nullptr);
  if (rc == SSH_AUTH_SUCCESS) return {};
  int methods = ssh_userauth_list(s, nullptr);
  std::string tried;
  if (methods & SSH_AUTH_METHOD_PUBLICKEY) {
    tried += "agent/public key";
    if (ssh_userauth_publickey_auto(s, nullptr, nullptr) == SSH_AUTH_SUCCESS) return {};
  }
  if (opts.password) {
    if (methods & SSH_AUTH_METHOD_PASSWORD) {
      tried += tried.empty() ? "password" : ", password";
      if (ssh_userauth_password(s, nullptr, opts.password->c_str()) == SSH_AUTH_SUCCESS) return {};
    }
    if (methods & SSH_AUTH_METHOD_INTERACTIVE) {
      tried += tried.empty() ? "keyboard-interactive" : ", keyboard-interactive";
      rc = ssh_userauth_kbdint(s, nullptr, nullptr);
      for (int round = 0; rc == SSH_AUTH_INFO && round < 5; ++round) {
        int n = ssh_userauth_kbdint_getnprompts(s);
        for (int i = 0; i < n; ++i) {
          char echo = 0;
          ssh_userauth_kbdint_getprompt(s, static_cast<unsigned>(i), &echo);
          ssh_userauth_kbdint_setanswer(s, static_cast<unsigned>(i), echo ? "" : opts.password->c_str());
        }
        rc = ssh_userauth_kbdint(s, nullptr, nullptr);
      }
      if (rc == SSH_AUTH_SUCCESS) return {};
    }
  }
  std::string offered;
  if (methods & SSH_AUTH_METHOD_PUBLICKEY) offered += " publickey";
  if (methods & SSH_AUTH_METHOD_PASSWORD) offered += " password";
  if (methods & SSH_AUTH_METHOD_INTERACTIVE) offered += " keyboard-interactive";
  return refused("ssh.auth", opts.host + ": authentication failed (tried: " +
                               (tried.empty() ? "nothing usable" : tried) + "; the server offers:" +
                               (offered.empty() ? " none" : offered) +
                               "). Load a key into ssh-agent, name one with IdentityFile in "
                               "ssh_config, or provide a password.");
}

}  // namespace

Result<ssh_session> open_ssh_session(const SshOptions& opts, std::string& fp) {
  ssh_session s = ssh_new();
  if (!s) return Error("ssh.connect", opts.host + ": cannot allocate an SSH session");
  auto fail = [&](Error e) -> Result<ssh_session> {
    ssh_disconnect(s);
    ssh_free(s);
    return e;
  };
  ssh_options_set(s, SSH_OPTIONS_HOST, opts.host.c_str());
  if (opts.ssh_config == "none") {
    int no = 0;
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
  } else {
    std::string path = opts.ssh_config.empty() ? home_path(".ssh/config") : opts.ssh_config;
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0 && ssh_options_parse_config(s, path.c_str()) != SSH_OK) {
      return fail(Error("ssh.config",
                        opts.host + ": cannot read ssh config " + path + ": " + ssh_get_error(s),
                        ErrorKind::Invalid));
    }
  }
  int verbosity = opts.log_verbosity;
  ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
  if (!opts.user.empty()) ssh_options_set(s, SSH_OPTIONS_USER, opts.user.c_str());
  if (opts.port > 0) {
    unsigned int port = static_cast<unsigned int>(opts.port);
    ssh_options_set(s, SSH_OPTIONS_PORT, &port);
  }
  for (const auto& id : opts.identity_files) ssh_options_set(s, SSH_OPTIONS_ADD_IDENTITY, id.c_str());
  // An explicit file wins; otherwise ssh_config's UserKnownHostsFile or ~/.ssh/known_hosts.
  if (!opts.known_hosts.empty()) ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, opts.known_hosts.c_str());
  std::string kh = home_path(".ssh/known_hosts");
  char* khv = nullptr;
  if (ssh_options_get(s, SSH_OPTIONS_KNOWNHOSTS, &khv) == SSH_OK && khv) {
    kh = khv;
    ssh_string_free_char(khv);
  }
  long timeout = static_cast<long>(opts.connect_timeout.count());
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);

  if (ssh_connect(s) != SSH_OK) {
    return fail(Error("ssh.connect", opts.host + ": cannot connect: " + ssh_get_error(s) +
                                         ". Check the address, port and that sshd runs on the host "
                                         "(ESXi: enable the SSH service)."));
  }
  if (auto st = check_host_key(opts, s, kh, fp); !st) return fail(st.error());
  if (auto st = authenticate(opts, s); !st) return fail(st.error());
  // Connected: no request may block longer than a stall (the I/O thread would hang).
  long stall = static_cast<long>(opts.stall_timeout.count());
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &stall);
  return s;
}

}  // namespace vmc::host

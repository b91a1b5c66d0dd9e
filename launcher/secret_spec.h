// A profile's `secrets`: which secrets from which stores a container gets,
// where, and with which owner and mode (man/moat-profile.5, SECRETS).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace moat::launcher {

/// One secret a profile gives its containers.
struct SecretRef {
  std::string store;            // a name in moat.conf's secret_stores
  std::string name;             // the file in the store: "password", "db/password"
  std::string target;           // absolute path inside the container; "" with env only
  std::optional<uint32_t> uid;  // default: the container process's uid
  std::optional<uint32_t> gid;  // default: the container process's gid
  uint32_t mode = 0400;
  /// Non-empty: also put the value into process.env under this name (opt-in,
  /// warned about in the audit record: the value is then in config.json).
  std::string env;
  /// Non-empty: only for images whose trusted name falls under one of these
  /// docker scopes (containers-policy.json(5) form); checked by the shim.
  std::vector<std::string> images;
};

/// A store name: letters, digits, "_", "-", ".", not starting with ".", at
/// most 64 characters.
bool ValidStoreName(const std::string& s);

/// A secret name: one to eight "/"-separated components of letters, digits,
/// "_", "-" and ".", none "." or "..", at most 255 characters.
bool ValidSecretName(const std::string& s);

/// Reads the profile's `secrets` array (`path` = "secrets" in messages).
/// Targets must be absolute, clean ("/a/b", no ".", "..", "//" or trailing
/// "/"), not "/" and not under /proc, /sys or /dev; no two entries may share
/// a target or an env name.
Status ReadSecretRefs(const json::Value& v, const std::string& path, std::vector<SecretRef>* out);

}  // namespace moat::launcher

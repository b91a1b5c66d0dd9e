// create, run, restore: which secrets a container gets, and how they reach
// it. The plan (PlanSecrets, ResolveSecretOwners, AddSecretMounts) changes
// only the parsed config; the values are read (LoadSecrets) only for a
// container that will run, and written only to its secrets tmpfs
// (shim/secret_dir.h) and, where a profile opts in, its process.env.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "launcher/profile.h"
#include "shim/secret_seal.h"
#include "shim/secret_store.h"
#include "verify/signature/trust.h"

namespace moat::shim {

/// One secret for one container.
struct SecretItem {
  std::string store;
  std::string name;
  std::string target;                // "" when it goes into process.env only
  std::string env;                   // "" unless the profile opted in
  std::optional<uint32_t> uid, gid;  // as the profile gives them (container ids)
  uint32_t mode = 0400;
  /// The file's owner on the host (ResolveSecretOwners).
  uint32_t host_uid = 0, host_gid = 0;
  std::string file;  // its name in the secrets tmpfs ("0", "1", ...)

  /// "store/name", for messages and the audit record.
  std::string Label() const { return store + "/" + name; }
};

struct SecretPlan {
  std::vector<SecretItem> items;
  /// <state_dir>/secrets/<id>; the tmpfs is <dir>/fs.
  std::string dir;

  bool empty() const { return items.empty(); }
  /// True when some secret is a file (the container needs a secrets tmpfs).
  bool NeedsDir() const;
  /// True when some secret goes into process.env.
  bool HasEnv() const;
};

/// The profile's secrets for container `id`, whose directory goes under
/// `state_dir`: every entry without `images`, and those whose `images`
/// scopes cover the name under which the trust policy accepted the image
/// (`trust`). Errors (a store moat.conf does not define, a malformed scope)
/// name the profile's field.
Result<SecretPlan> PlanSecrets(const SecretSettings& settings, const std::string& state_dir,
                               const std::string& id, const launcher::Profile& profile,
                               const verify::TrustDecision& trust);

/// Sets each secret's owner on the host: the profile's uid/gid, else the
/// container process's `uid`/`gid`, mapped through `config`'s
/// linux.uidMappings / gidMappings when it has a user namespace.
Status ResolveSecretOwners(SecretPlan* plan, const json::Value& config, uint32_t uid, uint32_t gid);

/// The uid and gid `config`'s process runs as (0 when not given).
Result<std::pair<uint32_t, uint32_t>> ProcessIds(const json::Value& config);

/// With secret stores configured: a bind mount the caller asked for whose
/// source (symbolic links resolved) is, is inside, or holds moat's secrets
/// directory (<state_dir>/secrets), a store's directory or a store's key is
/// a denial: it would hand the container other containers' secrets or the
/// stores themselves.
Status CheckSecretExposure(const SecretSettings& settings, const std::string& state_dir,
                           const json::Value& spec, std::vector<std::string>* denials);

/// Appends a read-only, nosuid, nodev, noexec bind mount of each file secret
/// to `config`'s mounts, and one line per secret to `changes`. A mount the
/// caller asked for at a secret's target is a denial (`denials`).
Status AddSecretMounts(const SecretPlan& plan, json::Value* config,
                       std::vector<std::string>* changes, std::vector<std::string>* denials);

/// Reads every secret of the plan (index for index), at most
/// settings.max_bytes each. Errors name the secret, never its value;
/// a secret for process.env with a NUL byte or invalid UTF-8 is one.
Result<std::vector<SecretBytes>> LoadSecrets(const SecretSettings& settings,
                                             const SecretPlan& plan);

/// Sets NAME=value in `config`'s process.env for the secrets that opted in
/// (replacing an entry of that name).
Status AddSecretEnv(const SecretPlan& plan, const std::vector<SecretBytes>& values,
                    json::Value* config);

/// One line per secret that goes into process.env, for the audit record.
std::vector<std::string> SecretEnvWarnings(const SecretPlan& plan);

/// Wipes the values AddSecretEnv put into `config` (before it is destroyed).
void WipeSecretEnv(const SecretPlan& plan, json::Value* config);

}  // namespace moat::shim

// Secret stores (moat.conf `secret_stores`): reading their configuration,
// and reading one secret out of a store without leaving it.
#pragma once

#include <map>
#include <string>

#include "base/json.h"
#include "base/status.h"
#include "shim/config.h"
#include "shim/secret_seal.h"

namespace moat::shim {

/// Reads `{"NAME": {"path": DIR, "key": FILE}, ...}`; `path` names the key in
/// messages ("secret_stores.vault.path: ..."). Both paths must be absolute.
Status ReadSecretStores(const json::Value& v, const std::string& path,
                        std::map<std::string, SecretStore>* out);

/// Reads the secret `name` (a launcher::ValidSecretName) from `store`, at
/// most `max_bytes` of plaintext. The file is opened beneath the store's
/// directory: symbolic links inside the store are followed (Kubernetes
/// volumes and CSI drivers swap a `..data` link), but none may lead out of
/// it, and no /proc magic link is followed; where openat2(2) is missing, no
/// symbolic link is followed at all. The file must be a regular file. In a
/// sealed store the file is opened with the store's key and the secret's
/// name. Errors name the secret, never its value:
/// `secret "vault/db/password": not found in /run/vault`.
Result<SecretBytes> ReadStoreSecret(const std::string& store_name, const SecretStore& store,
                                    const std::string& name, uint64_t max_bytes);

}  // namespace moat::shim

// Secret stores (moat.conf `secret_stores`): reading their configuration,
// and reading one secret out of a store without leaving it.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/json.h"
#include "base/status.h"
#include "shim/secret_seal.h"

namespace moat::shim {

/// A secret store (moat.conf `secret_stores`): a directory of secrets, each a
/// file; with `key`, each file is sealed (shim/secret_seal.h) under that key.
struct SecretStore {
  std::string path;
  std::string key;  // empty: the files hold the secrets as they are
};

/// What moat.conf says about secrets: the stores by name and the largest
/// secret moat copies into a container.
struct SecretSettings {
  std::string file;  // moat.conf, where they were read (named in errors)
  std::map<std::string, SecretStore> stores;
  uint64_t max_bytes = 1u << 20;
};

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

// The per-container secrets directory: <state_dir>/secrets/<id>/, holding
// `owner` (which runtime root and which creating process it belongs to) and
// `fs`, a private tmpfs (mode 0700, not swappable where the kernel allows)
// whose files runc bind-mounts read-only into the container.
//
// Lifetime: made at create just before config.json is written; wiped (files
// unlinked, tmpfs unmounted, directories removed) when create fails, at
// delete, when a foreground run ends, and otherwise by the sweep at the next create once neither
// the container (<root>/<id>/state.json, or crun's status) nor the process that made it (pid and
// start time) exists. Every step holds an flock on <state_dir>/secrets/.lock, so a sweep never sees
// a half-made directory.
#pragma once

#include <cstdint>
#include <string>

#include "base/log.h"
#include "base/status.h"
#include "base/unique_fd.h"
#include "secrets/seal.h"

namespace moat::secrets {

/// A made and mounted secrets directory; wiped on destruction unless Keep().
class SecretDir {
 public:
  /// Makes <state_dir>/secrets/<id> for the runtime root `root` and mounts
  /// a tmpfs large enough for `files` files of `bytes` bytes in total. A
  /// stale directory of the same id is swept first; a live one is an error.
  static Result<SecretDir> Create(const std::string& state_dir, const std::string& id,
                                  const std::string& root, uint64_t bytes, size_t files);

  SecretDir() = default;
  SecretDir(SecretDir&& o) noexcept;
  SecretDir& operator=(SecretDir&& o) noexcept;
  SecretDir(const SecretDir&) = delete;
  SecretDir& operator=(const SecretDir&) = delete;
  ~SecretDir();

  /// Writes one secret file (O_EXCL, no symlinks) with its owner and mode.
  Status Write(const std::string& file, const SecretBytes& value, uint32_t uid, uint32_t gid,
               uint32_t mode);
  /// The container got its secrets: leave them for delete.
  void Keep() { state_dir_.clear(); }

 private:
  void WipeNow();

  std::string state_dir_;  // empty: nothing to wipe
  std::string id_;
  UniqueFd fs_;
};

/// delete: wipes the container's secrets directory, unless it belongs to a
/// container of the same id under another runtime root. Missing is fine.
Status WipeSecretDir(const std::string& state_dir, const std::string& id, const std::string& root);

/// create: wipes every secrets directory whose container and creator are both
/// gone (left by a crash, a killed runc, or `run --detach` without delete).
/// Costs one failed open when there is no secrets directory. Problems are
/// logged as warnings, never fatal.
void SweepSecretDirs(const std::string& state_dir, Logger& log);

}  // namespace moat::secrets

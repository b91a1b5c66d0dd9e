// GPG "simple signing" verification with gpgme against only the public keys
// a trust policy names, never a keyring of the host.
//
// Each GpgVerifier owns a private GNUPGHOME (a fresh 0700 mkdtemp directory)
// into which its keys are imported once, and one gpgme context; verify many
// signatures with it, from one thread at a time. Its gpg.conf sets
// no-autostart (importing public keys would otherwise start a gpg-agent),
// no-auto-key-retrieve, no-auto-key-import and disable-dirmngr: offline,
// and nothing but the given keys.
#pragma once

#include <gpgme.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/status.h"

namespace moat::verify {

struct CtxRelease {
  void operator()(gpgme_ctx_t c) const { gpgme_release(c); }
};
struct DataRelease {
  void operator()(gpgme_data_t d) const { gpgme_data_release(d); }
};
struct KeyUnref {
  void operator()(gpgme_key_t k) const { gpgme_key_unref(k); }
};
using CtxPtr = std::unique_ptr<std::remove_pointer_t<gpgme_ctx_t>, CtxRelease>;
using DataPtr = std::unique_ptr<std::remove_pointer_t<gpgme_data_t>, DataRelease>;
using KeyPtr = std::unique_ptr<std::remove_pointer_t<gpgme_key_t>, KeyUnref>;

/// The outcome of a good signature.
struct GpgVerified {
  /// The signed bytes (the payload JSON). Only returned once the signature
  /// is known good: gpgme writes the plaintext even for an unknown key.
  std::string plaintext;
  /// Fingerprint (upper-case hex) of the imported primary key that signed,
  /// directly or through one of its subkeys.
  std::string key_fingerprint;
  /// Fingerprint of the (sub)key that made the signature.
  std::string signer_fingerprint;
};

class GpgVerifier {
 public:
  /// Creates the private home under `parent_dir` (default: $TMPDIR, else
  /// /tmp; it should be writable by root only or sticky) and imports every
  /// blob (binary or ASCII-armored public keys). Fails when no key at all
  /// was imported, or gpg (gpgme's OpenPGP engine) is missing.
  static Result<std::unique_ptr<GpgVerifier>> Create(const std::vector<std::string>& key_blobs,
                                                     const std::string& parent_dir = "");

  /// Stops any gpg-agent of the home (gpgconf --kill all) and removes it.
  ~GpgVerifier();
  GpgVerifier(const GpgVerifier&) = delete;
  GpgVerifier& operator=(const GpgVerifier&) = delete;

  /// Verifies an opaque signed OpenPGP message (not a detached signature):
  /// exactly one signature, made by an imported key or its subkey (as
  /// containers/image does since 2025, PR #2905; Debian 12's skopeo 1.9.3
  /// still refuses subkey signatures), with no
  /// error status (bad, expired or revoked key, expired signature, unknown
  /// key each fail with the reason), validity not "never", no wrong key usage.
  /// The plaintext is limited to 1 MiB (a compressed message could be a bomb).
  Result<GpgVerified> Verify(std::string_view signature);

  /// Primary key fingerprints imported, upper-case hex.
  const std::vector<std::string>& key_fingerprints() const { return primaries_; }
  /// The private GNUPGHOME.
  const std::string& home() const { return home_; }

 private:
  explicit GpgVerifier(std::string home) : home_(std::move(home)) {}
  Status Init(const std::vector<std::string>& key_blobs);
  Status Import(std::string_view blob, size_t index, std::vector<std::string>* imported);
  Status IndexKeys(const std::vector<std::string>& imported);

  std::string home_;
  CtxPtr ctx_;
  std::vector<std::string> primaries_;
  /// Every fingerprint of an imported key (primary and subkeys) → primary.
  std::map<std::string, std::string> signers_;
};

}  // namespace moat::verify

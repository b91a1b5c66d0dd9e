// Secret bytes in memory, and files sealed with AES-256-GCM (`moat secret
// seal`, read back by moat-runtime from a sealed secret store).
//
// Sealed file format, version 1 (all lengths in bytes):
//
//   "moatseal" (8) | version 0x01 (1) | nonce (12, random) | ciphertext (n) | tag (16)
//
// The additional authenticated data is the 9-byte header followed by the
// secret's name as the profile writes it ("db/password"), so a sealed file
// cannot be renamed, swapped for another secret or downgraded without the
// tag check failing. The ciphertext is as long as the plaintext. The key is
// exactly 32 raw bytes in a root-owned file of mode 0600 or stricter.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace moat::secrets {

inline constexpr size_t kSealKeyBytes = 32;
inline constexpr size_t kSealNonceBytes = 12;
inline constexpr size_t kSealTagBytes = 16;
inline constexpr size_t kSealHeaderBytes = 9;  // magic + version
/// A sealed file is this much longer than its plaintext.
inline constexpr size_t kSealOverhead = kSealHeaderBytes + kSealNonceBytes + kSealTagBytes;

/// A buffer for secret bytes (values, keys) that is wiped with
/// OPENSSL_cleanse when it is destroyed, reassigned or grown: no copy of a
/// secret is left behind in freed memory. Move-only.
class SecretBytes {
 public:
  SecretBytes() = default;
  /// An empty buffer with room for `capacity` bytes.
  explicit SecretBytes(size_t capacity);
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& o) noexcept;
  SecretBytes& operator=(SecretBytes&& o) noexcept;
  ~SecretBytes() { Wipe(); }

  unsigned char* data() { return buf_.get(); }
  const unsigned char* data() const { return buf_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {reinterpret_cast<const char*>(buf_.get()), size_}; }
  /// Sets the size (at most the capacity; the bytes are whatever is there).
  void set_size(size_t n) { size_ = n <= cap_ ? n : cap_; }
  /// Makes room for `capacity` bytes, moving the contents and wiping the old buffer.
  void Reserve(size_t capacity);
  void Append(const void* p, size_t n);
  /// Wipes and frees the buffer.
  void Wipe();

 private:
  std::unique_ptr<unsigned char[]> buf_;
  size_t cap_ = 0;
  size_t size_ = 0;
};

/// Wipes a std::string's bytes (for text that held a secret, such as a
/// config.json with a secret in process.env) and clears it.
void WipeString(std::string* s);

/// Reads what `fd` holds (to EOF), at most `max_bytes`, straight into a
/// SecretBytes: "<display>: larger than the limit of N bytes" when more.
Result<SecretBytes> ReadSecretFd(int fd, const std::string& display, size_t max_bytes);

/// Loads a sealing key: a regular file (not a symbolic link), owned by root,
/// no permission bits for group or others, exactly 32 bytes, in a directory
/// in which only root can replace entries.
Result<SecretBytes> LoadSealKey(const std::string& path);

/// Makes a fresh random key of kSealKeyBytes.
Result<SecretBytes> NewSealKey();

/// Seals `plain` as the secret `name`. The result is not secret.
Result<std::string> SealSecret(const SecretBytes& key, std::string_view name,
                               const SecretBytes& plain);

/// Opens a sealed file's bytes. Errors never contain secret bytes: "not a
/// moat sealed file", "sealed with format version N", "authentication
/// failed (tampered with, another key, or sealed under another name)".
Result<SecretBytes> UnsealSecret(const SecretBytes& key, std::string_view name,
                                 std::string_view sealed);

}  // namespace moat::secrets

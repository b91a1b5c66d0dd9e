#include "secrets/seal.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "base/fs.h"
#include "base/unique_fd.h"

namespace moat::secrets {

namespace {

constexpr char kMagic[8] = {'m', 'o', 'a', 't', 's', 'e', 'a', 'l'};
constexpr unsigned char kVersion = 1;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// The additional authenticated data: the header, then the name.
std::string Aad(std::string_view header, std::string_view name) {
  std::string aad(header);
  aad.append(name);
  return aad;
}

}  // namespace

SecretBytes::SecretBytes(size_t capacity)
    : buf_(capacity > 0 ? new unsigned char[capacity] : nullptr), cap_(capacity) {}

SecretBytes::SecretBytes(SecretBytes&& o) noexcept
    : buf_(std::move(o.buf_)), cap_(std::exchange(o.cap_, 0)), size_(std::exchange(o.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& o) noexcept {
  if (this != &o) {
    Wipe();
    buf_ = std::move(o.buf_);
    cap_ = std::exchange(o.cap_, 0);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

void SecretBytes::Reserve(size_t capacity) {
  if (capacity <= cap_) return;
  SecretBytes bigger(capacity);
  if (size_ > 0) std::memcpy(bigger.buf_.get(), buf_.get(), size_);
  bigger.size_ = size_;
  *this = std::move(bigger);  // wipes the old buffer
}

void SecretBytes::Append(const void* p, size_t n) {
  if (n == 0) return;
  if (size_ + n > cap_) Reserve(std::max(size_ + n, cap_ * 2));
  std::memcpy(buf_.get() + size_, p, n);
  size_ += n;
}

void SecretBytes::Wipe() {
  if (buf_ != nullptr && cap_ > 0) OPENSSL_cleanse(buf_.get(), cap_);
  buf_.reset();
  cap_ = 0;
  size_ = 0;
}

void WipeString(std::string* s) {
  if (!s->empty()) OPENSSL_cleanse(s->data(), s->size());
  s->clear();
  s->shrink_to_fit();
}

Result<SecretBytes> ReadSecretFd(int fd, const std::string& display, size_t max_bytes) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoError(display + ": cannot stat");
  const std::string too_big =
      display + ": larger than the limit of " + std::to_string(max_bytes) + " bytes";
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > max_bytes) return Error{too_big};
  // One byte more than expected, so that growth under us is seen; buffers
  // grow by SecretBytes::Reserve, which wipes what it leaves behind.
  size_t first = S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) + 1 : 4096;
  SecretBytes out(std::min(first, max_bytes + 1));
  for (;;) {
    if (out.size() == out.capacity()) {
      if (out.size() > max_bytes) return Error{too_big};
      out.Reserve(std::min(out.capacity() * 2, max_bytes + 1));
    }
    ssize_t n = ::read(fd, out.data() + out.size(), out.capacity() - out.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(display + ": read failed");
    }
    if (n == 0) break;
    out.set_size(out.size() + static_cast<size_t>(n));
  }
  if (out.size() > max_bytes) return Error{too_big};
  return out;
}

Result<SecretBytes> LoadSealKey(const std::string& path) {
  // Root's file in a directory only root can change entries of, not a link.
  MOAT_ASSIGN_OR_RETURN(auto tf, OpenTrustedFile(path));
  if ((tf.st.st_mode & 077) != 0) {
    return Error{path + ": readable or writable by group or others (want mode 0600 or 0400)"};
  }
  auto key = ReadSecretFd(tf.fd.get(), path, kSealKeyBytes);
  if (!key.ok()) return Error{path + ": not a key: must be exactly 32 bytes"};
  if (key->size() != kSealKeyBytes) return Error{path + ": not a key: must be exactly 32 bytes"};
  return key;
}

Result<SecretBytes> NewSealKey() {
  SecretBytes key(kSealKeyBytes);
  if (RAND_bytes(key.data(), static_cast<int>(kSealKeyBytes)) != 1) {
    return Error{"cannot get random bytes for a key"};
  }
  key.set_size(kSealKeyBytes);
  return key;
}

Result<std::string> SealSecret(const SecretBytes& key, std::string_view name,
                               const SecretBytes& plain) {
  if (key.size() != kSealKeyBytes) return Error{"the key is not 32 bytes"};
  if (plain.size() > static_cast<size_t>(INT_MAX) - kSealOverhead) {
    return Error{"the secret is too large to seal"};
  }
  std::string out(kMagic, sizeof kMagic);
  out.push_back(static_cast<char>(kVersion));
  unsigned char nonce[kSealNonceBytes];
  if (RAND_bytes(nonce, sizeof nonce) != 1) return Error{"cannot get random bytes for a nonce"};
  const std::string aad = Aad(out, name);
  out.append(reinterpret_cast<const char*>(nonce), sizeof nonce);

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return Error{"seal: cannot allocate a cipher context"};
  int len = 0;
  std::string cipher(plain.size() + kSealTagBytes, '\0');
  auto* c = reinterpret_cast<unsigned char*>(cipher.data());
  bool ok =
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kSealNonceBytes, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      (plain.empty() ||
       EVP_EncryptUpdate(ctx.get(), c, &len, plain.data(), static_cast<int>(plain.size())) == 1) &&
      EVP_EncryptFinal_ex(ctx.get(), c + plain.size(), &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kSealTagBytes, c + plain.size()) == 1;
  if (!ok) return Error{"seal: AES-256-GCM encryption failed"};
  out += cipher;
  return out;
}

Result<SecretBytes> UnsealSecret(const SecretBytes& key, std::string_view name,
                                 std::string_view sealed) {
  if (key.size() != kSealKeyBytes) return Error{"the key is not 32 bytes"};
  if (sealed.size() < kSealOverhead || sealed.compare(0, sizeof kMagic, kMagic, sizeof kMagic) != 0)
    return Error{"not a moat sealed file"};
  const auto version = static_cast<unsigned char>(sealed[sizeof kMagic]);
  if (version != kVersion) {
    return Error{"sealed with format version " + std::to_string(version) +
                 ", this moat reads version 1"};
  }
  if (sealed.size() - kSealOverhead > static_cast<size_t>(INT_MAX)) {
    return Error{"sealed file too large"};
  }
  const std::string aad = Aad(sealed.substr(0, kSealHeaderBytes), name);
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data() + kSealHeaderBytes);
  const auto* cipher = nonce + kSealNonceBytes;
  const size_t n = sealed.size() - kSealOverhead;
  // The tag is passed through a copy: EVP_CTRL_GCM_SET_TAG takes a non-const pointer.
  unsigned char tag[kSealTagBytes];
  std::memcpy(tag, cipher + n, sizeof tag);

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return Error{"unseal: cannot allocate a cipher context"};
  SecretBytes plain(n > 0 ? n : 1);
  int len = 0;
  bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kSealNonceBytes, nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                              reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            (n == 0 ||
             EVP_DecryptUpdate(ctx.get(), plain.data(), &len, cipher, static_cast<int>(n)) == 1) &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kSealTagBytes, tag) == 1;
  if (!ok) return Error{"unseal: AES-256-GCM decryption failed"};
  // Nothing decrypted is used (or kept: `plain` is wiped) unless the tag matches.
  if (EVP_DecryptFinal_ex(ctx.get(), plain.data() + n, &len) != 1) {
    return Error{
        "authentication failed (tampered with, another key, or sealed under another name)"};
  }
  plain.set_size(n);
  return plain;
}

}  // namespace moat::secrets

#include "verify/signature/verify_cache.h"

#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/json_read.h"
#include "verify/common/digest.h"

namespace moat::verify {

std::string VerifyCache::GpgKey(const std::vector<std::string>& key_blobs,
                                std::string_view signature) {
  std::string material = "moat-gpg-v1\n";
  for (const auto& k : key_blobs) material += DigestOf(k) + "\n";
  material += DigestOf(signature);
  std::string d = DigestOf(material);
  return d.substr(d.find(':') + 1);
}

std::optional<std::string> VerifyCache::Get(const std::string& key, size_t max_bytes) const {
  if (dir_.empty()) return std::nullopt;
  auto dir = OpenDir(dir_);
  if (!dir.ok() || !CheckDirNotHijackable(dir->get(), dir_).ok()) return std::nullopt;
  auto fd = OpenRegularAt(dir->get(), key, dir_ + "/" + key);
  if (!fd.ok()) return std::nullopt;
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0 || !CheckRootOwned(st, key).ok()) return std::nullopt;
  auto text = ReadFd(fd->get(), key, max_bytes);
  if (!text.ok()) return std::nullopt;
  return std::move(text.value());
}

void VerifyCache::Put(const std::string& key, const std::string& bytes) const {
  if (dir_.empty() || !MakeDirs(dir_, 0700).ok()) return;
  auto dir = OpenDir(dir_);
  if (!dir.ok() || !CheckDirNotHijackable(dir->get(), dir_).ok()) return;
  struct stat like {};
  like.st_mode = 0600;
  (void)ReplaceFileAt(dir->get(), key, bytes, &like, dir_ + "/" + key);
}

std::optional<GpgVerified> VerifyCache::GetGpg(const std::string& key) const {
  auto text = Get(key);
  if (!text) return std::nullopt;
  auto doc = json::Parse(*text);
  if (!doc.ok() || !json::CheckObject(*doc, "", {"plaintext", "key", "signer"}).ok()) {
    return std::nullopt;
  }
  GpgVerified v;
  const json::Value* p = doc->Find("plaintext");
  const json::Value* k = doc->Find("key");
  const json::Value* s = doc->Find("signer");
  if (p == nullptr || k == nullptr || s == nullptr || !p->is_string() || !k->is_string() ||
      !s->is_string()) {
    return std::nullopt;
  }
  v.plaintext = p->text();
  v.key_fingerprint = k->text();
  v.signer_fingerprint = s->text();
  return v;
}

void VerifyCache::PutGpg(const std::string& key, const GpgVerified& v) const {
  json::Value doc = json::Value::Object();
  doc.Set("plaintext", json::Value::String(v.plaintext));
  doc.Set("key", json::Value::String(v.key_fingerprint));
  doc.Set("signer", json::Value::String(v.signer_fingerprint));
  Put(key, json::Serialize(doc));
}

}  // namespace moat::verify

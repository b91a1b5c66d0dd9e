#include "verify/signature/rekor.h"

#include <openssl/x509.h>

#include "base/json.h"
#include "base/json_read.h"
#include "verify/common/base64.h"
#include "verify/common/digest.h"
#include "verify/signature/cert.h"

namespace moat::verify {
namespace {

using json::Type;
using json::Value;

constexpr int64_t kMaxSafeInt = int64_t{1} << 53;  // exact in RFC 8785's doubles

Result<int64_t> ReadSafeInt(const Value& v, const std::string& field) {
  int64_t n = 0;
  if (!v.is_number() || !v.AsInt64(&n) || n < 0 || n > kMaxSafeInt) {
    return Error{field + ": must be an integer in [0, 2^53]"};
  }
  return n;
}

const Value* Member(const Value& obj, std::string_view key) {
  return obj.is_object() ? obj.Find(key) : nullptr;
}

Result<std::string> ReadBase64Member(const Value& obj, std::string_view key,
                                     const std::string& path) {
  const std::string field = json::Field(path, key);
  const Value* v = Member(obj, key);
  if (v == nullptr) return Error{field + ": missing"};
  MOAT_ASSIGN_OR_RETURN(auto text, json::ReadString(*v, field));
  auto raw = DecodeBase64(text);
  if (!raw.ok()) return raw.error().Wrap(field);
  return std::move(raw.value());
}

Result<std::string> ReadStringMember(const Value& obj, std::string_view key,
                                     const std::string& path) {
  const std::string field = json::Field(path, key);
  const Value* v = Member(obj, key);
  if (v == nullptr) return Error{field + ": missing"};
  return json::ReadString(*v, field);
}

}  // namespace

Result<RekorBundle> ParseRekorBundle(std::string_view text) {
  const std::string where = "rekor bundle";
  auto doc = json::Parse(text);
  if (!doc.ok()) return doc.error().Wrap(where);
  const Value& root = *doc;
  MOAT_TRY(json::CheckObject(root, where, {"SignedEntryTimestamp", "Payload"}));
  RekorBundle b;
  MOAT_ASSIGN_OR_RETURN(b.set, ReadBase64Member(root, "SignedEntryTimestamp", where));
  const Value* p = root.Find("Payload");
  const std::string pw = json::Field(where, "Payload");
  if (p == nullptr) return Error{pw + ": missing"};
  MOAT_TRY(json::CheckObject(*p, pw, {"body", "integratedTime", "logIndex", "logID"}));
  for (std::string_view k : {"body", "integratedTime", "logIndex", "logID"}) {
    if (p->Find(k) == nullptr) return Error{json::Field(pw, k) + ": missing"};
  }
  MOAT_ASSIGN_OR_RETURN(auto body_b64, ReadStringMember(*p, "body", pw));
  auto body = DecodeBase64(body_b64);
  if (!body.ok()) return body.error().Wrap(json::Field(pw, "body"));
  b.body = std::move(body.value());
  MOAT_ASSIGN_OR_RETURN(b.integrated_time,
                        ReadSafeInt(*p->Find("integratedTime"), json::Field(pw, "integratedTime")));
  MOAT_ASSIGN_OR_RETURN(b.log_index,
                        ReadSafeInt(*p->Find("logIndex"), json::Field(pw, "logIndex")));
  MOAT_ASSIGN_OR_RETURN(b.log_id, ReadStringMember(*p, "logID", pw));
  // Keys in UTF-16 code unit order: body, integratedTime, logID, logIndex.
  b.canonical = "{\"body\":";
  b.canonical += json::Quote(body_b64);  // Quote escapes exactly as RFC 8785 does
  b.canonical += ",\"integratedTime\":" + std::to_string(b.integrated_time) + ",\"logID\":";
  b.canonical += json::Quote(b.log_id);
  b.canonical += ",\"logIndex\":" + std::to_string(b.log_index) + "}";
  return b;
}

Result<HashedRekord> ParseHashedRekord(std::string_view body) {
  const std::string where = "body";
  auto doc = json::Parse(body);
  if (!doc.ok()) return doc.error().Wrap(where);
  const Value& root = *doc;
  MOAT_TRY(json::ExpectType(root, Type::kObject, where));
  MOAT_ASSIGN_OR_RETURN(auto kind, ReadStringMember(root, "kind", where));
  if (kind != "hashedrekord") {
    return Error{where + ".kind: " + json::Quote(kind) + " is not \"hashedrekord\""};
  }
  MOAT_ASSIGN_OR_RETURN(auto version, ReadStringMember(root, "apiVersion", where));
  if (version != "0.0.1") {
    return Error{where + ".apiVersion: unsupported hashedrekord version " + json::Quote(version)};
  }
  const Value* spec = Member(root, "spec");
  if (spec == nullptr || !spec->is_object()) return Error{where + ".spec: missing"};
  const Value* sig = Member(*spec, "signature");
  if (sig == nullptr || !sig->is_object()) return Error{where + ".spec.signature: missing"};
  HashedRekord h;
  MOAT_ASSIGN_OR_RETURN(h.signature, ReadBase64Member(*sig, "content", "body.spec.signature"));
  const Value* pk = Member(*sig, "publicKey");
  if (pk == nullptr) return Error{where + ".spec.signature.publicKey: missing"};
  MOAT_ASSIGN_OR_RETURN(h.public_key_pem,
                        ReadBase64Member(*pk, "content", "body.spec.signature.publicKey"));
  const Value* data = Member(*spec, "data");
  const Value* hash = data == nullptr ? nullptr : Member(*data, "hash");
  if (hash == nullptr) return Error{where + ".spec.data.hash: missing"};
  MOAT_ASSIGN_OR_RETURN(auto alg, ReadStringMember(*hash, "algorithm", "body.spec.data.hash"));
  if (alg != "sha256") {
    return Error{where + ".spec.data.hash.algorithm: unexpected " + json::Quote(alg)};
  }
  MOAT_ASSIGN_OR_RETURN(h.sha256_hex, ReadStringMember(*hash, "value", "body.spec.data.hash"));
  return h;
}

std::string PublicKeyDer(const PublicKey& key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key.get(), &der);
  if (n <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::string RekorLogId(const PublicKey& key) {
  return DigestOf(PublicKeyDer(key)).substr(7);  // "sha256:" + hex
}

Result<int64_t> VerifyRekorSet(const std::vector<TrustedKey>& rekor_keys,
                               std::string_view bundle_json, std::string_view key_or_cert_der,
                               std::string_view signature_b64, std::string_view payload) {
  auto bundle = ParseRekorBundle(bundle_json);
  if (!bundle.ok()) return bundle.error().Wrap("rekor SET");
  // The SET first: nothing in the body is worth reading before it verifies.
  const PublicKey* signer = nullptr;
  std::vector<PublicKey> keys;
  std::string tried;
  for (const auto& k : rekor_keys) {
    auto pk = PublicKey::FromPem(k.bytes, k.source);
    if (!pk.ok()) return pk.error().Wrap("rekor SET");
    keys.push_back(std::move(pk.value()));
    tried += (tried.empty() ? "" : ", ") + k.source;
  }
  size_t i = 0;
  for (; i < keys.size(); ++i) {
    const KeyAlgorithm a = keys[i].algorithm();
    if (a != KeyAlgorithm::kEcdsaP256 && a != KeyAlgorithm::kEcdsaP384 &&
        a != KeyAlgorithm::kEcdsaP521) {
      return Error{"rekor SET: " + rekor_keys[i].source + ": Rekor public key is not ECDSA"};
    }
    if (VerifyRawSignature(keys[i], bundle->canonical, bundle->set).ok()) {
      signer = &keys[i];
      break;
    }
  }
  if (signer == nullptr) return Error{"rekor SET: does not verify with " + tried};
  if (bundle->log_id != RekorLogId(*signer)) {
    return Error{"rekor SET: logID " + json::Quote(bundle->log_id) + " is not the ID of " +
                 rekor_keys[i].source};
  }
  auto entry = ParseHashedRekord(bundle->body);
  if (!entry.ok()) return entry.error().Wrap("rekor SET");
  auto entry_der = PemBlockDer(entry->public_key_pem, "body.spec.signature.publicKey.content");
  if (!entry_der.ok()) return entry_der.error().Wrap("rekor SET");
  if (*entry_der != key_or_cert_der) {
    return Error{"rekor SET: body: publicKey does not match the signature's certificate or key"};
  }
  auto sig = DecodeBase64(signature_b64);
  if (!sig.ok() || *sig != entry->signature) {
    return Error{"rekor SET: body: signature does not match"};
  }
  const std::string want = DigestOf(payload).substr(7);
  std::string got = entry->sha256_hex;
  for (char& c : got) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (got != want) return Error{"rekor SET: body: payload hash does not match"};
  return bundle->integrated_time;
}

}  // namespace moat::verify

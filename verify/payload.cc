#include "verify/payload.h"

// The SHA*_Init/Update/Final functions are deprecated in OpenSSL 3 in favour
// of EVP, whose per-process set-up costs more than moat's whole create.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <charconv>
#include <cmath>
#include <initializer_list>
#include <memory>

#include "base/json.h"
#include "base/json_read.h"

namespace moat::verify {

namespace {

using json::Type;
using json::Value;

// A payload is a few hundred bytes; anything near this is not a signature.
constexpr size_t kMaxPayloadBytes = 1u << 20;

// The object at `path` has exactly `keys` (ParanoidUnmarshalJSONObjectExactFields).
Status ExactKeys(const Value& v, const std::string& path,
                 std::initializer_list<std::string_view> keys) {
  MOAT_TRY(json::CheckObject(v, path, keys));
  for (std::string_view k : keys) {
    if (v.Find(k) == nullptr) return Error{json::Field(path, k) + ": missing"};
  }
  return Status::Ok();
}

// A string in `critical`. Go would read null as "", which no check accepts
// later on; refusing it here gives the clearer message.
Result<std::string> CriticalString(const Value& v, const std::string& path) {
  return json::ReadString(v, path);
}

// optional.timestamp: Go decodes it into a float64 and insists that it is
// integral and converts to int64 unchanged. null leaves it 0.
Result<int64_t> ReadTimestamp(const Value& v, const std::string& path) {
  if (v.is_null()) return int64_t{0};
  MOAT_TRY(json::ExpectType(v, Type::kNumber, path));
  const std::string& text = v.text();
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(d)) {
    return Error{path + ": " + text + " is out of range"};
  }
  // [-2^63, 2^63): the doubles that convert to int64 without loss of range.
  if (d != std::trunc(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0) {
    return Error{path + ": " + text + " is not an integer"};
  }
  return static_cast<int64_t>(d);
}

Status ReadOptional(const Value& v, PayloadKind kind, SignaturePayload* out) {
  const std::string path = "optional";
  // /usr/bin/cosign writes "optional": null when there are no annotations.
  if (kind == PayloadKind::kCosign && v.is_null()) return Status::Ok();
  MOAT_TRY(json::ExpectType(v, Type::kObject, path));
  for (const auto& [key, value] : v.members()) {
    if (key == "creator") {
      if (value.is_null()) {
        out->creator = std::string();  // as Go: null into a string is a no-op
        continue;
      }
      auto s = json::ReadString(value, json::Field(path, key));
      if (!s.ok()) return s.error();
      out->creator = std::move(s.value());
    } else if (key == "timestamp") {
      auto t = ReadTimestamp(value, json::Field(path, key));
      if (!t.ok()) return t.error();
      out->timestamp = t.value();
    }
    // Other keys are ignored, as containers/image does.
  }
  return Status::Ok();
}

Status ReadCritical(const Value& v, PayloadKind kind, SignaturePayload* out) {
  const std::string path = "critical";
  MOAT_TRY(ExactKeys(v, path, {"type", "image", "identity"}));

  auto type = CriticalString(*v.Find("type"), "critical.type");
  if (!type.ok()) return type.error();
  std::string_view want = kind == PayloadKind::kCosign ? kCosignType : kSimpleSigningType;
  if (type.value() != want) {
    return Error{"critical.type: " + json::Quote(type.value()) + " is not " + json::Quote(want) +
                 " (the type of a " + PayloadKindName(kind) + " signature)"};
  }

  const Value& image = *v.Find("image");
  MOAT_TRY(ExactKeys(image, "critical.image", {"docker-manifest-digest"}));
  auto digest = CriticalString(*image.Find("docker-manifest-digest"),
                               "critical.image.docker-manifest-digest");
  if (!digest.ok()) return digest.error();
  if (!IsValidDigest(digest.value())) {
    return Error{"critical.image.docker-manifest-digest: invalid digest " +
                 json::Quote(digest.value())};
  }

  const Value& identity = *v.Find("identity");
  MOAT_TRY(ExactKeys(identity, "critical.identity", {"docker-reference"}));
  auto ref =
      CriticalString(*identity.Find("docker-reference"), "critical.identity.docker-reference");
  if (!ref.ok()) return ref.error();

  out->docker_manifest_digest = std::move(digest.value());
  out->docker_reference = std::move(ref.value());
  return Status::Ok();
}

}  // namespace

Result<SignaturePayload> ParsePayload(std::string_view text, PayloadKind kind,
                                      const std::string& display) {
  if (text.size() > kMaxPayloadBytes) {
    return Error{display + ": payload larger than " + std::to_string(kMaxPayloadBytes) + " bytes"};
  }
  json::Limits limits;
  limits.max_bytes = kMaxPayloadBytes;
  auto doc = json::Parse(text, limits);
  if (!doc.ok()) return doc.error().Wrap(display);

  SignaturePayload out;
  out.kind = kind;
  Status st = ExactKeys(doc.value(), "", {"critical", "optional"});
  if (st.ok()) st = ReadOptional(*doc->Find("optional"), kind, &out);
  if (st.ok()) st = ReadCritical(*doc->Find("critical"), kind, &out);
  if (!st.ok()) return st.error().Wrap(display);
  return out;
}

bool IsValidDigest(std::string_view digest) {
  auto colon = digest.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view alg = digest.substr(0, colon);
  std::string_view hex = digest.substr(colon + 1);
  size_t want = alg == "sha256" ? 64 : alg == "sha384" ? 96 : alg == "sha512" ? 128 : 0;
  if (want == 0 || hex.size() != want) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string DigestOf(std::string_view bytes, std::string_view like) {
  // OpenSSL's direct hash functions, not EVP: an EVP fetch initialises the
  // provider's name tables, ~0.4 ms of CPU per process, on every create.
  unsigned char sum[SHA512_DIGEST_LENGTH];
  size_t len = 0;
  std::string alg;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (like.substr(0, 7) == "sha384:" || like.substr(0, 7) == "sha512:") {
    SHA512_CTX c;
    const bool is384 = like[3] == '3';
    if ((is384 ? SHA384_Init(&c) : SHA512_Init(&c)) != 1 ||
        (is384 ? SHA384_Update(&c, data, bytes.size()) : SHA512_Update(&c, data, bytes.size())) !=
            1 ||
        (is384 ? SHA384_Final(sum, &c) : SHA512_Final(sum, &c)) != 1) {
      return std::string();  // matches no valid digest
    }
    len = is384 ? SHA384_DIGEST_LENGTH : SHA512_DIGEST_LENGTH;
    alg = is384 ? "sha384" : "sha512";
  } else {
    SHA256_CTX c;
    if (SHA256_Init(&c) != 1 || SHA256_Update(&c, data, bytes.size()) != 1 ||
        SHA256_Final(sum, &c) != 1) {
      return std::string();
    }
    len = SHA256_DIGEST_LENGTH;
    alg = "sha256";
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out = alg + ":";
  for (size_t i = 0; i < len; ++i) {
    out += kHex[sum[i] >> 4];
    out += kHex[sum[i] & 15];
  }
  OPENSSL_cleanse(sum, sizeof sum);
  return out;
}

bool ManifestMatchesDigest(std::string_view manifest, std::string_view digest) {
  if (!IsValidDigest(digest)) return false;
  std::string actual = DigestOf(manifest, digest);
  return !actual.empty() && actual == digest;
}

const char* PayloadKindName(PayloadKind kind) {
  switch (kind) {
    case PayloadKind::kSimpleSigning:
      return "simple signing";
    case PayloadKind::kCosign:
      return "cosign";
  }
  return "unknown";
}

}  // namespace moat::verify

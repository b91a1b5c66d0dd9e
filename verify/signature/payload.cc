#include "verify/signature/payload.h"

#include <charconv>
#include <cmath>
#include <initializer_list>
#include <memory>

#include "base/json.h"
#include "base/json_read.h"
#include "verify/common/digest.h"

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

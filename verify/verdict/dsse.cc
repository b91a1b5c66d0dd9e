#include "verify/verdict/dsse.h"

#include <openssl/evp.h>

#include "base/json.h"
#include "base/json_read.h"
#include "verify/common/base64.h"

namespace moat::verify {

namespace {

// Envelopes carry a whole scanner report; verdict_store.cc caps files earlier.
constexpr size_t kMaxEnvelopeBytes = 64u << 20;

}  // namespace

Result<DsseEnvelope> ParseDsseEnvelope(std::string_view text, const std::string& display) {
  json::Limits limits;
  limits.max_depth = 8;
  limits.max_bytes = kMaxEnvelopeBytes;
  auto doc = json::Parse(text, limits);
  if (!doc.ok()) return doc.error().Wrap(display);
  auto fail = [&](const Error& e) { return e.Wrap(display); };
  const json::Value& v = *doc;
  Status st = json::CheckObject(v, "", {"payloadType", "payload", "signatures"});
  if (!st.ok()) return fail(st.error());
  for (std::string_view key : {"payloadType", "payload", "signatures"}) {
    if (v.Find(key) == nullptr) return fail(Error{std::string(key) + ": missing"});
  }
  DsseEnvelope env;
  auto type = json::ReadString(*v.Find("payloadType"), "payloadType");
  if (!type.ok()) return fail(type.error());
  env.payload_type = std::move(type.value());
  auto b64 = json::ReadString(*v.Find("payload"), "payload");
  if (!b64.ok()) return fail(b64.error());
  auto payload = DecodeBase64Any(*b64);
  if (!payload.ok()) return fail(payload.error().Wrap("payload"));
  env.payload = std::move(payload.value());

  const json::Value& sigs = *v.Find("signatures");
  st = json::ExpectType(sigs, json::Type::kArray, "signatures");
  if (!st.ok()) return fail(st.error());
  if (sigs.items().empty()) return fail(Error{"signatures: empty"});
  for (size_t i = 0; i < sigs.items().size(); ++i) {
    const json::Value& s = sigs.items()[i];
    const std::string path = json::Index("signatures", i);
    st = json::ExpectType(s, json::Type::kObject, path);
    if (!st.ok()) return fail(st.error());
    DsseSignature out;
    const json::Value* sig = s.Find("sig");
    if (sig == nullptr) return fail(Error{json::Field(path, "sig") + ": missing"});
    auto sig_text = json::ReadString(*sig, json::Field(path, "sig"));
    if (!sig_text.ok()) return fail(sig_text.error());
    auto raw = DecodeBase64Any(*sig_text);
    if (!raw.ok()) return fail(raw.error().Wrap(json::Field(path, "sig")));
    out.sig = std::move(raw.value());
    if (const json::Value* keyid = s.Find("keyid")) {
      auto k = json::ReadString(*keyid, json::Field(path, "keyid"));
      if (!k.ok()) return fail(k.error());
      out.keyid = std::move(k.value());
    }
    env.signatures.push_back(std::move(out));
  }
  return env;
}

std::string Pae(std::string_view type, std::string_view body) {
  std::string out = "DSSEv1 ";
  out += std::to_string(type.size());
  out += ' ';
  out += type;
  out += ' ';
  out += std::to_string(body.size());
  out += ' ';
  out += body;
  return out;
}

Result<size_t> VerifyDsse(const DsseEnvelope& env, const std::vector<const PublicKey*>& keys) {
  if (keys.empty()) return Error{"no trusted keys to verify the signature with"};
  const std::string pae = Pae(env.payload_type, env.payload);
  for (size_t k = 0; k < keys.size(); ++k) {
    for (const DsseSignature& s : env.signatures) {
      if (VerifyRawSignature(*keys[k], pae, s.sig).ok()) return k;
    }
  }
  return Error{"signature does not verify with any of the " + std::to_string(keys.size()) +
               " trusted key" + (keys.size() == 1 ? "" : "s")};
}

Result<std::string> SignDsse(std::string_view payload_type, std::string_view payload,
                             const SigningKey& key) {
  MOAT_ASSIGN_OR_RETURN(auto sig, key.Sign(Pae(payload_type, payload)));
  MOAT_ASSIGN_OR_RETURN(auto pub, key.Public());
  MOAT_ASSIGN_OR_RETURN(auto keyid, KeyId(pub));
  json::Value s = json::Value::Object();
  s.Set("keyid", json::Value::String(keyid));
  s.Set("sig", json::Value::String(EncodeBase64(sig)));
  json::Value sigs = json::Value::Array();
  sigs.Append(std::move(s));
  json::Value env = json::Value::Object();
  env.Set("payloadType", json::Value::String(std::string(payload_type)));
  env.Set("payload", json::Value::String(EncodeBase64(payload)));
  env.Set("signatures", std::move(sigs));
  return json::Serialize(env) + "\n";
}

}  // namespace moat::verify

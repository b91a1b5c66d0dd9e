// verify/verdict/dsse.h ParseDsseEnvelope (a stored verdict's envelope) and the
// base64 DSSE allows: an envelope or an error naming the file. A parsed
// envelope re-encodes (standard base64) to the same envelope; its PAE reads
// back as exactly its type and payload; no signature in it verifies with a
// key the fuzzer cannot know, while SignDsse's envelope over the same type
// and payload does. Base64 decodes to at most 3/4 of its text and re-encodes.
#include <cstddef>
#include <string>
#include <string_view>

#include "base/json.h"
#include "tests/fuzz/fuzz.h"
#include "verify/common/base64.h"
#include "verify/signature/signing_key.h"
#include "verify/verdict/dsse.h"

namespace {

using moat::verify::DsseEnvelope;

// A key made afresh in each process: no input can carry a signature by it.
const moat::verify::SigningKey& Key() {
  static const moat::verify::SigningKey key = [] {
    auto k = moat::verify::SigningKey::Generate(moat::verify::KeyAlgorithm::kEd25519);
    if (!k.ok()) FUZZ_FAIL("generating a key", k.error().message);
    return std::move(k.value());
  }();
  return key;
}

const moat::verify::PublicKey& Pub() {
  static const moat::verify::PublicKey pub = [] {
    auto p = Key().Public();
    if (!p.ok()) FUZZ_FAIL("public key", p.error().message);
    return std::move(p.value());
  }();
  return pub;
}

// Reads "<decimal> " at *pos of a PAE: no sign, no leading zero but "0".
bool ReadLength(std::string_view pae, size_t* pos, size_t* out) {
  const size_t start = *pos;
  size_t n = 0;
  while (*pos < pae.size() && pae[*pos] >= '0' && pae[*pos] <= '9') {
    n = n * 10 + static_cast<size_t>(pae[*pos] - '0');
    ++*pos;
  }
  const size_t digits = *pos - start;
  if (digits == 0 || digits > 19 || (digits > 1 && pae[start] == '0')) return false;
  if (*pos >= pae.size() || pae[*pos] != ' ') return false;
  ++*pos;
  *out = n;
  return true;
}

// Splits a PAE back into type and body, as a verifier that reads it would.
bool SplitPae(std::string_view pae, std::string_view* type, std::string_view* body) {
  constexpr std::string_view kPrefix = "DSSEv1 ";
  if (pae.substr(0, kPrefix.size()) != kPrefix) return false;
  size_t pos = kPrefix.size();
  size_t n = 0;
  if (!ReadLength(pae, &pos, &n) || n > pae.size() - pos) return false;
  *type = pae.substr(pos, n);
  pos += n;
  if (pos >= pae.size() || pae[pos] != ' ') return false;
  ++pos;
  if (!ReadLength(pae, &pos, &n) || n != pae.size() - pos) return false;
  *body = pae.substr(pos);
  return true;
}

std::string Encode(const DsseEnvelope& env) {
  using moat::json::Value;
  Value sigs = Value::Array();
  for (const auto& s : env.signatures) {
    Value one = Value::Object();
    one.Set("keyid", Value::String(s.keyid));
    one.Set("sig", Value::String(moat::verify::EncodeBase64(s.sig)));
    sigs.Append(std::move(one));
  }
  Value v = Value::Object();
  v.Set("payloadType", Value::String(env.payload_type));
  v.Set("payload", Value::String(moat::verify::EncodeBase64(env.payload)));
  v.Set("signatures", std::move(sigs));
  return moat::json::Serialize(v);
}

bool Same(const DsseEnvelope& a, const DsseEnvelope& b) {
  if (a.payload_type != b.payload_type || a.payload != b.payload ||
      a.signatures.size() != b.signatures.size()) {
    return false;
  }
  for (size_t i = 0; i < a.signatures.size(); ++i) {
    if (a.signatures[i].keyid != b.signatures[i].keyid ||
        a.signatures[i].sig != b.signatures[i].sig) {
      return false;
    }
  }
  return true;
}

void CheckBase64(std::string_view text) {
  auto raw = moat::verify::DecodeBase64Any(text);
  if (!raw.ok()) return;
  FUZZ_CHECK(raw->size() <= text.size() * 3 / 4 + 3);
  const std::string again = moat::verify::EncodeBase64(*raw);
  FUZZ_CHECK(again.size() == (raw->size() + 2) / 3 * 4);
  auto back = moat::verify::DecodeBase64Any(again);
  FUZZ_CHECK(back.ok() && *back == *raw);
}

void CheckEnvelope(const DsseEnvelope& env) {
  FUZZ_CHECK(!env.signatures.empty());

  // Re-encoding with standard, padded base64 gives the same envelope.
  auto again = moat::verify::ParseDsseEnvelope(Encode(env), "again.json");
  if (!again.ok()) FUZZ_FAIL("re-encoded envelope", again.error().message);
  FUZZ_CHECK(Same(env, *again));

  // PAE: the lengths are byte lengths, and the encoding is unambiguous.
  const std::string pae = moat::verify::Pae(env.payload_type, env.payload);
  const std::string type_len = std::to_string(env.payload_type.size());
  const std::string body_len = std::to_string(env.payload.size());
  FUZZ_CHECK(pae.size() == 7 + type_len.size() + 1 + env.payload_type.size() + 1 + body_len.size() +
                               1 + env.payload.size());
  std::string_view type, body;
  FUZZ_CHECK(SplitPae(pae, &type, &body));
  FUZZ_CHECK(type == env.payload_type && body == env.payload);

  // Nothing the fuzzer wrote verifies with a key it cannot know.
  FUZZ_CHECK(!moat::verify::VerifyDsse(env, {&Pub()}).ok());
  FUZZ_CHECK(!moat::verify::VerifyDsse(env, {}).ok());

  // Signing the same type and payload gives an envelope that verifies and
  // carries them unchanged; the fuzzer's signatures appended to it do not
  // stop it verifying, nor does the keyid matter.
  auto signed_text = moat::verify::SignDsse(env.payload_type, env.payload, Key());
  if (!signed_text.ok()) FUZZ_FAIL("SignDsse", signed_text.error().message);
  auto mine = moat::verify::ParseDsseEnvelope(*signed_text, "signed.json");
  if (!mine.ok()) FUZZ_FAIL("signed envelope", mine.error().message);
  FUZZ_CHECK(mine->payload_type == env.payload_type && mine->payload == env.payload);
  FUZZ_CHECK(mine->signatures.size() == 1);
  DsseEnvelope both = env;
  both.signatures.push_back(mine->signatures[0]);
  both.signatures.back().keyid = env.signatures[0].keyid;
  auto which = moat::verify::VerifyDsse(both, {&Pub()});
  FUZZ_CHECK(which.ok() && *which == 0);
  // A changed payload type no longer verifies.
  both.payload_type += "x";
  FUZZ_CHECK(!moat::verify::VerifyDsse(both, {&Pub()}).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = moat::fuzz::Text(data, size);
  auto env = moat::verify::ParseDsseEnvelope(text, "envelope.json");
  if (env.ok()) {
    CheckEnvelope(*env);
  } else {
    FUZZ_CHECK(env.error().message.rfind("envelope.json: ", 0) == 0);
  }
  CheckBase64(text);
  return 0;
}

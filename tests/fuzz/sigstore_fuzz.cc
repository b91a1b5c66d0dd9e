// verify/signature/sigstore.h: a stored signature file (ParseSignatureBlob), its
// sigstore JSON (ParseSigstoreJson, ParseSigstoreBlob), and base64: results
// or errors naming the file, never a crash. A payload is only parsed after
// its signature verifies, which the fuzzer cannot forge: that parser has its
// own target (payload_fuzz.cc). PEM public keys are parsed too.
#include "tests/fuzz/fuzz.h"
#include "verify/common/base64.h"
#include "verify/signature/sigstore.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = moat::fuzz::Text(data, size);
  auto blob = moat::verify::ParseSignatureBlob(text, "signature-1");
  if (blob.ok()) {
    FUZZ_CHECK(blob->data.size() <= text.size());
  } else {
    FUZZ_CHECK(blob.error().message.rfind("signature-1", 0) == 0);
  }
  auto sig = moat::verify::ParseSigstoreBlob(text, "signature-1");
  if (sig.ok()) {
    const bool has = sig->Annotation(moat::verify::kSigstoreSignatureAnnotation) != nullptr;
    (void)has;
    (void)sig->IsSignature();
  }
  (void)moat::verify::ParseSigstoreJson(text, "signature-1");
  auto raw = moat::verify::DecodeBase64(text);
  if (raw.ok()) FUZZ_CHECK(raw->size() <= text.size() * 3 / 4 + 3);
  auto key = moat::verify::PublicKey::FromPem(text, "key.pub");
  if (key.ok()) {
    FUZZ_CHECK(!moat::verify::VerifyRawSignature(*key, "data", text).ok());
  }
  return 0;
}

#include "verify/signature/sigstore.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "base/json.h"
#include "base/json_read.h"
#include "verify/common/base64.h"
#include "verify/common/openssl_ptr.h"

namespace moat::verify {

namespace {

constexpr std::string_view kSimpleSigningFormat = "simple-signing";
constexpr std::string_view kSigstoreFormat = "sigstore-json";
// Far above a real signature file; the lookaside reader caps files earlier.
constexpr size_t kMaxSigstoreJsonBytes = 4u << 20;

// The first byte of a bare OpenPGP message, as containers/image's FromBlob
// lists them (including its 0x3d, and without 0x93).
constexpr unsigned char kOpenPgpStarts[] = {
    0xA0, 0xA1, 0xA2, 0xA3, 0xC8,  // compressed data
    0x90, 0x91, 0x92, 0x3d, 0xC4,  // one-pass signature
    0x88, 0x89, 0x8A, 0x8B, 0xC2,  // signature
};

bool IsOpenPgpStart(unsigned char b) {
  for (unsigned char s : kOpenPgpStarts) {
    if (s == b) return true;
  }
  return false;
}

// "0x2d", as Go's %#x prints a byte.
std::string Hex2(unsigned char b) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "0x";
  if (b >= 16) out += kHex[b >> 4];
  out += kHex[b & 15];
  return out;
}

// The OpenSSL error queue, emptied, as text for a message.
std::string DrainOpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace

Result<SignatureBlob> ParseSignatureBlob(std::string_view blob, const std::string& display) {
  if (blob.empty()) return Error{display + ": empty signature"};
  const auto first = static_cast<unsigned char>(blob[0]);
  // Historically a bare OpenPGP message, recognised by its first packet.
  if (IsOpenPgpStart(first)) {
    return SignatureBlob{SignatureFormat::kSimpleSigning, std::string(blob)};
  }
  if (first != 0) {
    return Error{display + ": unrecognized signature format, starting with binary " + Hex2(first)};
  }
  // The newer form: a zero byte, the format name, a newline, the data.
  std::string_view rest = blob.substr(1);
  auto nl = rest.find('\n');
  if (nl == std::string_view::npos) {
    return Error{display + ": invalid signature format, missing newline"};
  }
  std::string_view name = rest.substr(0, nl);
  for (char c : name) {
    auto b = static_cast<unsigned char>(c);
    if (b < 32 || b >= 0x7f) {
      return Error{display + ": invalid signature format, non-ASCII byte " + Hex2(b)};
    }
  }
  std::string data(rest.substr(nl + 1));
  if (name == kSimpleSigningFormat) return SignatureBlob{SignatureFormat::kSimpleSigning, data};
  if (name == kSigstoreFormat) return SignatureBlob{SignatureFormat::kSigstore, data};
  return Error{display + ": unrecognized signature format " + json::Quote(name)};
}

const char* SignatureFormatName(SignatureFormat format) {
  switch (format) {
    case SignatureFormat::kSimpleSigning:
      return "simple-signing";
    case SignatureFormat::kSigstore:
      return "sigstore-json";
  }
  return "unknown";
}

const std::string* SigstoreSignature::Annotation(std::string_view key) const {
  for (const auto& [k, v] : annotations) {
    if (k == key) return &v;
  }
  return nullptr;
}

Result<SigstoreSignature> ParseSigstoreJson(std::string_view text, const std::string& display) {
  json::Limits limits;
  limits.max_depth = 8;
  limits.max_bytes = kMaxSigstoreJsonBytes;
  auto doc = json::Parse(text, limits);
  if (!doc.ok()) return doc.error().Wrap(display);
  auto fail = [&](const Error& e) { return e.Wrap(display); };

  const json::Value& v = doc.value();
  Status st = json::CheckObject(v, "", {"mimeType", "payload", "annotations"});
  if (!st.ok()) return fail(st.error());
  for (std::string_view key : {"mimeType", "payload", "annotations"}) {
    if (v.Find(key) == nullptr) return fail(Error{std::string(key) + ": missing"});
  }
  SigstoreSignature sig;
  auto mime = json::ReadString(*v.Find("mimeType"), "mimeType");
  if (!mime.ok()) return fail(mime.error());
  sig.mime_type = std::move(mime.value());

  auto b64 = json::ReadString(*v.Find("payload"), "payload");
  if (!b64.ok()) return fail(b64.error());
  auto payload = DecodeBase64(b64.value());
  if (!payload.ok()) return fail(payload.error().Wrap("payload"));
  sig.payload = std::move(payload.value());

  const json::Value& ann = *v.Find("annotations");
  st = json::ExpectType(ann, json::Type::kObject, "annotations");
  if (!st.ok()) return fail(st.error());
  for (const auto& [key, value] : ann.members()) {
    auto s = json::ReadString(value, json::Field("annotations", key));
    if (!s.ok()) return fail(s.error());
    sig.annotations.emplace_back(key, std::move(s.value()));
  }
  return sig;
}

Result<SigstoreSignature> ParseSigstoreBlob(std::string_view blob, const std::string& display) {
  MOAT_ASSIGN_OR_RETURN(auto parsed, ParseSignatureBlob(blob, display));
  if (parsed.format != SignatureFormat::kSigstore) {
    return Error{display + ": a " + SignatureFormatName(parsed.format) +
                 " signature, not a sigstore one"};
  }
  return ParseSigstoreJson(parsed.data, display);
}

Result<PublicKey> PublicKey::FromPem(std::string_view pem, const std::string& display) {
  if (pem.size() > (1u << 20)) return Error{display + ": public key file too large"};
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Error{display + ": out of memory"};
  ERR_clear_error();
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    std::string why = DrainOpenSslErrors();
    return Error{display + ": no PEM \"PUBLIC KEY\" found" + (why.empty() ? "" : " (" + why + ")")};
  }
  return FromKey(std::move(key), display);
}

Result<PublicKey> PublicKey::FromKey(EvpPkeyPtr key, const std::string& display) {
  if (!key) return Error{display + ": no key"};
  const int bits = EVP_PKEY_get_bits(key.get());
  switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_EC: {
      char group[64] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         &len) != 1) {
        DrainOpenSslErrors();
        return Error{display + ": EC key without a named curve"};
      }
      const std::string_view g(group, len);
      KeyAlgorithm alg;
      if (g == "prime256v1" || g == "P-256") {
        alg = KeyAlgorithm::kEcdsaP256;
      } else if (g == "secp384r1" || g == "P-384") {
        alg = KeyAlgorithm::kEcdsaP384;
      } else if (g == "secp521r1" || g == "P-521") {
        alg = KeyAlgorithm::kEcdsaP521;
      } else {
        return Error{display + ": EC curve " + std::string(g) +
                     " is not supported (P-256, P-384, P-521)"};
      }
      return PublicKey(std::move(key), alg);
    }
    case EVP_PKEY_RSA:
      if (bits < 2048) {
        return Error{display + ": RSA key of " + std::to_string(bits) +
                     " bits is too weak (< 2048)"};
      }
      return PublicKey(std::move(key), KeyAlgorithm::kRsa);
    case EVP_PKEY_ED25519:
      return PublicKey(std::move(key), KeyAlgorithm::kEd25519);
    default: {
      const char* type = EVP_PKEY_get0_type_name(key.get());
      return Error{display + ": unsupported public key type " + (type ? type : "?")};
    }
  }
}

const char* KeyAlgorithmName(KeyAlgorithm alg) {
  switch (alg) {
    case KeyAlgorithm::kEcdsaP256:
      return "ECDSA P-256";
    case KeyAlgorithm::kEcdsaP384:
      return "ECDSA P-384";
    case KeyAlgorithm::kEcdsaP521:
      return "ECDSA P-521";
    case KeyAlgorithm::kRsa:
      return "RSA";
    case KeyAlgorithm::kEd25519:
      return "Ed25519";
  }
  return "unknown";
}

Status VerifyRawSignature(const PublicKey& key, std::string_view data, std::string_view signature) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return Error{"out of memory"};
  ERR_clear_error();
  // sigstore's verifiers hash with SHA-256 (the hard-coded algorithm of
  // containers/image); Ed25519 signs the message itself.
  const EVP_MD* md = key.algorithm() == KeyAlgorithm::kEd25519 ? nullptr : EVP_sha256();
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key.get()) != 1) {
    return Error{"cannot set up verification: " + DrainOpenSslErrors()};
  }
  if (key.algorithm() == KeyAlgorithm::kRsa &&
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return Error{"cannot select RSA PKCS#1 v1.5: " + DrainOpenSslErrors()};
  }
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
  // A malformed DER signature is an error on the queue, not a distinct outcome.
  DrainOpenSslErrors();
  if (rc != 1) {
    return Error{std::string("signature does not verify with the ") +
                 KeyAlgorithmName(key.algorithm()) + " key"};
  }
  return Status::Ok();
}

Result<SignaturePayload> VerifySigstoreSignature(const PublicKey& key, const SigstoreSignature& sig,
                                                 const std::string& display) {
  if (!sig.IsSignature()) {
    return Error{display + ": mimeType " + json::Quote(sig.mime_type) + " is not a signature (" +
                 std::string(kSigstoreSignatureMimeType) + ")"};
  }
  const std::string* b64 = sig.Annotation(kSigstoreSignatureAnnotation);
  if (b64 == nullptr) {
    return Error{display + ": missing " + std::string(kSigstoreSignatureAnnotation) +
                 " annotation"};
  }
  auto raw = DecodeBase64(*b64);
  if (!raw.ok()) {
    return raw.error().Wrap(display + ": annotations." + std::string(kSigstoreSignatureAnnotation));
  }
  Status st = VerifyRawSignature(key, sig.payload, raw.value());
  if (!st.ok()) return st.error().Wrap(display);
  // Only now is the payload worth reading.
  return ParsePayload(sig.payload, PayloadKind::kCosign, display + ": payload");
}

}  // namespace moat::verify

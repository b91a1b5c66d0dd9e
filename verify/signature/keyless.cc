#include "verify/signature/keyless.h"

#include <optional>

#include "base/json.h"
#include "base/json_read.h"
#include "verify/common/base64.h"
#include "verify/common/digest.h"
#include "verify/signature/cert.h"
#include "verify/signature/fulcio.h"
#include "verify/signature/pki.h"
#include "verify/signature/rekor.h"

namespace moat::verify {
namespace {

Result<const std::string*> RequireAnnotation(const SigstoreSignature& sig, std::string_view key,
                                             const std::string& display, const char* why) {
  const std::string* v = sig.Annotation(key);
  if (v == nullptr) {
    return Error{display + ": missing " + std::string(key) + " annotation (" + why + ")"};
  }
  return v;
}

Result<const std::string*> SignatureB64(const SigstoreSignature& sig, const std::string& display) {
  return RequireAnnotation(sig, kSigstoreSignatureAnnotation, display, "the signature");
}

Result<SignaturePayload> ByPublicKeys(const Requirement& req, const SigstoreSignature& sig,
                                      const std::string& display, std::string* signer) {
  std::optional<Error> last;
  for (const auto& key : req.keys) {
    MOAT_ASSIGN_OR_RETURN(auto pk, PublicKey::FromPem(key.bytes, key.source));
    if (!req.rekor_keys.empty()) {
      // The key itself is trusted policy material: Rekor only proves the
      // signature was logged, its time is not used.
      MOAT_ASSIGN_OR_RETURN(auto bundle, RequireAnnotation(sig, kSigstoreBundleAnnotation, display,
                                                           "rekorPublicKey is configured"));
      MOAT_ASSIGN_OR_RETURN(auto b64, SignatureB64(sig, display));
      auto t = VerifyRekorSet(req.rekor_keys, *bundle, PublicKeyDer(pk), *b64, sig.payload);
      if (!t.ok()) {
        last = t.error().Wrap(display);
        continue;
      }
    }
    auto p = VerifySigstoreSignature(pk, sig, display);
    if (p.ok()) {
      *signer = key.source + (req.rekor_keys.empty() ? "" : "+rekor");
      return p;
    }
    last = p.error();
  }
  if (last) return *last;
  return Error{display + ": no keys"};
}

Result<SignaturePayload> ByFulcio(const Requirement& req, const SigstoreSignature& sig,
                                  const std::string& display, std::string* signer) {
  if (req.rekor_keys.empty()) return Error{display + ": fulcio without a Rekor key"};
  MOAT_ASSIGN_OR_RETURN(auto bundle, RequireAnnotation(sig, kSigstoreBundleAnnotation, display,
                                                       "fulcio needs a Rekor SET"));
  MOAT_ASSIGN_OR_RETURN(auto cert, RequireAnnotation(sig, kSigstoreCertificateAnnotation, display,
                                                     "fulcio needs the certificate"));
  MOAT_ASSIGN_OR_RETURN(auto b64, SignatureB64(sig, display));
  auto cert_der = PemBlockDer(*cert, "certificate annotation");
  if (!cert_der.ok()) return cert_der.error().Wrap(display + ": rekor SET");
  auto t = VerifyRekorSet(req.rekor_keys, *bundle, *cert_der, *b64, sig.payload);
  if (!t.ok()) return t.error().Wrap(display);
  auto key =
      VerifyFulcioCertificate(req.fulcio, *cert, sig.Annotation(kSigstoreChainAnnotation), *t);
  if (!key.ok()) return key.error().Wrap(display);
  MOAT_ASSIGN_OR_RETURN(auto payload, VerifySigstoreSignature(*key, sig, display));
  *signer = "fulcio:" + req.fulcio.oidc_issuer + "/" + req.fulcio.subject_email;
  return payload;
}

Result<SignaturePayload> ByPki(const Requirement& req, const SigstoreSignature& sig,
                               const std::string& display, std::string* signer) {
  MOAT_ASSIGN_OR_RETURN(auto cert, RequireAnnotation(sig, kSigstoreCertificateAnnotation, display,
                                                     "pki needs the certificate"));
  auto key = VerifyPkiCertificate(req.pki, *cert, sig.Annotation(kSigstoreChainAnnotation));
  if (!key.ok()) return key.error().Wrap(display);
  MOAT_ASSIGN_OR_RETURN(auto payload, VerifySigstoreSignature(*key, sig, display));
  std::string subject = req.pki.subject_email;
  if (!req.pki.subject_hostname.empty()) {
    subject += (subject.empty() ? "" : ",") + req.pki.subject_hostname;
  }
  *signer = "pki:" + req.pki.roots_source + "/" + subject;
  return payload;
}

}  // namespace

std::string KeylessCacheKey(const Requirement& req, const SigstoreSignature& sig) {
  std::string m = "moat-keyless-v1\n";
  auto add = [&m](std::string_view field) { m += DigestOf(field) + "\n"; };
  add(req.fulcio.ca_pem);
  add(req.fulcio.oidc_issuer);
  add(req.fulcio.subject_email);
  m += std::to_string(req.rekor_keys.size()) + "\n";
  for (const auto& k : req.rekor_keys) add(k.bytes);
  add(sig.mime_type);
  add(sig.payload);
  for (const auto& [k, v] : sig.annotations) {
    add(k);
    add(v);
  }
  const std::string d = DigestOf(m);
  return d.substr(d.find(':') + 1);
}

Result<SignaturePayload> VerifySigstoreRequirement(const Requirement& req,
                                                   const SigstoreSignature& sig,
                                                   const std::string& display, std::string* signer,
                                                   const VerifyCache* cache) {
  if (!sig.IsSignature()) {
    return Error{display + ": mimeType " + json::Quote(sig.mime_type) + " is not a signature"};
  }
  switch (req.key_source) {
    case SigstoreKeySource::kPublicKeys:
      return ByPublicKeys(req, sig, display, signer);
    case SigstoreKeySource::kFulcio: {
      std::string key;
      if (cache != nullptr) {
        key = KeylessCacheKey(req, sig);
        if (auto hit = cache->Get(key, 1u << 20)) {
          auto doc = json::Parse(*hit);
          const json::Value* s = doc.ok() ? doc->Find("signer") : nullptr;
          const json::Value* p = doc.ok() ? doc->Find("payload") : nullptr;
          if (s != nullptr && s->is_string() && p != nullptr && p->is_string() &&
              DecodeBase64(p->text()).ok() && *DecodeBase64(p->text()) == sig.payload) {
            *signer = s->text();
            return ParsePayload(sig.payload, PayloadKind::kCosign, display + ": payload");
          }
        }
      }
      auto r = ByFulcio(req, sig, display, signer);
      if (r.ok() && cache != nullptr) {
        json::Value doc = json::Value::Object();
        doc.Set("signer", json::Value::String(*signer));
        doc.Set("payload", json::Value::String(EncodeBase64(sig.payload)));
        cache->Put(key, json::Serialize(doc));
      }
      return r;
    }
    case SigstoreKeySource::kPki:
      return ByPki(req, sig, display, signer);
  }
  return Error{display + ": unknown key source"};
}

}  // namespace moat::verify

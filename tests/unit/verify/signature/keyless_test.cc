#include "verify/signature/keyless.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <string>

#include "tests/unit/test_dir.h"
#include "tests/unit/verify/signature/keyless_material.h"
#include "verify/common/base64.h"
#include "verify/signature/fulcio.h"
#include "verify/signature/pki.h"
#include "verify/signature/rekor.h"

using moat::testing::CertPem;
using moat::testing::CertSpec;
using moat::testing::CosignPayload;
using moat::testing::HashedRekordBody;
using moat::testing::KeyPair;
using moat::testing::MakeCert;
using moat::testing::NewP256;
using moat::testing::RekorBundleJson;
using moat::testing::Sign;
using moat::verify::EncodeBase64;
using moat::verify::Requirement;
using moat::verify::RequirementType;
using moat::verify::SigstoreKeySource;
using moat::verify::SigstoreSignature;
using moat::verify::TrustedKey;
using moat::verify::VerifySigstoreRequirement;
using moat::verify::X509Ptr;

namespace {

constexpr const char* kIssuer = "https://oauth2.sigstore.dev/auth";
constexpr const char* kEmail = "dev@example.com";
const std::string kDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// A Fulcio-like CA, a 10-minute leaf issued a day ago (so expired now), a
// Rekor key, and a signature logged one minute after issuance.
struct World {
  time_t now = time(nullptr);
  time_t t0 = now - 86400;
  int64_t integrated = t0 + 60;
  KeyPair root_key = NewP256(), inter_key = NewP256(), leaf_key = NewP256(), rekor = NewP256();
  X509Ptr root, inter, leaf;
  std::string payload = CosignPayload("quay.io/moat/app:1", kDigest);
  std::string sig;

  World() {
    CertSpec ca = moat::testing::CaSpec("root", now - 365 * 86400, now + 3650 * 86400);
    root = MakeCert(ca, root_key.key.get(), nullptr, root_key.key.get());
    ca.cn = "intermediate";
    inter = MakeCert(ca, inter_key.key.get(), root.get(), root_key.key.get());
    leaf = Leaf(LeafSpec());
    sig = Sign(leaf_key.key.get(), payload);
  }
  CertSpec LeafSpec() const {
    CertSpec s;
    s.cn = "";
    s.not_before = t0;
    s.not_after = t0 + 600;
    s.email = kEmail;
    s.issuer_v1 = kIssuer;
    s.issuer_v2 = kIssuer;
    return s;
  }
  X509Ptr Leaf(const CertSpec& spec) {
    return MakeCert(spec, leaf_key.key.get(), inter.get(), inter_key.key.get());
  }
  std::string Bundle(const std::string& body, int64_t at) const {
    return RekorBundleJson(rekor.key.get(), body, at, 42);
  }
  SigstoreSignature Signature(X509* cert, const std::string& bundle) const {
    SigstoreSignature s;
    s.mime_type = std::string(moat::verify::kSigstoreSignatureMimeType);
    s.payload = payload;
    s.annotations.emplace_back(moat::verify::kSigstoreSignatureAnnotation, EncodeBase64(sig));
    if (cert != nullptr) {
      s.annotations.emplace_back(moat::verify::kSigstoreCertificateAnnotation, CertPem(cert));
    }
    s.annotations.emplace_back(moat::verify::kSigstoreChainAnnotation,
                               CertPem(inter.get()) + CertPem(root.get()));
    if (!bundle.empty())
      s.annotations.emplace_back(moat::verify::kSigstoreBundleAnnotation, bundle);
    return s;
  }
  SigstoreSignature Good() const {
    return Signature(leaf.get(),
                     Bundle(HashedRekordBody(sig, CertPem(leaf.get()), payload), integrated));
  }
  Requirement Fulcio() const {
    Requirement r;
    r.type = RequirementType::kSigstoreSigned;
    r.key_source = SigstoreKeySource::kFulcio;
    r.fulcio = {"/etc/fulcio.pem", CertPem(root.get()), kIssuer, kEmail};
    r.rekor_keys.push_back(TrustedKey{"/etc/rekor.pub", rekor.public_pem});
    return r;
  }
};

std::string Fails(const Requirement& r, const SigstoreSignature& s) {
  std::string signer;
  auto p = VerifySigstoreRequirement(r, s, "signature-1", &signer);
  if (p.ok()) return "(accepted)";
  return p.error().message;
}

}  // namespace

TEST_CASE("keyless: a Fulcio signature logged in Rekor verifies at the integrated time",
          "[verify][keyless]") {
  World w;
  std::string signer;
  auto p = VerifySigstoreRequirement(w.Fulcio(), w.Good(), "signature-1", &signer);
  REQUIRE(p.ok());
  CHECK(p->docker_manifest_digest == kDigest);
  CHECK(p->docker_reference == "quay.io/moat/app:1");
  CHECK(signer == std::string("fulcio:") + kIssuer + "/" + kEmail);
}

TEST_CASE("keyless: each failed check is named", "[verify][keyless]") {
  World w;
  const std::string cert_pem = CertPem(w.leaf.get());
  const std::string body = HashedRekordBody(w.sig, cert_pem, w.payload);

  SECTION("wrong issuer") {
    auto r = w.Fulcio();
    r.fulcio.oidc_issuer = "https://accounts.google.com";
    CHECK_THAT(Fails(r, w.Good()),
               Catch::StartsWith("signature-1: fulcio: OIDC issuer \"" + std::string(kIssuer) +
                                 "\" is not oidcIssuer"));
  }
  SECTION("wrong email") {
    auto r = w.Fulcio();
    r.fulcio.subject_email = "mallory@example.com";
    CHECK_THAT(Fails(r, w.Good()),
               Catch::Contains("fulcio: subjectEmail \"mallory@example.com\" is not among"));
  }
  SECTION("integrated time after notAfter") {
    auto s = w.Signature(w.leaf.get(), w.Bundle(body, w.t0 + 601));
    CHECK_THAT(Fails(w.Fulcio(), s), Catch::Contains("fulcio: Rekor integrated time") &&
                                         Catch::Contains("outside the certificate's validity"));
  }
  SECTION("integrated time before notBefore") {
    auto s = w.Signature(w.leaf.get(), w.Bundle(body, w.t0 - 1));
    CHECK_THAT(Fails(w.Fulcio(), s), Catch::Contains("outside the certificate's validity"));
  }
  SECTION("SET over another entry") {
    const std::string other = w.Bundle(HashedRekordBody("x", cert_pem, "y"), w.integrated);
    const std::string good = w.Bundle(body, w.integrated);
    // The good Payload with the other entry's SignedEntryTimestamp.
    const auto set_of = [](const std::string& b) {
      const size_t start = b.find(":\"") + 2;
      return b.substr(start, b.find('"', start) - start);
    };
    std::string spliced = good;
    spliced.replace(spliced.find(set_of(good)), set_of(good).size(), set_of(other));
    CHECK_THAT(Fails(w.Fulcio(), w.Signature(w.leaf.get(), spliced)),
               Catch::StartsWith("signature-1: rekor SET: does not verify with /etc/rekor.pub"));
  }
  SECTION("SET by another Rekor key") {
    KeyPair other = NewP256();
    auto s = w.Signature(w.leaf.get(), RekorBundleJson(other.key.get(), body, w.integrated, 1));
    CHECK_THAT(Fails(w.Fulcio(), s), Catch::Contains("rekor SET: does not verify"));
  }
  SECTION("logID is not the Rekor key's") {
    auto s = w.Signature(w.leaf.get(), RekorBundleJson(w.rekor.key.get(), body, w.integrated, 1,
                                                       std::string(64, 'a')));
    CHECK_THAT(Fails(w.Fulcio(), s), Catch::Contains("rekor SET: logID"));
  }
  SECTION("body for another payload") {
    auto s = w.Signature(w.leaf.get(),
                         w.Bundle(HashedRekordBody(w.sig, cert_pem, "other"), w.integrated));
    CHECK_THAT(Fails(w.Fulcio(), s),
               Catch::Contains("rekor SET: body: payload hash does not match"));
  }
  SECTION("body for another certificate") {
    auto other = w.Leaf(w.LeafSpec());
    auto s = w.Signature(
        w.leaf.get(),
        w.Bundle(HashedRekordBody(w.sig, CertPem(other.get()), w.payload), w.integrated));
    CHECK_THAT(Fails(w.Fulcio(), s), Catch::Contains("rekor SET: body: publicKey does not match"));
  }
  SECTION("body for another signature") {
    auto s = w.Signature(w.leaf.get(),
                         w.Bundle(HashedRekordBody("sig", cert_pem, w.payload), w.integrated));
    CHECK_THAT(Fails(w.Fulcio(), s), Catch::Contains("rekor SET: body: signature does not match"));
  }
  SECTION("a body that is not hashedrekord") {
    std::string b = body;
    b.replace(b.find("hashedrekord"), 12, "intoto");
    auto s = w.Signature(w.leaf.get(), w.Bundle(b, w.integrated));
    CHECK_THAT(Fails(w.Fulcio(), s), Catch::Contains("rekor SET: body.kind: \"intoto\""));
  }
  SECTION("chain to another CA") {
    KeyPair k = NewP256();
    CertSpec ca = moat::testing::CaSpec("other root", w.now - 86400 * 365, w.now + 86400 * 365);
    auto other = MakeCert(ca, k.key.get(), nullptr, k.key.get());
    auto r = w.Fulcio();
    r.fulcio.ca_pem = CertPem(other.get());
    CHECK_THAT(Fails(r, w.Good()),
               Catch::Contains("fulcio: at the Rekor integrated time: certificate chain: "));
  }
  SECTION("the chain annotation's root is not trusted") {
    auto r = w.Fulcio();
    KeyPair k = NewP256();
    CertSpec ca = moat::testing::CaSpec("other root", w.now - 86400 * 365, w.now + 86400 * 365);
    auto other = MakeCert(ca, k.key.get(), nullptr, k.key.get());
    r.fulcio.ca_pem = CertPem(other.get());
    auto s = w.Good();
    // Even with the intermediate configured elsewhere, only caPath anchors.
    CHECK_THAT(Fails(r, s), Catch::Contains("certificate chain"));
  }
  SECTION("certificate without the issuer extension") {
    auto spec = w.LeafSpec();
    spec.issuer_v1.clear();
    spec.issuer_v2.clear();
    auto leaf = w.Leaf(spec);
    auto s = w.Signature(
        leaf.get(),
        w.Bundle(HashedRekordBody(w.sig, CertPem(leaf.get()), w.payload), w.integrated));
    CHECK_THAT(Fails(w.Fulcio(), s),
               Catch::Contains("fulcio: OIDC issuer: the certificate has no issuer extension"));
  }
  SECTION("inconsistent issuer extensions") {
    auto spec = w.LeafSpec();
    spec.issuer_v2 = "https://evil.example";
    auto leaf = w.Leaf(spec);
    auto s = w.Signature(
        leaf.get(),
        w.Bundle(HashedRekordBody(w.sig, CertPem(leaf.get()), w.payload), w.integrated));
    CHECK_THAT(Fails(w.Fulcio(), s), Catch::Contains("fulcio: OIDC issuer: inconsistent"));
  }
  SECTION("no code-signing EKU") {
    auto spec = w.LeafSpec();
    spec.eku = "serverAuth";
    auto leaf = w.Leaf(spec);
    auto s = w.Signature(
        leaf.get(),
        w.Bundle(HashedRekordBody(w.sig, CertPem(leaf.get()), w.payload), w.integrated));
    CHECK_THAT(Fails(w.Fulcio(), s),
               Catch::Contains("fulcio: at the Rekor integrated time: certificate: extended key "
                               "usage: no codeSigning"));
  }
  SECTION("an intermediate restricted to another usage") {
    CertSpec ca = moat::testing::CaSpec("intermediate", w.now - 365 * 86400, w.now + 86400);
    ca.ca_eku = "serverAuth";
    w.inter = MakeCert(ca, w.inter_key.key.get(), w.root.get(), w.root_key.key.get());
    w.leaf = w.Leaf(w.LeafSpec());
    CHECK_THAT(Fails(w.Fulcio(), w.Good()),
               Catch::Contains("certificate chain: certificate 1: extended key usage: no "
                               "codeSigning"));
  }
  SECTION("missing bundle annotation") {
    CHECK_THAT(Fails(w.Fulcio(), w.Signature(w.leaf.get(), "")),
               Catch::Contains("signature-1: missing dev.sigstore.cosign/bundle annotation"));
  }
  SECTION("missing certificate annotation") {
    CHECK_THAT(Fails(w.Fulcio(), w.Signature(nullptr, w.Bundle(body, w.integrated))),
               Catch::Contains("missing dev.sigstore.cosign/certificate annotation"));
  }
  SECTION("payload signed by another key") {
    KeyPair k = NewP256();
    w.sig = Sign(k.key.get(), w.payload);
    CHECK_THAT(Fails(w.Fulcio(), w.Good()), Catch::Contains("signature does not verify"));
  }
}

TEST_CASE("keyless: the v2 issuer extension alone is enough", "[verify][keyless]") {
  World w;
  auto spec = w.LeafSpec();
  spec.issuer_v1.clear();
  w.leaf = w.Leaf(spec);
  CHECK(Fails(w.Fulcio(), w.Good()) == "(accepted)");
  spec = w.LeafSpec();
  spec.issuer_v2.clear();
  w.leaf = w.Leaf(spec);
  CHECK(Fails(w.Fulcio(), w.Good()) == "(accepted)");
}

TEST_CASE("keyless: a public key with rekorPublicKey needs a SET naming the key",
          "[verify][keyless]") {
  World w;
  Requirement r;
  r.type = RequirementType::kSigstoreSigned;
  r.keys.push_back(TrustedKey{"/etc/cosign.pub", w.leaf_key.public_pem});
  r.rekor_keys.push_back(TrustedKey{"rekorPublicKeyData", w.rekor.public_pem});
  auto bundle = w.Bundle(HashedRekordBody(w.sig, w.leaf_key.public_pem, w.payload), w.integrated);
  std::string signer;
  auto p = VerifySigstoreRequirement(r, w.Signature(nullptr, bundle), "signature-1", &signer);
  REQUIRE(p.ok());
  CHECK(signer == "/etc/cosign.pub+rekor");
  CHECK_THAT(Fails(r, w.Signature(nullptr, "")),
             Catch::Contains("missing dev.sigstore.cosign/bundle annotation"));
  // A SET for the certificate does not name the key.
  CHECK_THAT(Fails(r, w.Good()), Catch::Contains("rekor SET: body: publicKey does not match"));
  r.rekor_keys.clear();
  CHECK(Fails(r, w.Signature(nullptr, "")) == "(accepted)");
}

TEST_CASE("keyless: pki chains to caRoots now and matches the SAN", "[verify][keyless]") {
  World w;
  auto spec = w.LeafSpec();
  spec.not_before = w.now - 60;
  spec.not_after = w.now + 3600;
  spec.dns = "build.example.com";
  w.leaf = w.Leaf(spec);
  Requirement r;
  r.type = RequirementType::kSigstoreSigned;
  r.key_source = SigstoreKeySource::kPki;
  r.pki.roots_source = "/etc/pki/roots.pem";
  r.pki.roots_pem = CertPem(w.root.get());
  r.pki.subject_hostname = "build.example.com";
  std::string signer;
  auto p = VerifySigstoreRequirement(r, w.Signature(w.leaf.get(), ""), "signature-1", &signer);
  REQUIRE(p.ok());
  CHECK(signer == "pki:/etc/pki/roots.pem/build.example.com");
  r.pki.subject_email = kEmail;
  CHECK(Fails(r, w.Signature(w.leaf.get(), "")) == "(accepted)");

  SECTION("wrong hostname") {
    r.pki.subject_hostname = "evil.example.com";
    CHECK_THAT(Fails(r, w.Signature(w.leaf.get(), "")),
               Catch::Contains("pki: subjectHostname \"evil.example.com\" does not match"));
  }
  SECTION("wrong email") {
    r.pki.subject_email = "x@example.com";
    CHECK_THAT(Fails(r, w.Signature(w.leaf.get(), "")), Catch::Contains("pki: subjectEmail"));
  }
  SECTION("intermediates from the policy instead of the signature") {
    r.pki.intermediates_pem = CertPem(w.inter.get());
    auto s = w.Signature(w.leaf.get(), "");
    s.annotations.erase(s.annotations.begin() + 2);  // the chain
    CHECK(Fails(r, s) == "(accepted)");
    r.pki.intermediates_pem.clear();
    CHECK_THAT(Fails(r, s), Catch::Contains("pki: certificate chain"));
  }
  SECTION("an expired certificate") {
    auto expired_spec = w.LeafSpec();
    expired_spec.dns = "build.example.com";
    auto expired = w.Leaf(expired_spec);
    CHECK_THAT(Fails(r, w.Signature(expired.get(), "")),
               Catch::Contains("pki: certificate chain: certificate has expired"));
  }
}

TEST_CASE("keyless: RekorBundle parsing is strict and canonical", "[verify][keyless]") {
  using moat::verify::ParseRekorBundle;
  auto b = ParseRekorBundle(
      R"({"SignedEntryTimestamp":"QUJD","Payload":{"body":"e30=","integratedTime":5,"logIndex":7,"logID":"ab"}})");
  REQUIRE(b.ok());
  CHECK(b->canonical == R"({"body":"e30=","integratedTime":5,"logID":"ab","logIndex":7})");
  CHECK(b->set == "ABC");
  CHECK(b->body == "{}");
  CHECK_THAT(ParseRekorBundle(R"({"SignedEntryTimestamp":"QUJD"})").error().message,
             Catch::Contains("rekor bundle.Payload: missing"));
  CHECK_THAT(
      ParseRekorBundle(
          R"({"SignedEntryTimestamp":"QUJD","Payload":{"body":"e30=","integratedTime":5,"logIndex":7,"logID":"ab","x":1}})")
          .error()
          .message,
      Catch::Contains("x: unknown key"));
  CHECK_THAT(
      ParseRekorBundle(
          R"({"SignedEntryTimestamp":"QUJD","Payload":{"body":"e30=","integratedTime":-5,"logIndex":7,"logID":"ab"}})")
          .error()
          .message,
      Catch::Contains("integratedTime: must be an integer"));
  CHECK_FALSE(
      ParseRekorBundle(
          R"({"SignedEntryTimestamp":"QUJD","Payload":{"body":"e30=","integratedTime":5,"logIndex":7}})")
          .ok());
}

TEST_CASE("keyless: fulcio results are cached under the policy material and signature",
          "[verify][keyless]") {
  if (::geteuid() != 0) return;  // the cache is root-owned
  World w;
  moat::testing::TestDir dir;
  const moat::verify::VerifyCache cache(dir.path() + "/cache");
  const auto req = w.Fulcio();
  const auto sig = w.Good();
  std::string signer;
  REQUIRE(VerifySigstoreRequirement(req, sig, "signature-1", &signer, &cache).ok());
  const std::string key = moat::verify::KeylessCacheKey(req, sig);
  REQUIRE(cache.Get(key).has_value());
  signer.clear();
  REQUIRE(VerifySigstoreRequirement(req, sig, "signature-1", &signer, &cache).ok());
  CHECK(signer == std::string("fulcio:") + kIssuer + "/" + kEmail);
  // Other policy material is another key: the cached answer is not reused.
  auto other = req;
  other.fulcio.subject_email = "mallory@example.com";
  CHECK(moat::verify::KeylessCacheKey(other, sig) != key);
  std::string s2;
  CHECK_FALSE(VerifySigstoreRequirement(other, sig, "signature-1", &s2, &cache).ok());
  // An entry whose payload differs from the signature's is a miss.
  cache.Put(key, R"({"signer":"x","payload":"QUJD"})");
  REQUIRE(VerifySigstoreRequirement(req, sig, "signature-1", &signer, &cache).ok());
  CHECK(signer == std::string("fulcio:") + kIssuer + "/" + kEmail);
}

// Hidden ([.]): the in-process cost of one keyless verification (SET, chain at
// the integrated time, issuer/email, signature, payload), for bench reports.
TEST_CASE("keyless: verification cost", "[.][keyless-bench]") {
  World w;
  const auto req = w.Fulcio();
  const auto sig = w.Good();
  moat::testing::TestDir dir;
  const moat::verify::VerifyCache cache(dir.path() + "/cache");
  constexpr int kN = 200;
  struct timespec a {
  }, b{};
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < kN; ++i) {
    std::string signer;
    REQUIRE(VerifySigstoreRequirement(req, sig, "signature-1", &signer).ok());
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  const double us = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / kN;
  WARN("keyless verification: " << us << " us per signature");
  std::string signer;
  REQUIRE(VerifySigstoreRequirement(req, sig, "signature-1", &signer, &cache).ok());
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < kN; ++i) {
    REQUIRE(VerifySigstoreRequirement(req, sig, "signature-1", &signer, &cache).ok());
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  const double cached = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / kN;
  WARN("keyless verification, cached: " << cached << " us per signature");
}

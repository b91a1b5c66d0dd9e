// DSSE envelopes: PAE, parsing, verification against envelopes made by
// openssl (tests/fixtures/verdicts/dsse-sign.sh), and signing.
#include "verify/verdict/dsse.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/json.h"
#include "tests/unit/verify/verdict/verdict_fixtures.h"
#include "verify/common/base64.h"
#include "verify/signature/signing_key.h"
#include "verify/signature/sigstore.h"

using moat::testing::VerdictFixture;
using moat::verify::DecodeBase64Any;
using moat::verify::DsseEnvelope;
using moat::verify::EncodeBase64;
using moat::verify::KeyAlgorithm;
using moat::verify::KeyId;
using moat::verify::Pae;
using moat::verify::ParseDsseEnvelope;
using moat::verify::PublicKey;
using moat::verify::SignDsse;
using moat::verify::SigningKey;
using moat::verify::VerifyDsse;

namespace {

PublicKey Pub(const std::string& name) {
  auto k = PublicKey::FromPem(VerdictFixture(name), name);
  INFO((k.ok() ? "" : k.error().message));
  REQUIRE(k.ok());
  return std::move(k.value());
}

DsseEnvelope Envelope(const std::string& text) {
  auto e = ParseDsseEnvelope(text, "envelope");
  INFO((e.ok() ? "" : e.error().message));
  REQUIRE(e.ok());
  return std::move(e.value());
}

// The envelope with one top-level string member replaced.
std::string WithMember(const std::string& text, const std::string& key, const std::string& value) {
  auto v = moat::json::Parse(text);
  REQUIRE(v.ok());
  v->Set(key, moat::json::Value::String(value));
  return moat::json::Serialize(*v);
}

}  // namespace

TEST_CASE("dsse: PAE is the DSSE spec's encoding") {
  // The test vector of secure-systems-lab/dsse protocol.md.
  CHECK(Pae("http://example.com/HelloWorld", "hello world") ==
        "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  CHECK(Pae("", "") == "DSSEv1 0  0 ");
}

TEST_CASE("dsse: base64: standard or URL-safe, padded or not") {
  const std::string bytes("\xfb\xff\xbf");
  CHECK(*DecodeBase64Any("+/+/") == bytes);
  CHECK(*DecodeBase64Any("-_-_") == bytes);
  CHECK(*DecodeBase64Any("aGVsbG8=") == "hello");
  CHECK(*DecodeBase64Any("aGVsbG8") == "hello");
  CHECK(*DecodeBase64Any("") == "");
  CHECK_FALSE(DecodeBase64Any("aGVsb!8=").ok());
  CHECK_FALSE(DecodeBase64Any("a").ok());
  CHECK(EncodeBase64("hello") == "aGVsbG8=");
  CHECK(EncodeBase64("") == "");
  CHECK(*DecodeBase64Any(EncodeBase64(std::string("\0\xff\x10", 3))) ==
        std::string("\0\xff\x10", 3));
}

TEST_CASE("dsse: openssl-made envelopes verify with the signer's key only") {
  SECTION("ECDSA P-256, standard base64 (cosign's form)") {
    const DsseEnvelope env = Envelope(VerdictFixture("trivy.envelope.json"));
    CHECK(env.payload_type == "application/vnd.in-toto+json");
    REQUIRE(env.signatures.size() == 1);
    const PublicKey good = Pub("scanner-ecdsa.pub");
    const PublicKey other = Pub("other-ecdsa.pub");
    const PublicKey ed = Pub("scanner-ed25519.pub");
    auto which = VerifyDsse(env, {&other, &ed, &good});
    REQUIRE(which.ok());
    CHECK(*which == 2);
    auto bad = VerifyDsse(env, {&other, &ed});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message == "signature does not verify with any of the 2 trusted keys");
    // The keyid openssl's script wrote is the same fingerprint moat computes.
    CHECK(env.signatures[0].keyid == *KeyId(good));
  }
  SECTION("Ed25519, unpadded URL-safe base64") {
    const DsseEnvelope env = Envelope(VerdictFixture("grype.envelope.json"));
    const PublicKey ed = Pub("scanner-ed25519.pub");
    CHECK(VerifyDsse(env, {&ed}).ok());
    CHECK_FALSE(VerifyDsse(env, {}).ok());
  }
}

TEST_CASE("dsse: a changed payload, type or signature does not verify") {
  const std::string text = VerdictFixture("trivy.envelope.json");
  const PublicKey key = Pub("scanner-ecdsa.pub");
  DsseEnvelope env = Envelope(text);
  SECTION("payload") {
    auto pos = env.payload.find("CRITICAL");
    REQUIRE(pos != std::string::npos);
    env.payload.replace(pos, 8, "LOW     ");
  }
  SECTION("payload type") { env.payload_type = "application/json"; }
  SECTION("signature") { env.signatures[0].sig[10] ^= 1; }
  SECTION("keyid is only a hint, but a wrong signature is still wrong") {
    env.signatures[0].keyid = "something else";
    env.signatures[0].sig.pop_back();
  }
  CHECK_FALSE(VerifyDsse(env, {&key}).ok());
}

TEST_CASE("dsse: the keyid does not decide which key is tried") {
  DsseEnvelope env = Envelope(VerdictFixture("trivy.envelope.json"));
  env.signatures[0].keyid = "not-this-key";
  const PublicKey key = Pub("scanner-ecdsa.pub");
  CHECK(VerifyDsse(env, {&key}).ok());
}

TEST_CASE("dsse: malformed envelopes are errors naming the field") {
  const std::string good = VerdictFixture("trivy.envelope.json");
  auto err = [](const std::string& text) {
    auto e = ParseDsseEnvelope(text, "env.json");
    REQUIRE_FALSE(e.ok());
    return e.error().message;
  };
  CHECK(err(WithMember(good, "payload", "%%%")).rfind("env.json: payload: invalid base64", 0) == 0);
  CHECK(err(WithMember(good, "extra", "x")) == "env.json: extra: unknown key");
  CHECK(err(R"({"payloadType":"t","payload":"","signatures":[]})") ==
        "env.json: signatures: empty");
  CHECK(err(R"({"payloadType":"t","signatures":[{"sig":""}]})") == "env.json: payload: missing");
  CHECK(err(R"({"payloadType":"t","payload":"","signatures":[{"keyid":"k"}]})") ==
        "env.json: signatures[0].sig: missing");
  CHECK(err(R"({"payloadType":1,"payload":"","signatures":[{"sig":""}]})") ==
        "env.json: payloadType: expected string, got number");
  CHECK(err(R"({"payloadType":"t","payloadType":"u","payload":"","signatures":[{"sig":""}]})")
            .find("duplicate key") != std::string::npos);
  // Other members of a signature (a certificate) are ignored.
  CHECK(ParseDsseEnvelope(
            R"({"payloadType":"t","payload":"","signatures":[{"sig":"","cert":"x"}]})", "e")
            .ok());
}

TEST_CASE("dsse: SignDsse makes envelopes that verify, for both key types") {
  auto alg = GENERATE(KeyAlgorithm::kEcdsaP256, KeyAlgorithm::kEd25519);
  auto key = SigningKey::Generate(alg);
  REQUIRE(key.ok());
  auto text = SignDsse("application/vnd.in-toto+json", "{\"a\":1}", *key);
  REQUIRE(text.ok());
  const DsseEnvelope env = Envelope(*text);
  CHECK(env.payload == "{\"a\":1}");
  auto pub = key->Public();
  REQUIRE(pub.ok());
  CHECK(VerifyDsse(env, {&*pub}).ok());
  CHECK(env.signatures[0].keyid == *KeyId(*pub));
  // The PEM forms read back as the same keys.
  auto priv_pem = key->PrivatePem();
  REQUIRE(priv_pem.ok());
  auto again = SigningKey::FromPem(*priv_pem, "k.pem");
  REQUIRE(again.ok());
  CHECK(again->algorithm() == alg);
  auto pub_pem = key->PublicPem();
  REQUIRE(pub_pem.ok());
  auto pub2 = PublicKey::FromPem(*pub_pem, "k.pub");
  REQUIRE(pub2.ok());
  CHECK(VerifyDsse(env, {&*pub2}).ok());
}

TEST_CASE("dsse: signing keys: the fixtures load, other curves and public keys do not") {
  auto ec = SigningKey::FromPem(VerdictFixture("scanner-ecdsa.key"), "scanner-ecdsa.key");
  REQUIRE(ec.ok());
  CHECK(ec->algorithm() == KeyAlgorithm::kEcdsaP256);
  auto ed = SigningKey::FromPem(VerdictFixture("scanner-ed25519.key"), "scanner-ed25519.key");
  REQUIRE(ed.ok());
  CHECK(ed->algorithm() == KeyAlgorithm::kEd25519);
  auto p384 = SigningKey::FromPem(VerdictFixture("p384.key"), "p384.key");
  REQUIRE_FALSE(p384.ok());
  CHECK(p384.error().message == "p384.key: EC keys must be on P-256");
  auto pub = SigningKey::FromPem(VerdictFixture("scanner-ecdsa.pub"), "scanner-ecdsa.pub");
  REQUIRE_FALSE(pub.ok());
  CHECK(pub.error().message.rfind("scanner-ecdsa.pub: no unencrypted PEM private key found", 0) ==
        0);
  CHECK_FALSE(SigningKey::Generate(KeyAlgorithm::kRsa).ok());
}

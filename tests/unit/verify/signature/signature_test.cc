// Signature verification against fixtures made with real gpg, skopeo and
// openssl (tests/fixtures/signatures/README.md, make-fixtures.sh).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "verify/common/base64.h"
#include "verify/common/digest.h"
#include "verify/signature/gpg.h"
#include "verify/signature/lookaside.h"
#include "verify/signature/payload.h"
#include "verify/signature/sigstore.h"

namespace fs = std::filesystem;
using moat::verify::DecodeBase64;
using moat::verify::GpgVerifier;
using moat::verify::KeyAlgorithm;
using moat::verify::LookasideLimits;
using moat::verify::ManifestMatchesDigest;
using moat::verify::ParsePayload;
using moat::verify::ParseSignatureBlob;
using moat::verify::ParseSigstoreBlob;
using moat::verify::ParseSigstoreJson;
using moat::verify::PayloadKind;
using moat::verify::PublicKey;
using moat::verify::ReadLookasideSignatures;
using moat::verify::SignatureFormat;
using moat::verify::VerifyRawSignature;
using moat::verify::VerifySigstoreSignature;

namespace {

std::string Fixture(const std::string& rel) {
  const std::string path = std::string(MOAT_TEST_FIXTURES) + "/signatures/" + rel;
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A fingerprint file's contents without the newline.
std::string Fpr(const std::string& name) {
  std::string s = Fixture("gpg/" + name + ".fpr");
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::unique_ptr<GpgVerifier> Verifier(const std::vector<std::string>& keys) {
  std::vector<std::string> blobs;
  for (const auto& k : keys) blobs.push_back(Fixture("gpg/" + k));
  auto v = GpgVerifier::Create(blobs);
  INFO((v.ok() ? std::string() : v.error().message));
  REQUIRE(v.ok());
  return std::move(v.value());
}

// A private directory removed at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "moat-sigtest-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void Write(const std::string& name, const std::string& data) const {
    std::ofstream(path + "/" + name, std::ios::binary) << data;
  }
};

}  // namespace

// --- GPG simple signing --------------------------------------------------------

TEST_CASE("gpg: a good signature yields the payload and the key", "[signature]") {
  auto v = Verifier({"key-a.gpg"});
  REQUIRE(v->key_fingerprints() == std::vector<std::string>{Fpr("key-a")});

  auto r = v->Verify(Fixture("gpg/sig-a"));
  INFO((r.ok() ? std::string() : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->plaintext == Fixture("gpg/payload.json"));
  CHECK(r->key_fingerprint == Fpr("key-a"));
  CHECK(r->signer_fingerprint == Fpr("key-a"));

  auto p = ParsePayload(r->plaintext, PayloadKind::kSimpleSigning, "sig-a");
  REQUIRE(p.ok());
  CHECK(p->docker_reference == "docker.io/library/busybox:latest");
  CHECK(ManifestMatchesDigest(Fixture("manifest.json"), p->docker_manifest_digest));
  CHECK(*p->creator == "moat make-fixtures.sh");
  CHECK(*p->timestamp == 1577836800);

  // One verifier, many signatures.
  for (int i = 0; i < 3; ++i) CHECK(v->Verify(Fixture("gpg/sig-a-uncompressed")).ok());
}

TEST_CASE("gpg: an ASCII-armored key and skopeo's own signature", "[signature]") {
  auto v = Verifier({"key-a.asc"});
  auto r = v->Verify(Fixture("gpg/sig-a-skopeo"));
  INFO((r.ok() ? std::string() : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->key_fingerprint == Fpr("key-a"));
  auto p = ParsePayload(r->plaintext, PayloadKind::kSimpleSigning, "sig-a-skopeo");
  REQUIRE(p.ok());
  CHECK(p->docker_reference == "docker.io/library/busybox:latest");
  CHECK(ManifestMatchesDigest(Fixture("manifest.json"), p->docker_manifest_digest));
  REQUIRE(p->creator.has_value());
  CHECK_THAT(*p->creator, Catch::StartsWith("atomic "));
}

TEST_CASE("gpg: signatures that must not count", "[signature]") {
  auto [keys, sig, fragment] = GENERATE(table<std::vector<std::string>, std::string, std::string>({
      {{"key-a.gpg"}, "sig-b", "which is not a trusted key"},
      {{"key-b.gpg"}, "sig-a", "which is not a trusted key"},
      {{"key-a.gpg"}, "sig-a-tampered-signature", "bad signature by key"},
      {{"key-a.gpg"}, "sig-a-tampered-payload", "bad signature by key"},
      {{"key-a.gpg"}, "sig-a-tampered-compressed", ""},
      {{"key-expired.gpg"}, "sig-expired-key", "which has expired"},
      {{"key-revoked.gpg"}, "sig-revoked", "which is revoked"},
      {{"key-a.gpg"}, "sig-expired-signature", "signature by key"},
      {{"key-a.gpg", "key-b.gpg"}, "sig-two-signers", "expected exactly one signature, found 2"},
      {{"key-a.gpg"}, "sig-detached", ""},
      {{"key-a.gpg"}, "literal-only", ""},
      {{"key-a.gpg"}, "payload.json", ""},
  }));
  auto v = Verifier(keys);
  auto r = v->Verify(Fixture("gpg/" + sig));
  INFO(sig << ": " << (r.ok() ? "accepted" : r.error().message));
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains(fragment));
  if (sig == "sig-expired-signature") CHECK_THAT(r.error().message, Catch::Contains("has expired"));
}

TEST_CASE("gpg: several keys, each signature attributed to its signer", "[signature]") {
  auto v = Verifier({"key-a.gpg", "key-b.gpg"});
  CHECK(v->key_fingerprints().size() == 2);
  auto a = v->Verify(Fixture("gpg/sig-a"));
  auto b = v->Verify(Fixture("gpg/sig-b"));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->key_fingerprint == Fpr("key-a"));
  CHECK(b->key_fingerprint == Fpr("key-b"));
}

TEST_CASE("gpg: a signing subkey counts for its primary key", "[signature]") {
  auto v = Verifier({"key-subkey.gpg"});
  auto r = v->Verify(Fixture("gpg/sig-subkey"));
  INFO((r.ok() ? std::string() : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->key_fingerprint == Fpr("key-subkey"));
  CHECK(r->signer_fingerprint == Fpr("key-subkey.sub"));
}

TEST_CASE("gpg: the signed payload still has to be the right kind", "[signature]") {
  auto v = Verifier({"key-a.gpg"});
  auto r = v->Verify(Fixture("gpg/sig-a-cosign-type"));
  REQUIRE(r.ok());
  auto p = ParsePayload(r->plaintext, PayloadKind::kSimpleSigning, "sig");
  REQUIRE_FALSE(p.ok());
  CHECK_THAT(p.error().message, Catch::Contains("critical.type"));

  // Good signatures over another digest or identity: the caller's checks fail.
  auto d = v->Verify(Fixture("gpg/sig-a-other-digest"));
  REQUIRE(d.ok());
  auto pd = ParsePayload(d->plaintext, PayloadKind::kSimpleSigning, "sig");
  REQUIRE(pd.ok());
  CHECK_FALSE(ManifestMatchesDigest(Fixture("manifest.json"), pd->docker_manifest_digest));
  auto i = v->Verify(Fixture("gpg/sig-a-other-identity"));
  REQUIRE(i.ok());
  auto pi = ParsePayload(i->plaintext, PayloadKind::kSimpleSigning, "sig");
  REQUIRE(pi.ok());
  CHECK(pi->docker_reference == "docker.io/library/alpine:latest");
}

TEST_CASE("gpg: key import failures", "[signature]") {
  auto none = GpgVerifier::Create({});
  REQUIRE_FALSE(none.ok());
  auto junk = GpgVerifier::Create({Fixture("gpg/key-a.gpg"), Fixture("gpg/not-a-key.txt")});
  REQUIRE_FALSE(junk.ok());
  CHECK_THAT(junk.error().message, Catch::Contains("GPG key 2: no OpenPGP public key"));
}

TEST_CASE("gpg: the private home is 0700, agent-free, and removed", "[signature]") {
  TempDir parent;
  std::string home;
  {
    auto v = GpgVerifier::Create({Fixture("gpg/key-a.gpg")}, parent.path);
    REQUIRE(v.ok());
    home = v.value()->home();
    CHECK_THAT(home, Catch::StartsWith(parent.path + "/moat-gnupg-"));
    struct stat st {};
    REQUIRE(::lstat(home.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
    REQUIRE(v.value()->Verify(Fixture("gpg/sig-a")).ok());
    // no-autostart: importing and verifying started no gpg-agent.
    CHECK_FALSE(fs::exists(home + "/S.gpg-agent"));
  }
  CHECK_FALSE(fs::exists(home));
  CHECK(fs::is_empty(parent.path));
}

// --- stored signature formats ------------------------------------------------------

TEST_CASE("signature blob: formats as containers/image tells them apart", "[signature]") {
  auto bare = ParseSignatureBlob(Fixture("gpg/sig-a"), "signature-1");
  REQUIRE(bare.ok());
  CHECK(bare->format == SignatureFormat::kSimpleSigning);
  CHECK(bare->data == Fixture("gpg/sig-a"));

  auto prefixed = ParseSignatureBlob(Fixture("gpg/sig-a-prefixed"), "signature-1");
  REQUIRE(prefixed.ok());
  CHECK(prefixed->format == SignatureFormat::kSimpleSigning);
  CHECK(prefixed->data == Fixture("gpg/sig-a"));
  auto v = Verifier({"key-a.gpg"});
  CHECK(v->Verify(prefixed->data).ok());

  auto sigstore = ParseSignatureBlob(Fixture("sigstore/signature-ecdsa"), "signature-1");
  REQUIRE(sigstore.ok());
  CHECK(sigstore->format == SignatureFormat::kSigstore);
  CHECK(sigstore->data.front() == '{');

  auto [blob, fragment] = GENERATE_REF(table<std::string, std::string>({
      {Fixture("gpg/sig-armored"), "unrecognized signature format, starting with binary 0x2d"},
      {Fixture("gpg/literal-only"), "starting with binary 0xad"},
      {"", "empty signature"},
      {std::string("\0sigstore-json", 14), "missing newline"},
      {std::string("\0sig\x01store\n{}", 13), "non-ASCII byte 0x1"},
      {std::string("\0cosign\n{}", 10), "unrecognized signature format \"cosign\""},
  }));
  auto r = ParseSignatureBlob(blob, "signature-2");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::StartsWith("signature-2: "));
  CHECK_THAT(r.error().message, Catch::Contains(fragment));
}

// --- sigstore ------------------------------------------------------------------------

TEST_CASE("sigstore: ECDSA, RSA and Ed25519 signatures made with openssl", "[signature]") {
  auto [key_file, sig_file, alg] = GENERATE(table<std::string, std::string, KeyAlgorithm>({
      {"ecdsa.pub", "signature-ecdsa", KeyAlgorithm::kEcdsaP256},
      {"rsa.pub", "signature-rsa", KeyAlgorithm::kRsa},
      {"ed25519.pub", "signature-ed25519", KeyAlgorithm::kEd25519},
      {"ecdsa.pub", "signature-ecdsa-annotations", KeyAlgorithm::kEcdsaP256},
  }));
  auto key = PublicKey::FromPem(Fixture("sigstore/" + key_file), key_file);
  REQUIRE(key.ok());
  CHECK(key->algorithm() == alg);
  auto sig = ParseSigstoreBlob(Fixture("sigstore/" + sig_file), sig_file);
  REQUIRE(sig.ok());
  CHECK(sig->IsSignature());
  CHECK(sig->payload == Fixture("sigstore/payload.json"));
  REQUIRE(sig->Annotation(moat::verify::kSigstoreSignatureAnnotation) != nullptr);

  auto p = VerifySigstoreSignature(*key, *sig, sig_file);
  INFO((p.ok() ? std::string() : p.error().message));
  REQUIRE(p.ok());
  CHECK(p->kind == PayloadKind::kCosign);
  CHECK(p->docker_reference == "docker.io/library/busybox");
  CHECK(ManifestMatchesDigest(Fixture("manifest.json"), p->docker_manifest_digest));
  CHECK_FALSE(p->creator.has_value());
}

TEST_CASE("sigstore: signatures that must not count", "[signature]") {
  auto [key_file, sig_file, fragment] = GENERATE(table<std::string, std::string, std::string>({
      {"ecdsa-other.pub", "signature-ecdsa", "signature does not verify with the ECDSA P-256 key"},
      {"rsa.pub", "signature-ecdsa", "signature does not verify with the RSA key"},
      {"ed25519.pub", "signature-rsa", "signature does not verify"},
      {"ecdsa.pub", "signature-ecdsa-tampered-payload", "signature does not verify"},
      {"ecdsa.pub", "signature-ecdsa-tampered-signature", "signature does not verify"},
      {"ecdsa.pub", "signature-ecdsa-no-signature",
       "missing dev.cosignproject.cosign/signature annotation"},
      {"ecdsa.pub", "signature-attestation", "is not a signature"},
      {"ecdsa.pub", "signature-ecdsa-gpg-type", "payload: critical.type"},
  }));
  auto key = PublicKey::FromPem(Fixture("sigstore/" + key_file), key_file);
  REQUIRE(key.ok());
  auto sig = ParseSigstoreBlob(Fixture("sigstore/" + sig_file), sig_file);
  REQUIRE(sig.ok());
  auto p = VerifySigstoreSignature(*key, *sig, sig_file);
  INFO(sig_file << " with " << key_file);
  REQUIRE_FALSE(p.ok());
  CHECK_THAT(p.error().message, Catch::StartsWith(sig_file + ": "));
  CHECK_THAT(p.error().message, Catch::Contains(fragment));
}

TEST_CASE("sigstore: raw signatures over the payload bytes", "[signature]") {
  const std::string payload = Fixture("sigstore/payload.json");
  for (std::string k : {"ecdsa", "rsa", "ed25519"}) {
    auto key = PublicKey::FromPem(Fixture("sigstore/" + k + ".pub"), k);
    REQUIRE(key.ok());
    const std::string sig = Fixture("sigstore/payload.json." + k + ".sig");
    CHECK(VerifyRawSignature(*key, payload, sig).ok());
    CHECK_FALSE(VerifyRawSignature(*key, payload + " ", sig).ok());
    CHECK_FALSE(VerifyRawSignature(*key, payload, "").ok());
    CHECK_FALSE(VerifyRawSignature(*key, payload, sig.substr(1)).ok());
  }
}

TEST_CASE("sigstore: public keys it refuses", "[signature]") {
  auto [pem, fragment] = GENERATE_REF(table<std::string, std::string>({
      {Fixture("sigstore/rsa-1024.pub"), "RSA key of 1024 bits is too weak"},
      {Fixture("sigstore/secp256k1.pub"), "EC curve secp256k1 is not supported"},
      {Fixture("gpg/key-a.asc"), "no PEM \"PUBLIC KEY\" found"},
      {"", "no PEM"},
  }));
  auto key = PublicKey::FromPem(pem, "key.pub");
  REQUIRE_FALSE(key.ok());
  CHECK_THAT(key.error().message, Catch::StartsWith("key.pub: "));
  CHECK_THAT(key.error().message, Catch::Contains(fragment));
}

TEST_CASE("sigstore: the JSON of the file form is strict", "[signature]") {
  const std::string ann = R"("annotations":{"dev.cosignproject.cosign/signature":"AAAA"})";
  auto [text, fragment] = GENERATE_REF(table<std::string, std::string>({
      {R"({"mimeType":"m","payload":"e30=",)" + ann + R"(,"extra":1})", "extra: unknown key"},
      {R"({"payload":"e30=",)" + ann + "}", "mimeType: missing"},
      {R"({"mimeType":"m",)" + ann + "}", "payload: missing"},
      {R"({"mimeType":"m","payload":"e30="})", "annotations: missing"},
      {R"({"mimeType":"m","payload":"e30",)" + ann + "}", "payload: invalid base64"},
      {R"({"mimeType":"m","payload":null,)" + ann + "}", "payload: expected string"},
      {R"({"mimeType":"m","payload":"e30=","annotations":{"k":1}})",
       "annotations.k: expected string"},
      {R"({"mimeType":"m","payload":"e30=","annotations":[]})", "annotations: expected object"},
      {R"({"mimeType":"m","payload":"e30=","annotations":{"k":"a","k":"b"}})", "duplicate key"},
      {"[]", "expected object"},
  }));
  auto r = ParseSigstoreJson(text, "signature-1");
  INFO(text);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::StartsWith("signature-1: "));
  CHECK_THAT(r.error().message, Catch::Contains(fragment));

  auto ok = ParseSigstoreJson(R"({"mimeType":"m","payload":"e30=","annotations":{}})", "s");
  REQUIRE(ok.ok());
  CHECK(ok->payload == "{}");
  CHECK_FALSE(ok->IsSignature());

  auto gpg = ParseSigstoreBlob(Fixture("gpg/sig-a"), "signature-1");
  REQUIRE_FALSE(gpg.ok());
  CHECK_THAT(gpg.error().message, Catch::Contains("not a sigstore one"));
}

TEST_CASE("sigstore: base64 as Go's StdEncoding reads it", "[signature]") {
  auto [in, out] = GENERATE(table<std::string, std::string>({
      {"", ""},
      {"QQ==", "A"},
      {"QUI=", "AB"},
      {"QUJD", "ABC"},
      {"QUJDRA==", "ABCD"},
      {"QU\r\nJD", "ABC"},
      {"+/+/", "\xfb\xff\xbf"},
  }));
  auto r = DecodeBase64(in);
  REQUIRE(r.ok());
  CHECK(r.value() == out);

  for (std::string bad :
       {"QQ", "QQ=", "Q===", "QQ==QQ==", "QU JD", "QUJD=", "QUJ-", "====", "QQ=A"}) {
    INFO(bad);
    CHECK_FALSE(DecodeBase64(bad).ok());
  }
}

// --- lookaside ---------------------------------------------------------------------

TEST_CASE("lookaside: signature-1.. up to the first missing", "[signature]") {
  TempDir base;
  const std::string dir = base.path + "/library/busybox@sha256=abc";
  fs::create_directories(dir);

  auto none = ReadLookasideSignatures(base.path + "/library/absent@sha256=abc");
  REQUIRE(none.ok());
  CHECK(none->empty());
  auto empty = ReadLookasideSignatures(dir);
  REQUIRE(empty.ok());
  CHECK(empty->empty());

  std::ofstream(dir + "/signature-1", std::ios::binary) << "one";
  std::ofstream(dir + "/signature-2", std::ios::binary) << "two";
  std::ofstream(dir + "/signature-4", std::ios::binary) << "four";  // after a gap: not read
  auto r = ReadLookasideSignatures(dir);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].path == dir + "/signature-1");
  CHECK((*r)[0].bytes == "one");
  CHECK((*r)[1].bytes == "two");

  // A gap at 1 means no signatures, as containers/image reads them.
  fs::remove(dir + "/signature-1");
  auto gap = ReadLookasideSignatures(dir);
  REQUIRE(gap.ok());
  CHECK(gap->empty());
}

TEST_CASE("lookaside: refuses links, odd files, huge files, too many files", "[signature]") {
  TempDir base;
  const std::string dir = base.path + "/d";
  fs::create_directories(dir);
  base.Write("outside", "sig");

  SECTION("a symlinked signature") {
    fs::create_symlink(base.path + "/outside", dir + "/signature-1");
    auto r = ReadLookasideSignatures(dir);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("signature-1: is a symbolic link"));
  }
  SECTION("a symlinked directory") {
    fs::create_directory_symlink(dir, base.path + "/link");
    auto r = ReadLookasideSignatures(base.path + "/link");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("is a symbolic link"));
  }
  SECTION("a FIFO or a directory") {
    REQUIRE(::mkfifo((dir + "/signature-1").c_str(), 0600) == 0);
    auto fifo = ReadLookasideSignatures(dir);
    REQUIRE_FALSE(fifo.ok());
    CHECK_THAT(fifo.error().message, Catch::Contains("not a regular file"));
    fs::remove(dir + "/signature-1");
    fs::create_directory(dir + "/signature-1");
    auto sub = ReadLookasideSignatures(dir);
    REQUIRE_FALSE(sub.ok());
    CHECK_THAT(sub.error().message, Catch::Contains("not a regular file"));
  }
  SECTION("a 1 GiB file is refused from its size, quickly") {
    std::ofstream(dir + "/signature-1") << "ok";
    {
      int fd = ::open((dir + "/signature-2").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      REQUIRE(fd >= 0);
      REQUIRE(::ftruncate(fd, off_t{1} << 30) == 0);  // sparse
      ::close(fd);
    }
    auto start = std::chrono::steady_clock::now();
    auto r = ReadLookasideSignatures(dir);
    auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("signature-2: larger than the limit of 4194304"));
    CHECK(elapsed < std::chrono::milliseconds(200));
  }
  SECTION("more files than the limit") {
    for (int i = 1; i <= 4; ++i) {
      std::ofstream(dir + "/signature-" + std::to_string(i)) << i;
    }
    LookasideLimits limits;
    limits.max_files = 3;
    auto r = ReadLookasideSignatures(dir, limits);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("more than 3 signature files"));
    limits.max_files = 4;
    auto four = ReadLookasideSignatures(dir, limits);
    REQUIRE(four.ok());
    CHECK(four->size() == 4);
  }
  SECTION("a path that is a file") {
    auto r = ReadLookasideSignatures(base.path + "/outside");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("cannot open signature directory"));
  }
}

#include "verify/registry/cosign_layout.h"

#include <catch2/catch.hpp>
#include <string>

#include "verify/signature/sigstore.h"

using namespace moat::verify;

namespace {

const std::string kD = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

std::string SigManifest(const std::string& layer_type, const std::string& annotations) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":")" +
         kD + R"("},"layers":[{"mediaType":")" + layer_type + R"(","size":7,"digest":")" + kD +
         R"(","annotations":)" + annotations + "}]}";
}

}  // namespace

TEST_CASE("cosign tags", "[registry]") {
  CHECK(CosignTag(kD, ".sig") == "sha256-" + kD.substr(7) + ".sig");
  CHECK(CosignTag(kD, ".att") == "sha256-" + kD.substr(7) + ".att");
  CHECK(CosignTag(kD, "") == "sha256-" + kD.substr(7));
}

TEST_CASE("a cosign .sig manifest becomes containers/image's sigstore-json file", "[registry]") {
  auto m = ParseManifestDoc(
      SigManifest(
          "application/vnd.dev.cosign.simplesigning.v1+json",
          R"({"dev.cosignproject.cosign/signature":"MEUCIQ==","dev.sigstore.cosign/bundle":"{}"})"),
      "", "sig");
  REQUIRE(m.ok());
  CHECK_FALSE(m->is_index);
  REQUIRE(m->layers.size() == 1);
  auto file = SigstoreFileFromLayer(m->layers[0], "payload!", "sig: layers[0]");
  REQUIRE(file.ok());
  CHECK(file->rfind(std::string("\x00sigstore-json\n", 15), 0) == 0);
  auto back = ParseSigstoreBlob(*file, "f");
  REQUIRE(back.ok());
  CHECK(back->IsSignature());
  CHECK(back->payload == "payload!");
  REQUIRE(back->Annotation(kSigstoreSignatureAnnotation) != nullptr);
  CHECK(*back->Annotation(kSigstoreSignatureAnnotation) == "MEUCIQ==");
  CHECK(*back->Annotation(kSigstoreBundleAnnotation) == "{}");
}

TEST_CASE("layers that are not signatures are refused as signatures", "[registry]") {
  auto att = ParseManifestDoc(
      SigManifest("application/vnd.dsse.envelope.v1+json", R"({"predicateType":"https://x"})"), "",
      "att");
  REQUIRE(att.ok());
  CHECK(*att->layers[0].Annotation(kPredicateTypeAnnotation) == "https://x");
  auto f = SigstoreFileFromLayer(att->layers[0], "p", "att: layers[0]");
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().message.find("att: layers[0]: mediaType") == 0);
  auto nosig = ParseManifestDoc(
      SigManifest("application/vnd.dev.cosign.simplesigning.v1+json", "{}"), "", "sig");
  REQUIRE(nosig.ok());
  auto g = SigstoreFileFromLayer(nosig->layers[0], "p", "sig: layers[0]");
  REQUIRE_FALSE(g.ok());
  CHECK(g.error().message == "sig: layers[0]: annotations: no dev.cosignproject.cosign/signature");
}

TEST_CASE("manifests and indexes are parsed strictly", "[registry]") {
  auto idx = ParseManifestDoc(
      R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":3,"digest":")" +
          kD + R"(","platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]})",
      "application/vnd.oci.image.index.v1+json", "idx");
  REQUIRE(idx.ok());
  CHECK(idx->is_index);
  CHECK(idx->layers[0].platform == "linux/arm64/v8");
  auto bad_digest = ParseManifestDoc(
      SigManifest("x", "{}").replace(SigManifest("x", "{}").rfind(kD), kD.size(), "sha256:00"), "",
      "m");
  REQUIRE_FALSE(bad_digest.ok());
  CHECK(bad_digest.error().message.find("m.layers[0].digest: \"sha256:00\" is not") == 0);
  auto schema1 = ParseManifestDoc(
      R"({"schemaVersion":1,"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws"})",
      "", "m");
  REQUIRE_FALSE(schema1.ok());
  auto mismatch = ParseManifestDoc(SigManifest("x", "{}"),
                                   "application/vnd.docker.distribution.manifest.v2+json", "m");
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.error().message.find("but the registry sent Content-Type") != std::string::npos);
  auto dup = ParseManifestDoc(R"({"mediaType":"a","mediaType":"b"})", "", "m");
  CHECK_FALSE(dup.ok());
}

TEST_CASE("sigstore bundles: DSSE converts, messageSignature is refused by name", "[registry]") {
  auto dsse = ReadSigstoreBundle(
      R"({"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":"e30=","payloadType":"t","signatures":[]}})",
      "b");
  REQUIRE(dsse.ok());
  CHECK(dsse->dsse_envelope == R"({"payload":"e30=","payloadType":"t","signatures":[]})");
  auto msg = ReadSigstoreBundle(
      R"({"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","messageSignature":{}})",
      "b");
  REQUIRE(msg.ok());
  CHECK(msg->dsse_envelope.empty());
  CHECK(msg->unconvertible.find("messageSignature: the bundle holds the payload's digest") == 0);
  CHECK_FALSE(ReadSigstoreBundle(R"({"mediaType":"application/json"})", "b").ok());
}

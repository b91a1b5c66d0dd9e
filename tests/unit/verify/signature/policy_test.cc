#include "verify/signature/policy.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "tests/unit/test_dir.h"

using moat::testing::TestDir;
using moat::testing::WithDir;
using moat::verify::IdentityMatch;
using moat::verify::LoadPolicy;
using moat::verify::MatchesSignedIdentity;
using moat::verify::ParseNormalizedNamed;
using moat::verify::ParsePolicy;
using moat::verify::Policy;
using moat::verify::PolicyOptions;
using moat::verify::RequirementType;
using moat::verify::SignedIdentity;

namespace {

const std::string kD = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kDO = "@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kIA = R"([{"type":"insecureAcceptAnything"}])";

// Key files must be root-owned; a non-root test run cannot make them so.
PolicyOptions TestOptions() {
  PolicyOptions o;
  o.require_root_owned = ::geteuid() == 0;
  return o;
}

moat::verify::Reference Ref(const std::string& s) {
  auto r = ParseNormalizedNamed(s);
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("policy: Debian's default policy.json", "[verify]") {
  // golang-github-containers-common 0.50 (Debian 12) ships exactly this.
  auto p = ParsePolicy(R"({
    "default": [
        {
            "type": "insecureAcceptAnything"
        }
    ]
})",
                       "policy.json");
  REQUIRE(p.ok());
  REQUIRE(p->default_requirements.size() == 1);
  CHECK(p->default_requirements[0].type == RequirementType::kInsecureAcceptAnything);
  CHECK(p->transports.empty());
  std::string matched;
  CHECK(&p->ForDocker(Ref("busybox:latest"), &matched) == &p->default_requirements);
  CHECK(matched == "default");

  // The installed file, when this machine has one.
  struct stat st {};
  if (::stat("/etc/containers/policy.json", &st) != 0) {
    WARN("no /etc/containers/policy.json on this machine: installed-file check not run");
    return;
  }
  auto installed = LoadPolicy("/etc/containers/policy.json");
  INFO((installed.ok() ? std::string() : installed.error().Describe()));
  CHECK(installed.ok());
}

TEST_CASE("policy: a locked-down policy in the style of containers-policy.json(5)", "[verify]") {
  TestDir dir;
  dir.Write("official.gpg", "OFFICIAL-KEYRING");
  dir.Write("vendor.gpg", "VENDOR-KEYRING");
  dir.Write("reviewer.gpg", "REVIEWER-KEYRING");
  dir.Write("sigstore.pub", "-----BEGIN PUBLIC KEY-----\n");
  const std::string text = WithDir(R"({
  "default": [{"type": "reject"}],
  "transports": {
    "docker": {
      "docker.io/openshift": [{"type": "insecureAcceptAnything"}],
      "docker.io/library/busybox": [{"type": "insecureAcceptAnything"}],
      "*.temporary-project.example.com": [{"type": "insecureAcceptAnything"}],
      "hostname:5000/myns/sigstore-signed-with-full-references": [
        {"type": "sigstoreSigned", "keyPath": "@DIR@/sigstore.pub"}
      ],
      "hostname:5000/myns/sigstore-signed-allows-malicious-tag-substitution": [
        {"type": "sigstoreSigned", "keyData": "YWJj",
         "signedIdentity": {"type": "matchRepository"}}
      ],
      "hostname:5000/myns/official": [
        {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "@DIR@/official.gpg"}
      ],
      "hostname:5000/vendor/product": [
        {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "@DIR@/vendor.gpg",
         "signedIdentity": {"type": "exactRepository",
                            "dockerRepository": "vendor-hostname/product/repository"}},
        {"type": "signedBy", "keyType": "GPGKeys",
         "keyPaths": ["@DIR@/reviewer.gpg", "@DIR@/official.gpg"]}
      ],
      "private-mirror:5000/vendor-mirror": [
        {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "@DIR@/vendor.gpg",
         "signedIdentity": {"type": "remapIdentity",
                            "prefix": "private-mirror:5000/vendor-mirror",
                            "signedPrefix": "vendor.example.com"}}
      ],
      "registry.example.com/app:v1": [
        {"type": "sigstoreSigned", "keyDatas": ["YWJj", "ZGVm"],
         "signedIdentity": {"type": "exactReference",
                            "dockerReference": "registry.example.com/app:v1"}}
      ],
      "": [{"type": "reject"}]
    },
    "dir": {"": [{"type": "insecureAcceptAnything"}]},
    "docker-daemon": {"": [{"type": "signedBy", "keyType": "GPGKeys",
                             "keyPath": "/nonexistent/not-read.gpg"}]},
    "atomic": {"hostname:5000/myns/official": [{"type": "reject"}]}
  }
})",
                                   dir.path());
  auto p = ParsePolicy(text, "policy.json", TestOptions());
  INFO((p.ok() ? std::string() : p.error().Describe()));
  REQUIRE(p.ok());
  CHECK(p->default_requirements[0].type == RequirementType::kReject);
  REQUIRE(p->transports.size() == 4);
  const auto& docker = p->transports.at("docker");
  CHECK(docker.size() == 10);

  const auto& sig = docker.at("hostname:5000/myns/sigstore-signed-with-full-references");
  REQUIRE(sig.size() == 1);
  CHECK(sig[0].type == RequirementType::kSigstoreSigned);
  CHECK(sig[0].identity.type == IdentityMatch::kMatchRepoDigestOrExact);
  REQUIRE(sig[0].keys.size() == 1);
  CHECK(sig[0].keys[0].source == dir.path() + "/sigstore.pub");
  CHECK(sig[0].keys[0].bytes == "-----BEGIN PUBLIC KEY-----\n");
  CHECK(sig[0].where ==
        "transports.docker[\"hostname:5000/myns/sigstore-signed-with-full-references\"][0]");

  const auto& data =
      docker.at("hostname:5000/myns/sigstore-signed-allows-malicious-tag-substitution");
  CHECK(data[0].identity.type == IdentityMatch::kMatchRepository);
  REQUIRE(data[0].keys.size() == 1);
  CHECK(data[0].keys[0].bytes == "abc");
  CHECK(data[0].keys[0].source == "keyData");

  const auto& vendor = docker.at("hostname:5000/vendor/product");
  REQUIRE(vendor.size() == 2);
  CHECK(vendor[0].type == RequirementType::kSignedBy);
  CHECK(vendor[0].identity.type == IdentityMatch::kExactRepository);
  CHECK(vendor[0].identity.reference.Name() == "docker.io/vendor-hostname/product/repository");
  CHECK(vendor[0].keys[0].bytes == "VENDOR-KEYRING");
  REQUIRE(vendor[1].keys.size() == 2);
  CHECK(vendor[1].keys[0].bytes == "REVIEWER-KEYRING");
  CHECK(vendor[1].keys[1].bytes == "OFFICIAL-KEYRING");

  const auto& mirror = docker.at("private-mirror:5000/vendor-mirror");
  CHECK(mirror[0].identity.type == IdentityMatch::kRemapIdentity);
  CHECK(mirror[0].identity.prefix == "private-mirror:5000/vendor-mirror");
  CHECK(mirror[0].identity.signed_prefix == "vendor.example.com");

  const auto& exact = docker.at("registry.example.com/app:v1");
  CHECK(exact[0].identity.type == IdentityMatch::kExactReference);
  CHECK(exact[0].identity.reference.String() == "registry.example.com/app:v1");
  REQUIRE(exact[0].keys.size() == 2);
  CHECK(exact[0].keys[1].bytes == "def");
  CHECK(exact[0].keys[1].source == "keyDatas[1]");

  // Key files of transports moat does not evaluate are not read.
  const auto& daemon = p->transports.at("docker-daemon").at("");
  REQUIRE(daemon[0].keys.size() == 1);
  CHECK(daemon[0].keys[0].source == "/nonexistent/not-read.gpg");
  CHECK(daemon[0].keys[0].bytes.empty());
}

TEST_CASE("policy: every error names the file and the field", "[verify]") {
  TestDir dir;
  dir.Write("key.gpg", "KEY");
  dir.Write("empty.gpg", "");
  REQUIRE(::symlink((dir.path() + "/key.gpg").c_str(), (dir.path() + "/link.gpg").c_str()) == 0);
  auto d = [](const std::string& req) { return R"({"default":[)" + req + "]}"; };
  auto docker = [](const std::string& scope, const std::string& reqs) {
    return R"({"default":[{"type":"reject"}],"transports":{"docker":{")" + scope + R"(":)" + reqs +
           "}}}";
  };
  const std::string sb = R"({"type":"signedBy","keyType":"GPGKeys",)";
  const std::string ss = R"({"type":"sigstoreSigned",)";
  const std::string kd = R"("keyData":"QUJD")";
  auto ident = [&](const std::string& si) {
    return d(ss + kd + R"(,"signedIdentity":)" + si + "}");
  };

  auto [text, fragment] = GENERATE_COPY(table<std::string, std::string>({
      {docker("quay.io", "[" + sb + R"("keyPathz":"/x"}])"),
       R"(policy.json: transports.docker["quay.io"][0].keyPathz: unknown key)"},
      {"{}", "policy.json: default: missing"},
      {R"({"default":[]})", "policy.json: default: must not be empty"},
      {R"({"default":{}})", "policy.json: default: expected array, got object"},
      {R"({"default":[{"type":"reject"}],"transports":null})",
       "policy.json: transports: expected object, got null"},
      {d(R"({"type":"accept"})"),
       "policy.json: default[0].type: unknown requirement type \"accept\""},
      {d("{}"), "policy.json: default[0].type: missing"},
      {d(R"({"type":5})"), "policy.json: default[0].type: expected string, got number"},
      {d(R"("reject")"), "policy.json: default[0]: expected object, got string"},
      {d(R"({"type":"reject","x":1})"), "policy.json: default[0].x: unknown key"},
      {d(R"({"type":"insecureAcceptAnything","keyPath":"/x"})"),
       "policy.json: default[0].keyPath: unknown key"},
      {R"({"default":[{"type":"reject"}],"extra":1})", "policy.json: extra: unknown key"},
      {R"({"default":[{"type":"reject"}],"transports":{"dokcer":{}}})",
       "policy.json: transports.dokcer: unknown transport (known: atomic,"},
      {R"({"default":[{"type":"reject"}],"transports":{"docker":[]}})",
       "policy.json: transports.docker: expected object, got array"},
      {docker("busybox", kIA), R"(transports.docker["busybox"]: "busybox" is not a registry host)"},
      {docker("docker.io/busybox:latest", kIA),
       R"(transports.docker["docker.io/busybox:latest"]: invalid reference "docker.io/busybox:latest": not in fully expanded form)"},
      {docker("index.docker.io/library/busybox", kIA), "never matches"},
      {docker("*.example.com:5000", kIA), "a wildcard scope is"},
      {docker("*", kIA), R"(transports.docker["*"]: "*" is allowed only as a leading)"},
      {docker("example*.*.com", kIA), R"("*" is allowed only as a leading)"},
      {docker("docker.io/Library", kIA), R"(invalid repository namespace "Library")"},
      {docker("quay.io/a/b:1" + kD, kIA), "a tag or a digest, not both"},
      {docker("quay.io/a/b@sha256:abc", kIA), "invalid digest format"},
      {docker("quay..io", kIA), R"(invalid registry host "quay..io")"},
      {docker("quay.io", "[]"), R"(policy.json: transports.docker["quay.io"]: must not be empty)"},
      {docker("quay.io", R"({"type":"reject"})"),
       R"(transports.docker["quay.io"]: expected array, got object)"},
      {d(R"({"type":"signedBy","keyPath":"/x"})"), "policy.json: default[0].keyType: missing"},
      {d(R"({"type":"signedBy","keyType":"signedByGPGKeys","keyPath":"/x"})"),
       R"(default[0].keyType: "signedByGPGKeys" is not implemented)"},
      {d(R"({"type":"signedBy","keyType":"X509Certificates","keyPath":"/x"})"),
       "is not implemented"},
      {d(R"({"type":"signedBy","keyType":"RSA","keyPath":"/x"})"),
       R"(default[0].keyType: unknown keyType "RSA")"},
      {d(sb + R"("signedIdentity":{"type":"matchExact"}})"),
       "policy.json: default[0]: exactly one of keyPath, keyPaths, keyData must be present, found "
       "none"},
      {d(sb + R"("keyPath":"@DIR@/key.gpg",)" + kd + "}"), "found keyPath and keyData"},
      {d(sb + R"("keyDatas":["QUJD"]})"), "policy.json: default[0].keyDatas: unknown key"},
      {d(sb + R"("keyPath":"key.gpg"})"),
       R"(policy.json: default[0].keyPath: "key.gpg" must be an absolute path)"},
      {d(sb + R"("keyPath":""})"), R"(default[0].keyPath: "" must be an absolute path)"},
      {d(sb + R"("keyPath":"@DIR@/nope.gpg"})"),
       "policy.json: default[0].keyPath: @DIR@/nope.gpg: cannot open"},
      {d(sb + R"("keyPath":"@DIR@/link.gpg"})"),
       "default[0].keyPath: @DIR@/link.gpg: is a symbolic link, refused"},
      {d(sb + R"("keyPath":"@DIR@"})"), "default[0].keyPath: @DIR@: not a regular file"},
      {d(sb + R"("keyPath":"@DIR@/empty.gpg"})"),
       "default[0].keyPath: @DIR@/empty.gpg: empty key file"},
      {d(sb + R"("keyPath":5})"), "default[0].keyPath: expected string, got number"},
      {d(sb + R"("keyPaths":[]})"), "policy.json: default[0].keyPaths: must not be empty"},
      {d(sb + R"("keyPaths":"@DIR@/key.gpg"})"), "default[0].keyPaths: expected array, got string"},
      {d(sb + R"("keyPaths":["@DIR@/key.gpg",1]})"),
       "default[0].keyPaths[1]: expected string, got number"},
      {d(sb + R"("keyPaths":["@DIR@/key.gpg","@DIR@/nope.gpg"]})"),
       "default[0].keyPaths[1]: @DIR@/nope.gpg"},
      {d(sb + R"("keyData":"not base64!"})"), "default[0].keyData: invalid base64"},
      {d(sb + R"("keyData":""})"), "policy.json: default[0].keyData: empty key"},
      {d(sb + R"("keyData":"QUJDRA"})"), "default[0].keyData: invalid base64: length"},
      {d(sb + R"("keyData":"QUJDRF=="})"),
       "default[0].keyData: invalid base64: non-zero padding bits"},
      {d(sb + R"("keyData":"QU=D"})"), "default[0].keyData: invalid base64"},
      {d(sb + R"("keyData":"QUJD===="})"), "default[0].keyData: invalid base64"},
      {d(sb + R"("keyData":null})"), "default[0].keyData: expected string, got null"},
      {d(ss + R"("fulcio":{"caPath":"@DIR@/key.gpg","oidcIssuer":"i","subjectEmail":"e"}})"),
       "policy.json: default[0].fulcio: requires one of rekorPublicKeyPath"},
      {d(ss + R"("fulcio":{"caData":"QUJD","oidcIssuer":"i","subjectEmail":"e"},)" + kd +
         R"(,"rekorPublicKeyData":"QUJD"})"),
       "default[0]: exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must be "
       "present, found keyData and fulcio"},
      {d(ss + kd + R"(,"pki":{"caRootsData":"QUJD","subjectEmail":"e"}})"),
       "found keyData and pki"},
      {d(ss + kd + R"(,"rekorPublicKeyPath":"@DIR@/key.gpg","rekorPublicKeyData":"QUJD"})"),
       "default[0]: at most one of rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData "
       "and rekorPublicKeyDatas may be present, found rekorPublicKeyPath and rekorPublicKeyData"},
      {d(ss + R"("pki":{"caRootsData":"QUJD","subjectEmail":"e"},"rekorPublicKeyData":"QUJD"})"),
       "policy.json: default[0].rekorPublicKeyData: not supported with pki"},
      {d(ss + kd + R"(,"rekorPublicKeyPath":"r.pub"})"),
       R"(default[0].rekorPublicKeyPath: "r.pub" must be an absolute path)"},
      {d(ss + kd + R"(,"rekorPublicKeyPath":"@DIR@/link.gpg"})"),
       "default[0].rekorPublicKeyPath: @DIR@/link.gpg: is a symbolic link, refused"},
      {d(ss + kd + R"(,"rekorPublicKeyPaths":[]})"),
       "default[0].rekorPublicKeyPaths: must not be empty"},
      {d(ss + kd + R"(,"rekorPublicKeyDatas":["QUJD","!"]})"),
       "default[0].rekorPublicKeyDatas[1]: invalid base64"},
      {d(ss + kd + R"(,"rekorPublicKeyData":""})"), "default[0].rekorPublicKeyData: empty key"},
      {d(ss + R"("fulcio":{"oidcIssuer":"i","subjectEmail":"e"},"rekorPublicKeyData":"QUJD"})"),
       "default[0].fulcio: one of caPath and caData must be specified"},
      {d(ss +
         R"("fulcio":{"caPath":"@DIR@/key.gpg","caData":"QUJD","oidcIssuer":"i","subjectEmail":"e"},"rekorPublicKeyData":"QUJD"})"),
       "default[0].fulcio: caPath and caData cannot be used simultaneously"},
      {d(ss + R"("fulcio":{"caData":"QUJD","subjectEmail":"e"},"rekorPublicKeyData":"QUJD"})"),
       "default[0].fulcio.oidcIssuer: not specified"},
      {d(ss +
         R"("fulcio":{"caData":"QUJD","oidcIssuer":"","subjectEmail":"e"},"rekorPublicKeyData":"QUJD"})"),
       "default[0].fulcio.oidcIssuer: must not be empty"},
      {d(ss + R"("fulcio":{"caData":"QUJD","oidcIssuer":"i"},"rekorPublicKeyData":"QUJD"})"),
       "default[0].fulcio.subjectEmail: not specified"},
      {d(ss +
         R"("fulcio":{"caPath":"@DIR@/link.gpg","oidcIssuer":"i","subjectEmail":"e"},"rekorPublicKeyData":"QUJD"})"),
       "default[0].fulcio.caPath: @DIR@/link.gpg: is a symbolic link, refused"},
      {d(ss +
         R"("fulcio":{"caData":"QUJD","oidcIssuer":"i","subjectEmail":"e","x":1},"rekorPublicKeyData":"QUJD"})"),
       "default[0].fulcio.x: unknown key"},
      {d(ss + R"("fulcio":"x","rekorPublicKeyData":"QUJD"})"),
       "default[0].fulcio: expected object, got string"},
      {d(ss + R"("pki":{"subjectEmail":"e"}})"),
       "default[0].pki: one of caRootsPath and caRootsData must be specified"},
      {d(ss + R"("pki":{"caRootsData":"QUJD"}})"),
       "default[0].pki: at least one of subjectEmail and subjectHostname must be specified"},
      {d(ss +
         R"("pki":{"caRootsData":"QUJD","caIntermediatesPath":"@DIR@/key.gpg","caIntermediatesData":"QUJD","subjectHostname":"h"}})"),
       "default[0].pki: caIntermediatesPath and caIntermediatesData cannot be used simultaneously"},
      {d(ss + R"("pki":{"caRootsPath":"rel","subjectHostname":"h"}})"),
       R"(default[0].pki.caRootsPath: "rel" must be an absolute path)"},
      {d(ss +
         R"("pki":{"caRootsData":"QUJD","caIntermediatesPath":"@DIR@/empty.gpg","subjectHostname":"h"}})"),
       "default[0].pki.caIntermediatesPath: @DIR@/empty.gpg: empty key file"},
      {d(ss + R"("pki":{"caRootsData":"QUJD","subjectHostname":"h","subjectEmails":"e"}})"),
       "default[0].pki.subjectEmails: unknown key"},
      {d(ss + R"("keyDatas":[]})"), "default[0].keyDatas: must not be empty"},
      {d(ss + R"("keyDatas":["QUJD","!"]})"), "default[0].keyDatas[1]: invalid base64"},
      {d(ss + R"("keyType":"GPGKeys",)" + kd + "}"),
       "policy.json: default[0].keyType: unknown key"},
      {d(ss + R"("keyData":"QUJD","keyPaths":["@DIR@/key.gpg"]})"),
       "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must be present, found "
       "keyPaths and keyData"},
      {d(ss + R"("signedIdentity":{"type":"matchExact"}})"), "found none"},
      {ident(R"({"type":"matchExactly"})"),
       R"(policy.json: default[0].signedIdentity.type: unknown signedIdentity type "matchExactly")"},
      {ident(R"({})"), "default[0].signedIdentity.type: missing"},
      {ident(R"("matchExact")"), "default[0].signedIdentity: expected object, got string"},
      {ident(R"({"type":"matchExact","dockerReference":"a:b"})"),
       "default[0].signedIdentity.dockerReference: unknown key"},
      {ident(R"({"type":"matchRepository","x":null})"), "default[0].signedIdentity.x: unknown key"},
      {ident(R"({"type":"exactReference","dockerReference":"quay.io/a/b"})"),
       R"(default[0].signedIdentity.dockerReference: "quay.io/a/b" has neither a tag nor a digest)"},
      {ident(R"({"type":"exactReference","dockerReference":"quay.io/A:1"})"),
       "default[0].signedIdentity.dockerReference: invalid reference \"quay.io/A:1\": repository "
       "name must be lowercase"},
      {ident(R"({"type":"exactReference"})"), "default[0].signedIdentity.dockerReference: missing"},
      {ident(R"({"type":"exactReference","dockerRepository":"quay.io/a"})"),
       "default[0].signedIdentity.dockerRepository: unknown key"},
      {ident(R"({"type":"exactRepository","dockerRepository":"quay.io/a/b@sha256:x"})"),
       "default[0].signedIdentity.dockerRepository: invalid reference"},
      {ident(R"({"type":"exactRepository","dockerRepository":7})"),
       "default[0].signedIdentity.dockerRepository: expected string, got number"},
      {ident(R"({"type":"remapIdentity","prefix":"mirror.example"})"),
       "default[0].signedIdentity.signedPrefix: missing"},
      {ident(R"({"type":"remapIdentity","prefix":"busybox","signedPrefix":"example.com"})"),
       R"(default[0].signedIdentity.prefix: "busybox" is not a host[:port])"},
      {ident(
           R"({"type":"remapIdentity","prefix":"mirror.example","signedPrefix":"docker.io/library/busybox:latest"})"),
       "default[0].signedIdentity.signedPrefix: \"docker.io/library/busybox:latest\" is not"},
      {ident(R"({"type":"remapIdentity","prefix":"","signedPrefix":"example.com"})"),
       R"(default[0].signedIdentity.prefix: "" is not)"},
      {ident(
           R"({"type":"remapIdentity","prefix":"index.docker.io/library","signedPrefix":"example.com"})"),
       "default[0].signedIdentity.prefix: \"index.docker.io/library\" never matches"},
      {d(R"({"type":"signedBaseLayer"})"), "policy.json: default[0].baseLayerIdentity: missing"},
      {d(R"({"type":"signedBaseLayer","baseLayerIdentity":{"type":"nope"}})"),
       "default[0].baseLayerIdentity.type: unknown signedIdentity type"},
      {R"({"default":[{"type":"reject"}],"default":[{"type":"insecureAcceptAnything"}]})",
       "policy.json: line 1"},
      {R"({"default":[{"type":"reject","type":"insecureAcceptAnything"}]})",
       "duplicate key \"type\""},
      {"{\"default\":[{\"type\":\"reject\"}]} // comment", "policy.json: line 1"},
      {"", "policy.json: "},
  }));
  text = WithDir(text, dir.path());
  fragment = WithDir(fragment, dir.path());
  CAPTURE(text);
  auto p = ParsePolicy(text, "policy.json", TestOptions());
  REQUIRE_FALSE(p.ok());
  CHECK_THAT(p.error().message, Catch::Contains(fragment));
}

TEST_CASE("policy: key files must belong to root", "[verify]") {
  if (::geteuid() != 0) {
    WARN("not root: cannot create a key file owned by another user; ownership check not run");
    return;
  }
  TestDir dir;
  const std::string key = dir.Write("key.gpg", "KEY");
  REQUIRE(::chown(key.c_str(), 65534, 65534) == 0);
  const std::string text =
      R"({"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":")" + key + R"("}]})";
  auto p = ParsePolicy(text, "policy.json");
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().message ==
        "policy.json: default[0].keyPath: " + key + ": owned by uid 65534, not root: refused");
  const std::string writable = dir.Write("writable.gpg", "KEY", 0664);
  auto w = ParsePolicy(
      R"({"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":")" + writable + R"("}]})",
      "policy.json");
  REQUIRE_FALSE(w.ok());
  CHECK(w.error().message == "policy.json: default[0].keyPath: " + writable +
                                 ": mode 0664 is group- or world-writable: refused");
  // And the policy file itself.
  const std::string policy = dir.Write("policy.json", R"({"default":[{"type":"reject"}]})");
  REQUIRE(LoadPolicy(policy).ok());
  REQUIRE(::chown(policy.c_str(), 65534, 65534) == 0);
  auto l = LoadPolicy(policy);
  REQUIRE_FALSE(l.ok());
  CHECK_THAT(l.error().message, Catch::Contains("owned by uid 65534"));
}

TEST_CASE("policy: size limits", "[verify]") {
  TestDir dir;
  dir.Write("big.gpg", std::string(100, 'k'));
  PolicyOptions o = TestOptions();
  o.max_key_bytes = 99;
  auto p = ParsePolicy(
      WithDir(R"({"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"@DIR@/big.gpg"}]})",
              dir.path()),
      "policy.json", o);
  REQUIRE_FALSE(p.ok());
  CHECK_THAT(p.error().message, Catch::Contains("default[0].keyPath: " + dir.path() +
                                                "/big.gpg: larger than the limit of 99 bytes"));
  o.max_policy_bytes = 10;
  auto q = ParsePolicy(R"({"default":[{"type":"reject"}]})", "policy.json", o);
  REQUIRE_FALSE(q.ok());
  CHECK_THAT(q.error().message, Catch::StartsWith("policy.json: "));
}

TEST_CASE("policy: docker scope precedence", "[verify]") {
  const std::string text = R"({
    "default": [{"type": "reject"}],
    "transports": {"docker": {
      "": [{"type": "reject"}],
      "docker.io/library/busybox:1.36": )" +
                           kIA + R"(,
      "docker.io/library/busybox)" +
                           kD + R"(": )" + kIA + R"(,
      "docker.io/library/busybox": )" +
                           kIA + R"(,
      "docker.io/library": )" +
                           kIA + R"(,
      "docker.io": )" + kIA +
                           R"(,
      "quay.io/ns/sub": )" +
                           kIA + R"(,
      "*.example.com": )" + kIA +
                           R"(,
      "*.b.example.com": )" +
                           kIA + R"(,
      "registry.example.com:5000": )" +
                           kIA + R"(,
      "localhost:5000/team": )" +
                           kIA + R"(,
      "[::1]:5000": )" + kIA +
                           R"(,
      "*.1": )" + kIA + R"(
    }}
  })";
  auto p = ParsePolicy(text, "policy.json");
  REQUIRE(p.ok());
  auto [ref, scope] = GENERATE_COPY(table<std::string, std::string>({
      {"busybox:1.36", "docker.io/library/busybox:1.36"},
      {"busybox:latest", "docker.io/library/busybox"},
      {"docker.io/library/busybox", "docker.io/library/busybox"},
      {"busybox" + kD, "docker.io/library/busybox" + kD},
      {"busybox:1.36" + kD, "docker.io/library/busybox" + kD},  // the digest wins
      {"busybox:1.36" + kDO, "docker.io/library/busybox"},      // no fallback to the tag
      {"busybox" + kDO, "docker.io/library/busybox"},
      {"alpine:3", "docker.io/library"},
      {"library/alpine/sub:3", "docker.io/library"},
      {"someone/app:1", "docker.io"},
      {"quay.io/ns/sub:1", "quay.io/ns/sub"},
      {"quay.io/ns/sub/deeper/x:1", "quay.io/ns/sub"},
      {"quay.io/ns/subx:1", ""},
      {"quay.io/ns/other:1", ""},
      {"a.b.example.com/x:1", "*.b.example.com"},
      {"b.example.com/x:1", "*.example.com"},
      {"c.example.com:443/x:1", "*.example.com"},
      {"example.com/x:1", ""},
      {"registry.example.com:5000/x/y:1", "registry.example.com:5000"},
      {"registry.example.com/x:1", "*.example.com"},
      {"registry.example.com:5001/x:1", "*.example.com"},
      {"localhost:5000/team/app:1", "localhost:5000/team"},
      {"localhost/team/app:1", ""},
      {"[::1]:5000/app:1", "[::1]:5000"},
      {"[::1]/app:1", ""},
      {"10.0.0.1:5000/app:1", "*.1"},
  }));
  CAPTURE(ref);
  std::string matched;
  const auto& reqs = p->ForDocker(Ref(ref), &matched);
  CHECK(matched == "transports.docker[\"" + scope + "\"]");
  CHECK(reqs[0].type ==
        (scope.empty() ? RequirementType::kReject : RequirementType::kInsecureAcceptAnything));
}

TEST_CASE("policy: without a docker scope, the transport default, then default", "[verify]") {
  auto a = ParsePolicy(R"({"default":[{"type":"reject"}],
                           "transports":{"docker":{"quay.io":)" +
                           kIA + R"(}}})",
                       "policy.json");
  REQUIRE(a.ok());
  std::string matched;
  CHECK(a->ForDocker(Ref("busybox:1"), &matched)[0].type == RequirementType::kReject);
  CHECK(matched == "default");
  CHECK(a->ForDocker(Ref("quay.io/a/b:1"), &matched)[0].type ==
        RequirementType::kInsecureAcceptAnything);
  CHECK(matched == "transports.docker[\"quay.io\"]");

  auto b = ParsePolicy(R"({"default":[{"type":"reject"}],
                           "transports":{"dir":{"":)" +
                           kIA + R"(}}})",
                       "policy.json");
  REQUIRE(b.ok());
  CHECK(b->ForDocker(Ref("busybox:1"), &matched)[0].type == RequirementType::kReject);
  CHECK(matched == "default");
  CHECK(&b->ForDocker(Ref("busybox:1")) == &b->default_requirements);
}

namespace {

SignedIdentity Identity(const std::string& json) {
  auto p = ParsePolicy(
      R"({"default":[{"type":"sigstoreSigned","keyData":"QUJD","signedIdentity":)" + json + "}]}",
      "policy.json");
  INFO(json);
  REQUIRE(p.ok());
  return p->default_requirements[0].identity;
}

}  // namespace

TEST_CASE("policy: signedIdentity forms match as containers/image does", "[verify]") {
  const std::string rhel = "registry.access.redhat.com/rhel7/rhel:7.2.3";
  const std::string rhel_untagged = "registry.access.redhat.com/rhel7/rhel";
  const std::string exact = R"({"type":"matchExact"})";
  const std::string mrdoe = R"({"type":"matchRepoDigestOrExact"})";
  const std::string repo = R"({"type":"matchRepository"})";
  auto remap = [](const std::string& prefix, const std::string& signed_prefix) {
    return R"({"type":"remapIdentity","prefix":")" + prefix + R"(","signedPrefix":")" +
           signed_prefix + R"("})";
  };
  auto exact_ref = [](const std::string& r) {
    return R"({"type":"exactReference","dockerReference":")" + r + R"("})";
  };
  auto exact_repo = [](const std::string& r) {
    return R"({"type":"exactRepository","dockerRepository":")" + r + R"("})";
  };

  // identity, image reference, signature's docker-reference, accepted
  auto [identity, image, signature,
        accepted] = GENERATE_COPY(table<std::string, std::string, std::string, bool>({
      // matchExact
      {exact, "busybox:latest", "busybox:latest", true},
      {exact, rhel, rhel, true},
      {exact, "busybox" + kD, "busybox" + kD, true},
      {exact, "library/busybox:latest", "docker.io/library/busybox:latest", true},
      {exact, "busybox:latest", "busybox:notlatest", false},
      {exact, "busybox:latest", "notbusybox:latest", false},
      {exact, "busybox:latest", "hostname/library/busybox:latest", false},
      {exact, "busybox:latest", "busybox" + kD, false},
      {exact, "busybox" + kD, "busybox:latest", false},
      {exact, "busybox" + kD, "busybox" + kDO, false},
      {exact, "busybox", "busybox:latest", false},
      {exact, "busybox:latest", "busybox", false},
      {exact, "busybox", "busybox", false},
      {exact, "busybox:latest" + kD, "busybox:latest" + kD, true},
      {exact, "busybox:latest" + kD, "busybox" + kD, false},
      // matchRepoDigestOrExact
      {mrdoe, "busybox:latest", "busybox:latest", true},
      {mrdoe, "busybox:latest", "busybox:notlatest", false},
      {mrdoe, rhel + "tagsuffix", rhel, false},
      {mrdoe, "busybox:latest", "busybox" + kD, false},
      {mrdoe, "busybox" + kD, "busybox:latest", true},
      {mrdoe, "busybox" + kD, "busybox" + kDO, true},
      {mrdoe, "busybox" + kD, "notbusybox:latest", false},
      {mrdoe, "busybox" + kD, "busybox", false},
      {mrdoe, "busybox", "busybox:latest", false},
      {mrdoe, "busybox:latest", "busybox", false},
      {mrdoe, rhel, rhel_untagged, false},
      {mrdoe, "busybox:latest" + kD, "busybox:latest", false},
      {mrdoe, "busybox:latest", "busybox:latest" + kD, false},
      {mrdoe, "busybox:latest" + kD, "busybox:latest" + kD, true},
      // matchRepository
      {repo, "busybox:latest", "busybox:notlatest", true},
      {repo, rhel + "tagsuffix", rhel, true},
      {repo, "busybox", "busybox:notlatest", true},
      {repo, rhel, rhel_untagged, true},
      {repo, "busybox:latest", "busybox" + kD, true},
      {repo, "busybox" + kD, "busybox" + kDO, true},
      {repo, "busybox:latest", "notbusybox:latest", false},
      {repo, "hostname/library/busybox:latest", "busybox:latest", false},
      {repo, "busybox:latest", rhel, false},
      // exactReference: the image does not matter
      {exact_ref("busybox:latest"), "anything:else", "busybox:latest", true},
      {exact_ref("busybox:latest"), "anything:else", "docker.io/library/busybox:latest", true},
      {exact_ref("busybox:latest"), "busybox:latest", "busybox:notlatest", false},
      {exact_ref("busybox:latest"), "busybox:latest", "busybox", false},
      {exact_ref("busybox" + kD), "x:1", "busybox" + kD, true},
      {exact_ref("busybox" + kD), "x:1", "busybox" + kDO, false},
      // exactRepository
      {exact_repo("busybox"), "anything:else", "busybox:whatever", true},
      {exact_repo("busybox:latest"), "x:1", "busybox" + kD, true},
      {exact_repo("busybox"), "x:1", "busybox", true},
      {exact_repo("busybox"), "busybox:1", "notbusybox:1", false},
      {exact_repo("vendor-hostname/product/repository"), "hostname:5000/vendor/product:1",
       "docker.io/vendor-hostname/product/repository:1", true},
      // remapIdentity: no rewrite, then matchRepoDigestOrExact
      {remap("does-not-match.com", "does-not-match.rewritten"), "busybox:latest", "busybox:latest",
       true},
      {remap("does-not-match.com", "does-not-match.rewritten"), "busybox:latest",
       "notbusybox:latest", false},
      {remap("mirror.example", "public.com"), "mirror.example/busybox:1", "public.com/busybox:1",
       true},
      {remap("mirror.example", "public.com"), "mirror.example/busybox:1", "public.com/busybox:not1",
       false},
      {remap("mirror.example", "public.com"), "mirror.example/busybox:1",
       "mirror.example/busybox:1", false},
      {remap("mirror.example", "public.com"), "mirror.example/busybox" + kD,
       "public.com/busybox:anytag", true},
      {remap("mirror.example", "public.com"), "prefixmirror.example/ns/image:tag",
       "prefixmirror.example/ns/image:tag", true},
      {remap("mirror.example", "docker.io/library"), "mirror.example/busybox:latest",
       "busybox:latest", true},
      {remap("mirror.example", "docker.io/library"), "mirror.example/alpine:latest",
       "busybox:latest", false},
      {remap("docker.io/library", "original.com"), "copied:latest", "original.com/copied:latest",
       true},
      {remap("docker.io/library", "original.com"), "copied:latest", "original.com/ns/copied:latest",
       false},
      {remap("docker.io", "not-docker-signed.example/ns"), "busybox:1",
       "not-docker-signed.example/ns/library/busybox:1", true},
      {remap("docker.io/library/busybox", "not-docker-signed.example/ns/notbusybox"), "busybox:1",
       "not-docker-signed.example/ns/notbusybox:1", true},
      {remap("example.com/ns/mirror", "example.com/ns/vendor"), "example.com/ns/mirror:tag",
       "example.com/ns/vendor:tag", true},
      {remap("example.com/ns", "vendor.example"), "example.com/ns2/image:1",
       "vendor.example/image:1", false},
      {remap("example.com/ns", "vendor.example"), "example.com/ns2/image:1",
       "example.com/ns2/image:1", true},
      {remap("example.com:5000", "vendor.example"), "example.com:50000/image:1",
       "vendor.example/image:1", false},
      {remap("example.com", "vendor.example"), "example.com:5000/image:1", "vendor.example/image:1",
       false},
      {remap("private-mirror:5000/vendor-mirror", "vendor.example.com"),
       "private-mirror:5000/vendor-mirror/product-a/image1:latest",
       "vendor.example.com/product-a/image1:latest", true},
      // A rewrite that is not in fully expanded form never matches.
      {remap("mirror.example/ns/image", "vendor.example:5000"), "mirror.example/ns/image:tag",
       "vendor.example:5000/x:tag", false},
      {remap("docker.io", "example.com"), "example.com/busybox:1", "example.com/busybox:1", true},
      {remap("example.com", "docker.io"), "example.com/busybox:1", "busybox:1", false},
  }));
  CAPTURE(identity, image, signature);
  CHECK(MatchesSignedIdentity(Identity(identity), Ref(image), Ref(signature)) == accepted);
}

TEST_CASE("policy: signedIdentity defaults to matchRepoDigestOrExact", "[verify]") {
  auto p = ParsePolicy(R"({"default":[{"type":"signedBy","keyType":"GPGKeys","keyData":"QUJD"},
                                      {"type":"sigstoreSigned","keyData":"QUJD"}]})",
                       "policy.json");
  REQUIRE(p.ok());
  for (const auto& r : p->default_requirements) {
    CHECK(r.identity.type == IdentityMatch::kMatchRepoDigestOrExact);
    CHECK(moat::verify::IdentityMatchName(r.identity.type) ==
          std::string("matchRepoDigestOrExact"));
  }
  CHECK(moat::verify::RequirementTypeName(p->default_requirements[0].type) ==
        std::string("signedBy"));
  // A default-constructed requirement denies.
  CHECK(moat::verify::Requirement().type == RequirementType::kReject);
}

TEST_CASE("policy: keyData is standard base64 with padding", "[verify]") {
  auto [b64, bytes] = GENERATE(table<std::string, std::string>({
      {"QQ==", "A"},
      {"QUI=", "AB"},
      {"QUJD", "ABC"},
      {"QUJD\\nREVG", "ABCDEF"},  // Go's decoder skips newlines
      {"/+8=", "\xff\xef"},
  }));
  auto p = ParsePolicy(R"({"default":[{"type":"sigstoreSigned","keyData":")" + b64 + R"("}]})",
                       "policy.json");
  REQUIRE(p.ok());
  CHECK(p->default_requirements[0].keys[0].bytes == bytes);
}

TEST_CASE("policy: signedBaseLayer parses and is kept distinct", "[verify]") {
  auto p = ParsePolicy(R"({"default":[{"type":"signedBaseLayer",
                           "baseLayerIdentity":{"type":"exactRepository","dockerRepository":"quay.io/base"}}]})",
                       "policy.json");
  REQUIRE(p.ok());
  CHECK(p->default_requirements[0].type == RequirementType::kSignedBaseLayer);
  CHECK(p->default_requirements[0].identity.reference.Name() == "quay.io/base");
}

TEST_CASE("policy: sigstoreSigned fulcio, pki and rekorPublicKey* forms", "[verify]") {
  TestDir dir;
  dir.Write("ca.pem", "CA");
  dir.Write("rekor.pub", "REKOR");
  dir.Write("inter.pem", "INTER");
  const std::string text = WithDir(R"({"default":[
    {"type":"sigstoreSigned","fulcio":{"caPath":"@DIR@/ca.pem","oidcIssuer":"https://issuer",
      "subjectEmail":"a@example.com"},"rekorPublicKeyPath":"@DIR@/rekor.pub"},
    {"type":"sigstoreSigned","fulcio":{"caData":"QUJD","oidcIssuer":"i","subjectEmail":"e"},
      "rekorPublicKeyDatas":["QUJD","REVG"]},
    {"type":"sigstoreSigned","keyData":"QUJD","rekorPublicKeyPaths":["@DIR@/rekor.pub"]},
    {"type":"sigstoreSigned","keyData":"QUJD","rekorPublicKeyData":"REVG"},
    {"type":"sigstoreSigned","pki":{"caRootsPath":"@DIR@/ca.pem","caIntermediatesPath":"@DIR@/inter.pem",
      "subjectHostname":"host.example"}},
    {"type":"sigstoreSigned","pki":{"caRootsData":"QUJD","caIntermediatesData":"REVG",
      "subjectEmail":"e","subjectHostname":"h"},"signedIdentity":{"type":"matchRepository"}}]})",
                                   dir.path());
  auto p = ParsePolicy(text, "policy.json", TestOptions());
  REQUIRE(p.ok());
  const auto& r = p->default_requirements;
  REQUIRE(r.size() == 6);
  using moat::verify::SigstoreKeySource;
  CHECK(r[0].key_source == SigstoreKeySource::kFulcio);
  CHECK(r[0].fulcio.ca_source == dir.path() + "/ca.pem");
  CHECK(r[0].fulcio.ca_pem == "CA");
  CHECK(r[0].fulcio.oidc_issuer == "https://issuer");
  CHECK(r[0].fulcio.subject_email == "a@example.com");
  REQUIRE(r[0].rekor_keys.size() == 1);
  CHECK(r[0].rekor_keys[0].bytes == "REKOR");
  CHECK(r[0].keys.empty());
  CHECK(r[1].fulcio.ca_source == "default[1].fulcio.caData");
  CHECK(r[1].fulcio.ca_pem == "ABC");
  REQUIRE(r[1].rekor_keys.size() == 2);
  CHECK(r[1].rekor_keys[1].source == "rekorPublicKeyDatas[1]");
  CHECK(r[1].rekor_keys[1].bytes == "DEF");
  CHECK(r[2].key_source == SigstoreKeySource::kPublicKeys);
  CHECK(r[2].keys.size() == 1);
  CHECK(r[2].rekor_keys.size() == 1);
  CHECK(r[3].rekor_keys[0].source == "rekorPublicKeyData");
  CHECK(r[4].key_source == SigstoreKeySource::kPki);
  CHECK(r[4].pki.roots_pem == "CA");
  CHECK(r[4].pki.intermediates_pem == "INTER");
  CHECK(r[4].pki.subject_hostname == "host.example");
  CHECK(r[4].pki.subject_email.empty());
  CHECK(r[4].rekor_keys.empty());
  CHECK(r[5].pki.intermediates_pem == "DEF");
  CHECK(r[5].pki.subject_email == "e");
  CHECK(r[5].identity.type == IdentityMatch::kMatchRepository);
}

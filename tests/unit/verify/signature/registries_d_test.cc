#include "verify/signature/registries_d.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/unit/test_dir.h"

using moat::testing::TestDir;
using moat::verify::FileUrlPath;
using moat::verify::LoadRegistriesD;
using moat::verify::ParseNormalizedNamed;
using moat::verify::ParseRegistriesYaml;
using moat::verify::RegistriesD;
using moat::verify::RegistriesDOptions;
using moat::verify::SignatureDir;
using moat::verify::SignaturePath;

namespace {

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kFixtures = std::string(MOAT_TEST_FIXTURES) + "/registries.d";

// Checked-out fixtures belong to whoever checked them out.
RegistriesDOptions FixtureOptions() {
  RegistriesDOptions o;
  o.require_root_owned = false;
  return o;
}

moat::verify::Reference Ref(const std::string& s) {
  auto r = ParseNormalizedNamed(s);
  REQUIRE(r.ok());
  return *r;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("registries.d: the distribution default file configures nothing", "[verify]") {
  auto r = LoadRegistriesD(kFixtures + "/debian", FixtureOptions());
  REQUIRE(r.ok());
  CHECK_FALSE(r->default_docker.has_value());
  CHECK(r->docker.empty());
  auto base = r->LookasideFor(Ref("busybox:latest"));
  REQUIRE(base.ok());
  CHECK(base->dir == "/var/lib/containers/sigstore");
  CHECK(base->origin == "built-in default");
  CHECK_FALSE(r->UseSigstoreAttachments(Ref("busybox:latest")));
}

TEST_CASE("registries.d: a missing directory is an empty configuration", "[verify]") {
  auto r = LoadRegistriesD("/nonexistent/registries.d");
  REQUIRE(r.ok());
  CHECK(r->docker.empty());
}

TEST_CASE("registries.d: files merge; lookups go from the most specific scope", "[verify]") {
  const std::string dir = kFixtures + "/merged";
  auto r = LoadRegistriesD(dir, FixtureOptions());
  INFO((r.ok() ? std::string() : r.error().Describe()));
  REQUIRE(r.ok());
  REQUIRE(r->default_docker.has_value());
  CHECK(r->default_docker->lookaside == "file:///srv/company/signatures/");
  CHECK(r->default_docker->use_sigstore_attachments == false);
  CHECK(r->docker.size() == 9);  // old.yml and README are not read
  CHECK(r->docker.at("localhost").lookaside.empty());
  CHECK(r->docker.at("docker.io/centos/mybetaproduct").lookaside_staging ==
        "file:///srv/mybetaWIP/lookaside");

  const std::string company = dir + "/company.yaml: ";
  const std::string internal = dir + "/internal.yaml: ";
  auto [ref, base, origin] = GENERATE_COPY(table<std::string, std::string, std::string>({
      {"docker.io/centos/mybetaproduct:latest", "/srv/beta-latest",
       company + "docker[\"docker.io/centos/mybetaproduct:latest\"].sigstore"},
      // The repository's section has no lookaside: the search goes on.
      {"docker.io/centos/mybetaproduct:1", "/srv/centos mirror/lookaside",
       company + "docker[\"docker.io/centos\"].lookaside"},
      {"docker.io/centos/other:1", "/srv/centos mirror/lookaside",
       company + "docker[\"docker.io/centos\"].lookaside"},
      {"busybox:latest", "/srv/company/signatures", company + "default-docker.lookaside"},
      {"registry.example.com/app:1", "/var/lib/moat/lookaside",
       internal + "docker[\"registry.example.com\"].lookaside"},
      {"registry.example.com:5000/ns/app:1", "/var/lib/moat/lookaside-5000",
       internal + "docker[\"registry.example.com:5000\"].lookaside"},
      {"registry.example.com:5001/app:1", "/srv/company/signatures",
       company + "default-docker.lookaside"},
      {"a.dev.example.com/x:1", "/var/lib/moat/dev",
       internal + "docker[\"*.dev.example.com\"].lookaside"},
      {"dev.example.com/x:1", "/srv/company/signatures", company + "default-docker.lookaside"},
      {"localhost/x:1", "/srv/company/signatures", company + "default-docker.lookaside"},
      {"quay.io/team/app@sha256:" + kHex, "/var/lib/moat/pinned",
       internal + "docker[\"quay.io/team/app@sha256:" + kHex + "\"].lookaside"},
      {"quay.io/team/app:1", "/srv/company/signatures", company + "default-docker.lookaside"},
  }));
  CAPTURE(ref);
  auto b = r->LookasideFor(Ref(ref));
  INFO((b.ok() ? std::string() : b.error().Describe()));
  REQUIRE(b.ok());
  CHECK(b->dir == base);
  CHECK(b->origin == origin);
}

TEST_CASE("registries.d: a network lookaside is refused, naming the section", "[verify]") {
  const std::string dir = kFixtures + "/merged";
  auto r = LoadRegistriesD(dir, FixtureOptions());
  REQUIRE(r.ok());
  auto b = r->LookasideFor(Ref("docker.io/contoso/app:1"));
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().message == dir +
                                 "/company.yaml: docker[\"docker.io/contoso\"].lookaside: "
                                 "\"https://lookaside.contoso.com/fordocker\" is not a file:// "
                                 "URL: moat reads signatures only from local files (the runtime "
                                 "never uses the network)");
}

TEST_CASE("registries.d: use-sigstore-attachments", "[verify]") {
  auto r = LoadRegistriesD(kFixtures + "/merged", FixtureOptions());
  REQUIRE(r.ok());
  CHECK(r->UseSigstoreAttachments(Ref("docker.io/centos/mybetaproduct:1")));
  CHECK(r->UseSigstoreAttachments(Ref("docker.io/centos/mybetaproduct:latest")));
  CHECK_FALSE(r->UseSigstoreAttachments(Ref("docker.io/centos/other:1")));
  CHECK_FALSE(r->UseSigstoreAttachments(Ref("busybox")));

  auto y = ParseRegistriesYaml("default-docker:\n  use-sigstore-attachments: TRUE\n", "y.yaml");
  REQUIRE(y.ok());
  CHECK(y->UseSigstoreAttachments(Ref("busybox")));
}

TEST_CASE("registries.d: a scope or default-docker in two files is an error", "[verify]") {
  auto s = LoadRegistriesD(kFixtures + "/dup-scope", FixtureOptions());
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message == "\"docker\" scope \"quay.io/team\" defined both in " + kFixtures +
                                 "/dup-scope/a.yaml and " + kFixtures + "/dup-scope/b.yaml");
  auto d = LoadRegistriesD(kFixtures + "/dup-default", FixtureOptions());
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().message == "\"default-docker\" defined both in " + kFixtures +
                                 "/dup-default/a.yaml and " + kFixtures + "/dup-default/b.yaml");
}

TEST_CASE("registries.d: invalid fixture files", "[verify]") {
  auto [file, fragment] = GENERATE(table<std::string, std::string>({
      {"unknown-key.yaml", ": docker[\"quay.io\"].lookasid: unknown key (line 4)"},
      {"duplicate-key.yaml", ": line 4, column 3: duplicate key \"quay.io\""},
      {"two-documents.yaml", ": line 4, column 1: more than one YAML document"},
      {"alias.yaml", ": line 1, column 9: anchors are not supported"},
  }));
  const std::string path = kFixtures + "/invalid/" + file;
  auto r = ParseRegistriesYaml(ReadFile(path), path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == path + fragment);
}

TEST_CASE("registries.d: every error names the file and the field", "[verify]") {
  auto [text, fragment] = GENERATE(table<std::string, std::string>({
      {"docker:\n  quay.io:\n    lookasid: file:///x\n",
       "x.yaml: docker[\"quay.io\"].lookasid: unknown key (line 3)"},
      {"dockr: {}\n", "x.yaml: dockr: unknown key (line 1)"},
      {"docker:\n  quay.io: {}\n  quay.io: {}\n", "x.yaml: line 3, column 3: duplicate key"},
      {"docker: {}\ndocker: {}\n", "x.yaml: line 2, column 1: duplicate key \"docker\""},
      {"a: 1\n---\nb: 2\n", "x.yaml: line 2, column 1: more than one YAML document"},
      {"docker: {quay.io: *x}\n", "aliases are not supported"},
      {"docker: !!map {}\n", "x.yaml: line 1, column 9: explicit tags are not supported"},
      {"docker:\n  quay.io:\n    lookaside: !!str file:///x\n", "explicit tags are not supported"},
      {"docker:\n  quay.io:\n    lookaside: [a]\n",
       "x.yaml: docker[\"quay.io\"].lookaside: expected a string, got sequence (line 3)"},
      {"docker:\n  quay.io:\n    use-sigstore-attachments: maybe\n",
       "x.yaml: docker[\"quay.io\"].use-sigstore-attachments: expected true or false"},
      {"docker:\n  quay.io:\n    use-sigstore-attachments: 'true'\n",
       "use-sigstore-attachments: expected true or false"},
      {"docker:\n  busybox:\n    lookaside: file:///x\n",
       "x.yaml: docker[\"busybox\"]: \"busybox\" is not a registry host"},
      {"docker:\n  docker.io/busybox:latest: {}\n",
       "x.yaml: docker[\"docker.io/busybox:latest\"]: invalid reference"},
      {"docker:\n  \"\":\n    lookaside: file:///x\n", "x.yaml: docker[\"\"]: empty scope"},
      {"docker: [a]\n", "x.yaml: docker: expected a mapping, got sequence (line 1)"},
      {"docker: x\n", "x.yaml: docker: expected a mapping, got scalar"},
      {"default-docker: 5\n", "x.yaml: default-docker: expected a mapping, got scalar"},
      {"docker:\n  quay.io: x\n", "x.yaml: docker[\"quay.io\"]: expected a mapping, got scalar"},
      {"- a\n", "x.yaml: expected a mapping at the top level, got sequence"},
      {"just a string\n", "x.yaml: expected a mapping at the top level, got scalar"},
      {"docker:\n  ? [a]\n  : b\n", "x.yaml: line 2, column 5: mapping keys must be scalars"},
      {"docker: {quay.io: {lookaside: file:///x}\n", "x.yaml: line "},
      {"docker:\n\tquay.io: {}\n", "x.yaml: line 2"},
      {"docker: \"unterminated\n", "x.yaml: line "},
  }));
  CAPTURE(text);
  auto r = ParseRegistriesYaml(text, "x.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains(fragment));
  CHECK_THAT(r.error().message, Catch::StartsWith("x.yaml: "));
}

TEST_CASE("registries.d: empty and null forms configure nothing", "[verify]") {
  for (const char* text : {"", "# only a comment\n", "---\n", "{}\n", "~\n", "docker:\n",
                           "default-docker:\n", "docker: {}\ndefault-docker: null\n"}) {
    CAPTURE(text);
    auto r = ParseRegistriesYaml(text, "x.yaml");
    REQUIRE(r.ok());
    CHECK_FALSE(r->default_docker.has_value());
    CHECK(r->docker.empty());
  }
  // A null scope is an (empty) section: it counts for duplicates across files.
  auto r = ParseRegistriesYaml("docker:\n  quay.io:\n  quay.io/x: ~\n", "x.yaml");
  REQUIRE(r.ok());
  CHECK(r->docker.size() == 2);
  auto other = ParseRegistriesYaml("docker:\n  quay.io:\n    lookaside: file:///a\n", "y.yaml");
  REQUIRE(other.ok());
  moat::Status st = moat::verify::MergeRegistriesD(&r.value(), std::move(other.value()));
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message == "\"docker\" scope \"quay.io\" defined both in x.yaml and y.yaml");
}

TEST_CASE("registries.d: file:// URLs only", "[verify]") {
  auto [url, path] = GENERATE(table<std::string, std::string>({
      {"file:///var/lib/containers/sigstore", "/var/lib/containers/sigstore"},
      {"file:///var/lib/containers/sigstore/", "/var/lib/containers/sigstore"},
      {"FILE:///srv/x//", "/srv/x"},
      {"file:///", ""},
      {"file:///srv/a%20b/%41", "/srv/a b/A"},
      {"file:///srv/.hidden/x", "/srv/.hidden/x"},
  }));
  auto p = FileUrlPath(url);
  REQUIRE(p.ok());
  CHECK(*p == path);

  for (const char* bad :
       {"https://example.com/sigs", "http://localhost:4242/lookaside", "/srv/plain/path",
        "file:/srv/x", "file://localhost/srv/x", "file://host/srv/x", "file:///srv/x?y",
        "file:///srv/x#y", "file:///srv/../etc", "file:///srv/./x", "file:///srv/%2", "file:///%00",
        "file:///srv/%zz", ":emptyscheme", "file:relative", ""}) {
    CAPTURE(bad);
    auto e = FileUrlPath(bad);
    REQUIRE_FALSE(e.ok());
    CHECK_THAT(e.error().message, Catch::Contains("is not a file:// URL"));
  }
}

TEST_CASE("registries.d: signature paths leave the registry host out", "[verify]") {
  const std::string digest = "sha256:" + kHex;
  auto a = SignatureDir("/srv/sigs", Ref("busybox:latest"), digest);
  REQUIRE(a.ok());
  CHECK(*a == "/srv/sigs/library/busybox@sha256=" + kHex);
  CHECK(SignaturePath(*a, 1) == "/srv/sigs/library/busybox@sha256=" + kHex + "/signature-1");
  CHECK(SignaturePath(*a, 12) == *a + "/signature-12");

  // Two registries with the same repository path share a directory.
  auto q = SignatureDir("/srv/sigs", Ref("quay.io/ns/app:1"), digest);
  auto o = SignatureDir("/srv/sigs", Ref("other.example:5000/ns/app@" + digest), digest);
  REQUIRE(q.ok());
  REQUIRE(o.ok());
  CHECK(*q == "/srv/sigs/ns/app@sha256=" + kHex);
  CHECK(*q == *o);

  // The root as base.
  auto root = SignatureDir("", Ref("quay.io/ns/app:1"), digest);
  REQUIRE(root.ok());
  CHECK(*root == "/ns/app@sha256=" + kHex);

  for (const std::string& bad : {kHex, "sha256:" + kHex.substr(1), "sha512:" + kHex,
                                 "sha256:" + kHex + "/../x", std::string("sha256:../../etc")}) {
    CAPTURE(bad);
    auto e = SignatureDir("/srv/sigs", Ref("busybox"), bad);
    REQUIRE_FALSE(e.ok());
    CHECK_THAT(e.error().message, Catch::StartsWith("invalid manifest digest"));
  }
}

TEST_CASE("registries.d: files and directory must be root's", "[verify]") {
  TestDir dir;
  dir.Write("a.yaml", "docker:\n  quay.io:\n    lookaside: file:///srv/q\n");
  REQUIRE(LoadRegistriesD(dir.path()).ok() == (::geteuid() == 0));
  if (::geteuid() != 0) {
    WARN("not root: cannot create root-owned files; ownership checks not run");
    return;
  }
  {
    const std::string b = dir.Write("b.yaml", "docker: {}\n", 0664);
    auto r = LoadRegistriesD(dir.path());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == b + ": mode 0664 is group- or world-writable: refused");
    ::unlink(b.c_str());
  }
  {
    const std::string c = dir.Write("c.yaml", "docker: {}\n");
    REQUIRE(::chown(c.c_str(), 65534, 65534) == 0);
    auto r = LoadRegistriesD(dir.path());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == c + ": owned by uid 65534, not root: refused");
    ::unlink(c.c_str());
  }
  {
    const std::string target = dir.Write("target.txt", "docker: {}\n");
    const std::string link = dir.path() + "/link.yaml";
    REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
    auto r = LoadRegistriesD(dir.path());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == link + ": is a symbolic link, refused");
    ::unlink(link.c_str());
  }
  {
    REQUIRE(::chmod(dir.path().c_str(), 0777) == 0);
    auto r = LoadRegistriesD(dir.path());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == dir.path() + ": directory is group- or world-writable: refused");
    REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  }
  auto ok = LoadRegistriesD(dir.path());
  REQUIRE(ok.ok());
  CHECK(ok->docker.size() == 1);
}

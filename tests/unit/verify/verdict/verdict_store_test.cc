#include "verify/verdict/verdict_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "tests/unit/test_dir.h"
#include "verify/common/digest.h"

using moat::testing::TestDir;
using moat::verify::DigestOf;
using moat::verify::ReadVerdicts;
using moat::verify::VerdictDir;
using moat::verify::VerdictStoreOptions;
using moat::verify::WriteVerdict;

namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

VerdictStoreOptions Options() {
  VerdictStoreOptions o;
  o.require_root_owned = ::geteuid() == 0;
  return o;
}

std::string NameOf(const std::string& bytes) { return DigestOf(bytes).substr(7) + ".json"; }

}  // namespace

TEST_CASE("verdict store: the layout, writing twice, reading in name order") {
  TestDir dir;
  const std::string store = dir.path() + "/store";
  CHECK(VerdictDir(store, kDigest) == store + "/sha256/" + std::string(64, 'a'));
  auto none = ReadVerdicts(store, kDigest, Options());
  REQUIRE(none.ok());
  CHECK(none->empty());

  auto a = WriteVerdict(store, kDigest, "{\"a\":1}", Options());
  REQUIRE(a.ok());
  CHECK(*a == VerdictDir(store, kDigest) + "/" + NameOf("{\"a\":1}"));
  auto again = WriteVerdict(store, kDigest, "{\"a\":1}", Options());
  REQUIRE(again.ok());
  CHECK(*again == *a);
  REQUIRE(WriteVerdict(store, kDigest, "{\"b\":2}", Options()).ok());
  struct stat st {};
  REQUIRE(::stat(a->c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);

  // Other names (a temporary file, a note) are not verdicts.
  dir.Write("store/sha256/" + std::string(64, 'a') + "/README", "notes");
  dir.Write("store/sha256/" + std::string(64, 'a') + "/.x.json.moat-1234", "partial");
  auto read = ReadVerdicts(store, kDigest, Options());
  REQUIRE(read.ok());
  REQUIRE(read->size() == 2);
  CHECK((*read)[0].path < (*read)[1].path);
  for (const auto& v : *read) {
    CHECK(v.problem.empty());
    CHECK((v.bytes == "{\"a\":1}" || v.bytes == "{\"b\":2}"));
  }
  auto other = ReadVerdicts(store, "sha256:" + std::string(64, 'b'), Options());
  REQUIRE(other.ok());
  CHECK(other->empty());
}

TEST_CASE("verdict store: a file whose bytes changed, or a symlink, is unusable, not fatal") {
  TestDir dir;
  const std::string store = dir.path() + "/store";
  auto path = WriteVerdict(store, kDigest, "{\"a\":1}", Options());
  REQUIRE(path.ok());
  dir.Write(path->substr(dir.path().size() + 1), "{\"a\":2}");
  const std::string rel = "store/sha256/" + std::string(64, 'a') + "/";
  const std::string target = dir.Write("elsewhere.json", "{}");
  REQUIRE(::symlink(target.c_str(), (dir.path() + "/" + rel + NameOf("{}")).c_str()) == 0);
  auto read = ReadVerdicts(store, kDigest, Options());
  REQUIRE(read.ok());
  REQUIRE(read->size() == 2);
  int changed = 0, linked = 0;
  for (const auto& v : *read) {
    CHECK(v.bytes.empty());
    if (v.problem ==
        v.path + ": contents do not hash to the file name (changed after it was stored)")
      ++changed;
    if (v.problem == v.path + ": is a symbolic link, refused") ++linked;
  }
  CHECK(changed == 1);
  CHECK(linked == 1);
}

TEST_CASE("verdict store: limits and bad digests") {
  TestDir dir;
  const std::string store = dir.path() + "/store";
  VerdictStoreOptions small = Options();
  small.max_files = 2;
  small.max_file_bytes = 16;
  for (const char* body : {"1", "2", "3"})
    REQUIRE(WriteVerdict(store, kDigest, body, Options()).ok());
  auto many = ReadVerdicts(store, kDigest, small);
  REQUIRE_FALSE(many.ok());
  CHECK(many.error().message ==
        VerdictDir(store, kDigest) + ": 3 verdicts, more than the limit of 2: refused");
  auto big = WriteVerdict(store, kDigest, std::string(17, 'x'), small);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message == "envelope of 17 bytes is larger than the store's limit of 16");
  auto bad = ReadVerdicts(store, "sha256:ABC", Options());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "\"sha256:ABC\" is not a sha256:<64 hex> digest");
  CHECK_FALSE(WriteVerdict(store, "sha512:aa", "{}", Options()).ok());
}

TEST_CASE("verdict store: a digest directory that is a symlink is refused") {
  TestDir dir;
  const std::string store = dir.path() + "/store";
  REQUIRE(WriteVerdict(store, "sha256:" + std::string(64, 'b'), "{}", Options()).ok());
  REQUIRE(::symlink((store + "/sha256/" + std::string(64, 'b')).c_str(),
                    VerdictDir(store, kDigest).c_str()) == 0);
  auto read = ReadVerdicts(store, kDigest, Options());
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().message ==
        VerdictDir(store, kDigest) + ": not a directory (or a symbolic link): refused");
}

TEST_CASE("verdict store: directories and files only root can change") {
  if (::geteuid() != 0) {
    WARN("not root: cannot create files owned by another user; ownership checks not run");
    return;
  }
  TestDir dir;
  const std::string store = dir.path() + "/store";
  auto path = WriteVerdict(store, kDigest, "{}");
  REQUIRE(path.ok());
  REQUIRE(::chown(path->c_str(), 65534, 65534) == 0);
  auto read = ReadVerdicts(store, kDigest);
  REQUIRE(read.ok());
  REQUIRE(read->size() == 1);
  CHECK((*read)[0].problem == *path + ": owned by uid 65534, not root: refused");
  REQUIRE(::chmod(VerdictDir(store, kDigest).c_str(), 0777) == 0);
  read = ReadVerdicts(store, kDigest);
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().message ==
        VerdictDir(store, kDigest) + ": directory is group- or world-writable: refused");
  REQUIRE(::chmod(store.c_str(), 0775) == 0);
  read = ReadVerdicts(store, kDigest);
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().message == store + ": directory is group- or world-writable: refused");
}

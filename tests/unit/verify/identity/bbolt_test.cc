#include "verify/identity/bbolt.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/test_dir.h"
#include "tests/unit/verify/identity/bolt_builder.h"

namespace {

using moat::testing::BoltBranch;
using moat::testing::BoltBucketValue;
using moat::testing::BoltFile;
using moat::testing::BoltItem;
using moat::testing::BoltLeaf;
using moat::testing::BoltNode;
using moat::testing::BoltPut;
using moat::testing::BoltResum;
using moat::testing::BoltTreeWriter;
using moat::testing::kBoltPageSize;
using moat::verify::BoltDb;
using moat::verify::BoltEntry;
using moat::verify::BoltParseForFuzz;
using Path = std::vector<std::string>;

const std::string kFixtures = std::string(MOAT_TEST_FIXTURES) + "/bbolt/";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// "key" for each entry of a bucket, "key/" for a nested bucket.
std::vector<std::string> Keys(const BoltDb& db, const Path& path) {
  std::vector<std::string> out;
  auto s = db.ForEach(path, [&](const BoltEntry& e) {
    out.push_back(std::string(e.key) + (e.is_bucket ? "/" : ""));
    return moat::Status::Ok();
  });
  REQUIRE(s.ok());
  return out;
}

std::string Value(const BoltDb& db, const Path& path, const std::string& key) {
  auto v = db.Get(path, key);
  REQUIRE(v.ok());
  REQUIRE(v->has_value());
  return **v;
}

std::string Fails(std::string bytes) {
  auto db = BoltDb::FromBytes(std::move(bytes));
  if (!db.ok()) return db.error().message;
  auto all = db->CheckAll();
  REQUIRE_FALSE(all.ok());
  return all.error().message;
}

/// The fixture's label value: "000000000,000000001,...,000000399,".
std::string BigLabel() {
  std::string out;
  char buf[16];
  for (int i = 0; i < 400; ++i) {
    (void)std::snprintf(buf, sizeof buf, "%09d,", i);
    out += buf;
  }
  return out;
}

}  // namespace

TEST_CASE("bbolt: FNV-1a 64", "[containerd][bbolt]") {
  CHECK(moat::verify::BoltFnv64a("") == 0xcbf29ce484222325ull);
  CHECK(moat::verify::BoltFnv64a("a") == 0xaf63dc4c8601ec8cull);
  CHECK(moat::verify::BoltFnv64a("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("bbolt: containerd 1.6's meta.db", "[containerd][bbolt]") {
  const std::string facts = ReadAll(kFixtures + "facts.txt");
  const std::string manifest = facts.substr(facts.find("manifest ") + 9, 71);
  auto db = BoltDb::Open(kFixtures + "meta.db");
  REQUIRE(db.ok());
  CHECK(db->txid() > 2);
  CHECK(Keys(*db, {}) == std::vector<std::string>{"v1/"});
  CHECK(Keys(*db, {"v1"}) == std::vector<std::string>{"moat/", "version"});
  CHECK(Keys(*db, {"v1", "moat"}) ==
        std::vector<std::string>{"containers/", "content/", "images/", "leases/", "snapshots/"});
  CHECK(Keys(*db, {"v1", "moat", "images"}) ==
        std::vector<std::string>{"moat.test/tag1:1/", "moat.test/tag2:1/", "moat.test/tag3:1/",
                                 "moat.test/tiny:1/"});
  const Path c1 = {"v1", "moat", "containers", "c1"};
  CHECK(Value(*db, c1, "image") == "moat.test/tiny:1");
  CHECK(Value(*db, c1, "snapshotter") == "overlayfs");
  CHECK(Value(*db, c1, "snapshotKey") == "c1");
  CHECK(Value(*db, {"v1", "moat", "images", "moat.test/tag2:1", "target"}, "digest") == manifest);
  CHECK(Value(*db, {"v1", "moat", "images", "moat.test/tiny:1", "target"}, "mediatype") ==
        "application/vnd.oci.image.manifest.v1+json");
  // Two 4000-byte labels on one page: an overflow page.
  const Path big = {"v1", "moat", "containers", "big", "labels"};
  CHECK(Value(*db, big, "big1") == BigLabel());
  CHECK(Value(*db, big, "big2") == BigLabel());
  // The container's spec (> 10 KiB, overflow) sits in a bucket spread over a branch page.
  auto spec = db->Get({"v1", "moat", "containers", "big"}, "spec");
  REQUIRE(spec.ok());
  REQUIRE(spec->has_value());
  CHECK((*spec)->size() > 10000);
  CHECK((*spec)->find("\"ociVersion\"") != std::string::npos);
  CHECK(Value(*db, {"v1", "moat", "containers", "big"}, "snapshotKey") == "big");

  SECTION("absent things") {
    auto v = db->Get(c1, "nope");
    REQUIRE(v.ok());
    CHECK_FALSE(v->has_value());
    v = db->Get({"v1", "nope", "containers"}, "image");
    REQUIRE(v.ok());
    CHECK_FALSE(v->has_value());
    v = db->Get(c1, "labels");  // a bucket, not a value (as bbolt's Get)
    REQUIRE(v.ok());
    CHECK_FALSE(v->has_value());
    v = db->Get({"v1", "moat", "containers", "c1", "image"}, "x");  // a value, not a bucket
    REQUIRE(v.ok());
    CHECK_FALSE(v->has_value());
    auto e = db->BucketExists({"v1", "moat", "containers", "c2"});
    REQUIRE(e.ok());
    CHECK_FALSE(*e);
    e = db->BucketExists(c1);
    REQUIRE(e.ok());
    CHECK(*e);
    auto s = db->ForEach({"v1", "moat", "nope"}, [](const BoltEntry&) { return moat::Status(); });
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().err == ENOENT);
  }
  SECTION("a callback error stops ForEach") {
    int calls = 0;
    auto s = db->ForEach({"v1", "moat", "images"}, [&](const BoltEntry&) -> moat::Status {
      return ++calls == 2 ? moat::Status(moat::Error{"stop"}) : moat::Status::Ok();
    });
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message == "stop");
    CHECK(calls == 2);
  }
  SECTION("the whole file walks, through branch, overflow and inline pages") {
    auto stats = db->CheckAll();
    REQUIRE(stats.ok());
    CHECK(stats->branch_pages >= 1);
    CHECK(stats->overflow_pages >= 2);
    CHECK(stats->inline_buckets >= 4);
    CHECK(stats->buckets > stats->inline_buckets);
    CHECK(BoltParseForFuzz(ReadAll(kFixtures + "meta.db")).ok());
  }
}

TEST_CASE("bbolt: the overlayfs snapshotter's metadata.db", "[containerd][bbolt]") {
  auto db = BoltDb::Open(kFixtures + "overlayfs.db");
  REQUIRE(db.ok());
  CHECK(Keys(*db, {"v1"}) == std::vector<std::string>{"parents/", "snapshots/"});
  const std::vector<std::string> names = Keys(*db, {"v1", "snapshots"});
  REQUIRE(names.size() == 3);
  CHECK(names[1] == "moat/3/big/");
  CHECK(names[2] == "moat/4/c1/");
  const Path c1 = {"v1", "snapshots", "moat/4/c1"};
  CHECK(Value(*db, c1, "id") == std::string("\x03", 1));
  CHECK(Value(*db, c1, "kind") == std::string("\x02", 1));
  CHECK(Value(*db, c1, "parent") == names[0].substr(0, names[0].size() - 1));
}

TEST_CASE("bbolt: Open refuses what is not a plain file", "[containerd][bbolt]") {
  moat::testing::TestDir dir;
  const std::string file = dir.Write("meta.db", ReadAll(kFixtures + "meta.db"));
  REQUIRE(::symlink(file.c_str(), (dir.path() + "/link.db").c_str()) == 0);
  auto db = BoltDb::Open(dir.path() + "/link.db");
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().message.find("symbolic link") != std::string::npos);
  db = BoltDb::Open(dir.path());
  REQUIRE_FALSE(db.ok());
  const uid_t other = ::geteuid() + 1;
  db = BoltDb::Open(file, &other);
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().message.find("owned by uid") != std::string::npos);
  const uid_t me = ::geteuid();
  CHECK(BoltDb::Open(file, &me).ok());
  dir.Write("meta.db", ReadAll(kFixtures + "meta.db"), 0664);
  db = BoltDb::Open(file, &me);
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().message.find("group- or world-writable") != std::string::npos);
}

TEST_CASE("bbolt: a tree written page by page", "[containerd][bbolt]") {
  BoltNode root;
  BoltNode& v1 = root.B("v1");
  v1.V("version", "\x06");
  v1.B("small").V("a", "1").V("b", "2");                     // inline
  v1.B("large").V("k", std::string(3000, 'x')).V("l", "y");  // own page
  v1.B("huge").V("h", std::string(9000, 'z'));               // overflow
  v1.B("outer").B("inner").V("deep", "value");               // nested
  auto db = BoltDb::FromBytes(BoltTreeWriter().Write(root));
  REQUIRE(db.ok());
  CHECK(Keys(*db, {"v1"}) ==
        std::vector<std::string>{"huge/", "large/", "outer/", "small/", "version"});
  CHECK(Value(*db, {"v1", "small"}, "b") == "2");
  CHECK(Value(*db, {"v1", "large"}, "k") == std::string(3000, 'x'));
  CHECK(Value(*db, {"v1", "huge"}, "h") == std::string(9000, 'z'));
  CHECK(Value(*db, {"v1", "outer", "inner"}, "deep") == "value");
  auto stats = db->CheckAll();
  REQUIRE(stats.ok());
  CHECK(stats->inline_buckets == 2);  // small, inner
  CHECK(stats->overflow_pages == 2);
  CHECK(stats->values == 7);
}

TEST_CASE("bbolt: branch pages are searched as bbolt's cursor does", "[containerd][bbolt]") {
  // Root: a branch over two leaves; "b" and "m" are where the leaves start.
  const std::string leaf1 = BoltLeaf(4, {{"b", "1"}, {"c", "2"}});
  const std::string leaf2 = BoltLeaf(5, {{"m", "3"}, {"z", "4"}});
  const std::string file =
      BoltFile({{3, BoltBranch(3, {{"b", 4}, {"m", 5}})}, {4, leaf1}, {5, leaf2}}, 3);
  auto db = BoltDb::FromBytes(file);
  REQUIRE(db.ok());
  CHECK(Value(*db, {}, "c") == "2");
  CHECK(Value(*db, {}, "m") == "3");
  CHECK(Value(*db, {}, "z") == "4");
  auto a = db->Get({}, "a");  // before the first key: the first child, not found
  REQUIRE(a.ok());
  CHECK_FALSE(a->has_value());
  CHECK(Keys(*db, {}) == std::vector<std::string>{"b", "c", "m", "z"});
}

TEST_CASE("bbolt: the newest valid meta page is used", "[containerd][bbolt]") {
  auto older = BoltLeaf(3, {{"k", "old"}});
  auto newer = BoltLeaf(4, {{"k", "new"}});
  std::string file = BoltFile({{3, older}, {4, newer}}, 4, 9);  // meta 1: txid 9, meta 0: txid 8
  // Meta 0 (txid 8) points at the older root.
  BoltPut<uint64_t>(&file, 16 + 16, 3);
  BoltResum(&file, 0);
  auto db = BoltDb::FromBytes(file);
  REQUIRE(db.ok());
  CHECK(db->txid() == 9);
  CHECK(Value(*db, {}, "k") == "new");

  SECTION("a torn newer meta: the older one") {
    file[kBoltPageSize + 16 + 60] ^= 1;  // meta 1's checksum no longer matches
    db = BoltDb::FromBytes(file);
    REQUIRE(db.ok());
    CHECK(db->txid() == 8);
    CHECK(Value(*db, {}, "k") == "old");
  }
  SECTION("both bad: an error") {
    file[kBoltPageSize + 16 + 60] ^= 1;
    file[16 + 60] ^= 1;
    CHECK(Fails(file).find("no valid meta page") != std::string::npos);
  }
  SECTION("wrong magic or version") {
    BoltPut<uint32_t>(&file, kBoltPageSize + 16 + 4, 3);
    BoltResum(&file, 1);
    db = BoltDb::FromBytes(file);
    REQUIRE(db.ok());
    CHECK(db->txid() == 8);
  }
}

TEST_CASE("bbolt: View reads again after a commit", "[containerd][bbolt]") {
  moat::testing::TestDir dir;
  std::string file = BoltFile({{3, BoltLeaf(3, {{"k", "v"}})}}, 3, 9);
  const std::string path = dir.Write("db", file);
  auto db = BoltDb::Open(path);
  REQUIRE(db.ok());
  // A "commit": meta 0 gets txid 10.
  auto commit = [&](uint64_t txid) {
    const int which = static_cast<int>(txid % 2);
    BoltPut<uint64_t>(&file, static_cast<size_t>(which) * kBoltPageSize + 16 + 48, txid);
    BoltResum(&file, which);
    dir.Write("db", file);
  };
  int runs = 0;
  std::vector<uint64_t> seen;
  auto s = db->View([&](const BoltDb& d) {
    seen.push_back(d.txid());
    if (++runs == 1) commit(10);
    return moat::Status::Ok();
  });
  REQUIRE(s.ok());
  CHECK(seen == std::vector<uint64_t>{9, 10});
  CHECK(db->view_reads() == 2);

  SECTION("a commit during every read") {
    uint64_t txid = 10;
    s = db->View(
        [&](const BoltDb&) {
          commit(++txid);
          return moat::Status::Ok();
        },
        3);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().err == EAGAIN);
  }
  SECTION("an error from a stable read is returned") {
    s = db->View([](const BoltDb&) { return moat::Status(moat::Error{"read failed"}); });
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message == "read failed");
  }
}

TEST_CASE("bbolt: malformed files are errors", "[containerd][bbolt]") {
  const std::string good = BoltFile(
      {{3, BoltBranch(3, {{"a", 4}, {"m", 5}})},
       {4, BoltLeaf(
               4, {{"a", "1"}, {"b", BoltBucketValue(0, BoltLeaf(0, {{"x", "y"}}, false)), true}})},
       {5, BoltLeaf(5, {{"m", "2"}})}},
      3);
  REQUIRE(BoltParseForFuzz(good).ok());
  std::string f = good;
  const size_t p3 = 3 * kBoltPageSize;
  const size_t p4 = 4 * kBoltPageSize;

  SECTION("truncated") {
    CHECK(Fails(good.substr(0, 5 * kBoltPageSize)).find("beyond the end of the file") !=
          std::string::npos);
    CHECK(Fails(good.substr(0, 100)).find("beyond the end of the file") != std::string::npos);
    CHECK(Fails(good.substr(0, 70)).find("no valid meta page") != std::string::npos);
    CHECK(Fails("").find("no valid meta page") != std::string::npos);
  }
  SECTION("root page id out of range") {
    for (int which : {0, 1}) {
      BoltPut<uint64_t>(&f, static_cast<size_t>(which) * kBoltPageSize + 32, 99);
      BoltResum(&f, which);
    }
    CHECK(Fails(f).find("root page 99 is not a data page below the high water mark") !=
          std::string::npos);
  }
  SECTION("child page id out of range") {
    BoltPut<uint64_t>(&f, p3 + 16 + 8, 1000);
    CHECK(Fails(f).find("page 1000: beyond the high water mark") != std::string::npos);
    BoltPut<uint64_t>(&f, p3 + 16 + 8, 1);
    CHECK(Fails(f).find("page 1: is a meta page") != std::string::npos);
  }
  SECTION("a cycle") {
    BoltPut<uint64_t>(&f, p3 + 32 + 8, 3);  // second child: the branch itself
    CHECK(Fails(f).find("page 3: reached twice") != std::string::npos);
    auto db = BoltDb::FromBytes(f);
    REQUIRE(db.ok());
    auto v = db->Get({}, "z");  // the seek loops until the depth limit
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().message.find("deeper than the limit") != std::string::npos);
  }
  SECTION("a page shared by two branches") {
    BoltPut<uint64_t>(&f, p3 + 32 + 8, 4);
    CHECK(Fails(f).find("page 4: reached twice") != std::string::npos);
  }
  SECTION("a page whose header names another") {
    BoltPut<uint64_t>(&f, p4, 5);
    CHECK(Fails(f).find("page 4: header names page 5") != std::string::npos);
  }
  SECTION("overflow beyond the end") {
    BoltPut<uint32_t>(&f, p4 + 12, 7);
    CHECK(Fails(f).find("overflow pages reach beyond the high water mark") != std::string::npos);
  }
  SECTION("element beyond the page") {
    BoltPut<uint32_t>(&f, p4 + 16 + 4, kBoltPageSize);
    CHECK(Fails(f).find("page 4: element 0: key or value reaches beyond the page") !=
          std::string::npos);
  }
  SECTION("too many elements") {
    BoltPut<uint16_t>(&f, p4 + 10, 300);
    CHECK(Fails(f).find("300 elements do not fit") != std::string::npos);
  }
  SECTION("unsorted keys") {
    f[p4 + 50] = 'a';  // data from 48: "a" "1" "b"...: element 1's key becomes "a" too
    const std::string msg = Fails(f);
    CHECK(msg.find("does not sort after") != std::string::npos);
  }
  SECTION("unknown page and element flags") {
    BoltPut<uint16_t>(&f, p4 + 8, 0x10);
    CHECK(Fails(f).find("flags 0x10 are not those of a branch or leaf page") != std::string::npos);
    f = good;
    BoltPut<uint32_t>(&f, p4 + 16, 4);
    CHECK(Fails(f).find("page 4: element 0: unknown flags") != std::string::npos);
  }
  SECTION("a broken inline bucket") {
    BoltPut<uint16_t>(&f, p4 + 51 + 16 + 8, 0x01);  // its page claims to be a branch
    CHECK(Fails(f).find("inline bucket page: flags 0x01") != std::string::npos);
  }
  SECTION("an empty branch page") {
    BoltPut<uint16_t>(&f, p3 + 10, 0);
    CHECK(Fails(f).find("a branch page without elements") != std::string::npos);
  }
}

TEST_CASE("bbolt: random damage never crashes", "[containerd][bbolt]") {
  const std::string real = ReadAll(kFixtures + "meta.db");
  REQUIRE(real.size() > 8 * kBoltPageSize);
  std::mt19937 rng(1234);
  size_t errors = 0;
  for (int i = 0; i < 1500; ++i) {
    std::string f = real;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int j = 0; j < flips; ++j) {
      // Mostly page headers and element tables, where damage matters most.
      const size_t page = rng() % (f.size() / kBoltPageSize);
      const size_t off =
          page * kBoltPageSize + (rng() % 4 == 0 ? rng() % kBoltPageSize : rng() % 96);
      f[off] = static_cast<char>(rng());
    }
    // Keep the metas valid half the time, so that the damage is walked into.
    if (i % 2 == 0) {
      BoltResum(&f, 0);
      BoltResum(&f, 1);
    }
    if (i % 7 == 0) f.resize(rng() % f.size());
    if (!BoltParseForFuzz(f).ok()) ++errors;
  }
  CHECK(errors > 100);
}

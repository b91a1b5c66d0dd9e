// Tests for shim/secret_seal: the sealed format round trip, every kind of
// tampering, the name bound as AAD, key files, and bounded reads.
#include "shim/secret_seal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "base/unique_fd.h"
#include "tests/unit/test_dir.h"

namespace moat::shim {
namespace {

SecretBytes Bytes(const std::string& s) {
  SecretBytes b(s.size() + 1);
  b.Append(s.data(), s.size());
  return b;
}

SecretBytes Key(unsigned char fill = 7) {
  SecretBytes k(kSealKeyBytes);
  for (size_t i = 0; i < kSealKeyBytes; ++i) {
    unsigned char c = static_cast<unsigned char>(fill + i);
    k.Append(&c, 1);
  }
  return k;
}

TEST_CASE("seal: round trip for empty, small and large secrets") {
  const size_t size = GENERATE(size_t{0}, size_t{1}, size_t{31}, size_t{4096}, size_t{70000});
  std::string plain(size, '\0');
  for (size_t i = 0; i < size; ++i) plain[i] = static_cast<char>(i * 7 + 3);
  SecretBytes key = Key();
  auto sealed = SealSecret(key, "db/password", Bytes(plain));
  REQUIRE(sealed.ok());
  CHECK(sealed->size() == size + kSealOverhead);
  CHECK(sealed->compare(0, 9, std::string("moatseal\x01", 9)) == 0);
  if (size >= 16) CHECK(sealed->find(plain.substr(0, 16)) == std::string::npos);
  auto opened = UnsealSecret(key, "db/password", *sealed);
  REQUIRE(opened.ok());
  CHECK(opened->view() == plain);

  // A fresh nonce every time: the same secret seals differently.
  auto again = SealSecret(key, "db/password", Bytes(plain));
  REQUIRE(again.ok());
  CHECK(*again != *sealed);
}

TEST_CASE("seal: any flipped byte, another name, another key or a cut file is refused") {
  SecretBytes key = Key();
  auto sealed = SealSecret(key, "api-token", Bytes("the value of the token"));
  REQUIRE(sealed.ok());

  SECTION("each byte flipped") {
    for (size_t i = 0; i < sealed->size(); ++i) {
      std::string bad = *sealed;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      auto r = UnsealSecret(key, "api-token", bad);
      INFO("byte " << i);
      REQUIRE_FALSE(r.ok());
      if (i < 8) {
        CHECK(r.error().message == "not a moat sealed file");
      } else if (i == 8) {
        CHECK(r.error().message.find("sealed with format version 0") == 0);
      } else {
        CHECK(r.error().message.find("authentication failed") == 0);
      }
      CHECK(r.error().message.find("the value") == std::string::npos);
    }
  }
  SECTION("the name is authenticated: a renamed file fails") {
    for (const char* other : {"api-token2", "Api-token", "", "api-toke"}) {
      auto r = UnsealSecret(key, other, *sealed);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().message.find("authentication failed") == 0);
    }
  }
  SECTION("another key") {
    auto r = UnsealSecret(Key(8), "api-token", *sealed);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("authentication failed") == 0);
  }
  SECTION("cut or extended") {
    CHECK_FALSE(UnsealSecret(key, "api-token", sealed->substr(0, sealed->size() - 1)).ok());
    CHECK_FALSE(UnsealSecret(key, "api-token", *sealed + "x").ok());
    CHECK(UnsealSecret(key, "api-token", sealed->substr(0, kSealOverhead - 1)).error().message ==
          "not a moat sealed file");
    CHECK_FALSE(UnsealSecret(key, "api-token", "").ok());
  }
  SECTION("a key of the wrong size is refused before any work") {
    CHECK(UnsealSecret(Bytes("short"), "api-token", *sealed).error().message ==
          "the key is not 32 bytes");
    CHECK_FALSE(SealSecret(Bytes("short"), "x", Bytes("v")).ok());
  }
}

TEST_CASE("seal: SecretBytes moves its buffer and grows without losing bytes") {
  SecretBytes a(2);
  a.Append("ab", 2);
  a.Append("cdef", 4);  // grows, wiping the old buffer
  CHECK(a.view() == "abcdef");
  SecretBytes b = std::move(a);
  CHECK(b.view() == "abcdef");
  CHECK(a.size() == 0);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  CHECK(a.data() == nullptr);
  b.Wipe();
  CHECK(b.empty());
}

TEST_CASE("seal: ReadSecretFd reads to the limit and refuses more") {
  moat::testing::TestDir dir;
  const std::string path = dir.Write("s", std::string(100, 'x'), 0600);
  for (size_t limit : {size_t{100}, size_t{99}, size_t{1000}}) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    auto r = ReadSecretFd(fd.get(), "secret \"s\"", limit);
    if (limit >= 100) {
      REQUIRE(r.ok());
      CHECK(r->size() == 100);
    } else {
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().message == "secret \"s\": larger than the limit of 99 bytes");
    }
  }
  // A pipe has no size up front: the limit holds while reading.
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  UniqueFd rd(p[0]), wr(p[1]);
  std::string data(10000, 'y');
  REQUIRE(::write(wr.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  wr.reset();
  auto r = ReadSecretFd(rd.get(), "stdin", 9999);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "stdin: larger than the limit of 9999 bytes");
}

TEST_CASE("seal: key files are 32 bytes, private and not symbolic links") {
  moat::testing::TestDir dir;
  std::string key(32, 'k');
  const std::string good = dir.Write("good.key", key, 0600);
  auto r = LoadSealKey(good);
  if (::geteuid() == 0) {
    REQUIRE(r.ok());
    CHECK(r->size() == 32);
    CHECK(LoadSealKey(dir.Write("ro.key", key, 0400)).ok());
    CHECK(LoadSealKey(dir.Write("group.key", key, 0640))
              .error()
              .message.find("readable or writable by group or others") != std::string::npos);
    CHECK(LoadSealKey(dir.Write("short.key", key.substr(1), 0600))
              .error()
              .message.find("must be exactly 32 bytes") != std::string::npos);
    CHECK(LoadSealKey(dir.Write("long.key", key + "k", 0600))
              .error()
              .message.find("must be exactly 32 bytes") != std::string::npos);
    REQUIRE(::symlink(good.c_str(), (dir.path() + "/link.key").c_str()) == 0);
    CHECK(LoadSealKey(dir.path() + "/link.key").error().message.find("symbolic link") !=
          std::string::npos);
  } else {
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("not root: refused") != std::string::npos);
  }
  auto fresh = NewSealKey();
  REQUIRE(fresh.ok());
  CHECK(fresh->size() == kSealKeyBytes);
}

}  // namespace
}  // namespace moat::shim

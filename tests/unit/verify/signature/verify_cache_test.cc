#include "verify/signature/verify_cache.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/unit/test_dir.h"

using moat::verify::GpgVerified;
using moat::verify::VerifyCache;

TEST_CASE("verify cache: keys cover every trusted key and the signature", "[verify]") {
  const std::string a = VerifyCache::GpgKey({"key1"}, "sig");
  CHECK(a.size() == 64);
  CHECK(a == VerifyCache::GpgKey({"key1"}, "sig"));
  CHECK(a != VerifyCache::GpgKey({"key2"}, "sig"));
  CHECK(a != VerifyCache::GpgKey({"key1", "key2"}, "sig"));
  CHECK(a != VerifyCache::GpgKey({"key1"}, "sig2"));
  // Concatenation cannot alias: each part is hashed separately.
  CHECK(VerifyCache::GpgKey({"ab", "c"}, "s") != VerifyCache::GpgKey({"a", "bc"}, "s"));
}

TEST_CASE("verify cache: round trip, misses, and refusal of unsafe directories", "[verify]") {
  moat::testing::TestDir dir;
  const std::string cache_dir = dir.path() + "/cache/gpg";
  VerifyCache cache(cache_dir);
  const std::string key = VerifyCache::GpgKey({"k"}, "s");
  CHECK_FALSE(cache.GetGpg(key).has_value());
  cache.PutGpg(key, GpgVerified{"{\"payload\":1}", "FPR", "SUBFPR"});
  auto got = cache.GetGpg(key);
  REQUIRE(got.has_value());
  CHECK(got->plaintext == "{\"payload\":1}");
  CHECK(got->key_fingerprint == "FPR");
  CHECK(got->signer_fingerprint == "SUBFPR");
  struct stat st {};
  REQUIRE(::stat(cache_dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  SECTION("a corrupt entry is a miss") {
    std::ofstream(cache_dir + "/" + key) << "{\"plaintext\":1}";
    CHECK_FALSE(cache.GetGpg(key).has_value());
  }
  SECTION("a group-writable directory is not trusted") {
    REQUIRE(::chmod(cache_dir.c_str(), 0770) == 0);
    CHECK_FALSE(cache.GetGpg(key).has_value());
  }
  SECTION("a group-writable entry is not trusted") {
    REQUIRE(::chmod((cache_dir + "/" + key).c_str(), 0660) == 0);
    CHECK_FALSE(cache.GetGpg(key).has_value());
  }
  SECTION("no directory, no cache") {
    VerifyCache none("");
    none.PutGpg(key, GpgVerified{"x", "y", "z"});
    CHECK_FALSE(none.GetGpg(key).has_value());
  }
}

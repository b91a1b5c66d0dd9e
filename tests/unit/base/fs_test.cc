#include "base/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "tests/unit/test_dir.h"

namespace {

using moat::OpenDir;
using moat::RemoveStaleTemporaries;
using moat::ReplaceFileAt;
using moat::testing::TestDir;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> Names(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.insert(e.path().filename().string());
  }
  return out;
}

void Age(const std::string& path, int seconds) {
  struct timeval tv[2];
  ::gettimeofday(&tv[0], nullptr);
  tv[0].tv_sec -= seconds;
  tv[1] = tv[0];
  REQUIRE(::lutimes(path.c_str(), tv) == 0);
}

}  // namespace

TEST_CASE("ReplaceFileAt replaces atomically and leaves no temporary file", "[fs]") {
  TestDir d;
  REQUIRE(!d.path().empty());
  const std::string file = d.Write("config.json", "old", 0640);
  auto dir = OpenDir(d.path());
  REQUIRE(dir.ok());
  struct stat like {};
  REQUIRE(::stat(file.c_str(), &like) == 0);
  REQUIRE(ReplaceFileAt(dir->get(), "config.json", "new contents", &like, file).ok());
  CHECK(Slurp(file) == "new contents");
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(st.st_uid == like.st_uid);
  CHECK(st.st_ino != like.st_ino);
  CHECK(Names(d.path()) == std::set<std::string>{"config.json"});

  SECTION("without `like`: 0644 less the umask") {
    REQUIRE(ReplaceFileAt(dir->get(), "fresh", "x", nullptr, "fresh").ok());
    CHECK(Slurp(d.path() + "/fresh") == "x");
    CHECK(Names(d.path()) == std::set<std::string>{"config.json", "fresh"});
  }
}

TEST_CASE("RemoveStaleTemporaries removes only old leftovers of that name", "[fs]") {
  TestDir d;
  REQUIRE(!d.path().empty());
  d.Write("config.json", "{}");
  Age(d.Write(".config.json.moat-0123456789abcdef", "{partial"), 120);
  d.Write(".config.json.moat-young", "{");
  Age(d.Write(".other.json.moat-0123456789abcdef", "x"), 120);
  Age(d.Write("config.json.moat-nodot", "x"), 120);
  std::filesystem::create_directory(d.path() + "/.config.json.moat-dir");
  Age(d.path() + "/.config.json.moat-dir", 120);
  REQUIRE(::symlink("config.json", (d.path() + "/.config.json.moat-link").c_str()) == 0);
  Age(d.path() + "/.config.json.moat-link", 120);
  auto dir = OpenDir(d.path());
  REQUIRE(dir.ok());
  CHECK(RemoveStaleTemporaries(dir->get(), "config.json", 60) == 1);
  CHECK(Names(d.path()) == std::set<std::string>{"config.json", ".config.json.moat-young",
                                                 ".other.json.moat-0123456789abcdef",
                                                 "config.json.moat-nodot", ".config.json.moat-dir",
                                                 ".config.json.moat-link"});
  CHECK(RemoveStaleTemporaries(dir->get(), "config.json", 0) == 1);  // the young one, now
  CHECK(Names(d.path()).count(".config.json.moat-young") == 0);
}

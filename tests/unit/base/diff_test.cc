#include "base/diff.h"

#include <catch2/catch.hpp>

namespace moat {
namespace {

TEST_CASE("UnifiedDiff: equal texts give nothing") {
  CHECK(UnifiedDiff("a\nb\n", "a\nb\n", "x", "y").empty());
}

TEST_CASE("UnifiedDiff: one change with context, as diff -u prints it") {
  const std::string a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  const std::string b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  CHECK(UnifiedDiff(a, b, "a", "b") ==
        "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST_CASE("UnifiedDiff: distant changes make two hunks; insertions and deletions") {
  std::string a, b;
  for (int i = 1; i <= 20; ++i) a += std::to_string(i) + "\n";
  b = "0\n" + a.substr(2);  // 1 -> 0
  b += "21\n";              // appended
  CHECK(
      UnifiedDiff(a, b, "a", "b") ==
      "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-1\n+0\n 2\n 3\n 4\n@@ -18,3 +18,4 @@\n 18\n 19\n 20\n+21\n");
  CHECK(UnifiedDiff("", "x\n", "a", "b") == "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n");
  CHECK(UnifiedDiff("x\n", "", "a", "b") == "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n");
}

}  // namespace
}  // namespace moat

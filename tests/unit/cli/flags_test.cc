#include <catch2/catch.hpp>

#include "cli/cli.h"

namespace moat::cli {
namespace {

const std::vector<FlagSpec> kSpecs = {{"key", true, ""}, {"force", false, ""}};

TEST_CASE("Flags: values, booleans, positionals, --") {
  auto f = Flags::Parse({"a", "--key", "k1", "-key=k2", "--force", "--", "--key"}, kSpecs);
  REQUIRE(f.ok());
  CHECK(f->Get("key") == "k2");
  CHECK(f->GetAll("key") == std::vector<std::string>{"k1", "k2"});
  CHECK(f->Has("force"));
  CHECK(f->positional() == std::vector<std::string>{"a", "--key"});
  CHECK(f->Get("missing", "dflt") == "dflt");
}

TEST_CASE("Flags: errors") {
  auto unknown = Flags::Parse({"--kye", "x"}, kSpecs);
  REQUIRE(!unknown.ok());
  CHECK(unknown.error().message == "--kye: unknown flag");
  auto missing = Flags::Parse({"--key"}, kSpecs);
  REQUIRE(!missing.ok());
  CHECK(missing.error().message == "--key: needs a value");
  auto valued = Flags::Parse({"--force=yes"}, kSpecs);
  REQUIRE(!valued.ok());
  CHECK(valued.error().message == "--force: takes no value (or true/false)");
  auto off = Flags::Parse({"--force=false", "-h"}, kSpecs);
  REQUIRE(off.ok());
  CHECK(!off->Has("force"));
  CHECK(off->Has("help"));
}

}  // namespace
}  // namespace moat::cli

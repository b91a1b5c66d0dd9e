// Tests for shim/state: moat's per-container records and whether the
// downstream runtime has a container.
#include "shim/state.h"

#include <sys/capability.h>

#include <catch2/catch.hpp>
#include <string>

#include "tests/unit/verify/test_dir.h"

namespace moat::shim {
namespace {

TEST_CASE("state: a record round-trips and is removed") {
  moat::testing::TestDir dir;
  REQUIRE_FALSE(dir.path().empty());
  auto none = LoadContainerState(dir.path(), "c1");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  REQUIRE(
      SaveContainerState(dir.path(), "c1", ContainerState{"baseline", {CAP_KILL, CAP_CHOWN}}).ok());
  auto got = LoadContainerState(dir.path(), "c1");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->profile == "baseline");
  CHECK((*got)->bounding == launcher::CapSet{CAP_CHOWN, CAP_KILL});
  RemoveContainerState(dir.path(), "c1");
  auto gone = LoadContainerState(dir.path(), "c1");
  REQUIRE(gone.ok());
  CHECK_FALSE(gone->has_value());
}

// CheckBundle refuses a create whose id the runtime already has: runc
// would refuse it too, but only after moat replaced the existing
// container's record (its exec ceiling) with the new bundle's.
TEST_CASE("state: the runtime has a container when its state file is there") {
  moat::testing::TestDir root;
  REQUIRE_FALSE(root.path().empty());
  CHECK_FALSE(RuntimeHasContainer(root.path(), "c1"));
  root.Write("c1/state.json", "{}");  // runc
  CHECK(RuntimeHasContainer(root.path(), "c1"));
  root.Write("c2/status", "");  // crun
  CHECK(RuntimeHasContainer(root.path(), "c2"));
  root.Write("c3/other", "");
  CHECK_FALSE(RuntimeHasContainer(root.path(), "c3"));
  CHECK_FALSE(RuntimeHasContainer(root.path() + "/c1", ".."));
  CHECK_FALSE(RuntimeHasContainer(root.path() + "/missing", "c1"));
}

}  // namespace
}  // namespace moat::shim

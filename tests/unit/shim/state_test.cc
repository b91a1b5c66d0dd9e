// Tests for shim/state: moat's per-container records and whether the
// downstream runtime has a container.
#include "shim/state.h"

#include <sys/capability.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "tests/unit/test_dir.h"

namespace moat::shim {
namespace {

TEST_CASE("state: a record round-trips and is removed") {
  moat::testing::TestDir dir;
  REQUIRE_FALSE(dir.path().empty());
  auto none = LoadContainerState(dir.path(), "c1");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  const Creator dead{dir.path() + "/runc", 0, ""};
  REQUIRE(SaveContainerState(dir.path(), "c1",
                             ContainerState{"baseline", {CAP_KILL, CAP_CHOWN}, "", {}}, dead)
              .ok());
  auto got = LoadContainerState(dir.path(), "c1");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->profile == "baseline");
  CHECK((*got)->bounding == launcher::CapSet{CAP_CHOWN, CAP_KILL});
  CHECK((*got)->rule.empty());
  CHECK((*got)->exceptions.empty());
  RemoveContainerState(dir.path(), "c1");
  // The rule and the exceptions create applied, for exec and update.
  REQUIRE(SaveContainerState(dir.path(), "c1",
                             ContainerState{"restricted", {}, "apps", {"app-root", "app-etc"}},
                             dead)
              .ok());
  auto ruled = LoadContainerState(dir.path(), "c1");
  REQUIRE(ruled.ok());
  REQUIRE(ruled->has_value());
  CHECK((*ruled)->rule == "apps");
  CHECK((*ruled)->exceptions == std::vector<std::string>{"app-root", "app-etc"});
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

// Of two creates of one id, only the first records the container while
// its creator lives or its container exists; a record whose create died
// (no container, no process) is replaced.
TEST_CASE("state: a record stands while its create runs or its container exists") {
  moat::testing::TestDir dir;
  REQUIRE_FALSE(dir.path().empty());
  const std::string root = dir.path() + "/runc";
  auto me = ThisCreator(root);
  REQUIRE(me.ok());
  CHECK(me->pid == ::getpid());
  CHECK_FALSE(CreatorGone(*me, "c1"));

  REQUIRE(
      SaveContainerState(dir.path(), "c1", ContainerState{"strict", {CAP_KILL}, "", {}}, *me).ok());
  Status second = SaveContainerState(dir.path(), "c1",
                                     ContainerState{"loose", {CAP_KILL, CAP_CHOWN}, "", {}}, *me);
  REQUIRE_FALSE(second.ok());
  CHECK_THAT(second.error().Describe(), Catch::Contains("is being created by process"));
  auto kept = LoadContainerState(dir.path(), "c1");
  REQUIRE(kept.ok());
  REQUIRE(kept->has_value());
  CHECK((*kept)->profile == "strict");
  CHECK((*kept)->bounding == launcher::CapSet{CAP_KILL});

  // A creator that has exited, whose container never appeared: gone.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  Creator dead{root, child, me->start};
  CHECK(CreatorGone(dead, "c2"));
  REQUIRE(SaveContainerState(dir.path(), "c2", ContainerState{"strict", {}, "", {}}, dead).ok());
  REQUIRE(
      SaveContainerState(dir.path(), "c2", ContainerState{"loose", {CAP_CHOWN}, "", {}}, *me).ok());
  auto replaced = LoadContainerState(dir.path(), "c2");
  REQUIRE(replaced.ok());
  REQUIRE(replaced->has_value());
  CHECK((*replaced)->profile == "loose");

  // ... but while its container exists, the record stands.
  moat::testing::TestDir runc;
  REQUIRE_FALSE(runc.path().empty());
  runc.Write("c3/state.json", "{}");
  Creator exited_with_container{runc.path(), child, me->start};
  CHECK_FALSE(CreatorGone(exited_with_container, "c3"));
  REQUIRE(SaveContainerState(dir.path(), "c3", ContainerState{"strict", {}, "", {}},
                             exited_with_container)
              .ok());
  CHECK_FALSE(SaveContainerState(dir.path(), "c3", ContainerState{"loose", {}, "", {}}, *me).ok());

  // A record from an older moat (no creator) is replaced.
  dir.Write("containers/c4.json", R"({"profile":"old","bounding":[]})", 0600);
  REQUIRE(SaveContainerState(dir.path(), "c4", ContainerState{"new", {}, "", {}}, *me).ok());
  auto upgraded = LoadContainerState(dir.path(), "c4");
  REQUIRE(upgraded.ok());
  REQUIRE(upgraded->has_value());
  CHECK((*upgraded)->profile == "new");
}

}  // namespace
}  // namespace moat::shim

// linux.maskedPaths and linux.readonlyPaths fitted back to Docker's default
// set where a profile denies privilege (`--security-opt
// systempaths=unconfined` sends neither).
#include "launcher/system_paths.h"

#include <catch2/catch.hpp>

#include "launcher/harden.h"
#include "tests/unit/launcher/test_host.h"

using moat::json::Parse;
using moat::json::Value;

namespace {

Value Spec() {
  auto v = Parse(moat::testing::ReadFixture("config/runc-spec.json"));
  REQUIRE(v.ok());
  return *v;
}

std::vector<std::string> List(const Value& config, const char* key) {
  std::vector<std::string> out;
  const Value* list = config.Find("linux")->Find(key);
  if (list == nullptr) return out;
  for (const Value& v : list->items()) out.push_back(v.text());
  return out;
}

bool Has(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

TEST_CASE("system paths: unconfined ones are masked and read-only again", "[harden]") {
  Value config = Spec();
  config.Child("linux").Erase("maskedPaths");
  config.Child("linux").Set("readonlyPaths", Value::Array());
  moat::testing::FakeHost host;
  auto out = HardenConfig(&config, moat::testing::LoadSourceProfile("baseline"), host);
  REQUIRE(out.ok());
  CHECK(out->denials.empty());
  const auto masked = List(config, "maskedPaths");
  const auto ro = List(config, "readonlyPaths");
  for (const char* p : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"}) {
    CHECK(Has(masked, p));
  }
  for (const char* p : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"}) {
    CHECK(Has(ro, p));
  }
  CHECK(Has(out->changes,
            "linux.readonlyPaths: added /proc/bus, /proc/fs, /proc/irq, /proc/sys, "
            "/proc/sysrq-trigger"));
  // Fitted once: a second pass changes nothing of them.
  auto again = HardenConfig(&config, moat::testing::LoadSourceProfile("baseline"), host);
  REQUIRE(again.ok());
  for (const std::string& c : again->changes) {
    CHECK(c.find("Paths") == std::string::npos);
  }
}

TEST_CASE("system paths: the caller's own entries are kept", "[harden]") {
  Value config = Spec();
  auto extra = Parse(R"(["/proc/x", "/proc/kcore"])");
  REQUIRE(extra.ok());
  config.Child("linux").Set("maskedPaths", *extra);
  moat::launcher::Outcome out;
  REQUIRE(moat::launcher::ApplySystemPaths(&config, &out).ok());
  const auto masked = List(config, "maskedPaths");
  REQUIRE(masked.size() == 11);  // /proc/x and the ten defaults
  CHECK(masked[0] == "/proc/x");
  CHECK(masked[1] == "/proc/kcore");
  CHECK(std::count(masked.begin(), masked.end(), "/proc/kcore") == 1);
}

TEST_CASE("system paths: what is not a list of strings is an error", "[harden]") {
  auto [text, err] = GENERATE(table<std::string, std::string>({
      {R"({"linux":{"maskedPaths":{}}})", "linux.maskedPaths: expected array"},
      {R"({"linux":{"readonlyPaths":[1]}})", "linux.readonlyPaths[0]: expected string"},
      {R"({"linux":[]})", "linux: expected object"},
  }));
  auto config = Parse(text);
  REQUIRE(config.ok());
  moat::launcher::Outcome out;
  moat::Status st = moat::launcher::ApplySystemPaths(&config.value(), &out);
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.error().message, Catch::StartsWith(err));
}

TEST_CASE("system paths: left alone where the profile allows privilege", "[harden]") {
  Value config = Spec();
  config.Child("linux").Erase("maskedPaths");
  auto p = moat::launcher::ParseProfile(R"({"deny":{"privileged":false}})", "open", "o");
  REQUIRE(p.ok());
  moat::testing::FakeHost host;
  REQUIRE(HardenConfig(&config, *p, host).ok());
  CHECK(config.Find("linux")->Find("maskedPaths") == nullptr);
}

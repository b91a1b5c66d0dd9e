// The typed views over config.json: what each part reads, and errors that
// name the field.
#include "launcher/spec_view.h"

#include <linux/capability.h>

#include <catch2/catch.hpp>

namespace {

using moat::launcher::ReadHeldCapabilities;
using moat::launcher::ReadMounts;
using moat::launcher::ReadNamespaces;

moat::json::Value Parse(const std::string& text) {
  auto v = moat::json::Parse(text);
  REQUIRE(v.ok());
  return *v;
}

}  // namespace

TEST_CASE("spec view: mounts, bind and the last of ro/rw", "[spec_view]") {
  auto m = ReadMounts(Parse(R"({"mounts":[
      {"destination":"/a","type":"bind","source":"/s","options":["ro","rw"]},
      {"destination":"/b","source":"/t","options":["rbind","rw","ro"]},
      {"destination":"/c","type":"tmpfs","source":"tmpfs"}]})"));
  REQUIRE(m.ok());
  REQUIRE(m->size() == 3);
  CHECK((*m)[0].bind);
  CHECK_FALSE((*m)[0].readonly);
  CHECK((*m)[1].bind);
  CHECK((*m)[1].readonly);
  CHECK_FALSE((*m)[2].bind);
  CHECK((*m)[2].field == "mounts[2]");
}

TEST_CASE("spec view: namespaces with their paths", "[spec_view]") {
  auto ns = ReadNamespaces(Parse(
      R"({"linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/proc/1/ns/net"}]}})"));
  REQUIRE(ns.ok());
  REQUIRE(ns->size() == 2);
  CHECK((*ns)[0].type == "pid");
  CHECK((*ns)[0].path.empty());
  CHECK((*ns)[1].field == "linux.namespaces[1]");
  CHECK((*ns)[1].path == "/proc/1/ns/net");
  auto none = ReadNamespaces(Parse(R"({"linux":{}})"));
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("spec view: a malformed part is an error naming the field", "[spec_view]") {
  auto [config, want] = GENERATE(table<std::string, std::string>({
      {R"({"mounts":{}})", "mounts"},
      {R"({"mounts":[{"source":7}]})", "mounts[0].source"},
      {R"({"linux":{"namespaces":[{"path":"/x"}]}})", "linux.namespaces[0].type: missing"},
      {R"({"linux":{"namespaces":[{"type":"pid","path":1}]}})", "linux.namespaces[0].path"},
      {R"({"process":{"capabilities":{"ambient":["CAP_NOPE"]}}})", "process.capabilities.ambient"},
  }));
  INFO(config);
  auto v = Parse(config);
  auto m = ReadMounts(v);
  auto n = ReadNamespaces(v);
  auto c = ReadHeldCapabilities(v);
  const std::string got = !m.ok()   ? m.error().message
                          : !n.ok() ? n.error().message
                          : !c.ok() ? c.error().message
                                    : "";
  CHECK_THAT(got, Catch::StartsWith(want));
}

TEST_CASE("spec view: the capabilities held are those of all five sets", "[spec_view]") {
  auto c = ReadHeldCapabilities(Parse(R"({"process":{"capabilities":{
      "bounding":["CAP_CHOWN"],"inheritable":["CAP_SYS_ADMIN"],"ambient":["CAP_SYS_MODULE"]}}})"));
  REQUIRE(c.ok());
  CHECK(c->count(CAP_CHOWN) == 1);
  CHECK(c->count(CAP_SYS_ADMIN) == 1);
  CHECK(c->count(CAP_SYS_MODULE) == 1);
  CHECK(c->size() == 3);
}

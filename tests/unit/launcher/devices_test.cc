// Device nodes and devices cgroup rules judged by type and number against
// the set every Docker container gets and a profile's `devices`; the LSM
// check on hosts described with and without AppArmor and SELinux.
#include "launcher/devices.h"

#include <catch2/catch.hpp>

#include "launcher/harden.h"
#include "tests/unit/launcher/test_host.h"

using moat::json::Parse;
using moat::json::Value;
using moat::launcher::DeviceGrant;
using moat::launcher::DeviceNumber;
using moat::launcher::HardenConfig;
using moat::launcher::Profile;
using moat::testing::FakeHost;

namespace {

Value Config(const std::string& nodes, const std::string& rules) {
  auto v = Parse(moat::testing::ReadFixture("config/docker-20.10-run.json"));
  REQUIRE(v.ok());
  v->Set("mounts", Value::Array());  // the bind sources are host_paths_test.cc's
  Value& linux = v->Child("linux");
  auto n = Parse(nodes);
  REQUIRE(n.ok());
  linux.Set("devices", *n);
  auto r = Parse(rules);
  REQUIRE(r.ok());
  Value& res = linux.Child("resources");
  Value all = *res.Find("devices");
  for (const Value& rule : r->items()) all.Append(rule);
  res.Set("devices", std::move(all));
  return *v;
}

std::vector<std::string> Denials(Value config, const Profile& p, const FakeHost& host = {}) {
  auto out = HardenConfig(&config, p, host);
  INFO((out.ok() ? "" : out.error().message));
  REQUIRE(out.ok());
  return out->denials;
}

bool Has(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines) {
    if (l == text) return true;
  }
  return false;
}

Profile Granting(const std::string& name, DeviceGrant g) {
  Profile p = moat::testing::LoadSourceProfile(name);
  Profile grants;
  grants.devices.push_back(std::move(g));
  moat::launcher::Widen(&p, grants);
  return p;
}

const char* const kSda = R"([{"path":"/dev/sda","type":"b","major":8,"minor":0,"fileMode":8624,
                             "uid":0,"gid":6}])";
const char* const kSdaRule = R"([{"allow":true,"type":"b","major":8,"minor":0,"access":"rwm"}])";

}  // namespace

TEST_CASE("devices: what Docker gives every container passes both shipped profiles") {
  // docker-20.10-run.json's own rules, runc's AllowedDevices written out,
  // and the nodes containerd's WithDefaultUnixDevices adds.
  const std::string nodes = R"([
    {"path":"/dev/null","type":"c","major":1,"minor":3},{"path":"/dev/zero","type":"c","major":1,"minor":5},
    {"path":"/dev/full","type":"c","major":1,"minor":7},{"path":"/dev/random","type":"c","major":1,"minor":8},
    {"path":"/dev/urandom","type":"c","major":1,"minor":9},{"path":"/dev/tty","type":"c","major":5,"minor":0},
    {"path":"/dev/net/tun","type":"c","major":10,"minor":200},{"path":"/dev/fifo","type":"p"}])";
  const std::string rules = R"([
    {"allow":true,"type":"c","access":"m"},{"allow":true,"type":"b","major":-1,"minor":-1,"access":"m"},
    {"allow":true,"type":"c","major":5,"minor":2,"access":"rwm"},
    {"allow":true,"type":"c","major":136,"access":"rwm"},
    {"allow":true,"type":"c","major":10,"minor":200,"access":"rw"},
    {"allow":false,"type":"b","major":8,"minor":0,"access":"rwm"}])";
  for (const char* name : {"restricted", "baseline"}) {
    CAPTURE(name);
    CHECK(Denials(Config(nodes, rules), moat::testing::LoadSourceProfile(name)).empty());
  }
}

TEST_CASE("devices: --device /dev/sda is refused by its number, not its path") {
  const Profile restricted = moat::testing::LoadSourceProfile("restricted");
  auto d = Denials(Config(kSda, kSdaRule), restricted);
  CHECK(Has(d,
            "linux.devices[0]: /dev/sda is block device 8:0 and profile \"restricted\" grants "
            "no device 8:0"));
  CHECK(Has(d,
            "linux.resources.devices[8]: allows rw on block device 8:0, beyond the devices "
            "every container gets, and profile \"restricted\" grants no such device"));
  CHECK(d.size() == 2);

  SECTION("a node named like a default device is judged by its number") {
    auto d2 = Denials(Config(R"([{"path":"/dev/null","type":"b","major":8,"minor":1}])", "[]"),
                      restricted);
    CHECK(Has(d2,
              "linux.devices[0]: /dev/null is block device 8:1 and profile \"restricted\" "
              "grants no device 8:1"));
  }
  SECTION("a char device outside the defaults (/dev/mem 1:1), and OCI's unbuffered type") {
    auto d2 = Denials(Config(R"([{"path":"/dev/x","type":"u","major":1,"minor":1}])",
                             R"([{"allow":true,"type":"c","major":1,"minor":1,"access":"r"}])"),
                      restricted);
    CHECK(Has(d2,
              "linux.devices[0]: /dev/x is char device 1:1 and profile \"restricted\" grants "
              "no device 1:1"));
    CHECK(d2.size() == 2);
  }
  SECTION("a profile grant lets exactly that device and access through") {
    DeviceGrant g;
    g.number = {'b', 8, 0};
    g.access = "rwm";
    CHECK(Denials(Config(kSda, kSdaRule), Granting("restricted", g)).empty());
    g.access = "r";
    auto d2 = Denials(Config(kSda, kSdaRule), Granting("restricted", g));
    CHECK(d2 == std::vector<std::string>{
                    "linux.resources.devices[8]: allows w on block device 8:0, beyond the devices "
                    "every container gets, and profile \"restricted\" grants no such device"});
    g.number = {'b', 8, 1};
    g.access = "rwm";
    CHECK(Denials(Config(kSda, kSdaRule), Granting("restricted", g)).size() == 2);
  }
  SECTION("deny.devices off lets it through") {
    Profile p = restricted;
    p.deny.devices = false;
    CHECK(Denials(Config(kSda, kSdaRule), p).empty());
  }
}

TEST_CASE("devices: cgroup rules wider than the defaults are refused") {
  const Profile baseline = moat::testing::LoadSourceProfile("baseline");
  using Row = std::tuple<std::string, std::string>;
  auto [rule, want] = GENERATE(table<std::string, std::string>({
      Row{R"({"allow":true,"type":"b","access":"rwm"})", "allows rw on block device *:*"},
      Row{R"({"allow":true,"type":"c","major":136,"access":"rwm"})", ""},
      Row{R"({"allow":true,"type":"c","access":"rwm"})", "allows rw on char device *:*"},
      Row{R"({"allow":true,"type":"c","major":1,"access":"r"})", "allows r on char device 1:*"},
      Row{R"({"allow":true,"type":"c","major":10,"minor":200})", ""},
      Row{R"({"allow":true,"type":"c","major":10,"minor":229})", "allows rw on char device 10:229"},
      Row{R"({"allow":true,"type":"b","major":8,"minor":0,"access":"m"})", ""},
      Row{R"({"allow":false,"access":"rwm"})", ""},
  }));
  CAPTURE(rule);
  auto d = Denials(Config("[]", "[" + rule + "]"), baseline);
  if (want.empty()) {
    CHECK(d.empty());
  } else {
    REQUIRE(d.size() == 1);
    CHECK(d[0] == "linux.resources.devices[8]: " + want +
                      ", beyond the devices every container gets, and profile \"baseline\" grants "
                      "no such device");
  }
}

TEST_CASE("devices: a rule for every device is privileged and wider than the defaults") {
  const Profile restricted = moat::testing::LoadSourceProfile("restricted");
  auto d = Denials(Config("[]", R"([{"allow":true,"access":"rwm"}])"), restricted);
  CHECK(Has(d,
            "linux.resources.devices[8]: grants access to every host device (privileged "
            "container)"));
  CHECK(Has(d,
            "linux.resources.devices[8]: allows rw on block device *:*, beyond the devices "
            "every container gets, and profile \"restricted\" grants no such device"));
  CHECK(Has(d,
            "linux.resources.devices[8]: allows rw on char device *:*, beyond the devices "
            "every container gets, and profile \"restricted\" grants no such device"));
}

TEST_CASE("devices: malformed entries are errors naming the field") {
  const Profile restricted = moat::testing::LoadSourceProfile("restricted");
  using Row = std::tuple<std::string, std::string, std::string>;
  auto [nodes, rules, want] = GENERATE(table<std::string, std::string, std::string>({
      Row{R"([{"path":"/dev/sda","type":"b","minor":0}])", "[]", "linux.devices[0].major: missing"},
      Row{R"([{"path":"/dev/sda","type":"x","major":8,"minor":0}])", "[]",
          "linux.devices[0].type: \"x\" is not one of c, u, b, p"},
      Row{R"([{"path":"/dev/sda","type":"b","major":-1,"minor":0}])", "[]",
          "linux.devices[0].major"},
      Row{"[]", R"([{"allow":true,"type":"b","access":"rwx"}])",
          "linux.resources.devices[8].access: \"rwx\" has letters other than r, w, m"},
      Row{"[]", R"([{"type":"b","access":"r"}])", "linux.resources.devices[8].allow: missing"},
  }));
  Value config = Config(nodes, rules);
  FakeHost host;
  auto out = HardenConfig(&config, restricted, host);
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().message.rfind(want, 0) == 0);
}

TEST_CASE("devices: the profile's devices key") {
  auto p = moat::launcher::ParseProfile(
      R"({"devices": [{"type": "b", "major": 8, "minor": "*", "access": "r"},
                      {"type": "c", "major": 10, "minor": 229}]})",
      "p", "p.json");
  REQUIRE(p.ok());
  REQUIRE(p->devices.size() == 2);
  CHECK(p->devices[0].number.type == 'b');
  CHECK(p->devices[0].number.major == 8);
  CHECK(p->devices[0].number.minor == DeviceNumber::kAny);
  CHECK(p->devices[0].access == "r");
  CHECK(p->devices[1].access == "rwm");
  for (const auto& [text, want] : std::vector<std::pair<std::string, std::string>>{
           {R"({"devices": [{"type": "a", "major": 1, "minor": 1}]})",
            "p.json: devices[0].type: \"a\" is not one of c, b"},
           {R"({"devices": [{"type": "b", "minor": 1}]})",
            "p.json: devices[0].major: missing (a number, or \"*\" for any)"},
           {R"({"devices": [{"type": "b", "major": 8, "minor": -1}]})", "p.json: devices[0].minor"},
           {R"({"devices": [{"type": "b", "major": 8, "minor": 0, "access": ""}]})",
            "p.json: devices[0].access: \"\" is not letters of rwm"},
           {R"({"devices": [{"type": "b", "major": 8, "minor": 0, "path": "/dev/sda"}]})",
            "p.json: devices[0]"},
       }) {
    CAPTURE(text);
    auto bad = moat::launcher::ParseProfile(text, "p", "p.json");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.rfind(want, 0) == 0);
  }
}

TEST_CASE("lsm: unconfined AppArmor and SELinux are refused only where the host enforces them") {
  const Profile restricted = moat::testing::LoadSourceProfile("restricted");
  auto with = [](const std::string& apparmor, const std::string& selinux) {
    Value c = Config("[]", "[]");
    Value& proc = c.Child("process");
    if (!apparmor.empty()) proc.Set("apparmorProfile", Value::String(apparmor));
    if (!selinux.empty()) proc.Set("selinuxLabel", Value::String(selinux));
    return c;
  };
  FakeHost none;
  FakeHost apparmor;
  apparmor.lsm.apparmor = true;
  apparmor.apparmor_modes.emplace_back("lax", "complain");
  FakeHost selinux;
  selinux.lsm.selinux = true;

  SECTION("a host without either: nothing to judge") {
    CHECK(Denials(with("unconfined", "system_u:system_r:spc_t:s0"), restricted, none).empty());
    CHECK(Denials(with("", ""), restricted, none).empty());
  }
  SECTION("AppArmor") {
    CHECK(Denials(with("docker-default", ""), restricted, apparmor).empty());
    const std::string tail = " and profile \"restricted\" refuses unconfined processes";
    CHECK(Denials(with("unconfined", ""), restricted, apparmor) ==
          std::vector<std::string>{
              "process.apparmorProfile: \"unconfined\" on a host that enforces AppArmor," + tail});
    CHECK(Denials(with("", ""), restricted, apparmor) ==
          std::vector<std::string>{"process.apparmorProfile: none, so runc runs the process "
                                   "unconfined on a host that enforces AppArmor," +
                                   tail});
    CHECK(Denials(with("lax", ""), restricted, apparmor) ==
          std::vector<std::string>{"process.apparmorProfile: \"lax\" is loaded in complain mode, "
                                   "which confines nothing," +
                                   tail});
    Profile off = restricted;
    off.deny.unconfined_lsm = false;
    CHECK(Denials(with("unconfined", ""), off, apparmor).empty());
  }
  SECTION("SELinux") {
    CHECK(Denials(with("", "system_u:system_r:container_t:s0:c1,c2"), restricted, selinux).empty());
    auto d = Denials(with("", "system_u:system_r:spc_t:s0"), restricted, selinux);
    REQUIRE(d.size() == 1);
    CHECK(d[0].rfind("process.selinuxLabel: \"system_u:system_r:spc_t:s0\" has type \"spc_t\", "
                     "not a container type,",
                     0) == 0);
    d = Denials(with("", ""), restricted, selinux);
    REQUIRE(d.size() == 1);
    CHECK(d[0].rfind("process.selinuxLabel: none,", 0) == 0);
  }
}

TEST_CASE(
    "lsm: an exec'd process is judged by the labels it sets; an empty one keeps the "
    "container's") {
  const Profile restricted = moat::testing::LoadSourceProfile("restricted");
  FakeHost both;
  both.lsm.apparmor = true;
  both.lsm.selinux = true;
  both.apparmor_modes.emplace_back("lax", "complain");
  moat::launcher::LsmSource exec;
  exec.apparmor_field = "exec --apparmor";
  exec.selinux_field = "exec --process-label";
  exec.empty_inherits = true;
  auto judge = [&](const std::string& apparmor, const std::string& selinux) {
    std::vector<std::string> denials;
    moat::launcher::JudgeLsmLabels({apparmor, selinux}, exec, restricted, both, &denials);
    return denials;
  };
  CHECK(judge("", "").empty());
  CHECK(judge("docker-default", "system_u:system_r:container_t:s0").empty());
  auto d = judge("unconfined", "");
  REQUIRE(d.size() == 1);
  CHECK(d[0].rfind("exec --apparmor: \"unconfined\" on a host that enforces AppArmor,", 0) == 0);
  d = judge("lax", "system_u:system_r:spc_t:s0");
  REQUIRE(d.size() == 2);
  CHECK(d[0].rfind("exec --apparmor: \"lax\" is loaded in complain mode", 0) == 0);
  CHECK(d[1].rfind("exec --process-label: \"system_u:system_r:spc_t:s0\" has type", 0) == 0);
  // At create an empty label is no confinement at all.
  std::vector<std::string> create;
  moat::launcher::JudgeLsmLabels({"", ""}, moat::launcher::LsmSource(), restricted, both, &create);
  CHECK(create.size() == 2);
}

TEST_CASE("lsm: AppArmor's profiles file is read by whole names") {
  const std::string text =
      "docker-default (enforce)\n"
      "lax (complain)\n"
      "/usr/bin/man (enforce)\n"
      "odd name (x) (kill)\n"
      "cri-containerd.apparmor.d (enforce)\n";
  using moat::launcher::AppArmorModeIn;
  CHECK(AppArmorModeIn(text, "docker-default") == "enforce");
  CHECK(AppArmorModeIn(text, "lax") == "complain");
  CHECK(AppArmorModeIn(text, "odd name (x)") == "kill");
  CHECK(AppArmorModeIn(text, "docker").empty());
  CHECK(AppArmorModeIn(text, "docker-default (enforce)").empty());
  CHECK(AppArmorModeIn(text, "missing").empty());
}

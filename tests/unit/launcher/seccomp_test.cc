#include "launcher/seccomp.h"

#include <linux/capability.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>

#include "base/json.h"
#include "tests/unit/launcher/test_host.h"
#include "tests/unit/test_dir.h"

using moat::json::Parse;
using moat::json::Serialize;
using moat::launcher::CapSet;
using moat::launcher::CheckSeccompFile;
using moat::launcher::CompileSeccomp;
using moat::launcher::CountAllowed;
using moat::launcher::ParseKernelRelease;
using moat::launcher::ParseSeccompFile;
using moat::launcher::ResolvedSeccomp;
using moat::launcher::ResolveSeccomp;
using moat::launcher::SeccompFile;
using moat::launcher::SeccompHost;
using moat::launcher::SeccompToOci;

namespace {

SeccompHost Host(uint32_t arch = SCMP_ARCH_X86_64, unsigned kernel = 5, unsigned major = 10) {
  SeccompHost h;
  h.arch = arch;
  h.kernel = kernel;
  h.major = major;
  return h;
}

SeccompFile Checked(const std::string& text, const SeccompHost& host = Host()) {
  auto f = ParseSeccompFile(text, "t.json");
  INFO((f.ok() ? std::string() : f.error().message));
  REQUIRE(f.ok());
  auto st = CheckSeccompFile(&f.value(), host);
  INFO((st.ok() ? std::string() : st.error().message));
  REQUIRE(st.ok());
  return *f;
}

std::string ParseError(const std::string& text) {
  auto f = ParseSeccompFile(text, "t.json");
  REQUIRE_FALSE(f.ok());
  return f.error().message;
}

std::string CheckError(const std::string& text, const SeccompHost& host = Host()) {
  auto f = ParseSeccompFile(text, "t.json");
  REQUIRE(f.ok());
  auto st = CheckSeccompFile(&f.value(), host);
  REQUIRE_FALSE(st.ok());
  return st.error().message;
}

std::set<std::string> Names(const ResolvedSeccomp& r, const std::string& action) {
  std::set<std::string> out;
  for (const auto& s : r.syscalls) {
    if (s.action == action) out.insert(s.names.begin(), s.names.end());
  }
  return out;
}

}  // namespace

TEST_CASE("seccomp: kernel releases are read as Docker reads them") {
  auto [release, k, m, ok] = GENERATE(table<std::string, unsigned, unsigned, bool>({
      {"6.1.0-18-amd64", 6, 1, true},
      {"3.12-1-amd64", 3, 12, true},
      {"4.8", 4, 8, true},
      {"6.18.44-fc-v669", 6, 18, true},
      {"6", 0, 0, false},
      {"x.1", 0, 0, false},
      {"5.", 0, 0, false},
  }));
  unsigned kernel = 0, major = 0;
  CHECK(ParseKernelRelease(release, &kernel, &major) == ok);
  if (ok) {
    CHECK(kernel == k);
    CHECK(major == m);
  }
}

TEST_CASE("seccomp: Docker's includes and excludes") {
  const std::string text = R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
    {"names":["read"],"action":"SCMP_ACT_ALLOW"},
    {"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
    {"names":["keyctl"],"action":"SCMP_ACT_ALLOW","excludes":{"caps":["CAP_SYS_ADMIN"]}},
    {"names":["chroot"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN","CAP_SYS_CHROOT"]}},
    {"names":["arch_prctl"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["amd64","x32"]}},
    {"names":["sync_file_range2"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["arm64"]}},
    {"names":["modify_ldt"],"action":"SCMP_ACT_ALLOW","excludes":{"arches":["amd64"]}},
    {"names":["ptrace"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4.8"}},
    {"names":["uselib"],"action":"SCMP_ACT_ALLOW","excludes":{"minKernel":"4.8"}},
    {"names":["bpf"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":""}},
    {"names":["clone"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["amd64"]},"excludes":{"caps":["CAP_SYS_ADMIN"]}}
  ]})";
  using Row = std::tuple<uint32_t, unsigned, unsigned, std::vector<int>, std::set<std::string>>;
  auto [arch, kernel, major, caps, want] = GENERATE(table<uint32_t, unsigned, unsigned,
                                                          std::vector<int>, std::set<std::string>>({
      Row{SCMP_ARCH_X86_64, 5, 10, {}, {"read", "keyctl", "arch_prctl", "ptrace", "bpf", "clone"}},
      Row{SCMP_ARCH_X86_64,
          5,
          10,
          {CAP_SYS_ADMIN},
          {"read", "mount", "arch_prctl", "ptrace", "bpf"}},
      Row{SCMP_ARCH_X86_64,
          5,
          10,
          {CAP_SYS_ADMIN, CAP_SYS_CHROOT},
          {"read", "mount", "chroot", "arch_prctl", "ptrace", "bpf"}},
      Row{SCMP_ARCH_X86_64,
          5,
          10,
          {CAP_SYS_CHROOT},
          {"read", "keyctl", "arch_prctl", "ptrace", "bpf", "clone"}},
      Row{SCMP_ARCH_X86_64, 4, 7, {}, {"read", "keyctl", "arch_prctl", "uselib", "bpf", "clone"}},
      Row{SCMP_ARCH_X86_64, 4, 8, {}, {"read", "keyctl", "arch_prctl", "ptrace", "bpf", "clone"}},
      Row{SCMP_ARCH_X86_64, 3, 99, {}, {"read", "keyctl", "arch_prctl", "uselib", "bpf", "clone"}},
      Row{SCMP_ARCH_AARCH64,
          5,
          10,
          {},
          {"read", "keyctl", "sync_file_range2", "modify_ldt", "ptrace", "bpf"}},
  }));
  SeccompFile f = Checked(text, Host(arch, kernel, major));
  CapSet bounding(caps.begin(), caps.end());
  ResolvedSeccomp r = ResolveSeccomp(f, bounding);
  CHECK(Names(r, "SCMP_ACT_ALLOW") == want);
  CHECK(CountAllowed(r) == want.size());
  auto st = CompileSeccomp(r);
  INFO((st.ok() ? std::string() : st.error().message));
  CHECK(st.ok());
}

TEST_CASE("seccomp: archMap picks the host's entry") {
  const std::string text = R"({"defaultAction":"SCMP_ACT_ERRNO","archMap":[
    {"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]},
    {"architecture":"SCMP_ARCH_AARCH64","subArchitectures":["SCMP_ARCH_ARM"]},
    {"architecture":"SCMP_ARCH_RISCV64","subArchitectures":null}],
    "syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})";
  auto [arch, want] = GENERATE(table<uint32_t, std::string>({
      {SCMP_ARCH_X86_64, R"(["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"])"},
      {SCMP_ARCH_AARCH64, R"(["SCMP_ARCH_AARCH64","SCMP_ARCH_ARM"])"},
      {SCMP_ARCH_RISCV64, R"(["SCMP_ARCH_RISCV64"])"},
      {SCMP_ARCH_S390X, "null"},
  }));
  ResolvedSeccomp r = ResolveSeccomp(Checked(text, Host(arch)), {});
  moat::json::Value oci = SeccompToOci(r);
  const moat::json::Value* got = oci.Find("architectures");
  CHECK((got == nullptr ? std::string("null") : Serialize(*got)) == want);
}

TEST_CASE("seccomp: the OCI form passes through unchanged") {
  const std::string oci =
      R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],)"
      R"("flags":["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],"syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},)"
      R"({"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551615,"valueTwo":0,"op":"SCMP_CMP_EQ"}]},)"
      R"({"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":1,"value":3,"op":"SCMP_CMP_NE"}]},)"
      R"({"names":["kill"],"action":"SCMP_ACT_ERRNO","errnoRet":13},{"names":["getpid"],"action":"SCMP_ACT_LOG"}]})";
  ResolvedSeccomp r = ResolveSeccomp(Checked(oci), {CAP_SYS_ADMIN});
  CHECK(Serialize(SeccompToOci(r)) == oci);
  CHECK(CountAllowed(r) == 4);
  CHECK(CompileSeccomp(r).ok());
}

TEST_CASE("seccomp: Docker's single name becomes names") {
  SeccompFile f = Checked(
      R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"keyctl","action":"SCMP_ACT_ERRNO","comment":"x"}]})");
  CHECK(
      Serialize(SeccompToOci(ResolveSeccomp(f, {}))) ==
      R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_ERRNO"}]})");
}

TEST_CASE("seccomp: malformed files are errors naming the field") {
  auto [text, want] = GENERATE(table<std::string, std::string>({
      {R"({"syscalls":[]})", "t.json: defaultAction: missing"},
      {R"({"defaultAction":"SCMP_ACT_DENY"})",
       R"(t.json: defaultAction: unknown action "SCMP_ACT_DENY")"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","colour":1})", "t.json: colour: unknown key"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":1})",
       "t.json: defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":4096})",
       "t.json: defaultErrnoRet: 4096 is out of range [0, 4095]"},
      {R"({"defaultAction":"SCMP_ACT_NOTIFY","listenerPath":"/s"})",
       "t.json: defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_65"]})",
       R"(t.json: architectures[0]: unknown architecture "SCMP_ARCH_X86_65")"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["x86"]}]})",
       R"(t.json: archMap[0].subArchitectures[0]: unknown architecture "x86")"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]})",
       "t.json: architectures and archMap: both given"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","flags":["SECCOMP_FILTER_FLAG_NEW_LISTENER"]})",
       R"(t.json: flags[0]: unknown flag "SECCOMP_FILTER_FLAG_NEW_LISTENER")"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"]}]})",
       "t.json: syscalls[0].action: missing"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":[],"action":"SCMP_ACT_ALLOW"}]})",
       "t.json: syscalls[0]: no syscall names"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read",""],"action":"SCMP_ACT_ALLOW"}]})",
       "t.json: syscalls[0].names[1]: empty syscall name"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]})",
       R"(t.json: syscalls[0]: both "name" and "names")"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","errnoRet":1}]})",
       "t.json: syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno, not "
       "SCMP_ACT_ALLOW"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]})",
       "t.json: syscalls[0].args[0].index: 6 is out of range [0, 5]"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":-1,"op":"SCMP_CMP_EQ"}]}]})",
       "t.json: syscalls[0].args[0].value: expected an integer in [0, 18446744073709551615], got "
       "-1"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551616,"op":"SCMP_CMP_EQ"}]}]})",
       "t.json: syscalls[0].args[0].value: expected an integer"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_XOR"}]}]})",
       R"(t.json: syscalls[0].args[0].op: unknown operator "SCMP_CMP_XOR")"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"op":"SCMP_CMP_EQ"}]}]})",
       "t.json: syscalls[0].args[0].value: missing"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_FOO"]}}]})",
       R"(t.json: syscalls[0].includes.caps[0]: unknown capability "CAP_FOO")"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","excludes":{"arches":["x86_64"]}}]})",
       R"(t.json: syscalls[0].excludes.arches[0]: unknown architecture "x86_64")"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4"}}]})",
       R"(t.json: syscalls[0].includes.minKernel: "4" is not a kernel version)"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"0.0"}}]})",
       R"(t.json: syscalls[0].includes.minKernel: "0.0" is not a kernel version)"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4.256"}}]})",
       R"(t.json: syscalls[0].includes.minKernel: "4.256" is not a kernel version)"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"kernel":"4.8"}}]})",
       "t.json: syscalls[0].includes.kernel: unknown key"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOTIFY"}]})",
       "t.json: syscalls[0].action: SCMP_ACT_NOTIFY without a listenerPath"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","listenerPath":"/s","syscalls":[{"names":["read","write"],"action":"SCMP_ACT_NOTIFY"}]})",
       "t.json: syscalls[0]: SCMP_ACT_NOTIFY cannot be used for the write syscall"},
      {R"({"defaultAction":"SCMP_ACT_ERRNO","defaultAction":"SCMP_ACT_ALLOW"})",
       R"(duplicate key "defaultAction")"},
  }));
  CHECK_THAT(ParseError(text), Catch::Contains(want));
}

TEST_CASE("seccomp: every kept name is checked with libseccomp for each architecture") {
  SECTION("an unknown name is an error naming the file, field, name and architecture") {
    const std::string text = R"({"defaultAction":"SCMP_ACT_ERRNO","archMap":[
      {"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]}],
      "syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},
                  {"names":["write","close","opne"],"action":"SCMP_ACT_ALLOW"}]})";
    CHECK(CheckError(text) ==
          R"(t.json: syscalls[1].names[2]: unknown syscall "opne" for SCMP_ARCH_X86_64)");
    CHECK(CheckError(text, Host(SCMP_ARCH_AARCH64)) ==
          R"(t.json: syscalls[1].names[2]: unknown syscall "opne" for SCMP_ARCH_AARCH64)");
  }
  SECTION("Docker's single name") {
    CHECK(
        CheckError(
            R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"fooctl","action":"SCMP_ACT_ERRNO"}]})") ==
        R"(t.json: syscalls[0].name: unknown syscall "fooctl" for SCMP_ARCH_X86_64)");
  }
  SECTION("a name that exists on only some of the architectures is fine") {
    SeccompFile f = Checked(
        R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],
      "syscalls":[{"names":["chown32","arch_prctl","socketcall"],"action":"SCMP_ACT_ALLOW"}]})");
    CHECK(CompileSeccomp(ResolveSeccomp(f, {})).ok());
  }
  SECTION("a rule the host's arch or kernel drops is not checked; one that depends on caps is") {
    Checked(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
      {"names":["s390_future"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["s390x"]}},
      {"names":["future_call"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"99.0"}},
      {"names":["old_call"],"action":"SCMP_ACT_ALLOW","excludes":{"minKernel":"3.0"}}]})");
    CHECK(CheckError(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
      {"names":["adminctl"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}}]})") ==
          R"(t.json: syscalls[0].names[0]: unknown syscall "adminctl" for SCMP_ARCH_X86_64)");
  }
}

TEST_CASE("seccomp: what libseccomp refuses to compile is an error before runc") {
  // The same syscall and condition with two different actions (EEXIST).
  SeccompFile f = Checked(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
    {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},
    {"names":["getpid","personality"],"action":"SCMP_ACT_LOG","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}]})");
  auto st = CompileSeccomp(ResolveSeccomp(f, {}));
  REQUIRE_FALSE(st.ok());
  CHECK(
      st.error().message ==
      R"(t.json: syscalls[1].names[1]: libseccomp cannot add a SCMP_ACT_LOG rule for "personality")");
  CHECK(st.error().err == EEXIST);
}

TEST_CASE("seccomp: compiled as runc compiles") {
  SECTION("two conditions on one argument become two rules (libseccomp refuses them in one)") {
    SeccompFile f = Checked(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
      {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"},{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}]})");
    CHECK(CompileSeccomp(ResolveSeccomp(f, {})).ok());
  }
  SECTION("a rule that repeats the default action is skipped") {
    SeccompFile f = Checked(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
      {"names":["read"],"action":"SCMP_ACT_ERRNO"},{"names":["mount"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]})");
    CHECK(CompileSeccomp(ResolveSeccomp(f, {})).ok());
  }
}

TEST_CASE("seccomp: shipped default.json") {
  SeccompFile f = Checked(moat::testing::ReadSource("profiles/seccomp/default.json"));
  ResolvedSeccomp none = ResolveSeccomp(f, {});
  REQUIRE(CompileSeccomp(none).ok());
  std::set<std::string> allowed = Names(none, "SCMP_ACT_ALLOW");
  CHECK(none.default_action == "SCMP_ACT_ERRNO");
  CHECK(*none.default_errno_ret == 1);
  CHECK(none.architectures ==
        std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"});
  for (const char* n : {"read", "write", "execve", "clone", "socket", "arch_prctl", "futex"}) {
    CHECK(allowed.count(n) == 1);
  }
  for (const char* n : {"unshare", "setns", "mount", "umount2", "keyctl", "add_key", "bpf",
                        "ptrace", "perf_event_open", "io_uring_setup", "userfaultfd",
                        "open_by_handle_at", "init_module", "kexec_load", "chroot", "clone3"}) {
    INFO(n);
    CHECK(allowed.count(n) == 0);
  }
  CHECK(Names(none, "SCMP_ACT_ERRNO") == std::set<std::string>{"clone3"});

  ResolvedSeccomp ptrace = ResolveSeccomp(f, {CAP_SYS_PTRACE});
  CHECK(Names(ptrace, "SCMP_ACT_ALLOW").count("ptrace") == 1);
  CHECK(CountAllowed(ptrace) == CountAllowed(none) + 5);
  CHECK(CompileSeccomp(ptrace).ok());
}

TEST_CASE("profile: the seccomp key") {
  auto [value, ok] = GENERATE(table<std::string, bool>({
      {"seccomp/default.json", true},
      {"/etc/moat/seccomp/web.json", true},
      {"default.json", true},
      {"", false},
      {"../default.json", false},
      {"seccomp/../../x.json", false},
      {"./default.json", false},
      {"seccomp//default.json", false},
      {"seccomp/", false},
      {"/", false},
  }));
  auto p = moat::launcher::ParseProfile(R"({"seccomp":)" + moat::json::Quote(value) + "}", "p",
                                        "p.json");
  CHECK(p.ok() == ok);
  if (ok) CHECK(p->seccomp == value);
  if (!ok) CHECK_THAT(p.error().message, Catch::StartsWith("p.json: seccomp: "));
}

TEST_CASE("seccomp: files are read like profiles") {
  moat::testing::TestDir dir;
  const std::string ok =
      R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})";
  SECTION("a symbolic link is refused") {
    std::string target = dir.Write("real.json", ok);
    std::string link = dir.path() + "/link.json";
    REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
    auto f = moat::launcher::LoadSeccompFile(link);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().message == link + ": is a symbolic link, refused");
  }
  SECTION("a group-writable file is refused") {
    std::string path = dir.Write("gw.json", ok, 0664);
    auto f = moat::launcher::LoadSeccompFile(path);
    REQUIRE_FALSE(f.ok());
    CHECK_THAT(f.error().message, Catch::EndsWith(": refused"));
  }
  if (::geteuid() == 0) {
    SECTION("a root-owned file is read and checked against this host") {
      std::string path = dir.Write("ok.json", ok);
      auto f = moat::launcher::LoadSeccompFile(path);
      REQUIRE(f.ok());
      CHECK(f->host.arch == seccomp_arch_native());
      std::string bad = dir.Write(
          "bad.json",
          R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["opne"],"action":"SCMP_ACT_ALLOW"}]})");
      auto b = moat::launcher::LoadSeccompFile(bad);
      REQUIRE_FALSE(b.ok());
      CHECK_THAT(b.error().message,
                 Catch::StartsWith(
                     bad + R"(: syscalls[0].names[0]: unknown syscall "opne" for SCMP_ARCH_)"));
    }
  }
}

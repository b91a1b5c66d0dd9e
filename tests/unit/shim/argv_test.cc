// Tests for shim/argv: runc 1.1.5's command line as its callers write it,
// and the corners of Go's flag package and urfave/cli's reordering.
#include "shim/argv.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace moat::shim {
namespace {

// A Docker container id, the task directory containerd-shim-runc-v2 builds
// from it, and a podman container's userdata directory ($ID expands inside).
constexpr char kId[] = "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa99";
constexpr char kTask[] = "/run/containerd/io.containerd.runtime.v2.task/moby/$ID";
constexpr char kUserdata[] = "/var/lib/containers/storage/overlay-containers/$ID/userdata";

/// Splits a command line on single spaces, after replacing $ID, $TASK, $USERDATA.
std::vector<std::string> Words(std::string line) {
  const std::pair<std::string, std::string> vars[] = {
      {"$USERDATA", kUserdata}, {"$TASK", kTask}, {"$ID", kId}};  // $ID last
  for (const auto& [from, to] : vars) {
    for (std::size_t at = line.find(from); at != std::string::npos; at = line.find(from, at)) {
      line.replace(at, from.size(), to);
      at += to.size();
    }
  }
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; std::getline(in, w, ' ');) out.push_back(w);
  return out;
}

Result<Invocation> Parse(const std::string& line) { return ParseArgv(Words(line)); }

/// "name=value ..." for every flag occurrence, in map order, for compact checks.
std::string FlagsOf(const Invocation& inv) {
  std::string out;
  for (const auto& [name, values] : inv.flags) {
    for (const std::string& v : values) out += (out.empty() ? "" : " ") + name + "=" + v;
  }
  return out;
}

std::string ArgsOf(const Invocation& inv) {
  std::string out;
  for (const std::string& a : inv.args) out += (out.empty() ? "" : " ") + a;
  return out;
}

/// The error message of a parse that must fail.
std::string ErrorOf(const std::string& line) {
  Result<Invocation> r = Parse(line);
  if (r.ok()) return "<parsed ok>";
  return r.error().message;
}

std::string Expand(const std::string& s) {
  std::string out;
  for (const std::string& w : Words(s)) out += (out.empty() ? "" : " ") + w;
  return out;
}

TEST_CASE("argv: command lines of real callers") {
  // argv, verb, flags as "name=value ...", positional arguments.
  auto [line, verb, flags, args] = GENERATE(table<std::string, Verb, std::string, std::string>({
      // Docker 20.10 via containerd-shim-runc-v2 (go-runc: globals, then the
      // verb's flags, then the id).
      {"runc --root /var/run/docker/runtime-runc/moby --log $TASK/log.json --log-format json "
       "create --bundle $TASK --pid-file $TASK/init.pid $ID",
       Verb::kCreate, "bundle=$TASK pid-file=$TASK/init.pid", "$ID"},
      {"runc --root /var/run/docker/runtime-runc/moby --log $TASK/log.json --log-format json "
       "--systemd-cgroup create --bundle $TASK --pid-file $TASK/init.pid "
       "--console-socket /tmp/pty123456/pty.sock --no-pivot --no-new-keyring $ID",
       Verb::kCreate,
       "bundle=$TASK console-socket=/tmp/pty123456/pty.sock no-new-keyring=true "
       "no-pivot=true pid-file=$TASK/init.pid",
       "$ID"},
      {"runc --root /var/run/docker/runtime-runc/moby --log $TASK/log.json --log-format json "
       "exec --process /tmp/runc-process123 --detach --pid-file $TASK/abc.pid $ID",
       Verb::kExec, "detach=true pid-file=$TASK/abc.pid process=/tmp/runc-process123", "$ID"},
      {"runc --root /var/run/docker/runtime-runc/moby exec --process /tmp/runc-process9 "
       "--console-socket /tmp/pty9/pty.sock --detach --pid-file $TASK/e.pid $ID",
       Verb::kExec,
       "console-socket=/tmp/pty9/pty.sock detach=true pid-file=$TASK/e.pid "
       "process=/tmp/runc-process9",
       "$ID"},
      {"runc --root /var/run/docker/runtime-runc/moby update --resources - $ID", Verb::kUpdate,
       "resources=-", "$ID"},
      {"runc --root /var/run/docker/runtime-runc/moby update --resources=- $ID", Verb::kUpdate,
       "resources=-", "$ID"},
      {"runc --root /var/run/docker/runtime-runc/moby delete --force $ID", Verb::kDelete,
       "force=true", "$ID"},
      {"runc --root /var/run/docker/runtime-runc/moby delete $ID", Verb::kDelete, "", "$ID"},
      {"runc --root /var/run/docker/runtime-runc/moby run --bundle $TASK --pid-file $TASK/init.pid "
       "--detach --preserve-fds 2 $ID",
       Verb::kRun, "bundle=$TASK detach=true pid-file=$TASK/init.pid preserve-fds=2", "$ID"},
      // go-runc's restore: checkpoint options, -no-subreaper with one dash, then --bundle.
      {"runc --root /var/run/docker/runtime-runc/moby restore --image-path /ck --work-path /wk "
       "--tcp-established --empty-ns network --detach --pid-file $TASK/init.pid --no-pivot "
       "-no-subreaper --bundle $TASK $ID",
       Verb::kRestore,
       "bundle=$TASK detach=true empty-ns=network image-path=/ck no-pivot=true "
       "no-subreaper=true pid-file=$TASK/init.pid tcp-established=true work-path=/wk",
       "$ID"},
      // Verbs moat leaves to runc keep their words unparsed.
      {"runc --root /var/run/docker/runtime-runc/moby state $ID", Verb::kState, "", "$ID"},
      {"runc --root /var/run/docker/runtime-runc/moby start $ID", Verb::kStart, "", "$ID"},
      {"runc --root /var/run/docker/runtime-runc/moby kill $ID 9", Verb::kKill, "", "$ID 9"},
      {"runc --root /var/run/docker/runtime-runc/moby kill --all $ID 9", Verb::kKill, "",
       "--all $ID 9"},
      {"runc features", Verb::kFeatures, "", ""},
      {"runc --root /var/run/docker/runtime-runc/moby ps --format json $ID", Verb::kPs, "",
       "--format json $ID"},
      {"runc --root /var/run/docker/runtime-runc/moby events --interval=5s $ID", Verb::kEvents, "",
       "--interval=5s $ID"},
      {"runc list --format=json", Verb::kList, "", "--format=json"},
      {"runc pause $ID", Verb::kPause, "", "$ID"},
      {"runc resume $ID", Verb::kResume, "", "$ID"},
      {"runc checkpoint --image-path /ck --leave-running $ID", Verb::kCheckpoint, "",
       "--image-path /ck --leave-running $ID"},
      {"runc spec --rootless", Verb::kSpec, "", "--rootless"},
      // podman 4.3 through conmon: --systemd-cgroup first, then podman's runtime
      // args, then create's flags, runtime opts, the console socket and the id.
      {"runc --root /run/runc --systemd-cgroup create --bundle $USERDATA "
       "--pid-file $USERDATA/pidfile $ID",
       Verb::kCreate, "bundle=$USERDATA pid-file=$USERDATA/pidfile", "$ID"},
      {"runc --systemd-cgroup --log-format=json --log $USERDATA/oci-log create "
       "--bundle $USERDATA --pid-file $USERDATA/pidfile --no-pivot --preserve-fds 3 "
       "--console-socket /tmp/conmon-term.X1Y2Z3 $ID",
       Verb::kCreate,
       "bundle=$USERDATA console-socket=/tmp/conmon-term.X1Y2Z3 no-pivot=true "
       "pid-file=$USERDATA/pidfile preserve-fds=3",
       "$ID"},
      {"runc --log-format=json --log $USERDATA/oci-log exec --pid-file $USERDATA/exec_pid "
       "--process /var/tmp/exec-process-1 --detach --preserve-fds=1 $ID",
       Verb::kExec,
       "detach=true pid-file=$USERDATA/exec_pid preserve-fds=1 process=/var/tmp/exec-process-1",
       "$ID"},
      {"runc --systemd-cgroup restore --bundle $USERDATA --pid-file $USERDATA/pidfile --detach "
       "--image-path $USERDATA/checkpoint --work-path $USERDATA $ID",
       Verb::kRestore,
       "bundle=$USERDATA detach=true image-path=$USERDATA/checkpoint pid-file=$USERDATA/pidfile "
       "work-path=$USERDATA",
       "$ID"},
  }));
  CAPTURE(line);
  Result<Invocation> r = Parse(line);
  REQUIRE(r.ok());
  CHECK(r->verb == verb);
  CHECK(r->verb_name == VerbName(verb));
  CHECK(FlagsOf(*r) == Expand(flags));
  CHECK(ArgsOf(*r) == Expand(args));
}

TEST_CASE("argv: global flags") {
  SECTION("docker's globals") {
    Result<Invocation> r = Parse(
        "runc --root /var/run/docker/runtime-runc/moby --log $TASK/log.json --log-format json "
        "--systemd-cgroup delete $ID");
    REQUIRE(r.ok());
    CHECK(r->global.root == "/var/run/docker/runtime-runc/moby");
    CHECK(r->global.log == Expand("$TASK/log.json"));
    CHECK(r->global.log_format == "json");
    CHECK(r->global.systemd_cgroup);
    CHECK_FALSE(r->global.debug);
    CHECK(r->global.rootless.empty());
  }
  SECTION("one dash is two dashes; =value and a following value; last wins") {
    Result<Invocation> r =
        Parse("runc -root=/a -debug --criu /usr/sbin/criu -rootless=true --root /b state x");
    REQUIRE(r.ok());
    CHECK(r->global.root == "/b");
    CHECK(r->global.debug);
    CHECK(r->global.criu == "/usr/sbin/criu");
    CHECK(r->global.rootless == "true");
    CHECK(r->verb == Verb::kState);
  }
  SECTION("bool flags take =value and never the next word") {
    auto [value, expected] = GENERATE(table<std::string, bool>({
        {"true", true},
        {"1", true},
        {"t", true},
        {"T", true},
        {"TRUE", true},
        {"True", true},
        {"false", false},
        {"0", false},
        {"f", false},
        {"F", false},
        {"FALSE", false},
        {"False", false},
    }));
    Result<Invocation> r =
        Parse("runc --debug=" + value + " --systemd-cgroup=" + value + " state x");
    REQUIRE(r.ok());
    CHECK(r->global.debug == expected);
    CHECK(r->global.systemd_cgroup == expected);
    Result<Invocation> next = Parse("runc --debug state x");
    REQUIRE(next.ok());
    CHECK(next->verb == Verb::kState);
  }
  SECTION("bad bool values") {
    for (const char* v : {"yes", "tRUE", "", "2", "on"}) {
      CHECK_THAT(ErrorOf(std::string("runc --debug=") + v + " state x"),
                 Catch::Contains("invalid boolean value") && Catch::Contains("--debug"));
    }
  }
  SECTION("a value flag takes the next word, whatever it is") {
    Result<Invocation> r = Parse("runc --log --debug state x");
    REQUIRE(r.ok());
    CHECK(r->global.log == "--debug");
    CHECK_FALSE(r->global.debug);
    CHECK(ErrorOf("runc --root create x") == "unknown command \"x\" for runc");
  }
  SECTION("errors") {
    CHECK(ErrorOf("runc --foo create x") == "unknown flag --foo for runc");
    CHECK(ErrorOf("runc -foo=1 state x") == "unknown flag -foo for runc");
    CHECK(ErrorOf("runc --root") == "flag --root of runc needs a value");
    CHECK(ErrorOf("runc ---root /r state x") == "bad flag syntax ---root for runc");
    CHECK(ErrorOf("runc -=x state x") == "bad flag syntax -=x for runc");
    CHECK_THAT(ErrorOf("runc -h --help"), Catch::Contains("two forms"));
    CHECK_THAT(ErrorOf("runc -v --version=true"), Catch::Contains("two forms"));
    CHECK(ErrorOf("runc --log-format yaml state x") == "invalid log-format: yaml");
  }
  SECTION("log-format text and empty are fine") {
    CHECK(Parse("runc --log-format text state x").ok());
    CHECK(Parse("runc --log-format= state x").ok());
  }
  SECTION("-- ends the globals; a lone - is the verb") {
    Result<Invocation> r = Parse("runc --root /r -- state x");
    REQUIRE(r.ok());
    CHECK(r->verb == Verb::kState);
    CHECK(ArgsOf(*r) == "x");
    CHECK(ErrorOf("runc - state x") == "unknown command \"-\" for runc");
    CHECK(ErrorOf("runc -- -- state") == "unknown command \"--\" for runc");
  }
  SECTION("global parsing stops at the verb: later globals belong to the verb") {
    CHECK(ErrorOf("runc create --root /r --bundle /b x") == "unknown flag --root for runc create");
  }
}

TEST_CASE("argv: verbs") {
  SECTION("no verb") {
    for (const char* line : {"runc", "runc --root /r --debug", "runc --"}) {
      Result<Invocation> r = Parse(line);
      REQUIRE(r.ok());
      CHECK(r->verb == Verb::kNone);
      CHECK(r->verb_name.empty());
    }
    Result<Invocation> empty = ParseArgv({});
    REQUIRE(empty.ok());
    CHECK(empty->verb == Verb::kNone);
  }
  SECTION("every verb by name") {
    const Verb verb = GENERATE(Verb::kCheckpoint, Verb::kCreate, Verb::kDelete, Verb::kEvents,
                               Verb::kExec, Verb::kFeatures, Verb::kHelp, Verb::kKill, Verb::kList,
                               Verb::kPause, Verb::kPs, Verb::kRestore, Verb::kResume, Verb::kRun,
                               Verb::kSpec, Verb::kStart, Verb::kState, Verb::kUpdate);
    Result<Invocation> r = ParseArgv({"runc", VerbName(verb), "--help"});
    REQUIRE(r.ok());
    CHECK(r->verb == verb);
    CHECK(r->verb_name == VerbName(verb));
  }
  SECTION("help and its alias h") {
    Result<Invocation> r = Parse("runc h create");
    REQUIRE(r.ok());
    CHECK(r->verb == Verb::kHelp);
    CHECK(r->verb_name == "h");
    CHECK(ArgsOf(*r) == "create");
  }
  SECTION("init only as the very first word, as runc's init.go checks it") {
    Result<Invocation> r = Parse("runc init");
    REQUIRE(r.ok());
    CHECK(r->verb == Verb::kInit);
    CHECK(r->verb_name == "init");
    CHECK(ErrorOf("runc --debug init") == "unknown command \"init\" for runc");
  }
  SECTION("unknown verbs; no prefix matching") {
    CHECK(ErrorOf("runc frobnicate x") == "unknown command \"frobnicate\" for runc");
    CHECK(ErrorOf("runc cre x") == "unknown command \"cre\" for runc");
    CHECK(ErrorOf("runc Create x") == "unknown command \"Create\" for runc");
  }
  SECTION("global --help or --version: runc runs no command") {
    Result<Invocation> r = Parse("runc --help create --no-such-flag x");
    REQUIRE(r.ok());
    CHECK(r->global.help);
    CHECK(r->verb == Verb::kNone);
    CHECK(ArgsOf(*r) == "create --no-such-flag x");
    Result<Invocation> v = Parse("runc -v frobnicate");
    REQUIRE(v.ok());
    CHECK(v->global.version);
    CHECK(v->verb == Verb::kNone);
    Result<Invocation> off = Parse("runc --help=false state x");
    REQUIRE(off.ok());
    CHECK(off->verb == Verb::kState);
  }
  SECTION("a verb's own --help skips the argument count") {
    Result<Invocation> r = Parse("runc create -h");
    REQUIRE(r.ok());
    CHECK(r->verb == Verb::kCreate);
    CHECK(r->Bool("help"));
    CHECK(r->args.empty());
  }
}

TEST_CASE("argv: subcommand flag spellings") {
  // Each line must give bundle /b and container id ctr.
  const std::string line = GENERATE(
      as<std::string>{}, "runc create --bundle /b ctr", "runc create -b /b ctr",
      "runc create --bundle=/b ctr", "runc create -bundle /b ctr", "runc create -bundle=/b ctr",
      "runc create --b /b ctr", "runc create -b=/b ctr", "runc create --bundle /a --bundle /b ctr",
      "runc create -b /a -b=/b ctr", "runc create --bundle /b -- ctr",
      // urfave/cli moves flags after the id in front of it.
      "runc create ctr --bundle /b", "runc create ctr -b /b", "runc create ctr --bundle=/b",
      "runc create ctr --no-pivot=false --bundle /b", "runc run ctr -b /b",
      "runc restore ctr --bundle /b");
  CAPTURE(line);
  Result<Invocation> r = Parse(line);
  REQUIRE(r.ok());
  REQUIRE(r->Last("bundle") != nullptr);
  CHECK(*r->Last("bundle") == "/b");
  CHECK(r->ContainerId() == "ctr");
  CHECK(r->args.size() == 1);
}

TEST_CASE("argv: subcommand flags") {
  SECTION("duplicates keep every value; the last wins") {
    Result<Invocation> r = Parse("runc create --bundle /a --pid-file /p --bundle /b ctr");
    REQUIRE(r.ok());
    CHECK(r->All("bundle") == std::vector<std::string>{"/a", "/b"});
    CHECK(*r->Last("bundle") == "/b");
  }
  SECTION("both spellings of one flag are refused, as urfave/cli's normalizeFlags does") {
    CHECK_THAT(ErrorOf("runc create --bundle /a -b /b ctr"), Catch::Contains("-b") &&
                                                                 Catch::Contains("--bundle") &&
                                                                 Catch::Contains("runc create"));
    CHECK_THAT(ErrorOf("runc exec --env A=1 -e B=2 ctr true"), Catch::Contains("two forms"));
    CHECK_THAT(ErrorOf("runc delete -f --force ctr"), Catch::Contains("two forms"));
  }
  SECTION("bool flags") {
    Result<Invocation> r = Parse("runc create --no-pivot=false --no-new-keyring=T -b /b ctr");
    REQUIRE(r.ok());
    CHECK_FALSE(r->Bool("no-pivot"));
    CHECK(r->Last("no-pivot") != nullptr);
    CHECK(r->Bool("no-new-keyring"));
    CHECK_THAT(ErrorOf("runc create --no-pivot=maybe -b /b ctr"),
               Catch::Contains("invalid boolean value \"maybe\"") && Catch::Contains("--no-pivot"));
  }
  SECTION("a value flag takes the next word even when it looks like a flag") {
    Result<Invocation> r = Parse("runc create --pid-file --no-pivot --bundle /b ctr");
    REQUIRE(r.ok());
    CHECK(*r->Last("pid-file") == "--no-pivot");
    CHECK(r->Last("no-pivot") == nullptr);
    CHECK(*r->Last("bundle") == "/b");
  }
  SECTION("empty values") {
    Result<Invocation> r = ParseArgv({"runc", "create", "--bundle=", "ctr"});
    REQUIRE(r.ok());
    CHECK(*r->Last("bundle") == "");
    Result<Invocation> e = ParseArgv({"runc", "create", "--bundle", "", "ctr"});
    REQUIRE(e.ok());
    CHECK(*e->Last("bundle") == "");
    CHECK(e->ContainerId() == "ctr");
  }
  SECTION("unknown flags and missing values name the flag and the verb") {
    CHECK(ErrorOf("runc create --foo ctr") == "unknown flag --foo for runc create");
    CHECK(ErrorOf("runc create --bundle=/b --foo=bar ctr") == "unknown flag --foo for runc create");
    CHECK(ErrorOf("runc run --keep=1 -x ctr") == "unknown flag -x for runc run");
    CHECK(ErrorOf("runc exec --bundle /b ctr true") == "unknown flag --bundle for runc exec");
    CHECK(ErrorOf("runc update --memory 1g --swap 1 ctr") == "unknown flag --swap for runc update");
    CHECK(ErrorOf("runc delete --all ctr") == "unknown flag --all for runc delete");
    CHECK(ErrorOf("runc restore --parent-path /p ctr") ==
          "unknown flag --parent-path for runc restore");
    CHECK(ErrorOf("runc create --bundle") == "flag --bundle of runc create needs a value");
    CHECK(ErrorOf("runc exec ctr --process") == "<parsed ok>");  // the command's words
    CHECK(ErrorOf("runc exec -p") == "flag -p of runc exec needs a value");
    CHECK(ErrorOf("runc create ---bundle /b ctr") == "bad flag syntax ---bundle for runc create");
  }
  SECTION("integer flags follow Go's strconv.ParseInt(s, 0, 64)") {
    auto [text, value] = GENERATE(table<std::string, std::string>({
        {"0", "0"},
        {"3", "3"},
        {"+3", "3"},
        {"010", "8"},
        {"0o10", "8"},
        {"0x1F", "31"},
        {"0b101", "5"},
        {"1_000", "1000"},
        {"0x_10", "16"},
        {"-0", "0"},
        {"9223372036854775807", "9223372036854775807"},
        {"-9223372036854775808", "-9223372036854775808"},
    }));
    Result<Invocation> r = Parse("runc create --preserve-fds=" + text + " -b /b ctr");
    CAPTURE(text);
    REQUIRE(r.ok());
    CHECK(*r->Last("preserve-fds") == value);
  }
  SECTION("bad integers") {
    for (const char* bad :
         {"", "08", "0x", "1__0", "_1", "1_", "0b2", "1e3", "x", "9223372036854775808",
          "-9223372036854775809", "18446744073709551616"}) {
      CAPTURE(bad);
      CHECK_THAT(ErrorOf(std::string("runc create --preserve-fds=") + bad + " -b /b ctr"),
                 Catch::StartsWith("invalid value") && Catch::Contains("--preserve-fds"));
    }
  }
  SECTION("argument counts follow runc's checkArgs") {
    CHECK(ErrorOf("runc create --bundle /b") ==
          "runc create requires exactly 1 argument(s), got 0");
    CHECK(ErrorOf("runc create --bundle /b a b") ==
          "runc create requires exactly 1 argument(s), got 2");
    CHECK(ErrorOf("runc delete") == "runc delete requires exactly 1 argument(s), got 0");
    CHECK(ErrorOf("runc update --resources -") ==
          "runc update requires exactly 1 argument(s), got 0");
    CHECK(ErrorOf("runc exec --process /p") == "runc exec requires at least 1 argument(s), got 0");
  }
}

TEST_CASE("argv: exec keeps everything after the id (SkipArgReorder)") {
  SECTION("the command's own flags stay with the command") {
    Result<Invocation> r = Parse("runc exec -t ctr sh -c id --process /evil.json");
    REQUIRE(r.ok());
    CHECK(r->Bool("tty"));
    CHECK(r->Last("process") == nullptr);
    CHECK(r->All("cap").empty());
    CHECK(ArgsOf(*r) == "ctr sh -c id --process /evil.json");
    CHECK(r->ContainerId() == "ctr");
  }
  SECTION("repeatable flags keep every value in order") {
    Result<Invocation> r = Parse(
        "runc exec -e A=1 -e B=2,C=3 --cap CAP_NET_ADMIN --cap CAP_SYS_ADMIN -g 10 -g -20 "
        "--cgroup cpu:/a --cgroup memory:/b -u 1000:1000 --cwd /tmp ctr true");
    REQUIRE(r.ok());
    CHECK(r->All("env") == std::vector<std::string>{"A=1", "B=2,C=3"});
    CHECK(r->All("cap") == std::vector<std::string>{"CAP_NET_ADMIN", "CAP_SYS_ADMIN"});
    CHECK(r->All("additional-gids") == std::vector<std::string>{"10", "-20"});
    CHECK(r->All("cgroup") == std::vector<std::string>{"cpu:/a", "memory:/b"});
    CHECK(*r->Last("user") == "1000:1000");
    CHECK(*r->Last("cwd") == "/tmp");
    CHECK(ArgsOf(*r) == "ctr true");
  }
  SECTION("short aliases map to long names") {
    Result<Invocation> r = Parse("runc exec -p /p.json -d -c CAP_CHOWN -e X=1 -t -u 0 ctr");
    REQUIRE(r.ok());
    CHECK(FlagsOf(*r) == "cap=CAP_CHOWN detach=true env=X=1 process=/p.json tty=true user=0");
  }
  SECTION("additional-gids are base-10 Int64Slice values") {
    CHECK_THAT(ErrorOf("runc exec -g 0x10 ctr true"), Catch::StartsWith("invalid value \"0x10\""));
    CHECK_THAT(ErrorOf("runc exec -g 1_0 ctr true"), Catch::StartsWith("invalid value"));
  }
  SECTION("-- and - after the id belong to the command") {
    Result<Invocation> r = Parse("runc exec ctr -- ls -");
    REQUIRE(r.ok());
    CHECK(ArgsOf(*r) == "ctr -- ls -");
    Result<Invocation> before = Parse("runc exec --process /p -- ctr");
    REQUIRE(before.ok());
    CHECK(ArgsOf(*before) == "ctr");
  }
}

TEST_CASE("argv: urfave/cli reordering") {
  SECTION("update with the resources flag first reads - as its value in both versions") {
    Result<Invocation> r = Parse("runc update --resources - ctr");
    REQUIRE(r.ok());
    CHECK(*r->Last("resources") == "-");
    CHECK(r->ContainerId() == "ctr");
  }
  SECTION("the reorder guesses values without looking at the flag's type") {
    // --no-pivot pulls "ctr" along as its value; Go's flag then stops at "ctr"
    // and "--bundle /b" stays positional, so runc refuses the argument count.
    CHECK(ErrorOf("runc create --no-pivot ctr --bundle /b") ==
          "runc create requires exactly 1 argument(s), got 3");
    // A value flag as the last word takes the id as its value.
    CHECK(ErrorOf("runc create ctr --bundle") ==
          "runc create requires exactly 1 argument(s), got 0");
    // "--pid-file -b /b": -b is a flag to both versions, so --pid-file's value is "-b".
    CHECK(ErrorOf("runc create ctr --pid-file -b /b") ==
          "runc create requires exactly 1 argument(s), got 2");
  }
  SECTION("an unknown flag after the id: 1.22.1 moves it and Go refuses it") {
    CHECK(ErrorOf("runc create -b /b ctr --foo") ==
          "as read by upstream runc (urfave/cli 1.22.1): unknown flag --foo for runc create");
  }
  SECTION("words after -- are never reordered") {
    CHECK(ErrorOf("runc create -- ctr --bundle /b") ==
          "runc create requires exactly 1 argument(s), got 3");
  }
  SECTION("words starting with '-' after a value flag are its value in both versions") {
    Result<Invocation> r = Parse("runc create ctr --pid-file -x -b /b");
    REQUIRE(r.ok());
    CHECK(*r->Last("pid-file") == "-x");
    CHECK(*r->Last("bundle") == "/b");
    CHECK(r->ContainerId() == "ctr");
    // runc's own integration test: "runc update test_update --memory-swap -1".
    Result<Invocation> swap = Parse("runc update ctr --memory-swap -1");
    REQUIRE(swap.ok());
    CHECK(*swap->Last("memory-swap") == "-1");
    CHECK(swap->ContainerId() == "ctr");
    Result<Invocation> pids = Parse("runc update --pids-limit -1 ctr");
    REQUIRE(pids.ok());
    CHECK(*pids->Last("pids-limit") == "-1");
  }
  SECTION("lines the two urfave/cli versions read differently are refused") {
    // v1.22.1 (upstream runc 1.1.5) moves every '-' word, never takes "-" or
    // "--" as a value and keeps "--" in place; v1.22.9 (Debian's runc) moves
    // only known flags, takes any other word as a value and moves "--" first.
    for (const char* line : {
             "runc update ctr --resources -",   // 1.22.1: resources=ctr, container "-"
             "runc create ctr --bundle -- /b",  // 1.22.1: bundle=ctr; 1.22.9: bundle="--"
             "runc create ctr -- x",            // "--" kept or moved
             "runc run ctr --bundle - -d",      // 1.22.1: bundle=ctr; 1.22.9: bundle="-"
         }) {
      CAPTURE(line);
      CHECK_THAT(ErrorOf(line), Catch::Contains("1.22.1") && Catch::Contains("1.22.9"));
    }
  }
}

// Each tests/fixtures/argv/*.txt line is one recorded runc command line
// without argv[0] (e.g. docker-20.10.txt, captured from dockerd 20.10).
TEST_CASE("argv: recorded command lines") {
  const std::filesystem::path dir = std::filesystem::path(MOAT_TEST_FIXTURES) / "argv";
  std::size_t lines = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".txt") continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == '#') continue;
      ++lines;
      CAPTURE(entry.path().filename().string(), line);
      Result<Invocation> r = Parse("runc " + line);
      REQUIRE(r.ok());
      CHECK(r->verb != Verb::kNone);
      const std::string id = r->ContainerId();
      CHECK_FALSE(id.empty());
      if (r->verb == Verb::kCreate || r->verb == Verb::kRun || r->verb == Verb::kRestore) {
        REQUIRE(r->Last("bundle") != nullptr);
        CHECK_THAT(*r->Last("bundle"), Catch::EndsWith(id));
      }
      if (r->verb == Verb::kExec) CHECK(r->Last("process") != nullptr);
      if (r->verb == Verb::kUpdate) CHECK(r->Last("resources") != nullptr);
    }
  }
  CHECK(lines > 0);
}

TEST_CASE("argv: Invocation accessors") {
  Invocation inv;
  CHECK(inv.Last("bundle") == nullptr);
  CHECK(inv.All("env").empty());
  CHECK_FALSE(inv.Bool("detach"));
  CHECK(inv.ContainerId().empty());
  CHECK(std::string(VerbName(Verb::kNone)).empty());
  CHECK(std::string(VerbName(Verb::kInit)) == "init");
}

}  // namespace
}  // namespace moat::shim

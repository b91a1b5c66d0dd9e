// moat profile check FILE... / moat profile show NAME
//
// check: parses each profile exactly as moat-runtime does (schema, capability
// names via libcap, contradictions) and reports every problem as
// "moat: FILE:LINE: field: problem". show: the profile moat-runtime would
// apply, every default filled in.
#include <cstdio>
#include <cstdlib>

#include "base/fs.h"
#include "base/json.h"
#include "base/json_where.h"
#include "base/time.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "launcher/profile.h"
#include "rules/rules.h"
#include "shim/config.h"

namespace moat::cli {

namespace {

constexpr size_t kMaxProfile = 1u << 20;

constexpr const char* kUsage =
    "usage: moat profile check FILE...\n"
    "       moat profile show [--output json] NAME\n"
    "       moat profile rules [--at TIME] [MOAT_CONF]\n"
    "\n"
    "check: parses each hardening profile as moat-runtime would and prints every\n"
    "problem as FILE:LINE: field: problem (exit 1 when any has one).\n"
    "show: the profile NAME from moat.conf's profiles_dir, with every default\n"
    "filled in, as JSON.\n"
    "rules: checks moat.conf's rules, exceptions and trusted_hints (default: $MOAT_CONFIG,\n"
    "else /etc/moat/moat.conf) and the profiles they name; prints FILE:LINE: field:\n"
    "problem; exit 1 on an error or an exception expired at TIME (default: now).\n";

/// The parent of a field path: "a.b[2]" -> "a.b", "a.b" -> "a", "a" -> "".
std::string Parent(const std::string& field) {
  size_t cut = field.find_last_of(".[");
  return cut == std::string::npos ? "" : field.substr(0, cut);
}

/// "FILE:LINE: field: problem" from ParseProfile's "FILE: field: problem".
std::string Locate(const std::string& file, const std::string& text, const std::string& message) {
  std::string rest = message.rfind(file + ": ", 0) == 0 ? message.substr(file.size() + 2) : message;
  if (rest.rfind("line ", 0) == 0) return file + ": " + rest;  // a syntax error has its position
  std::string field = rest.substr(0, rest.find(": "));
  for (std::string f = field; !f.empty(); f = Parent(f)) {
    if (auto line = json::LineOfField(text, f)) {
      return file + ":" + std::to_string(*line) + ": " + rest;
    }
  }
  return file + ": " + rest;
}

std::string ProfileName(const std::string& file) {
  std::string base = file.substr(file.find_last_of('/') + 1);
  if (base.size() > 5 && base.compare(base.size() - 5, 5, ".json") == 0)
    base.resize(base.size() - 5);
  return base;
}

int Check(const std::vector<std::string>& files) {
  if (files.empty()) return Fail("profile check: no FILE given", kExitUsage);
  int rc = kExitOk;
  for (const std::string& file : files) {
    auto text = ReadFileNoFollow(file, kMaxProfile);
    if (!text.ok()) {
      Fail(text.error());
      rc = kExitError;
      continue;
    }
    auto p = launcher::ParseProfile(*text, ProfileName(file), file);
    if (!p.ok()) {
      Fail(Locate(file, *text, p.error().message));
      rc = kExitError;
      continue;
    }
    std::printf("%s: ok (profile \"%s\")\n", file.c_str(), p->name.c_str());
  }
  return rc;
}

json::Value Caps(const launcher::CapSet& s) {
  json::Value a = json::Value::Array();
  for (const auto& n : launcher::CapNames(s)) a.Append(json::Value::String(n));
  return a;
}

json::Value ProfileJson(const launcher::Profile& p) {
  using json::Value;
  Value out = Value::Object();
  out.Set("name", Value::String(p.name));
  out.Set("description", Value::String(p.description));
  Value user = Value::Object();
  const char* root = p.root == launcher::RootPolicy::kRefuse  ? "refuse"
                     : p.root == launcher::RootPolicy::kRemap ? "remap"
                                                              : "allow";
  user.Set("root", Value::String(root));
  user.Set("uid", Value::Number(p.remap_uid));
  user.Set("gid", Value::Number(p.remap_gid));
  out.Set("user", std::move(user));
  if (p.caps_set) {
    Value caps = Value::Object();
    caps.Set("drop", Caps(p.drop));
    caps.Set("allow", p.allow ? Caps(*p.allow) : Value::String("(any)"));
    caps.Set("add", Caps(p.add));
    out.Set("capabilities", std::move(caps));
  } else {
    out.Set("capabilities", Value::String("(as requested)"));
  }
  auto tri = [](const std::optional<bool>& b) {
    return b ? Value::Bool(*b) : Value::String("(as requested)");
  };
  out.Set("no_new_privileges", tri(p.no_new_privileges));
  out.Set("readonly_rootfs", tri(p.readonly_rootfs));
  Value tmpfs = Value::Array();
  for (const auto& t : p.tmpfs) {
    Value m = Value::Object();
    m.Set("path", Value::String(t.path));
    Value opts = Value::Array();
    for (const auto& o : t.options) opts.Append(Value::String(o));
    m.Set("options", std::move(opts));
    tmpfs.Append(std::move(m));
  }
  out.Set("tmpfs", std::move(tmpfs));
  out.Set("pids_limit", p.pids_limit ? Value::Number(*p.pids_limit) : Value::String("(none)"));
  Value deny = Value::Object();
  deny.Set("privileged", Value::Bool(p.deny.privileged));
  deny.Set("host_namespaces", Value::Bool(p.deny.host_namespaces));
  deny.Set("cgroup_namespace", Value::Bool(p.deny.cgroup_namespace));
  deny.Set("engine_sockets", Value::Bool(p.deny.engine_sockets));
  deny.Set("host_paths", Value::Bool(p.deny.host_paths));
  deny.Set("devices", Value::Bool(p.deny.devices));
  deny.Set("unconfined_lsm", Value::Bool(p.deny.unconfined_lsm));
  out.Set("deny", std::move(deny));
  out.Set("exec", Value::String(p.exec == launcher::ExecPolicy::kRefuse ? "refuse" : "reduce"));
  out.Set("seccomp", p.seccomp_policy == launcher::SeccompPolicy::kReplace
                         ? Value::String(p.seccomp)
                     : p.seccomp_policy == launcher::SeccompPolicy::kUnconfined
                         ? Value::String("unconfined")
                         : Value::String("(as requested, refused when unconfined)"));
  Value devices = Value::Array();
  for (const auto& d : p.devices) {
    Value m = Value::Object();
    m.Set("type", Value::String(std::string(1, d.number.type)));
    auto num = [](int64_t n) {
      return n == launcher::DeviceNumber::kAny ? Value::String("*") : Value::Number(n);
    };
    m.Set("major", num(d.number.major));
    m.Set("minor", num(d.number.minor));
    m.Set("access", Value::String(d.access));
    devices.Append(std::move(m));
  }
  out.Set("devices", std::move(devices));
  Value secrets = Value::Array();
  for (const auto& r : p.secrets) {
    Value m = Value::Object();
    m.Set("store", Value::String(r.store));
    m.Set("name", Value::String(r.name));
    m.Set("target", Value::String(r.target));
    m.Set("uid", r.uid ? Value::Number(*r.uid) : Value::String("(the container's)"));
    m.Set("gid", r.gid ? Value::Number(*r.gid) : Value::String("(the container's)"));
    char mode[8];
    (void)std::snprintf(mode, sizeof mode, "%04o", r.mode);
    m.Set("mode", Value::String(mode));
    if (!r.env.empty()) m.Set("env", Value::String(r.env));
    Value images = Value::Array();
    for (const auto& i : r.images) images.Append(Value::String(i));
    m.Set("images", std::move(images));
    secrets.Append(std::move(m));
  }
  out.Set("secrets", std::move(secrets));
  return out;
}

int Rules(const std::vector<std::string>& args) {
  auto flags = Flags::Parse(args, {{"at", true, "RFC 3339 time to judge `until` at"}});
  if (!flags.ok()) return Fail("profile rules: " + flags.error().message, kExitUsage);
  if (flags->positional().size() > 1) return Fail("profile rules: at most one FILE", kExitUsage);
  int64_t now = NowUnix();
  if (flags->Has("at")) {
    auto t = ParseRfc3339(flags->Get("at"));
    if (!t.ok()) return Fail("profile rules: --at: " + t.error().Describe(), kExitUsage);
    now = *t;
  }
  const char* env = std::getenv("MOAT_CONFIG");
  const std::string file = !flags->positional().empty()       ? flags->positional()[0]
                           : env != nullptr && env[0] != '\0' ? env
                                                              : shim::kDefaultConfigPath;
  auto text = ReadFileNoFollow(file, 1u << 20);
  if (!text.ok()) return Fail(text.error());
  auto config = shim::ParseConfig(*text, file);
  if (!config.ok()) return Fail(Locate(file, *text, config.error().message));
  auto at = [&](const std::string& where) {
    auto line = json::LineOfField(*text, where);
    return file + (line ? ":" + std::to_string(*line) : "") + ": ";
  };
  int rc = kExitOk;
  const rules::RuleSet& set = config->rules;
  for (const auto& r : set.rules) {
    auto p = launcher::LoadProfile(config->profiles_dir, r.profile);
    if (!p.ok()) {
      Fail(at(r.where + ".profile") + r.where + ".profile: " + p.error().Describe());
      rc = kExitError;
    }
  }
  for (const auto& finding : rules::LintRuleSet(set, now)) {
    const std::string where = finding.substr(0, finding.find(' '));
    const bool expired = finding.find("expired at") != std::string::npos;
    (void)std::fprintf(stderr, "moat: %s%s%s\n", at(where).c_str(),
                       expired ? "error: " : "warning: ", finding.c_str());
    if (expired) rc = kExitError;
  }
  if (rc == kExitOk) {
    std::printf("%s: ok (%zu rules, %zu exceptions, %zu trusted hint sources)\n", file.c_str(),
                set.rules.size(), set.exceptions.size(), set.trusted_hints.size());
  }
  return rc;
}

int Show(const std::vector<std::string>& args) {
  auto flags = Flags::Parse(args, {{"output", true, "json (the only format)"}});
  if (!flags.ok()) return Fail("profile show: " + flags.error().message, kExitUsage);
  if (flags->positional().size() != 1) return Fail("profile show: one NAME", kExitUsage);
  if (flags->Get("output", "json") != "json")
    return Fail("profile show: --output: only json", kExitUsage);
  auto config = shim::LoadConfig();
  if (!config.ok()) return Fail(config.error());
  auto p = launcher::LoadProfile(config->profiles_dir, flags->positional()[0]);
  if (!p.ok()) return Fail(p.error());
  (void)std::fputs((json::Serialize(ProfileJson(*p), true) + "\n").c_str(), stdout);
  return kExitOk;
}

}  // namespace

int RunProfile(const std::vector<std::string>& args) {
  if (args.empty()) {
    (void)std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h") return PrintHelp(kUsage, {});
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "check") {
    if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) return PrintHelp(kUsage, {});
    return Check(rest);
  }
  if (args[0] == "show") return Show(rest);
  if (args[0] == "rules") return Rules(rest);
  return Fail("profile: \"" + args[0] + "\": unknown subcommand (check, show, rules)", kExitUsage);
}

}  // namespace moat::cli

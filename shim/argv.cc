// runc's command line, parsed the way runc 1.1.5 parses it.
//
// Three stages, each mirroring a piece of runc's stack:
//   1. Go's flag package parses the global flags and stops at the first
//      non-flag, the verb (urfave/cli App.Run).
//   2. For commands without SkipArgReorder, urfave/cli moves the flags that
//      follow positional arguments in front of them (Command.parseFlags ->
//      reorderArgs); then Go's flag package parses the result.
//   3. urfave/cli's normalizeFlags refuses two spellings of one flag
//      (-b and --bundle), and runc's checkArgs counts the positional arguments.
//
// Upstream runc 1.1.5 pins urfave/cli v1.22.1 (go.mod); Debian's runc
// 1.1.5+ds1 is built against Debian's urfave/cli 1.22.9, whose reorderArgs
// decides differently which words are flags, which word is a flag's value and
// where "--" goes. moat may front either build, so it parses inspected verbs
// under both rules and refuses any command line on which they disagree: the
// two runc builds would read different bundles or containers from it.
#include "shim/argv.h"

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <span>
#include <string_view>
#include <utility>

namespace moat::shim {
namespace {

/// How Go's flag package reads a flag's value (urfave/cli flag types).
enum class Kind {
  kBool,         // BoolFlag: "--x" or "--x=<strconv.ParseBool>"; never takes the next word
  kString,       // StringFlag: "--x=v" or "--x v"; the next word whatever it looks like
  kInt,          // IntFlag: as kString, value is strconv.ParseInt(v, 0, 64)
  kStringSlice,  // StringSliceFlag: repeatable, no comma splitting in v1
  kInt64Slice,   // Int64SliceFlag: repeatable, strconv.ParseInt(v, 10, 64)
};

struct FlagSpec {
  std::string_view name;   // canonical long name
  std::string_view alias;  // the short name, "" when none
  Kind kind;
};

// urfave/cli adds "help, h" to the app and to every command (HideHelp unset).
constexpr FlagSpec kHelp{"help", "h", Kind::kBool};

// main.go (the app), plus urfave/cli's HelpFlag and VersionFlag.
constexpr FlagSpec kGlobalFlags[] = {
    {"debug", "", Kind::kBool},        {"log", "", Kind::kString},
    {"log-format", "", Kind::kString}, {"root", "", Kind::kString},
    {"criu", "", Kind::kString},       {"systemd-cgroup", "", Kind::kBool},
    {"rootless", "", Kind::kString},   kHelp,
    {"version", "v", Kind::kBool},
};

// create.go
constexpr FlagSpec kCreateFlags[] = {
    {"bundle", "b", Kind::kString},
    {"console-socket", "", Kind::kString},
    {"pid-file", "", Kind::kString},
    {"no-pivot", "", Kind::kBool},
    {"no-new-keyring", "", Kind::kBool},
    {"preserve-fds", "", Kind::kInt},
    kHelp,
};

// run.go
constexpr FlagSpec kRunFlags[] = {
    {"bundle", "b", Kind::kString},   {"console-socket", "", Kind::kString},
    {"detach", "d", Kind::kBool},     {"keep", "", Kind::kBool},
    {"pid-file", "", Kind::kString},  {"no-subreaper", "", Kind::kBool},
    {"no-pivot", "", Kind::kBool},    {"no-new-keyring", "", Kind::kBool},
    {"preserve-fds", "", Kind::kInt}, kHelp,
};

// restore.go
constexpr FlagSpec kRestoreFlags[] = {
    {"console-socket", "", Kind::kString},
    {"image-path", "", Kind::kString},
    {"work-path", "", Kind::kString},
    {"tcp-established", "", Kind::kBool},
    {"ext-unix-sk", "", Kind::kBool},
    {"shell-job", "", Kind::kBool},
    {"file-locks", "", Kind::kBool},
    {"manage-cgroups-mode", "", Kind::kString},
    {"bundle", "b", Kind::kString},
    {"detach", "d", Kind::kBool},
    {"pid-file", "", Kind::kString},
    {"no-subreaper", "", Kind::kBool},
    {"no-pivot", "", Kind::kBool},
    {"empty-ns", "", Kind::kStringSlice},
    {"auto-dedup", "", Kind::kBool},
    {"lazy-pages", "", Kind::kBool},
    {"lsm-profile", "", Kind::kString},
    {"lsm-mount-context", "", Kind::kString},
    kHelp,
};

// exec.go (SkipArgReorder: everything after the container id is the command)
constexpr FlagSpec kExecFlags[] = {
    {"console-socket", "", Kind::kString},
    {"cwd", "", Kind::kString},
    {"env", "e", Kind::kStringSlice},
    {"tty", "t", Kind::kBool},
    {"user", "u", Kind::kString},
    {"additional-gids", "g", Kind::kInt64Slice},
    {"process", "p", Kind::kString},
    {"detach", "d", Kind::kBool},
    {"pid-file", "", Kind::kString},
    {"process-label", "", Kind::kString},
    {"apparmor", "", Kind::kString},
    {"no-new-privs", "", Kind::kBool},
    {"cap", "c", Kind::kStringSlice},
    {"preserve-fds", "", Kind::kInt},
    {"cgroup", "", Kind::kStringSlice},
    {"ignore-paused", "", Kind::kBool},
    kHelp,
};

// update.go (kernel-memory and kernel-memory-tcp are hidden but accepted)
constexpr FlagSpec kUpdateFlags[] = {
    {"resources", "r", Kind::kString},
    {"blkio-weight", "", Kind::kInt},
    {"cpu-period", "", Kind::kString},
    {"cpu-quota", "", Kind::kString},
    {"cpu-share", "", Kind::kString},
    {"cpu-rt-period", "", Kind::kString},
    {"cpu-rt-runtime", "", Kind::kString},
    {"cpuset-cpus", "", Kind::kString},
    {"cpuset-mems", "", Kind::kString},
    {"kernel-memory", "", Kind::kString},
    {"kernel-memory-tcp", "", Kind::kString},
    {"memory", "", Kind::kString},
    {"memory-reservation", "", Kind::kString},
    {"memory-swap", "", Kind::kString},
    {"pids-limit", "", Kind::kInt},
    {"l3-cache-schema", "", Kind::kString},
    {"mem-bw-schema", "", Kind::kString},
    kHelp,
};

// delete.go
constexpr FlagSpec kDeleteFlags[] = {{"force", "f", Kind::kBool}, kHelp};

/// runc's checkArgs(context, n, exactArgs | minArgs).
enum class Count { kExactly, kAtLeast };

struct VerbSpec {
  std::string_view name;  // a string literal, so name.data() is NUL-terminated
  Verb verb;
  /// The verb's flags; empty for verbs moat leaves to runc unparsed.
  std::span<const FlagSpec> flags = {};
  bool skip_reorder = false;
  Count count = Count::kExactly;
  std::size_t nargs = 1;

  bool Inspected() const { return !flags.empty(); }
};

// main.go's app.Commands plus urfave/cli's "help" command (alias "h"); no
// prefix matching. "init" is not here: runc's init.go handles it before
// urfave/cli runs. (ps also sets SkipArgReorder; moat leaves ps to runc.)
constexpr VerbSpec kVerbs[] = {
    {"checkpoint", Verb::kCheckpoint},
    {"create", Verb::kCreate, kCreateFlags},
    {"delete", Verb::kDelete, kDeleteFlags},
    {"events", Verb::kEvents},
    {"exec", Verb::kExec, kExecFlags, /*skip_reorder=*/true, Count::kAtLeast, 1},
    {"features", Verb::kFeatures},
    {"help", Verb::kHelp},
    {"h", Verb::kHelp},
    {"kill", Verb::kKill},
    {"list", Verb::kList},
    {"pause", Verb::kPause},
    {"ps", Verb::kPs},
    {"restore", Verb::kRestore, kRestoreFlags},
    {"resume", Verb::kResume},
    {"run", Verb::kRun, kRunFlags},
    {"spec", Verb::kSpec},
    {"start", Verb::kStart},
    {"state", Verb::kState},
    {"update", Verb::kUpdate, kUpdateFlags},
};

const FlagSpec* FindFlag(std::span<const FlagSpec> table, std::string_view name) {
  for (const FlagSpec& f : table) {
    if (name == f.name || (!f.alias.empty() && name == f.alias)) return &f;
  }
  return nullptr;
}

// ---- Go's strconv, as far as the flag types above need it. ----

char Lower(char c) { return static_cast<char>(c | ('x' - 'X')); }

/// strconv.ParseBool.
bool ParseGoBool(std::string_view s, bool* out) {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (s == t) {
      *out = true;
      return true;
    }
  }
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (s == f) {
      *out = false;
      return true;
    }
  }
  return false;
}

/// strconv's underscoreOK: "_" only between digits (a base prefix counts as one).
bool UnderscoreOk(std::string_view s) {
  char saw = '^';  // '^' start, '0' digit or prefix, '_' underscore, '!' other
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  bool hex = false;
  std::size_t i = 0;
  if (s.size() >= 2 && s[0] == '0' &&
      (Lower(s[1]) == 'b' || Lower(s[1]) == 'o' || Lower(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = Lower(s[1]) == 'x';
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if ((c >= '0' && c <= '9') || (hex && Lower(c) >= 'a' && Lower(c) <= 'f')) {
      saw = '0';
    } else if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
    } else {
      if (saw == '_') return false;
      saw = '!';
    }
  }
  return saw != '_';
}

/// strconv.ParseUint(s, base, 64) for base 0 (Go literal prefixes) or 10.
bool ParseGoUint(std::string_view s, int base, std::uint64_t* out) {
  if (s.empty()) return false;
  const std::string_view whole = s;
  const bool base0 = base == 0;
  if (base0) {
    base = 10;
    if (s[0] == '0') {  // 0b, 0o, 0x need a digit after them; a bare 0 is octal
      const char p = s.size() >= 3 ? Lower(s[1]) : '\0';
      if (p == 'b' || p == 'o' || p == 'x') {
        base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
        s.remove_prefix(2);
      } else {
        base = 8;
        s.remove_prefix(1);
      }
    }
  }
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t n = 0;
  bool underscores = false;
  for (const char c : s) {
    int d = 0;
    if (c == '_' && base0) {
      underscores = true;
      continue;
    }
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (Lower(c) >= 'a' && Lower(c) <= 'z') {
      d = Lower(c) - 'a' + 10;
    } else {
      return false;
    }
    if (d >= base || n > kMax / static_cast<std::uint64_t>(base)) return false;
    n *= static_cast<std::uint64_t>(base);
    if (n > kMax - static_cast<std::uint64_t>(d)) return false;
    n += static_cast<std::uint64_t>(d);
  }
  if (underscores && !UnderscoreOk(whole)) return false;
  *out = n;
  return true;
}

/// strconv.ParseInt(s, base, 64), as decimal text.
bool ParseGoInt(std::string_view s, int base, std::string* out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  std::uint64_t u = 0;
  if (!ParseGoUint(s, base, &u)) return false;
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63;
  if (neg ? u > kLimit : u >= kLimit) return false;
  *out = (neg && u != 0 ? "-" : "") + std::to_string(u);
  return true;
}

// ---- Go's flag package. ----

struct Occurrence {
  const FlagSpec* spec;
  bool via_alias;
  std::string value;  // bools as "true"/"false", ints in decimal
};

struct Parsed {
  std::vector<Occurrence> set;
  std::vector<std::string> rest;  // FlagSet.Args()
};

/// FlagSet.Parse: flags until the first non-flag or "--"; the rest is positional.
/// `where` names the command in errors ("runc", "runc create").
Result<Parsed> ParseGoFlags(std::span<const FlagSpec> table, std::span<const std::string> args,
                            const std::string& where) {
  Parsed out;
  std::size_t i = 0;
  while (i < args.size()) {
    const std::string& s = args[i];
    if (s.size() < 2 || s[0] != '-') break;  // a lone "-" is positional
    const std::size_t dashes = s[1] == '-' ? 2 : 1;
    if (s.size() == 2 && dashes == 2) {  // "--" ends the flags and is dropped
      ++i;
      break;
    }
    std::string_view name = std::string_view(s).substr(dashes);
    if (name.empty() || name[0] == '-' || name[0] == '=') {
      return Error{"bad flag syntax " + s + " for " + where};
    }
    ++i;
    const std::size_t eq = name.find('=');
    const bool has_value = eq != std::string_view::npos;
    std::string value = has_value ? std::string(name.substr(eq + 1)) : std::string();
    if (has_value) name = name.substr(0, eq);
    const std::string written = s.substr(0, dashes + name.size());
    const FlagSpec* spec = FindFlag(table, name);
    if (spec == nullptr) return Error{"unknown flag " + written + " for " + where};

    if (spec->kind == Kind::kBool) {
      bool b = true;
      if (has_value && !ParseGoBool(value, &b)) {
        return Error{"invalid boolean value \"" + value + "\" for flag " + written + " of " +
                     where};
      }
      value = b ? "true" : "false";
    } else {
      if (!has_value) {
        if (i == args.size()) return Error{"flag " + written + " of " + where + " needs a value"};
        value = args[i++];  // Go takes the next word even when it starts with '-'
      }
      if (spec->kind == Kind::kInt || spec->kind == Kind::kInt64Slice) {
        std::string number;
        if (!ParseGoInt(value, spec->kind == Kind::kInt ? 0 : 10, &number)) {
          return Error{"invalid value \"" + value + "\" for flag " + written + " of " + where};
        }
        value = std::move(number);
      }
    }
    out.set.push_back(Occurrence{spec, name == spec->alias, std::move(value)});
  }
  out.rest.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return out;
}

/// urfave/cli's normalizeFlags: one flag may be spelled one way only.
Status CheckOneSpelling(const Parsed& p, const std::string& where) {
  for (std::size_t i = 0; i < p.set.size(); ++i) {
    for (std::size_t j = i + 1; j < p.set.size(); ++j) {
      if (p.set[i].spec == p.set[j].spec && p.set[i].via_alias != p.set[j].via_alias) {
        const FlagSpec& f = *p.set[i].spec;
        return Error{where + " refuses both -" + std::string(f.alias) + " and --" +
                     std::string(f.name) + " (two forms of the same flag)"};
      }
    }
  }
  return Status::Ok();
}

// ---- urfave/cli's reorderArgs. ----
//
// Both versions move flags (and what may be their values) in front of the
// positional arguments, keeping each group's order, and both guess "may be a
// value" without looking at the flag's type: a bool flag pulls the next word
// forward too, where Go's flag package then stops at it.

enum class Urfave { k1_22_1, k1_22_9 };

/// v1.22.1 (the v1.21.0 code; v1.22.2 replaced it): every word starting with
/// '-' except "-" counts as a flag, known or not; the word after a flag
/// without '=' is its value unless it starts with '-'; "--" and everything
/// after it stay where they are, at the end.
std::vector<std::string> ReorderV1221(std::span<const std::string> args) {
  std::vector<std::string> flags;
  std::vector<std::string> rest;
  bool may_be_value = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool dash = !arg.empty() && arg[0] == '-';
    if (arg == "--") {
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (may_be_value && !dash) {
      may_be_value = false;
      flags.push_back(arg);
      continue;
    }
    may_be_value = false;
    if (dash && arg != "-") {
      flags.push_back(arg);
      may_be_value = arg.find('=') == std::string::npos;
    } else {
      rest.push_back(arg);
    }
  }
  flags.insert(flags.end(), rest.begin(), rest.end());
  return flags;
}

/// argIsFlag (v1.22.2 on): strip "--" then "-" (so up to three dashes), cut
/// at '=', and look the name up among the command's flags. "-" and "--" come
/// out as "" and are never flags.
bool ArgIsFlag(std::span<const FlagSpec> table, std::string_view arg) {
  if (arg.empty() || arg[0] != '-') return false;
  if (arg.substr(0, 2) == "--") arg.remove_prefix(2);
  if (!arg.empty() && arg[0] == '-') arg.remove_prefix(1);
  return FindFlag(table, arg.substr(0, arg.find('='))) != nullptr;
}

/// v1.22.9: only the command's own flags move; the word after one without
/// '=' is its value unless it is itself one of the command's flags (so "-",
/// "--" and unknown "-x" can be values); a "--" elsewhere goes in front of
/// the positional arguments collected so far, and everything after it
/// follows them. Unknown "-x" words elsewhere stay positional.
std::vector<std::string> ReorderV1229(std::span<const FlagSpec> table,
                                      std::span<const std::string> args) {
  std::vector<std::string> flags;
  std::vector<std::string> rest;
  bool may_be_value = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool is_flag = ArgIsFlag(table, arg);
    if (may_be_value && !is_flag) {
      may_be_value = false;
      flags.push_back(arg);
    } else if (arg == "--") {
      rest.insert(rest.begin(), "--");
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    } else if (is_flag) {
      flags.push_back(arg);
      may_be_value = arg.find('=') == std::string::npos;
    } else {
      rest.push_back(arg);
    }
  }
  flags.insert(flags.end(), rest.begin(), rest.end());
  return flags;
}

struct CommandArgs {
  std::map<std::string, std::vector<std::string>> flags;
  std::vector<std::string> args;
  bool operator==(const CommandArgs&) const = default;
};

/// One inspected command's flags and arguments under one urfave/cli version.
Result<CommandArgs> ParseCommand(const VerbSpec& verb, std::span<const std::string> tail,
                                 Urfave v) {
  const std::string where = "runc " + std::string(verb.name);
  std::vector<std::string> words(tail.begin(), tail.end());
  if (!verb.skip_reorder) {
    words = v == Urfave::k1_22_1 ? ReorderV1221(words) : ReorderV1229(verb.flags, words);
  }
  Result<Parsed> parsed = ParseGoFlags(verb.flags, words, where);
  if (!parsed.ok()) return parsed.error();
  MOAT_TRY(CheckOneSpelling(*parsed, where));
  CommandArgs out;
  for (Occurrence& o : parsed->set) out.flags[std::string(o.spec->name)].push_back(o.value);
  out.args = std::move(parsed->rest);
  return out;
}

/// Fills GlobalFlags; the last occurrence of each flag wins, as in Go.
void SetGlobals(const Parsed& p, GlobalFlags* g) {
  for (const Occurrence& o : p.set) {
    const std::string_view n = o.spec->name;
    const bool on = o.value == "true";
    if (n == "debug") g->debug = on;
    if (n == "systemd-cgroup") g->systemd_cgroup = on;
    if (n == "help") g->help = on;
    if (n == "version") g->version = on;
    if (n == "log") g->log = o.value;
    if (n == "log-format") g->log_format = o.value;
    if (n == "root") g->root = o.value;
    if (n == "criu") g->criu = o.value;
    if (n == "rootless") g->rootless = o.value;
  }
}

}  // namespace

const std::string* Invocation::Last(const std::string& name) const {
  const auto it = flags.find(name);
  if (it == flags.end() || it->second.empty()) return nullptr;
  return &it->second.back();
}

std::vector<std::string> Invocation::All(const std::string& name) const {
  const auto it = flags.find(name);
  return it == flags.end() ? std::vector<std::string>{} : it->second;
}

bool Invocation::Bool(const std::string& name) const {
  const std::string* v = Last(name);
  return v != nullptr && *v == "true";
}

std::string Invocation::ContainerId() const { return args.empty() ? std::string() : args[0]; }

Result<Invocation> ParseArgv(const std::vector<std::string>& argv) {
  Invocation inv;
  if (argv.size() < 2) return inv;
  // runc's init.go acts on os.Args[1] == "init" before any flag parsing.
  if (argv[1] == "init") {
    inv.verb = Verb::kInit;
    inv.verb_name = "init";
    inv.args.assign(argv.begin() + 2, argv.end());
    return inv;
  }

  Result<Parsed> globals = ParseGoFlags(kGlobalFlags, std::span(argv).subspan(1), "runc");
  if (!globals.ok()) return globals.error();
  MOAT_TRY(CheckOneSpelling(*globals, "runc"));
  SetGlobals(*globals, &inv.global);
  std::vector<std::string>& rest = globals->rest;

  // urfave/cli prints help or the version and runs no command at all.
  if (inv.global.help || inv.global.version) {
    inv.args = std::move(rest);
    return inv;
  }
  // runc's app.Before (configLogrus) refuses other formats before any command.
  const std::string& lf = inv.global.log_format;
  if (!lf.empty() && lf != "text" && lf != "json") {
    return Error{"invalid log-format: " + lf};
  }
  if (rest.empty()) return inv;

  const VerbSpec* verb = nullptr;
  for (const VerbSpec& v : kVerbs) {
    if (rest[0] == v.name) verb = &v;
  }
  if (verb == nullptr) return Error{"unknown command \"" + rest[0] + "\" for runc"};
  inv.verb = verb->verb;
  inv.verb_name = rest[0];
  const std::span<const std::string> tail = std::span(rest).subspan(1);
  if (!verb->Inspected()) {
    inv.args.assign(tail.begin(), tail.end());
    return inv;
  }

  Result<CommandArgs> upstream = ParseCommand(*verb, tail, Urfave::k1_22_1);
  Result<CommandArgs> debian = ParseCommand(*verb, tail, Urfave::k1_22_9);
  if (!debian.ok()) return debian.error();
  if (!upstream.ok()) return upstream.error().Wrap("as read by upstream runc (urfave/cli 1.22.1)");
  if (!(*upstream == *debian)) {
    return Error{"runc " + inv.verb_name +
                 ": flags after arguments are read differently by urfave/cli 1.22.1 and "
                 "1.22.9 (upstream and Debian runc builds); put flags before the container id"};
  }
  inv.flags = std::move(debian->flags);
  inv.args = std::move(debian->args);

  // urfave/cli shows the command's help instead of running it.
  if (inv.Bool("help")) return inv;
  const std::size_t n = inv.args.size();
  if (verb->count == Count::kExactly && n != verb->nargs) {
    return Error{"runc " + inv.verb_name + " requires exactly " + std::to_string(verb->nargs) +
                 " argument(s), got " + std::to_string(n)};
  }
  if (verb->count == Count::kAtLeast && n < verb->nargs) {
    return Error{"runc " + inv.verb_name + " requires at least " + std::to_string(verb->nargs) +
                 " argument(s), got " + std::to_string(n)};
  }
  return inv;
}

const char* VerbName(Verb v) {
  if (v == Verb::kInit) return "init";
  for (const VerbSpec& spec : kVerbs) {  // "help" comes before its alias "h"
    if (spec.verb == v) return spec.name.data();
  }
  return "";
}

bool ParseGoInt64(std::string_view s, int base, int64_t* out) {
  std::string text;
  if (!ParseGoInt(s, base, &text)) return false;
  *out = std::strtoll(text.c_str(), nullptr, 10);  // in range: ParseGoInt checked it
  return true;
}

}  // namespace moat::shim

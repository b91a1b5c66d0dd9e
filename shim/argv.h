// runc's command-line grammar, modelled from tables.
//
// runc (1.1) parses with urfave/cli v1 on top of Go's flag package: global
// flags, then the subcommand, then the subcommand's flags and arguments.
// moat must read the same bundle, process file and resources that runc will,
// so this parser follows the same rules; anything it does not know is an
// error, never a guess.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace moat::shim {

/// runc's subcommands. kUnknown never leaves ParseArgv (it is an error).
enum class Verb {
  kNone,  // no subcommand (runc prints help)
  kCheckpoint,
  kCreate,
  kDelete,
  kEvents,
  kExec,
  kFeatures,
  kHelp,
  kInit,
  kKill,
  kList,
  kPause,
  kPs,
  kRestore,
  kResume,
  kRun,
  kSpec,
  kStart,
  kState,
  kUpdate,
};

/// runc's global flags, as given (empty / false when absent).
struct GlobalFlags {
  std::string root;
  std::string log;
  std::string log_format;  // "text" (default) or "json"
  std::string criu;
  std::string rootless;
  bool debug = false;
  bool systemd_cgroup = false;
  bool help = false;
  bool version = false;
};

/// One parsed runc invocation.
struct Invocation {
  GlobalFlags global;
  Verb verb = Verb::kNone;
  std::string verb_name;  // as written in argv ("h" and "help" both give kHelp)
  /// The subcommand's flags by canonical long name ("bundle" for -b/--bundle).
  /// Every occurrence is kept in order; for non-repeatable flags the last wins.
  std::map<std::string, std::vector<std::string>> flags;
  /// Positional arguments after the subcommand's flags (container id first).
  std::vector<std::string> args;

  /// The last value of a flag, or nullptr when it was not given.
  const std::string* Last(const std::string& name) const;
  /// All values of a repeatable flag (empty when not given).
  std::vector<std::string> All(const std::string& name) const;
  /// A boolean flag's value (false when not given).
  bool Bool(const std::string& name) const;
  /// The container id (first positional argument), or "" when absent.
  std::string ContainerId() const;
};

/// Parses argv (argv[0] included and ignored). Errors name the flag:
/// "unknown flag --foo for runc create", "flag --bundle needs a value".
/// For verbs moat does not inspect (anything but create, run, restore, exec,
/// update, delete) only the global flags and the verb are parsed; the rest
/// of argv is left to runc.
Result<Invocation> ParseArgv(const std::vector<std::string>& argv);

/// Go's strconv.ParseInt(s, base, 64) for base 10 (strconv.Atoi: what runc
/// uses for exec --user's uid) or 0 (literal prefixes and underscores, as
/// urfave/cli's integer flags read them).
bool ParseGoInt64(std::string_view s, int base, int64_t* out);

/// The verb's name as runc spells it ("create", ...).
const char* VerbName(Verb v);

}  // namespace moat::shim

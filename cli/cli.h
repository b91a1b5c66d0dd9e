// The operator's CLI (`moat`): shared pieces of every subcommand.
// Format of errors: one line, "moat: <file>: <field>: <problem>".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace moat::cli {

/// One flag a subcommand accepts: `--name VALUE` / `--name=VALUE` when
/// `takes_value`, else a boolean `--name`. Go-style single-dash spellings
/// (`-name`) are accepted too.
struct FlagSpec {
  std::string name;
  bool takes_value = false;
  std::string help;  // one line for --help ("--key FILE   the signing key")
};

/// A subcommand's arguments, parsed against its FlagSpecs. `--` ends flags.
/// A flag given twice keeps every value (GetAll); Get returns the last.
class Flags {
 public:
  /// Unknown flags and missing values are errors ("--kye: unknown flag").
  static Result<Flags> Parse(const std::vector<std::string>& args,
                             const std::vector<FlagSpec>& specs);
  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> GetAll(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

/// Prints "moat: <message>" (one line) to stderr and returns exit code `code`.
int Fail(const std::string& message, int code = 1);
inline int Fail(const Error& e, int code = 1) { return Fail(e.Describe(), code); }

/// Prints a subcommand's usage: `usage` (its synopsis and description
/// lines), then one line per flag. Returns 0.
int PrintHelp(const std::string& usage, const std::vector<FlagSpec>& specs);

/// The preamble of every subcommand: parses `args` against `specs`. Returns
/// the flags to run with, or nullopt with `*exit_code` set: 2 after printing
/// "moat: <command>: <problem>" for a bad flag, 0 after printing `usage` and
/// the flags for --help.
std::optional<Flags> ParseCommand(const std::string& command, const std::vector<std::string>& args,
                                  const std::vector<FlagSpec>& specs, const std::string& usage,
                                  int* exit_code);

/// --output's value: "text" when absent; anything but text or json prints a
/// usage error for `command` and gives nullopt.
std::optional<std::string> OutputFormat(const Flags& flags, const std::string& command);

/// True when stdout is a terminal and $NO_COLOR is unset.
bool UseColor();

/// Every subcommand takes its arguments after its own name and returns the
/// process exit code (0 = success / allow; 1 = error; 2 = usage; 3 = deny).
using CommandFn = int (*)(const std::vector<std::string>& args);

/// Exit codes shared by the subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitDeny = 3;

}  // namespace moat::cli

// moat-runtime's flow: parse runc's argv, check what brings configuration in,
// then execve the real runtime with argv untouched.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/status.h"
#include "launcher/profile.h"
#include "rules/rules.h"
#include "shim/argv.h"
#include "shim/audit.h"
#include "shim/config.h"

namespace moat::shim {

/// Everything one invocation's checks need.
struct Context {
  const Config& config;
  const Invocation& inv;
  Logger& log;
};

/// Runs moat-runtime. Returns only when the runtime is not exec'd (refusal
/// or error); the return value is the exit code.
int RunShim(int argc, char** argv);

/// create, run, restore: harden the bundle's config.json.
Status CheckBundle(const Context& ctx);
/// exec: fit --process FILE, and check --cap and --user, against the profile.
Status CheckExec(const Context& ctx);
/// update: refuse raising the profile's pids limit.
Status CheckUpdate(const Context& ctx);

/// The profile that governs an existing container (the one it was created
/// under, else the default), and the capability ceiling recorded for it.
/// The profile is widened by the exceptions create applied that moat.conf
/// still has and that have not expired (by name: removing an exception from
/// moat.conf revokes it for exec too).
struct Governing {
  launcher::Profile profile;
  bool has_ceiling = false;
  launcher::CapSet ceiling;
  std::string rule;                              // as recorded at create; empty if not
  std::vector<std::string> exceptions;           // applied here
  std::vector<const rules::Exception*> expired;  // recorded at create, now past `until`
};
Result<Governing> GoverningProfile(const Context& ctx, const std::string& id);
/// Names `g`'s rule and exceptions in `rec`; when there are `denials`, adds
/// the expired exceptions to them, as a create's refusal names them.
void NoteGoverning(const Governing& g, std::vector<std::string>* denials, AuditRecord* rec);

/// Turns a decision into an audit record and a Status: in audit mode always
/// Ok; in enforce mode an Error when there are denials or `apply` fails; in
/// warn mode `apply` runs and denials are warnings (log and record).
/// `apply` (may be empty) makes the changes: enforce mode with no denials,
/// or warn mode, before the record is written. `mode` defaults to moat.conf's.
Status Decide(const Context& ctx, AuditRecord rec, const std::vector<std::string>& denials,
              const std::vector<std::string>& changes, const std::function<Status()>& apply,
              std::optional<Mode> mode = std::nullopt);

/// Runs the downstream runtime (moat.conf `runtime`, checked root-owned) as a
/// child with `argv` and moat's environment less MOAT_* variables, and waits.
/// Returns its exit status (128+N when killed by signal N; 1 when it could
/// not be started, with the reason logged).
int RunRuntimeChild(const Config& config, char** argv, Logger& log);

/// RunRuntimeChild's work: while the runtime runs, SIGHUP, SIGINT, SIGQUIT,
/// SIGTERM, SIGUSR1, SIGUSR2, SIGALRM and SIGWINCH sent to moat are passed
/// on to it (those a terminal sent to the whole process group are not sent
/// twice). `after` (may be empty) runs with the wait status (-1: could not
/// wait; the runtime was then killed) once it has exited, while those
/// signals are still held, so that a signal cannot cut it short. Returns
/// the raw wait status, or -1 when the runtime could not be started (then
/// `after` has not run).
int SpawnRuntime(const Config& config, char** argv, Logger& log,
                 const std::function<void(int)>& after);

/// A raw wait status as an exit code: 128+N for signal N; 1 for -1.
int ExitCodeOf(int status);

/// Joins with "; ".
std::string JoinReasons(const std::vector<std::string>& v);

}  // namespace moat::shim

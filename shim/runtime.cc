#include "shim/runtime.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "base/fs.h"
#include "shim/secret_dir.h"
#include "shim/state.h"

namespace moat::shim {

std::string JoinReasons(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "; ") + s;
  return out;
}

Result<Governing> GoverningProfile(const Context& ctx, const std::string& id) {
  Governing g;
  auto st = LoadContainerState(ctx.config.state_dir, id);
  if (!st.ok()) return st.error();
  std::string name = ctx.config.default_profile;
  if (st->has_value()) {
    name = (*st)->profile;
    g.has_ceiling = true;
    g.ceiling = (*st)->bounding;
  }
  auto p = launcher::LoadProfile(ctx.config.profiles_dir, name);
  if (!p.ok()) return p.error();
  g.profile = std::move(p.value());
  return g;
}

Status Decide(const Context& ctx, AuditRecord rec, const std::vector<std::string>& denials,
              const std::vector<std::string>& changes, const std::function<Status()>& apply) {
  rec.changes = changes;
  rec.reasons = denials;
  if (ctx.config.mode == Mode::kAudit) {
    rec.mode = "audit";
    rec.decision = denials.empty() ? "allow" : "audit";
    if (!denials.empty()) {
      ctx.log.Warning(rec.verb + " " + rec.id +
                      ": audit mode, enforce would refuse: " + JoinReasons(denials));
    }
    Status st = WriteAudit(ctx.config.audit_log, rec);
    if (!st.ok()) ctx.log.Warning(st.error().Describe());
    return Status::Ok();
  }
  rec.mode = "enforce";
  if (!denials.empty()) {
    rec.decision = "deny";
    Status st = WriteAudit(ctx.config.audit_log, rec);
    if (!st.ok()) ctx.log.Warning(st.error().Describe());
    return Error{rec.verb + " " + rec.id + " refused: " + JoinReasons(denials)};
  }
  if (apply) MOAT_TRY(apply());
  rec.decision = "allow";
  return WriteAudit(ctx.config.audit_log, rec);
}

namespace {

// The runtime gets moat's environment less moat's own variables.
std::vector<char*> RuntimeEnv() {
  std::vector<char*> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "MOAT_", 5) == 0) continue;
    env.push_back(*e);
  }
  env.push_back(nullptr);
  return env;
}

// Ignored signals and the signal mask survive execve. Libraries moat uses
// (gpgme) ignore SIGPIPE; runc and the container must start from defaults.
void ResetSignals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

Status CheckRuntimeBinary(const Config& config) {
  struct stat st {};
  if (::stat(config.runtime.c_str(), &st) != 0) {
    return ErrnoError(config.file + ": runtime: " + config.runtime);
  }
  Status owned = CheckRootOwned(st, config.runtime);
  if (!owned.ok()) return owned.error().Wrap(config.file + ": runtime");
  // After `moat-node takeover` the node's runc is moat-runtime: a moat.conf
  // still naming that path (a symlink or hard link to this binary) would
  // exec moat again, forever. One more stat, on every verb.
  struct stat self {};
  if (::stat("/proc/self/exe", &self) == 0 && self.st_dev == st.st_dev &&
      self.st_ino == st.st_ino) {
    return Error{config.file + ": runtime: " + config.runtime +
                 " is moat-runtime itself (an exec loop); set runtime to the real runc or crun, "
                 "e.g. the moved-aside " MOAT_REAL_RUNTIME_DIR "/runc after moat-node takeover"};
  }
  return Status::Ok();
}

int ExecRuntime(const Config& config, char** argv, Logger& log) {
  Status ok = CheckRuntimeBinary(config);
  if (!ok.ok()) {
    log.Error(ok.error().Describe());
    return 1;
  }
  std::vector<char*> env = RuntimeEnv();
  ResetSignals();
  ::execve(config.runtime.c_str(), argv, env.data());
  log.Error(config.file + ": runtime: cannot execute " + config.runtime + ": " +
            std::strerror(errno));
  return 1;
}

}  // namespace

int RunRuntimeChild(const Config& config, char** argv, Logger& log) {
  Status ok = CheckRuntimeBinary(config);
  if (!ok.ok()) {
    log.Error(ok.error().Describe());
    return 1;
  }
  std::vector<char*> env = RuntimeEnv();
  pid_t pid = ::fork();
  if (pid < 0) {
    log.Error(std::string("fork: ") + std::strerror(errno));
    return 1;
  }
  if (pid == 0) {
    ResetSignals();
    ::execve(config.runtime.c_str(), argv, env.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      log.Error(std::string("waitpid: ") + std::strerror(errno));
      return 1;
    }
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

namespace {

// delete: moat's record of the container and its secrets may go only once
// runc has deleted it (a refused delete of a running container keeps them),
// so the runtime runs as a child here, the one verb that costs a fork.
int RunDelete(const Config& config, const Invocation& inv, char** argv, Logger& log) {
  int rc = RunRuntimeChild(config, argv, log);
  if (rc != 0) return rc;
  RemoveContainerState(config.state_dir, inv.ContainerId());
  Status wiped = WipeSecretDir(config.state_dir, inv.ContainerId(),
                               RuntimeRoot(inv.global.root, config.runtime));
  if (!wiped.ok()) log.Warning("delete: " + wiped.error().Describe());
  return 0;
}

Status Check(const Context& ctx) {
  if (ctx.inv.Bool("help")) return Status::Ok();
  switch (ctx.inv.verb) {
    case Verb::kCreate:
    case Verb::kRun:
    case Verb::kRestore:
      return CheckBundle(ctx);
    case Verb::kExec:
      return CheckExec(ctx);
    case Verb::kUpdate:
      return CheckUpdate(ctx);
    default:
      return Status::Ok();
  }
}

}  // namespace

int RunShim(int argc, char** argv) {
  Logger log;
  std::vector<std::string> args(argv, argv + argc);
  auto inv = ParseArgv(args);
  if (!inv.ok()) {
    log.Error(inv.error().Describe());
    return 1;
  }
  log.Open(inv->global.log, inv->global.log_format == "json", inv->global.debug);
  if (inv->global.version) (void)std::printf("moat-runtime version %s\n", MOAT_VERSION);
  auto config = LoadConfig();
  if (!config.ok()) {
    if (inv->global.version) return 0;
    log.Error(config.error().Describe());
    return 1;
  }
  if (inv->global.version) (void)std::fflush(stdout);
  Context ctx{*config, *inv, log};
  Status st = Check(ctx);
  if (!st.ok()) {
    log.Error(st.error().Describe());
    return 1;
  }
  if (inv->verb == Verb::kDelete && !inv->Bool("help")) return RunDelete(*config, *inv, argv, log);
  return ExecRuntime(*config, argv, log);
}

}  // namespace moat::shim

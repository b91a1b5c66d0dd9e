#include "shim/runtime.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>

#include "base/fs.h"
#include "base/time.h"
#include "secrets/dir.h"
#include "shim/state.h"

namespace moat::shim {

std::string JoinReasons(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "; ") + s;
  return out;
}

Result<Governing> GoverningProfile(const Context& ctx, const std::string& id) {
  Governing g;
  MOAT_ASSIGN_OR_RETURN(auto st, LoadContainerState(ctx.config.state_dir, id));
  std::string name = ctx.config.default_profile;
  if (st.has_value()) {
    name = st->profile;
    g.has_ceiling = true;
    g.ceiling = st->bounding;
    g.rule = st->rule;
  }
  auto p = launcher::LoadProfile(ctx.config.profiles_dir, name);
  if (!p.ok()) return p.error();
  g.profile = std::move(p.value());
  if (!st.has_value()) return g;
  // The exceptions create applied, as moat.conf has them now: one removed
  // grants nothing more, one expired grants nothing and is named.
  const int64_t now = NowUnix();
  for (const std::string& n : st->exceptions) {
    for (const rules::Exception& e : ctx.config.rules.exceptions) {
      if (e.name != n) continue;
      if (now < e.until) {
        g.profile = rules::Widen(std::move(g.profile), e.grants);
        g.exceptions.push_back(n);
      } else {
        g.expired.push_back(&e);
      }
    }
  }
  return g;
}

void NoteGoverning(const Governing& g, std::vector<std::string>* denials, AuditRecord* rec) {
  rec->rule = g.rule;
  rec->exceptions = g.exceptions;
  for (const rules::Exception* e : g.expired) {
    rec->expired_exceptions.push_back(e->name);
    if (!denials->empty()) denials->push_back(rules::ExpiredNote(*e));
  }
}

Status Decide(const Context& ctx, AuditRecord rec, const std::vector<std::string>& denials,
              const std::vector<std::string>& changes, const std::function<Status()>& apply,
              std::optional<Mode> mode) {
  rec.changes = changes;
  rec.reasons = denials;
  const Mode m = mode.value_or(ctx.config.mode);
  if (m == Mode::kWarn) {
    // The profile's changes are made; its refusals are let through, loudly.
    rec.mode = "warn";
    if (apply) MOAT_TRY(apply());
    rec.decision = denials.empty() ? "allow" : "warn";
    if (!denials.empty()) {
      ctx.log.Warning(rec.verb + " " + rec.id + ": warn mode (rule " + rec.rule +
                      "), enforce would refuse: " + JoinReasons(denials));
    }
    return WriteAudit(ctx.config.audit_log, rec);
  }
  if (m == Mode::kAudit) {
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

namespace {

// What moat passes on to the runtime while it waits for it (runc passes
// them on to the container, or with a terminal handles SIGWINCH itself).
// Job control (SIGTSTP, SIGCONT) keeps its defaults: it stops the group.
constexpr int kForwarded[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM,
                              SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH};

sigset_t WaitedSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwarded) sigaddset(&set, sig);
  sigaddset(&set, SIGCHLD);
  return set;
}

}  // namespace

int SpawnRuntime(const Config& config, char** argv, Logger& log,
                 const std::function<void(int)>& after) {
  Status ok = CheckRuntimeBinary(config);
  if (!ok.ok()) {
    log.Error(ok.error().Describe());
    return -1;
  }
  std::vector<char*> env = RuntimeEnv();
  // Blocked before fork, so none is lost between fork and the wait below;
  // the child unblocks them (ResetSignals) before exec.
  const sigset_t waited = WaitedSignals();
  sigset_t old;
  ::sigprocmask(SIG_BLOCK, &waited, &old);
  pid_t pid = ::fork();
  if (pid < 0) {
    log.Error(std::string("fork: ") + std::strerror(errno));
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return -1;
  }
  if (pid == 0) {
    ResetSignals();
    ::execve(config.runtime.c_str(), argv, env.data());
    ::_exit(127);
  }
  int status = -1;
  for (;;) {
    siginfo_t si{};
    int sig = ::sigwaitinfo(&waited, &si);
    if (sig < 0) {
      if (errno == EINTR) continue;
      log.Error(std::string("sigwaitinfo: ") + std::strerror(errno));
      break;
    }
    if (sig == SIGCHLD) {
      pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) break;
      if (r < 0 && errno != EINTR) {
        log.Error(std::string("waitpid: ") + std::strerror(errno));
        status = -1;
        break;
      }
      continue;
    }
    // A terminal's signals (Ctrl-C, a resize) went to the whole foreground
    // process group, the runtime included: passing them on would double them.
    if (si.si_code == SI_KERNEL && ::getpgid(pid) == ::getpgrp()) continue;
    (void)::kill(pid, sig);
  }
  if (status == -1) {
    // Could not wait for it: do not leave it running unobserved.
    (void)::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    status = -1;
  }
  if (after) after(status);
  // The runtime is gone: what arrived since has no one to go to.
  const timespec zero{};
  while (::sigtimedwait(&waited, nullptr, &zero) > 0) {
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  return status;
}

int ExitCodeOf(int status) {
  if (status == -1) return 1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int RunRuntimeChild(const Config& config, char** argv, Logger& log) {
  return ExitCodeOf(SpawnRuntime(config, argv, log, nullptr));
}

namespace {

// delete: moat's record of the container and its secrets may go only once
// runc has deleted it (a refused delete of a running container keeps them),
// so the runtime runs as a child here, the one verb that costs a fork.
int RunDelete(const Config& config, const Invocation& inv, char** argv, Logger& log) {
  int rc = RunRuntimeChild(config, argv, log);
  if (rc != 0) return rc;
  RemoveContainerState(config.state_dir, inv.ContainerId());
  Status wiped = secrets::WipeSecretDir(config.state_dir, inv.ContainerId(),
                                        RuntimeRoot(inv.global.root, config.runtime));
  if (!wiped.ok()) log.Warning("delete: " + wiped.error().Describe());
  return 0;
}

// run (in the foreground): runc deletes the container itself when it ends,
// so no delete verb comes to wipe its secrets or drop moat's record. The
// runtime runs as a child, with signals passed on, and moat cleans up after
// it. runc's run returns only once the container has ended, so when runc
// exited (rather than being killed) the secrets are wiped, also under
// --keep (a stopped container never starts again); moat's record goes once
// runc has no container of that id. When runc was killed its container may
// live on: delete or the sweep clean up then. A container of the id that
// existed before (runc then refuses the run) is another's, and left alone.
// Then moat exits as runc did: with its status, or by the same signal.
int RunForeground(const Config& config, const Invocation& inv, char** argv, Logger& log) {
  const std::string id = inv.ContainerId();
  const std::string root = RuntimeRoot(inv.global.root, config.runtime);
  const std::string runtime_dir = root + "/" + id;
  struct stat st {};
  const bool existed = ::lstat(runtime_dir.c_str(), &st) == 0;
  auto clean = [&](int status) {
    if (existed) return;
    struct stat now {};
    const bool gone = ::lstat(runtime_dir.c_str(), &now) != 0 && errno == ENOENT;
    if (!gone && status != -1 && !WIFEXITED(status)) return;
    Status wiped = secrets::WipeSecretDir(config.state_dir, id, root);
    if (!wiped.ok()) log.Warning("run: " + wiped.error().Describe());
    if (gone) RemoveContainerState(config.state_dir, id);
  };
  int status = SpawnRuntime(config, argv, log, clean);
  if (status == -1) {
    clean(-1);
    return 1;
  }
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    (void)std::fflush(nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(sig, &dfl, nullptr);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
    (void)::raise(sig);
    return 128 + sig;
  }
  return ExitCodeOf(status);
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
  // run --detach returns once the container started: its end is delete's
  // (or the sweep's) to clean up, and it stays a single exec.
  if (inv->verb == Verb::kRun && !inv->Bool("help") && !inv->Bool("detach")) {
    return RunForeground(*config, *inv, argv, log);
  }
  return ExecRuntime(*config, argv, log);
}

}  // namespace moat::shim

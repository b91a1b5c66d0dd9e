#include "shim/fetch_on_miss.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/unique_fd.h"

namespace moat::shim {

namespace {

int64_t NowMs() {
  struct timespec ts {};
  (void)::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

// The last non-empty line of what the child wrote to stderr.
std::string LastLine(const std::string& s) {
  size_t end = s.size();
  while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r')) --end;
  const size_t start = s.rfind('\n', end == 0 ? 0 : end - 1);
  std::string line = s.substr(start == std::string::npos ? 0 : start + 1,
                              end - (start == std::string::npos ? 0 : start + 1));
  if (line.size() > 512) line = line.substr(0, 512) + "...";
  return line;
}

}  // namespace

FetchOutcome FetchOnMiss(const Config& config, const std::string& reference) {
  const Config::FetchOnMiss& f = config.fetch_on_miss;
  FetchOutcome out;
  const std::string what = f.moat + " trust pull " + reference;
  const std::string timeout = std::to_string(f.timeout_ms);
  // "--": the reference is never read as a flag.
  std::vector<std::string> args = {f.moat,  "trust", "pull",   "--timeout-ms",
                                   timeout, "--",    reference};
  // Only what the CLI needs: the same moat.conf, root's auth files.
  std::vector<std::string> env = {"MOAT_CONFIG=" + config.file, "HOME=/root",
                                  "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    out.summary = what + ": pipe: " + std::strerror(errno);
    return out;
  }
  UniqueFd rd(p[0]), wr(p[1]);
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (devnull.get() < 0) {
    out.summary = what + ": /dev/null: " + std::strerror(errno);
    return out;
  }
  const int64_t start = NowMs();
  const pid_t pid = ::fork();
  if (pid < 0) {
    out.summary = what + ": fork: " + std::strerror(errno);
    return out;
  }
  if (pid == 0) {
    // The child: stdin/stdout /dev/null, stderr the pipe, nothing else open,
    // default signal handling (gpgme ignores SIGPIPE process-wide).
    if (::dup2(devnull.get(), 0) < 0 || ::dup2(devnull.get(), 1) < 0 || ::dup2(wr.get(), 2) < 0)
      ::_exit(126);
    (void)::close_range(3, ~0u, 0);
    sigset_t none;
    sigemptyset(&none);
    (void)::sigprocmask(SIG_SETMASK, &none, nullptr);
    (void)::signal(SIGPIPE, SIG_DFL);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  wr.reset();
  const int64_t deadline = start + f.timeout_ms;
  std::string err;
  bool timed_out = false;
  for (;;) {
    const int64_t left = deadline - NowMs();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd pfd = {rd.get(), POLLIN, 0};
    const int n = ::poll(&pfd, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[4096];
    const ssize_t got = ::read(rd.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EOF: the child is done (or closed stderr)
    err.append(buf, static_cast<size_t>(got));
    constexpr size_t kKeep = size_t{64} << 10;
    if (err.size() > kKeep) err.erase(0, err.size() - kKeep);
  }
  int status = 0;
  pid_t w = 0;
  while (!timed_out) {
    w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) break;
    if (NowMs() >= deadline) {
      timed_out = true;
      break;
    }
    struct timespec ts = {0, 5000000L};
    ::nanosleep(&ts, nullptr);
  }
  if (timed_out) {
    (void)::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    out.summary = what + ": killed after " + std::to_string(f.timeout_ms) + " ms";
    return out;
  }
  const std::string ms = std::to_string(NowMs() - start) + " ms";
  if (w != pid) {
    out.summary = what + ": waitpid: " + std::strerror(errno);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    out.ok = true;
    out.summary = what + ": ok (" + ms + ")";
  } else if (WIFEXITED(status)) {
    out.summary = what + ": exit " + std::to_string(WEXITSTATUS(status)) + " (" + ms + ")";
    if (WEXITSTATUS(status) == 127) out.summary += ": could not be executed";
    const std::string line = LastLine(err);
    if (!line.empty()) out.summary += ": " + line;
  } else {
    out.summary = what + ": killed by signal " + std::to_string(WTERMSIG(status));
  }
  return out;
}

}  // namespace moat::shim

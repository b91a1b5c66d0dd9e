#include "base/log.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

#include "base/json.h"

namespace moat {

std::string NowRfc3339() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  (void)std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
  return buf;
}

void Logger::Open(const std::string& path, bool json, bool debug) {
  json_ = json;
  debug_ = debug;
  if (path.empty()) return;
  fd_.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
}

namespace {

const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void WriteLine(int fd, const std::string& line) {
  // One write per line: O_APPEND keeps concurrent writers from interleaving.
  ssize_t n = ::write(fd, line.data(), line.size());
  (void)n;
}

}  // namespace

void Logger::Log(LogLevel level, const std::string& msg) {
  if (level == LogLevel::kDebug && !debug_) return;
  const std::string text = "moat: " + msg;
  if (level >= LogLevel::kWarning) WriteLine(STDERR_FILENO, text + "\n");
  if (!fd_.valid()) return;
  std::string line;
  if (json_) {
    json::Value v = json::Value::Object();
    v.Set("level", json::Value::String(LevelName(level)));
    v.Set("msg", json::Value::String(text));
    v.Set("time", json::Value::String(NowRfc3339()));
    line = json::Serialize(v) + "\n";
  } else {
    line = "time=\"" + NowRfc3339() + "\" level=" + LevelName(level) + " msg=" + json::Quote(text) +
           "\n";
  }
  WriteLine(fd_.get(), line);
}

}  // namespace moat

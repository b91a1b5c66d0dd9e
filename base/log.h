// Logging in runc's language, so that what moat says reaches `docker run`.
//
// runc writes to the file named by --log (text or, with --log-format json,
// one {"level","msg","time"} object per line); containerd's shim reads the
// last error line of that file when the runtime fails. moat appends its own
// lines there, and errors also go to stderr.
#pragma once

#include <string>

#include "base/unique_fd.h"

namespace moat {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

class Logger {
 public:
  Logger() = default;
  /// Opens (appending, creating 0644) the --log file; on failure the logger
  /// falls back to stderr only, as runc would have failed the same way.
  void Open(const std::string& path, bool json, bool debug);
  void Log(LogLevel level, const std::string& msg);
  void Error(const std::string& msg) { Log(LogLevel::kError, msg); }
  void Warning(const std::string& msg) { Log(LogLevel::kWarning, msg); }
  void Info(const std::string& msg) { Log(LogLevel::kInfo, msg); }
  void Debug(const std::string& msg) { Log(LogLevel::kDebug, msg); }

 private:
  UniqueFd fd_;
  bool json_ = false;
  bool debug_ = false;
};

/// RFC 3339 UTC time with nanoseconds, as Go's logrus writes it.
std::string NowRfc3339();

}  // namespace moat

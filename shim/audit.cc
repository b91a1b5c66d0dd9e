#include "shim/audit.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/unique_fd.h"

namespace moat::shim {

std::string FormatAudit(const AuditRecord& r) {
  using json::Value;
  Value v = Value::Object();
  v.Set("time", Value::String(NowRfc3339()));
  v.Set("verb", Value::String(r.verb));
  v.Set("id", Value::String(r.id));
  if (!r.bundle.empty()) v.Set("bundle", Value::String(r.bundle));
  v.Set("mode", Value::String(r.mode));
  v.Set("profile", Value::String(r.profile));
  if (!r.rule.empty()) v.Set("rule", Value::String(r.rule));
  auto list = [&](const char* key, const std::vector<std::string>& items) {
    if (items.empty()) return;
    Value a = Value::Array();
    for (const auto& i : items) a.Append(Value::String(i));
    v.Set(key, std::move(a));
  };
  list("exceptions", r.exceptions);
  list("expired_exceptions", r.expired_exceptions);
  v.Set("decision", Value::String(r.decision));
  Value changes = Value::Array();
  for (const auto& c : r.changes) changes.Append(Value::String(c));
  v.Set("changes", std::move(changes));
  Value reasons = Value::Array();
  for (const auto& c : r.reasons) reasons.Append(Value::String(c));
  v.Set("reasons", std::move(reasons));
  if (!r.warnings.empty()) {
    Value warnings = Value::Array();
    for (const auto& w : r.warnings) warnings.Append(Value::String(w));
    v.Set("warnings", std::move(warnings));
  }
  if (!r.image.empty()) {
    Value image = Value::Object();
    for (const auto& [k, val] : r.image) image.Set(k, Value::String(val));
    v.Set("image", std::move(image));
  }
  return json::Serialize(v) + "\n";
}

Status WriteAudit(const std::string& path, const AuditRecord& r) {
  const std::string line = FormatAudit(r);
  MOAT_TRY(MakeDirs(SplitPath(path).first, 0700));
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return ErrnoError(path + ": cannot open audit log");
  if (::flock(fd.get(), LOCK_EX) != 0) return ErrnoError(path + ": cannot lock audit log");
  ssize_t n = ::write(fd.get(), line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) return ErrnoError(path + ": audit write failed");
  return Status::Ok();
}

}  // namespace moat::shim

#include "launcher/system_paths.h"

#include "base/json_read.h"

namespace moat::launcher {

using json::Value;

namespace {

// What Docker 20.10 (moby's oci/defaults.go) and `runc spec` both send;
// later Docker also masks /sys/devices/virtual/powercap, and its lists are
// kept as they come.
const char* const kMasked[] = {"/proc/asound",      "/proc/acpi",          "/proc/kcore",
                               "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                               "/proc/timer_stats", "/proc/sched_debug",   "/proc/scsi",
                               "/sys/firmware"};
const char* const kReadonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                 "/proc/sysrq-trigger"};

template <size_t N>
Status Ensure(Value& linux, const char* key, const char* const (&want)[N], Outcome* out) {
  const std::string field = std::string("linux.") + key;
  const Value* found = linux.Find(key);
  Value& list =
      found == nullptr || found->is_null() ? linux.Set(key, Value::Array()) : linux.Child(key);
  MOAT_ASSIGN_OR_RETURN(const std::vector<std::string> have, json::ReadStringArray(list, field));
  std::string added;
  for (const char* w : want) {
    bool found = false;
    for (const std::string& h : have) found = found || h == w;
    if (found) continue;
    list.Append(Value::String(w));
    added += (added.empty() ? "" : ", ") + std::string(w);
  }
  if (!added.empty()) out->changes.push_back(field + ": added " + added);
  return Status::Ok();
}

}  // namespace

Status ApplySystemPaths(Value* config, Outcome* out) {
  Value& linux = config->Child("linux");
  MOAT_TRY(json::ExpectType(linux, json::Type::kObject, "linux"));
  MOAT_TRY(Ensure(linux, "maskedPaths", kMasked, out));
  return Ensure(linux, "readonlyPaths", kReadonly, out);
}

}  // namespace moat::launcher

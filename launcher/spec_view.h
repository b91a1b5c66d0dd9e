// A typed read of the parts of config.json the deny rules judge (mounts,
// namespaces, the capabilities held, devices, LSM labels), with the field path of each part for
// messages. The JSON document
// itself stays what is rewritten, so fields moat does not read survive.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "launcher/caps.h"

namespace moat::launcher {

/// One entry of config.json's `mounts`.
struct MountView {
  size_t index = 0;
  std::string field;  // "mounts[3]"
  std::string type;   // "" when absent
  std::string source;
  std::string destination;
  std::vector<std::string> options;
  bool bind = false;      // type "bind" or a "bind"/"rbind" option
  bool readonly = false;  // runc applies options in order: the last of "ro" and "rw" wins
};

/// Reads config.json's `mounts` (absent or null: none). Errors name the field.
Result<std::vector<MountView>> ReadMounts(const json::Value& config);

/// One entry of config.json's `linux.namespaces`.
struct NamespaceView {
  std::string field;  // "linux.namespaces[2]"
  std::string type;   // "pid", "network", ...
  std::string path;   // "" when the container gets a new one
};

/// Reads `linux.namespaces` (absent or null: none); every entry needs a type.
Result<std::vector<NamespaceView>> ReadNamespaces(const json::Value& config);

/// A device type and number, as the kernel's devices cgroup names it:
/// type 'c' (char), 'b' (block) or 'a' (both); major and minor kAny or a number.
struct DeviceNumber {
  static constexpr int64_t kAny = -1;
  char type = 'a';
  int64_t major = kAny;
  int64_t minor = kAny;
};

/// "block device 8:0", "char device 136:*", "device *:*".
std::string DescribeDevice(const DeviceNumber& d);

/// One entry of `linux.devices`: a device node runc creates in the container.
struct DeviceNodeView {
  std::string field;  // "linux.devices[0]"
  std::string path;   // as written (messages only: the node is judged by its number)
  /// 'c' (also for OCI's "u", unbuffered char), 'b', or 'p' (a FIFO: no number).
  DeviceNumber number;
};

/// Reads `linux.devices` (absent or null: none). A char or block node needs
/// a major and a minor >= 0; an unknown type is an error.
Result<std::vector<DeviceNodeView>> ReadDeviceNodes(const json::Value& config);

/// One entry of `linux.resources.devices`: a devices cgroup rule.
struct DeviceRuleView {
  std::string field;  // "linux.resources.devices[3]"
  bool allow = false;
  DeviceNumber number;  // absent/null type, "a" or "": 'a'; absent, null or -1 numbers: kAny
  std::string access;   // letters of "rwm"; absent or empty: "rwm" (runc's reading)
};

/// Reads `linux.resources.devices` (absent or null: none). Errors name the field.
Result<std::vector<DeviceRuleView>> ReadDeviceRules(const json::Value& config);

/// The Linux security module labels of `process`.
struct LsmLabelsView {
  std::string apparmor_profile;  // process.apparmorProfile; "" when absent
  std::string selinux_label;     // process.selinuxLabel; "" when absent
};

/// Reads process.apparmorProfile and process.selinuxLabel.
Result<LsmLabelsView> ReadLsmLabels(const json::Value& config);
/// The same of a process object itself (`runc exec --process` FILE); `at`
/// prefixes the field paths of errors.
Result<LsmLabelsView> ReadProcessLsmLabels(const json::Value& process, const std::string& at);

/// Every capability in any of process.capabilities' five sets: for a root
/// process, inheritable capabilities outside the bounding set survive execve,
/// so a rule about what the container may hold counts them all.
Result<CapSet> ReadHeldCapabilities(const json::Value& config);

}  // namespace moat::launcher

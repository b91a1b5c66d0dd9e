// Devices and LSM confinement: the device nodes and devices cgroup rules a
// container asks for, judged by device type and number against the set
// every Docker container gets plus the profile's `devices`; and the
// AppArmor profile and SELinux label, where the host enforces those.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "launcher/host.h"
#include "launcher/profile.h"
#include "launcher/spec_view.h"

namespace moat::launcher {

/// The devices cgroup rules every container gets from Docker and runc
/// (runc's AllowedDevices; Docker's default rules are the same): mknod of any
/// char and block device, and rwm on null 1:3, zero 1:5, full 1:7, random
/// 1:8, urandom 1:9, tty 5:0, console 5:1, ptmx 5:2, the pts 136:* and tun
/// 10:200.
const std::vector<DeviceGrant>& DefaultDeviceRules();

/// deny.devices: appends one reason for each linux.devices node whose
/// number no default rule or profile grant gives read or write access to,
/// and for each allowing linux.resources.devices rule that grants access
/// beyond them (`rules`: ReadDeviceRules of the same config, read once per
/// create). Errors are malformed fields.
Status CheckDevices(const json::Value& config, const std::vector<DeviceRuleView>& rules,
                    const Profile& profile, std::vector<std::string>* denials);

/// deny.unconfined_lsm: where the host enforces AppArmor, a process with no
/// apparmorProfile, "unconfined", or a profile loaded in complain or
/// unconfined mode; where it enforces SELinux, a process without a label or
/// whose type is not a container type (container_t, container_init_t,
/// container_kvm_t, svirt_lxc_net_t).
Status CheckLsm(const json::Value& config, const Profile& profile, const HostView& host,
                std::vector<std::string>* denials);

/// Where a process's labels were read, for messages, and what an empty label
/// means: at create the process runs unconfined; for `runc exec` it keeps
/// the container's labels, judged at create.
struct LsmSource {
  std::string apparmor_field = "process.apparmorProfile";
  std::string selinux_field = "process.selinuxLabel";
  bool empty_inherits = false;
};

/// deny.unconfined_lsm on labels already read (CheckLsm's judgement).
void JudgeLsmLabels(const LsmLabelsView& labels, const LsmSource& source, const Profile& profile,
                    const HostView& host, std::vector<std::string>* denials);

}  // namespace moat::launcher

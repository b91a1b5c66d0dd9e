#include "launcher/devices.h"

#include "launcher/spec_view.h"

namespace moat::launcher {

namespace {

DeviceGrant Rule(char type, int64_t major, int64_t minor, const char* access) {
  DeviceGrant g;
  g.number = {type, major, minor};
  g.access = access;
  return g;
}

bool PartCovers(int64_t grant, int64_t want) {
  return grant == DeviceNumber::kAny || (want != DeviceNumber::kAny && grant == want);
}

// True when `g` gives `letter` on every device `want` (of one type) names.
bool Covers(const DeviceGrant& g, char type, const DeviceNumber& want, char letter) {
  return g.number.type == type && PartCovers(g.number.major, want.major) &&
         PartCovers(g.number.minor, want.minor) && g.access.find(letter) != std::string::npos;
}

bool AnyCovers(const Profile& profile, char type, const DeviceNumber& want, char letter) {
  for (const auto* list : {&DefaultDeviceRules(), &profile.devices}) {
    for (const DeviceGrant& g : *list) {
      if (Covers(g, type, want, letter)) return true;
    }
  }
  return false;
}

std::string Number(const DeviceNumber& d) {
  std::string s = DescribeDevice(d);
  return s.substr(s.rfind(' ') + 1);
}

// The type of a SELinux label "user:role:type[:level]"; "" when malformed.
std::string SelinuxType(const std::string& label) {
  const size_t a = label.find(':');
  if (a == std::string::npos) return "";
  const size_t b = label.find(':', a + 1);
  if (b == std::string::npos) return "";
  const size_t c = label.find(':', b + 1);
  return label.substr(b + 1, c == std::string::npos ? std::string::npos : c - b - 1);
}

}  // namespace

const std::vector<DeviceGrant>& DefaultDeviceRules() {
  static const std::vector<DeviceGrant> kRules = {
      Rule('c', DeviceNumber::kAny, DeviceNumber::kAny, "m"),
      Rule('b', DeviceNumber::kAny, DeviceNumber::kAny, "m"),
      Rule('c', 1, 3, "rwm"),                     // null
      Rule('c', 1, 5, "rwm"),                     // zero
      Rule('c', 1, 7, "rwm"),                     // full
      Rule('c', 1, 8, "rwm"),                     // random
      Rule('c', 1, 9, "rwm"),                     // urandom
      Rule('c', 5, 0, "rwm"),                     // tty
      Rule('c', 5, 1, "rwm"),                     // console
      Rule('c', 5, 2, "rwm"),                     // ptmx
      Rule('c', 136, DeviceNumber::kAny, "rwm"),  // pts
      Rule('c', 10, 200, "rwm"),                  // net/tun
  };
  return kRules;
}

Status CheckDevices(const json::Value& config, const std::vector<DeviceRuleView>& rules,
                    const Profile& profile, std::vector<std::string>* denials) {
  const std::string named = "profile \"" + profile.name + "\"";
  MOAT_ASSIGN_OR_RETURN(const auto nodes, ReadDeviceNodes(config));
  for (const DeviceNodeView& n : nodes) {
    if (n.number.type == 'p') continue;  // a FIFO reaches no device
    if (AnyCovers(profile, n.number.type, n.number, 'r') ||
        AnyCovers(profile, n.number.type, n.number, 'w')) {
      continue;
    }
    denials->push_back(n.field + ": " + (n.path.empty() ? "(no path)" : n.path) + " is " +
                       DescribeDevice(n.number) + " and " + named + " grants no device " +
                       Number(n.number));
  }
  for (const DeviceRuleView& r : rules) {
    if (!r.allow) continue;  // a deny rule only takes away
    for (char type : {'c', 'b'}) {
      if (r.number.type != 'a' && r.number.type != type) continue;
      std::string missing;
      for (char letter : r.access) {
        if (!AnyCovers(profile, type, r.number, letter)) missing += letter;
      }
      if (missing.empty()) continue;
      const DeviceNumber one{type, r.number.major, r.number.minor};
      denials->push_back(r.field + ": allows " + missing + " on " + DescribeDevice(one) +
                         ", beyond the devices every container gets, and " + named +
                         " grants no such device");
    }
  }
  return Status::Ok();
}

Status CheckLsm(const json::Value& config, const Profile& profile, const HostView& host,
                std::vector<std::string>* denials) {
  MOAT_ASSIGN_OR_RETURN(const LsmLabelsView labels, ReadLsmLabels(config));
  JudgeLsmLabels(labels, LsmSource(), profile, host, denials);
  return Status::Ok();
}

namespace {

// Why an AppArmor profile name confines nothing, or "" when it does.
std::string UnconfinedAppArmor(const std::string& name, const HostView& host) {
  if (name.empty())
    return ": none, so runc runs the process unconfined on a host that enforces AppArmor,";
  if (name == "unconfined") return ": \"unconfined\" on a host that enforces AppArmor,";
  const std::string mode = host.AppArmorMode(name);
  if (mode == "complain" || mode == "unconfined")
    return ": " + json::Quote(name) + " is loaded in " + mode + " mode, which confines nothing,";
  return "";
}

// Why an SELinux label is no container's, or "" when it is.
std::string UnconfinedSelinux(const std::string& label) {
  if (label.empty()) {
    return ": none, so the process keeps the runtime's own SELinux context on a host that "
           "enforces SELinux,";
  }
  static const char* const kContainerTypes[] = {"container_t", "container_init_t",
                                                "container_kvm_t", "svirt_lxc_net_t"};
  const std::string type = SelinuxType(label);
  for (const char* t : kContainerTypes) {
    if (type == t) return "";
  }
  return ": " + json::Quote(label) + " has type " + json::Quote(type) + ", not a container type,";
}

}  // namespace

void JudgeLsmLabels(const LsmLabelsView& labels, const LsmSource& source, const Profile& profile,
                    const HostView& host, std::vector<std::string>* denials) {
  const HostLsm lsm = host.Lsm();
  const std::string refused = " and profile \"" + profile.name + "\" refuses unconfined processes";
  auto judged = [&](const std::string& label) { return !label.empty() || !source.empty_inherits; };
  if (lsm.apparmor && judged(labels.apparmor_profile)) {
    if (auto why = UnconfinedAppArmor(labels.apparmor_profile, host); !why.empty())
      denials->push_back(source.apparmor_field + why + refused);
  }
  if (lsm.selinux && judged(labels.selinux_label)) {
    if (auto why = UnconfinedSelinux(labels.selinux_label); !why.empty())
      denials->push_back(source.selinux_field + why + refused);
  }
}

}  // namespace moat::launcher

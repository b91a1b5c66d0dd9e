// Docker's seccomp profile format resolved into the OCI form, the way
// moby's profiles/seccomp (setupSeccomp) does it, and the OCI form written
// out for config.json.
#include <seccomp.h>
#include <sys/utsname.h>

#include <algorithm>
#include <set>

#include "launcher/seccomp.h"

namespace moat::launcher {

namespace {

using json::Value;

struct ArchNames {
  const char* oci;     // "SCMP_ARCH_X86_64" (runc's list)
  const char* lib;     // libseccomp's name, for seccomp_arch_resolve_name
  const char* docker;  // what Docker compares includes/excludes.arches with
};

// Docker's names are the values of its goToNative table (GOARCH -> name).
const ArchNames kArches[] = {
    {"SCMP_ARCH_X86", "x86", "x86"},
    {"SCMP_ARCH_X86_64", "x86_64", "amd64"},
    {"SCMP_ARCH_X32", "x32", ""},
    {"SCMP_ARCH_ARM", "arm", "arm"},
    {"SCMP_ARCH_AARCH64", "aarch64", "arm64"},
    {"SCMP_ARCH_MIPS", "mips", ""},
    {"SCMP_ARCH_MIPS64", "mips64", "mips64"},
    {"SCMP_ARCH_MIPS64N32", "mips64n32", "mips64n32"},
    {"SCMP_ARCH_MIPSEL", "mipsel", "mipsle"},
    {"SCMP_ARCH_MIPSEL64", "mipsel64", "mipsel64"},
    {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32", "mips3l64n32"},
    {"SCMP_ARCH_PPC", "ppc", "ppc"},
    {"SCMP_ARCH_PPC64", "ppc64", "ppc64"},
    {"SCMP_ARCH_PPC64LE", "ppc64le", "ppc64le"},
    {"SCMP_ARCH_RISCV64", "riscv64", "riscv64"},
    {"SCMP_ARCH_S390", "s390", "s390"},
    {"SCMP_ARCH_S390X", "s390x", "s390x"},
};

const ArchNames* ByToken(uint32_t token) {
  if (token == 0) return nullptr;
  for (const auto& a : kArches) {
    if (seccomp_arch_resolve_name(a.lib) == token) return &a;
  }
  return nullptr;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool KernelAtLeast(const SeccompHost& host, unsigned kernel, unsigned major) {
  return host.kernel > kernel || (host.kernel == kernel && host.major >= major);
}

Value Strings(const std::vector<std::string>& v) {
  Value arr = Value::Array();
  for (const auto& s : v) arr.Append(Value::String(s));
  return arr;
}

Value Unsigned(uint64_t n) { return Value::NumberText(std::to_string(n)); }

}  // namespace

uint32_t ArchToken(const std::string& oci_name) {
  for (const auto& a : kArches) {
    if (oci_name == a.oci) return seccomp_arch_resolve_name(a.lib);
  }
  return 0;
}

std::string ArchOciName(uint32_t token) {
  const ArchNames* a = ByToken(token);
  return a != nullptr ? a->oci : "";
}

std::string DockerArchName(uint32_t token) {
  const ArchNames* a = ByToken(token);
  return a != nullptr ? a->docker : "";
}

bool ParseKernelRelease(const std::string& release, unsigned* kernel, unsigned* major) {
  // Docker: Sscanf("%d.%d"); "3.12.25-gentoo" and "3.12-1-amd64" are both 3.12.
  unsigned parts[2] = {0, 0};
  size_t i = 0;
  for (int p = 0; p < 2; ++p) {
    size_t start = i;
    while (i < release.size() && release[i] >= '0' && release[i] <= '9' && i - start < 9) {
      parts[p] = parts[p] * 10 + static_cast<unsigned>(release[i] - '0');
      ++i;
    }
    if (i == start) return false;
    if (p == 0) {
      if (i >= release.size() || release[i] != '.') return false;
      ++i;
    }
  }
  *kernel = parts[0];
  *major = parts[1];
  return true;
}

Result<SeccompHost> ThisSeccompHost() {
  SeccompHost host;
  host.arch = seccomp_arch_native();
  if (ByToken(host.arch) == nullptr) {
    return Error{"seccomp: this host's architecture (libseccomp token " +
                 std::to_string(host.arch) + ") is not one runc knows"};
  }
  struct utsname u {};
  if (::uname(&u) != 0) return ErrnoError("uname");
  if (!ParseKernelRelease(u.release, &host.kernel, &host.major)) {
    return Error{std::string("seccomp: cannot read the kernel version from \"") + u.release + "\""};
  }
  return host;
}

bool SeccompRuleApplies(const SeccompRule& rule, const SeccompHost& host, const CapSet* bounding) {
  const std::string arch = DockerArchName(host.arch);
  const SeccompCondition& ex = rule.excludes;
  if (!ex.arches.empty() && Contains(ex.arches, arch)) return false;
  if (bounding != nullptr) {
    for (int c : ex.caps) {
      if (bounding->count(c) != 0) return false;
    }
  }
  if (ex.has_min_kernel && KernelAtLeast(host, ex.min_kernel, ex.min_major)) return false;
  const SeccompCondition& in = rule.includes;
  if (!in.arches.empty() && !Contains(in.arches, arch)) return false;
  if (bounding != nullptr) {
    for (int c : in.caps) {
      if (bounding->count(c) == 0) return false;
    }
  }
  if (in.has_min_kernel && !KernelAtLeast(host, in.min_kernel, in.min_major)) return false;
  return true;
}

std::vector<std::string> SeccompArchitectures(const SeccompFile& f) {
  if (!f.architectures.empty()) return f.architectures;
  // Docker: the archMap entry of the host's architecture, then its
  // sub-architectures; none when no entry matches (libseccomp's native only).
  const std::string native = ArchOciName(f.host.arch);
  std::vector<std::string> out;
  for (const auto& m : f.arch_map) {
    if (m.arch != native) continue;
    out.push_back(m.arch);
    out.insert(out.end(), m.sub_arches.begin(), m.sub_arches.end());
    break;
  }
  return out;
}

ResolvedSeccomp ResolveSeccomp(const SeccompFile& f, const CapSet& bounding) {
  ResolvedSeccomp r;
  r.file = f.file;
  r.default_action = f.default_action;
  r.default_errno_ret = f.default_errno_ret;
  r.architectures = SeccompArchitectures(f);
  r.flags = f.flags;
  r.listener_path = f.listener_path;
  r.listener_metadata = f.listener_metadata;
  for (const auto& rule : f.syscalls) {
    if (SeccompRuleApplies(rule, f.host, &bounding)) r.syscalls.push_back(rule);
  }
  return r;
}

Value SeccompToOci(const ResolvedSeccomp& r) {
  Value out = Value::Object();
  out.Set("defaultAction", Value::String(r.default_action));
  if (r.default_errno_ret) out.Set("defaultErrnoRet", Unsigned(*r.default_errno_ret));
  if (!r.architectures.empty()) out.Set("architectures", Strings(r.architectures));
  if (!r.flags.empty()) out.Set("flags", Strings(r.flags));
  if (!r.listener_path.empty()) out.Set("listenerPath", Value::String(r.listener_path));
  if (!r.listener_metadata.empty()) {
    out.Set("listenerMetadata", Value::String(r.listener_metadata));
  }
  if (r.syscalls.empty()) return out;
  Value rules = Value::Array();
  for (const auto& s : r.syscalls) {
    Value rule = Value::Object();
    rule.Set("names", Strings(s.names));
    rule.Set("action", Value::String(s.action));
    if (s.errno_ret) rule.Set("errnoRet", Unsigned(*s.errno_ret));
    if (!s.args.empty()) {
      Value args = Value::Array();
      for (const auto& a : s.args) {
        Value arg = Value::Object();
        arg.Set("index", Unsigned(a.index));
        arg.Set("value", Unsigned(a.value));
        if (a.value_two) arg.Set("valueTwo", Unsigned(*a.value_two));
        arg.Set("op", Value::String(a.op));
        args.Append(std::move(arg));
      }
      rule.Set("args", std::move(args));
    }
    rules.Append(std::move(rule));
  }
  out.Set("syscalls", std::move(rules));
  return out;
}

size_t CountAllowed(const ResolvedSeccomp& r) {
  std::set<std::string> names;
  for (const auto& s : r.syscalls) {
    if (s.action == "SCMP_ACT_ALLOW") names.insert(s.names.begin(), s.names.end());
  }
  return names.size();
}

}  // namespace moat::launcher

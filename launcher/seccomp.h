// Seccomp files named by a profile's "seccomp" key: the OCI linux.seccomp
// object or Docker's profile format (a superset: archMap, per-rule
// includes/excludes by caps, arches and minKernel). Format and rules:
// man/moat-profile.5.
//
// The life of one file:
//   ParseSeccompFile   JSON -> SeccompFile; structure, names of actions,
//                      operators, architectures, flags, capabilities
//   CheckSeccompFile   against this host (libseccomp): architectures, actions
//                      the kernel supports, every syscall name of every rule
//                      the host keeps, for each target architecture
//   ResolveSeccomp     at create, with the container's final bounding set:
//                      Docker's conditions applied, the OCI form left
//   CompileSeccomp     the filter runc would build, built and exported to
//                      /dev/null, so that what runc cannot load fails here
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "launcher/caps.h"

namespace moat::launcher {

/// What Docker-format conditions test about the host.
struct SeccompHost {
  uint32_t arch = 0;               // libseccomp token of the native architecture (SCMP_ARCH_*)
  unsigned kernel = 0, major = 0;  // "6.1.0-18-amd64" -> 6, 1
};

/// The running host: seccomp_arch_native() and uname(2).
Result<SeccompHost> ThisSeccompHost();

/// "6.1.0-18-amd64" -> {6, 1}; Docker's reading of a kernel release.
bool ParseKernelRelease(const std::string& release, unsigned* kernel, unsigned* major);

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  std::optional<uint64_t> value_two;
  std::string op;  // "SCMP_CMP_EQ", ...
};

/// A Docker-format condition (includes or excludes).
struct SeccompCondition {
  CapSet caps;
  std::vector<std::string> arches;  // Docker's names: "amd64", "x86", "arm64", ...
  bool has_min_kernel = false;
  unsigned min_kernel = 0, min_major = 0;
};

struct SeccompRule {
  std::string where;  // "syscalls[3]", for messages
  std::vector<std::string> names;
  bool single_name = false;  // written as Docker's old "name"
  std::string action;        // "SCMP_ACT_ALLOW", ...
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
  SeccompCondition includes, excludes;
};

struct SeccompArchMap {
  std::string arch;
  std::vector<std::string> sub_arches;
};

/// One seccomp file as parsed.
struct SeccompFile {
  std::string file;  // its path, in messages
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;
  std::vector<SeccompArchMap> arch_map;
  std::vector<std::string> flags;
  std::string listener_path;
  std::string listener_metadata;
  std::vector<SeccompRule> syscalls;
  /// The host CheckSeccompFile checked it against; ResolveSeccomp uses it.
  SeccompHost host;
};

/// Parses a seccomp file; errors name `file` and the field
/// ("default.json: syscalls[2].action: unknown action \"SCMP_ACT_FOO\"").
Result<SeccompFile> ParseSeccompFile(const std::string& text, const std::string& file);

/// Checks a parsed file against `host` with libseccomp and records the host.
Status CheckSeccompFile(SeccompFile* f, const SeccompHost& host);

/// Reads `path` (last component not followed; root-owned, not group- or
/// world-writable), parses it and checks it against the running host.
Result<SeccompFile> LoadSeccompFile(const std::string& path);

/// Whether Docker's conditions keep `rule` on `host` for a container whose
/// bounding set is `bounding`; with `bounding` null, caps conditions are not
/// looked at (the rule may apply to some container).
bool SeccompRuleApplies(const SeccompRule& rule, const SeccompHost& host, const CapSet* bounding);

/// The filter's architectures on the file's host: `architectures`, or the
/// archMap entry of the host's architecture with its sub-architectures.
std::vector<std::string> SeccompArchitectures(const SeccompFile& f);

/// The seccomp configuration for one container: Docker's conditions resolved.
struct ResolvedSeccomp {
  std::string file;
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;
  std::vector<std::string> flags;
  std::string listener_path;
  std::string listener_metadata;
  std::vector<SeccompRule> syscalls;  // the rules kept, in order
};

/// Applies Docker's rules: archMap entry of the host's architecture,
/// excludes then includes of each rule (arches against the host, caps
/// against `bounding`, minKernel against the host's kernel).
ResolvedSeccomp ResolveSeccomp(const SeccompFile& f, const CapSet& bounding);

/// The OCI linux.seccomp object for config.json.
json::Value SeccompToOci(const ResolvedSeccomp& r);

/// Distinct syscall names whose rule allows them (any arguments).
size_t CountAllowed(const ResolvedSeccomp& r);

/// Builds the filter as runc 1.1 does (same libseccomp calls) and exports
/// it; an error names the file and rule. A program longer than the kernel
/// loads (BPF_MAXINSNS) is an error too.
Status CompileSeccomp(const ResolvedSeccomp& r);

/// CompileSeccomp, skipped when `cache_dir` (root's, created 0700 when
/// missing) records that the same filter (`oci_json`, SeccompToOci
/// serialized) compiled before with this libseccomp. "" means no cache.
Status CompileSeccompCached(const ResolvedSeccomp& r, const std::string& oci_json,
                            const std::string& cache_dir);

/// Docker's name for a libseccomp architecture token ("amd64" for
/// SCMP_ARCH_X86_64); "" when Docker has none.
std::string DockerArchName(uint32_t arch);

/// libseccomp's token for an OCI architecture name ("SCMP_ARCH_X86_64"); 0
/// when unknown.
uint32_t ArchToken(const std::string& oci_name);

/// The OCI name of a libseccomp architecture token ("" when unknown).
std::string ArchOciName(uint32_t token);

}  // namespace moat::launcher

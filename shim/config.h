// moat.conf: the host's configuration of moat-runtime (man/moat.conf.5).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "rules/rules.h"
#include "secrets/store.h"
#include "verify/verdict/verdict_policy.h"

namespace moat::shim {

/// enforce, audit (moat.conf `mode`), or warn (a rule's mode only).
using Mode = rules::Mode;

struct Config {
  std::string file;  // where it was read from
  std::string runtime;
  Mode mode = Mode::kEnforce;
  std::string profiles_dir = MOAT_DATADIR "/profiles";  // where cmake --install puts them
  std::string default_profile = "restricted";
  std::string audit_log = "/var/log/moat/audit.log";
  std::string state_dir = "/run/moat";
  /// containers-policy.json(5) and containers-registries.d(5).
  std::string policy = "/etc/containers/policy.json";
  std::string registries_d = "/etc/containers/registries.d";
  /// dockerd's data-root, where Docker containers' image identity is read.
  std::string docker_root = "/var/lib/docker";
  /// containerd's root and state directories (`root` and `state` in its
  /// config.toml), where containerd containers' image identity is read.
  std::string containerd_root = "/var/lib/containerd";
  std::string containerd_state = "/run/containerd";
  /// The containers-storage graph root podman uses (`graphroot`), where
  /// podman containers' image identity is read.
  std::string podman_root = "/var/lib/containers/storage";
  /// podman's run root (`runroot`), where it keeps each container's
  /// resolv.conf, hosts and hostname.
  std::string podman_runroot = "/run/containers/storage";
  /// kubelet's root directory (`--root-dir`), where it makes pods' volumes.
  std::string kubelet_root = "/var/lib/kubelet";
  /// Secret stores by name, and the largest secret moat copies into a container.
  secrets::SecretSettings secrets;
  /// Stored scan verdicts an image must have (absent: not checked).
  std::optional<verify::VerdictConfig> verdicts;
  /// moat.conf `fetch_on_miss` (off by default): at create, when no
  /// signature is stored for the image and the policy refuses it, run
  /// `<moat> trust pull REF` (bounded by timeout_ms) and judge again. Any
  /// failure or timeout leaves the refusal; the audit record names the fetch.
  struct FetchOnMiss {
    bool enabled = false;
    int64_t timeout_ms = 3000;
    std::string moat = MOAT_BINDIR "/moat";
  } fetch_on_miss;
  /// Which profile, mode and exceptions apply to which container
  /// (`rules`, `exceptions`, `trusted_hints`; man/moat-rules.5).
  rules::RuleSet rules;
};

/// Host directories the engines make for container `id` (launcher's
/// HardenOptions::engine_roots), from this configuration.
std::vector<std::string> EngineRoots(const Config& config, const std::string& id);

/// The default location, /etc/moat/moat.conf.
inline constexpr const char* kDefaultConfigPath = "/etc/moat/moat.conf";

/// Parses moat.conf text; errors are "<file>: <key>: <problem>".
Result<Config> ParseConfig(const std::string& text, const std::string& file);

/// Loads the file named by $MOAT_CONFIG, else /etc/moat/moat.conf. The file
/// must be root-owned and not group- or world-writable, in a directory only
/// root can change (OpenTrustedFile).
Result<Config> LoadConfig();

}  // namespace moat::shim

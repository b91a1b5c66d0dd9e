#include "verify/identity/identity.h"

namespace moat::verify {

const char* EngineName(Engine e) {
  switch (e) {
    case Engine::kDocker:
      return "docker";
    case Engine::kContainerd:
      return "containerd";
    case Engine::kPodman:
      return "podman";
    case Engine::kOciLayout:
      return "oci-layout";
    case Engine::kCopy:
      return "copy";
    case Engine::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace moat::verify

// moat_podman_identity: runs the podman (containers-storage) image-identity
// resolver for the integration tests and prints the result as JSON (exit 0),
// or the error (exit 1).
//
//   moat_podman_identity --bundle DIR --id ID --rootfs PATH [--root DIR]
//       [--mountinfo FILE] [--bytes]
//
// --root is the graph root (default /var/lib/containers/storage); --bytes
// includes each manifest's exact bytes. Not installed.
#include <cstdio>
#include <string>

#include "base/json.h"
#include "verify/identity_json.h"
#include "verify/podman_resolver.h"

namespace {

int Usage() {
  (void)std::fprintf(stderr,
                     "usage: moat_podman_identity --bundle DIR --id ID --rootfs PATH [--root DIR]"
                     " [--mountinfo FILE] [--bytes]\n");
  return 2;
}

int Main(int argc, char** argv) {
  moat::verify::PodmanResolveInput in;
  bool bytes = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--bundle" && has_value) {
      in.bundle = argv[++i];
    } else if (a == "--id" && has_value) {
      in.container_id = argv[++i];
    } else if (a == "--rootfs" && has_value) {
      in.root_path = argv[++i];
    } else if (a == "--root" && has_value) {
      in.podman_root = argv[++i];
    } else if (a == "--mountinfo" && has_value) {
      in.mountinfo = argv[++i];
    } else if (a == "--bytes") {
      bytes = true;
    } else {
      return Usage();
    }
  }
  if (in.bundle.empty() || in.container_id.empty() || in.root_path.empty()) return Usage();
  auto id = moat::verify::ResolvePodman(in);
  if (!id.ok()) {
    (void)std::fprintf(stderr, "moat_podman_identity: %s\n", id.error().Describe().c_str());
    return 1;
  }
  const std::string out = moat::json::Serialize(moat::verify::IdentityJson(*id, bytes), true);
  return std::printf("%s\n", out.c_str()) < 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (...) {
    (void)std::fprintf(stderr, "moat_podman_identity: unexpected exception\n");
    return 1;
  }
}

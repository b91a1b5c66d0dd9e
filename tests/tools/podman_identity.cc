// moat_podman_identity: runs the podman (containers-storage) image-identity
// resolver for the integration tests and prints the result as JSON (exit 0),
// or the error (exit 1).
//
//   moat_podman_identity --bundle DIR --id ID --rootfs PATH [--root DIR]
//       [--mountinfo FILE] [--bytes]
//
// --root is the graph root (default /var/lib/containers/storage); --bytes
// includes each manifest's exact bytes. Not installed.
#include "tests/tools/identity_tool.h"
#include "verify/identity/podman_resolver.h"

int main(int argc, char** argv) {
  using moat::cli::Flags;
  const moat::tools::IdentityTool tool{
      "moat_podman_identity",
      "moat_podman_identity --bundle DIR --id ID --rootfs PATH [--root DIR] [--mountinfo FILE]"
      " [--bytes]",
      {{"bundle", true, ""},
       {"id", true, ""},
       {"rootfs", true, ""},
       {"root", true, ""},
       {"mountinfo", true, ""}},
      {"bundle", "id", "rootfs"},
      [](const Flags& f) {
        moat::verify::PodmanResolveInput in;
        in.bundle = f.Get("bundle");
        in.container_id = f.Get("id");
        in.root_path = f.Get("rootfs");
        if (f.Has("root")) in.podman_root = f.Get("root");
        if (f.Has("mountinfo")) in.mountinfo = f.Get("mountinfo");
        return moat::verify::ResolvePodman(in);
      }};
  return moat::tools::RunIdentityTool(tool, argc, argv);
}

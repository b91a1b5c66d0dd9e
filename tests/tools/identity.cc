// moat_identity: runs the Docker image-identity resolver for the integration
// tests and prints the result as JSON (exit 0), or the error (exit 1).
//
//   moat_identity --id ID --rootfs PATH [--docker-root DIR]
//                 [--content-store DIR]... [--bytes]
//
// --bytes includes each manifest's exact bytes. Not installed.
#include "tests/tools/identity_tool.h"
#include "verify/identity/docker_resolver.h"

int main(int argc, char** argv) {
  using moat::cli::Flags;
  const moat::tools::IdentityTool tool{
      "moat_identity",
      "moat_identity --id ID --rootfs PATH [--docker-root DIR] [--content-store DIR]... [--bytes]",
      {{"id", true, ""},
       {"rootfs", true, ""},
       {"docker-root", true, ""},
       {"content-store", true, ""}},
      {"id", "rootfs"},
      [](const Flags& f) {
        moat::verify::DockerResolveInput in;
        in.container_id = f.Get("id");
        in.root_path = f.Get("rootfs");
        if (f.Has("docker-root")) in.docker_root = f.Get("docker-root");
        in.content_stores = f.GetAll("content-store");
        return moat::verify::ResolveDocker(in);
      }};
  return moat::tools::RunIdentityTool(tool, argc, argv);
}

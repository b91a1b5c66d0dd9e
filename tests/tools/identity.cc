// moat_identity: runs the Docker image-identity resolver for the integration
// tests and prints the result as JSON (exit 0), or the error (exit 1).
//
//   moat_identity --id ID --rootfs PATH [--docker-root DIR]
//                 [--content-store DIR]... [--bytes]
//
// --bytes includes each manifest's exact bytes. Not installed.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/json.h"
#include "verify/docker_resolver.h"
#include "verify/identity_json.h"

namespace {

using moat::json::Value;

int Usage() {
  (void)std::fprintf(stderr,
                     "usage: moat_identity --id ID --rootfs PATH [--docker-root DIR]"
                     " [--content-store DIR]... [--bytes]\n");
  return 2;
}

int Main(int argc, char** argv) {
  moat::verify::DockerResolveInput in;
  bool bytes = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--id" && has_value) {
      in.container_id = argv[++i];
    } else if (a == "--rootfs" && has_value) {
      in.root_path = argv[++i];
    } else if (a == "--docker-root" && has_value) {
      in.docker_root = argv[++i];
    } else if (a == "--content-store" && has_value) {
      in.content_stores.emplace_back(argv[++i]);
    } else if (a == "--bytes") {
      bytes = true;
    } else {
      return Usage();
    }
  }
  if (in.container_id.empty() || in.root_path.empty()) return Usage();

  auto id = moat::verify::ResolveDocker(in);
  if (!id.ok()) {
    (void)std::fprintf(stderr, "moat_identity: %s\n", id.error().Describe().c_str());
    return 1;
  }
  Value out = moat::verify::IdentityJson(*id, bytes);
  return std::printf("%s\n", moat::json::Serialize(out, true).c_str()) < 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (...) {
    (void)std::fprintf(stderr, "moat_identity: unexpected exception\n");
    return 1;
  }
}

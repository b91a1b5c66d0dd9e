// moat_containerd_identity: runs the containerd image-identity resolver for
// the integration tests and prints the result as JSON (exit 0), or the error
// (exit 1).
//
//   moat_containerd_identity --bundle DIR --id ID [--rootfs PATH]
//       [--state DIR] [--root DIR] [--mountinfo FILE] [--bytes]
//   moat_containerd_identity --dump-bolt FILE
//
// --rootfs defaults to "rootfs" (what containerd writes); --bytes includes
// each manifest's exact bytes. --dump-bolt prints every bucket and key of a
// bbolt file, one per line, indented by depth, printable values JSON-quoted,
// others in hex (bbolt.h's reader; for recording what containerd wrote). Not installed.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/json.h"
#include "tests/tools/identity_tool.h"
#include "verify/identity/bbolt.h"
#include "verify/identity/containerd_resolver.h"

namespace {

/// JSON-quoted when printable ASCII, else "hex:" and the bytes in hex
/// (ids and times are binary).
std::string Shown(std::string_view s) {
  bool printable = true;
  for (char c : s) printable = printable && c >= 0x20 && c < 0x7f;
  if (printable) return moat::json::Quote(s);
  std::string out = "hex:";
  for (char c : s) {
    char buf[4];
    (void)std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(c));
    out += buf;
  }
  return out;
}

moat::Status Dump(const moat::verify::BoltDb& db, const std::vector<std::string>& path) {
  return db.ForEach(path, [&](const moat::verify::BoltEntry& e) -> moat::Status {
    const std::string indent(2 * path.size(), ' ');
    if (!e.is_bucket) {
      return std::printf("%s%s = %s\n", indent.c_str(), Shown(e.key).c_str(),
                         Shown(e.value).c_str()) < 0
                 ? moat::Status(moat::Error{"write failed"})
                 : moat::Status::Ok();
    }
    if (std::printf("%s%s/\n", indent.c_str(), Shown(e.key).c_str()) < 0) {
      return moat::Error{"write failed"};
    }
    std::vector<std::string> sub = path;
    sub.emplace_back(e.key);
    return Dump(db, sub);
  });
}

int DumpBolt(const std::string& file) {
  auto db = moat::verify::BoltDb::Open(file);
  moat::Status s = db.ok() ? db->View([](const moat::verify::BoltDb& d) { return Dump(d, {}); })
                           : moat::Status(db.error());
  if (!s.ok()) {
    (void)std::fprintf(stderr, "moat_containerd_identity: %s\n", s.error().Describe().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--dump-bolt") == 0) return DumpBolt(argv[2]);
  using moat::cli::Flags;
  const moat::tools::IdentityTool tool{
      "moat_containerd_identity",
      "moat_containerd_identity --bundle DIR --id ID [--rootfs PATH] [--state DIR] [--root DIR]"
      " [--mountinfo FILE] [--bytes]\n       moat_containerd_identity --dump-bolt FILE",
      {{"bundle", true, ""},
       {"id", true, ""},
       {"rootfs", true, ""},
       {"state", true, ""},
       {"root", true, ""},
       {"mountinfo", true, ""}},
      {"bundle", "id"},
      [](const Flags& f) {
        moat::verify::ContainerdResolveInput in;
        in.bundle = f.Get("bundle");
        in.container_id = f.Get("id");
        in.root_path = f.Get("rootfs", "rootfs");
        if (f.Has("state")) in.state_dir = f.Get("state");
        if (f.Has("root")) in.containerd_root = f.Get("root");
        if (f.Has("mountinfo")) in.mountinfo = f.Get("mountinfo");
        return moat::verify::ResolveContainerd(in);
      }};
  return moat::tools::RunIdentityTool(tool, argc, argv);
}

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
#include "verify/bbolt.h"
#include "verify/containerd_resolver.h"
#include "verify/identity_json.h"

namespace {

using moat::json::Value;

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

int Usage() {
  (void)std::fprintf(stderr,
                     "usage: moat_containerd_identity --bundle DIR --id ID [--rootfs PATH]"
                     " [--state DIR] [--root DIR] [--mountinfo FILE] [--bytes]\n"
                     "       moat_containerd_identity --dump-bolt FILE\n");
  return 2;
}

int Main(int argc, char** argv) {
  moat::verify::ContainerdResolveInput in;
  in.root_path = "rootfs";
  bool bytes = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--dump-bolt" && has_value && argc == 3) {
      return DumpBolt(argv[i + 1]);
    } else if (a == "--bundle" && has_value) {
      in.bundle = argv[++i];
    } else if (a == "--id" && has_value) {
      in.container_id = argv[++i];
    } else if (a == "--rootfs" && has_value) {
      in.root_path = argv[++i];
    } else if (a == "--state" && has_value) {
      in.state_dir = argv[++i];
    } else if (a == "--root" && has_value) {
      in.containerd_root = argv[++i];
    } else if (a == "--mountinfo" && has_value) {
      in.mountinfo = argv[++i];
    } else if (a == "--bytes") {
      bytes = true;
    } else {
      return Usage();
    }
  }
  if (in.bundle.empty() || in.container_id.empty()) return Usage();

  auto id = moat::verify::ResolveContainerd(in);
  if (!id.ok()) {
    (void)std::fprintf(stderr, "moat_containerd_identity: %s\n", id.error().Describe().c_str());
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
    (void)std::fprintf(stderr, "moat_containerd_identity: unexpected exception\n");
    return 1;
  }
}

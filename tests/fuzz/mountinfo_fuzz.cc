// base/mountinfo.h: /proc/<pid>/mountinfo text and overlayfs lowerdir
// lists: entries or an error naming the file; every lowerdir layer parsed
// is non-empty. launcher/host_object.h on the parsed table: each mount
// point (and a path below it) located by the table is found again through
// its mount id with the same place in the filesystem, is within itself,
// and is described.
#include "base/mountinfo.h"
#include "launcher/host_object.h"
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = moat::fuzz::Text(data, size);
  auto mounts = moat::ParseMountInfo(text, "mountinfo");
  if (!mounts.ok()) {
    FUZZ_CHECK(mounts.error().message.rfind("mountinfo", 0) == 0);
  } else {
    for (const auto& m : *mounts) {
      auto top = moat::TopMountAt(*mounts, m.mount_point);
      FUZZ_CHECK(top.has_value() && top->mount_point == m.mount_point);
      for (const std::string& path : {m.mount_point, m.mount_point + "/x"}) {
        auto obj = moat::launcher::LocateByTable(path, *mounts);
        if (!obj.ok()) continue;
        FUZZ_CHECK(obj->path == path);
        FUZZ_CHECK(moat::launcher::IsWithin(*obj, *obj));
        auto again = moat::launcher::LocateHostObject(path, obj->dev, obj->mount_id, *mounts);
        FUZZ_CHECK(again.ok());
        size_t same_id = 0;  // the kernel never repeats an id; fuzz input may
        for (const auto& other : *mounts) same_id += other.id == obj->mount_id ? 1 : 0;
        if (same_id == 1) FUZZ_CHECK(again->in_fs == obj->in_fs && again->dev == obj->dev);
        FUZZ_CHECK(!moat::launcher::DescribeHostObject(*obj, *mounts).empty());
      }
      if (auto lower = m.Option("lowerdir")) {
        auto layers = moat::SplitLowerDirs(*lower);
        if (layers.ok()) {
          for (const auto& l : *layers) FUZZ_CHECK(!l.empty());
        }
      }
    }
  }
  auto layers = moat::SplitLowerDirs(text);
  if (layers.ok()) {
    for (const auto& l : *layers) FUZZ_CHECK(!l.empty());
  }
  return 0;
}

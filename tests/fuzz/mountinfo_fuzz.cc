// base/mountinfo.h: /proc/<pid>/mountinfo text and overlayfs lowerdir
// lists: entries or an error naming the file; every lowerdir layer parsed
// is non-empty.
#include "base/mountinfo.h"
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

// verify/identity/bbolt.h: containerd's metadata database format, read from bytes:
// any file is walked whole (every bucket, every page) or refused with an
// error, never a crash, a hang or unbounded memory.
#include "tests/fuzz/fuzz.h"
#include "verify/identity/bbolt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = moat::fuzz::Text(data, size);
  (void)moat::verify::BoltParseForFuzz(bytes);
  auto db = moat::verify::BoltDb::FromBytes(std::string(bytes));
  if (!db.ok()) return 0;
  // The lookups containerd identity resolution makes.
  (void)db->Get({"v1", "default", "containers", "c"}, "image");
  (void)db->BucketExists({"v1"});
  (void)db->ForEach({"v1"}, [](const moat::verify::BoltEntry&) { return moat::Status::Ok(); });
  return 0;
}

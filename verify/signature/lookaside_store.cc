#include "verify/signature/lookaside_store.h"

#include "base/fs.h"
#include "verify/signature/lookaside.h"
#include "verify/signature/registries_d.h"

namespace moat::verify {

Result<std::vector<StoredOutcome>> StoreSignatures(const std::string& dir,
                                                   const std::vector<std::string>& blobs) {
  MOAT_TRY(MakeDirs(dir, 0755));
  MOAT_ASSIGN_OR_RETURN(auto existing, ReadLookasideSignatures(dir));
  MOAT_ASSIGN_OR_RETURN(auto dirfd, OpenDir(dir));
  std::vector<StoredOutcome> out;
  size_t next = existing.size() + 1;
  for (const std::string& blob : blobs) {
    const StoredSignature* same = nullptr;
    for (const auto& e : existing) {
      if (e.bytes == blob) same = &e;
    }
    if (same != nullptr) {
      out.push_back({same->path, false});
      continue;
    }
    const std::string path = SignaturePath(dir, next);
    MOAT_TRY(ReplaceFileAt(dirfd.get(), "signature-" + std::to_string(next), blob, nullptr, path));
    existing.push_back({path, blob});
    out.push_back({path, true});
    ++next;
  }
  return out;
}

}  // namespace moat::verify

// A read-only reader of bbolt database files (go.etcd.io/bbolt, format
// version 2), for containerd's metadata (DESIGN.md, "Facts about where each
// engine keeps the truth", containerd).
//
// containerd holds its database under an exclusive flock for as long as it
// runs, so this reader takes no lock: it reads pages with pread from the meta
// page with the higher valid txid and, in View, re-reads the meta pages after
// the walk. A commit that completed meanwhile may have reused pages the walk
// read (bbolt frees pages of the previous tree only after the next commit), so
// the walk is repeated; an unchanged txid means every page read belonged to
// that one committed tree.
//
// On-disk layout (native byte order, as bbolt writes its structs):
//   page header (16 bytes): id u64, flags u16, count u16, overflow u32
//   meta (pages 0 and 1, after the header): magic u32 (0xED0CDAED),
//     version u32 (2), pageSize u32, flags u32, root bucket {root pgid u64,
//     sequence u64}, freelist pgid u64, pgid (high water mark) u64, txid u64,
//     checksum u64 = FNV-1a 64 of the 56 bytes before it
//   branch element (16 bytes): pos u32, ksize u32, pgid u64
//   leaf element (16 bytes): flags u32 (1 = bucket), pos u32, ksize u32, vsize u32
//   (pos counts from the element's own first byte)
//   bucket value: root pgid u64, sequence u64, then for root 0 an inline leaf page
// A page with overflow n spans n + 1 consecutive pages.
//
// A malformed file is an error naming the page, never a crash: every page id,
// count and offset is bounds-checked, branch depth is limited, a walk refuses
// to visit a page twice, and keys within a page must ascend strictly.
// A BoltDb caches the pages it read: use one from one thread at a time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace moat::verify {

/// One key of a bucket. For a nested bucket `is_bucket` is set and `value`
/// is empty. The views are valid only during the ForEach callback.
struct BoltEntry {
  std::string_view key;
  std::string_view value;
  bool is_bucket = false;
};

class BoltDb {
 public:
  /// Opens `path` read-only (O_NOFOLLOW: a symbolic link is refused) and
  /// selects the newest valid meta page. With `owner`, the file must be owned
  /// by *owner and not writable by group or others.
  static Result<BoltDb> Open(const std::string& path, const uid_t* owner = nullptr);
  /// The same over an already opened regular file; `display` names it in errors.
  static Result<BoltDb> FromFd(UniqueFd fd, std::string display);
  /// The same over bytes in memory (tests, fuzzing).
  static Result<BoltDb> FromBytes(std::string bytes, std::string display = "(bolt bytes)");

  /// Runs `read` against the newest committed state and re-reads the meta
  /// pages after it; when a commit happened meanwhile, selects the new state
  /// and runs `read` again, at most `attempts` times in all. `read` must
  /// reset whatever it fills in. Returns what the last, stable run returned.
  Status View(const std::function<Status(const BoltDb&)>& read, int attempts = 12);

  /// The value of `key` in the bucket at `bucket_path` (from the root; an
  /// empty path is the root bucket, which holds only buckets in practice).
  /// nullopt when a bucket on the path or the key is missing, when a path
  /// element is not a bucket, or when the key names a bucket (as bbolt's Get).
  Result<std::optional<std::string>> Get(const std::vector<std::string>& bucket_path,
                                         std::string_view key) const;
  /// True when every element of the path exists and is a bucket.
  Result<bool> BucketExists(const std::vector<std::string>& bucket_path) const;
  /// Calls `fn` for every key of the bucket in key order; stops at and
  /// returns the first error `fn` returns. A missing bucket is an error with
  /// errno ENOENT.
  Status ForEach(const std::vector<std::string>& bucket_path,
                 const std::function<Status(const BoltEntry&)>& fn) const;

  /// How many times the last View ran `read` (more than once: commits happened).
  int view_reads() const { return view_reads_; }

  /// True when the newest valid meta page is still the one selected.
  Result<bool> Unchanged() const;
  /// The selected meta page's transaction id.
  uint64_t txid() const { return meta_.txid; }
  const std::string& display() const { return display_; }

  /// What CheckAll saw.
  struct Stats {
    size_t branch_pages = 0;
    size_t leaf_pages = 0;
    size_t overflow_pages = 0;
    size_t buckets = 0;  // nested buckets, not counting the root
    size_t inline_buckets = 0;
    size_t values = 0;
  };
  /// Walks the whole file from the selected meta: every bucket, every page.
  /// For BoltParseForFuzz and tests.
  Result<Stats> CheckAll() const;

  struct Meta {
    uint32_t page_size = 0;
    uint64_t root = 0;
    uint64_t high_water = 0;  // pgid: first page id past the end of the data
    uint64_t txid = 0;
    int which = 0;  // meta page 0 or 1
  };

  /// A bucket's tree: a root page id, or (root 0) the inline page's bytes.
  struct Bucket {
    uint64_t root = 0;
    std::string inline_page;
  };

 private:
  struct Elem {
    std::string_view key;
    std::string_view value;  // leaf only
    uint64_t child = 0;      // branch only
    bool is_bucket = false;
  };
  struct Page {
    std::shared_ptr<const std::string> holder;  // keeps the bytes alive
    std::string_view bytes;
    uint64_t id = 0;  // 0 for an inline page
    bool leaf = false;
    std::vector<Elem> elems;
  };

  BoltDb() = default;
  /// Selects the newest valid meta page again and forgets cached pages.
  Status Refresh();
  Result<std::string> ReadAt(uint64_t offset, size_t len) const;
  Result<uint64_t> FileSize() const;
  Result<Meta> SelectMeta() const;
  Result<std::optional<Meta>> ReadMeta(int which, uint32_t page_size) const;
  Result<Page> LoadPage(uint64_t id) const;
  Result<Page> ParsePage(std::shared_ptr<const std::string> holder, std::string_view bytes,
                         uint64_t id) const;
  Result<Page> RootPage(const Bucket& b) const;
  /// The leaf element with exactly `key`, as bbolt's cursor seek finds it.
  /// `page_out` keeps the element's bytes alive.
  Result<std::optional<Elem>> Seek(const Bucket& b, std::string_view key, Page* page_out) const;
  Result<Bucket> OpenBucketValue(std::string_view value, const std::string& where) const;
  Result<std::optional<Bucket>> FindBucket(const std::vector<std::string>& path) const;
  Status Walk(const Bucket& b, std::set<uint64_t>* visited,
              const std::function<Status(const Elem&)>& fn, Stats* stats = nullptr) const;
  Status WalkPage(const Page& p, int depth, std::set<uint64_t>* visited,
                  const std::function<Status(const Elem&)>& fn, Stats* stats) const;
  Status CheckBucket(const Bucket& b, int nesting, std::set<uint64_t>* visited, Stats* stats) const;
  std::string Where(uint64_t id) const;

  UniqueFd fd_;
  std::string bytes_;  // FromBytes
  bool in_memory_ = false;
  std::string display_;
  Meta meta_;
  uint64_t file_size_ = 0;
  int view_reads_ = 0;
  // Pages read for the selected meta; dropped when another is selected.
  mutable std::map<uint64_t, std::shared_ptr<const std::string>> cache_;
  mutable size_t cache_bytes_ = 0;
};

/// FNV-1a, 64 bits: bbolt's meta checksum.
uint64_t BoltFnv64a(std::string_view bytes);

/// Parses `bytes` as a bbolt file and walks all of it; an error for anything
/// malformed. A libFuzzer target calls this and ignores the result.
Status BoltParseForFuzz(std::string_view bytes);

}  // namespace moat::verify

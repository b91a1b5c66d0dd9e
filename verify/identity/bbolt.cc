#include "verify/identity/bbolt.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace moat::verify {
namespace {

constexpr uint32_t kMagic = 0xED0CDAED;
constexpr uint32_t kVersion = 2;
constexpr size_t kPageHeader = 16;
constexpr size_t kElement = 16;  // branch and leaf elements alike
constexpr size_t kMeta = 64;
constexpr size_t kMetaChecked = 56;  // the bytes before the checksum
constexpr size_t kBucketHeader = 16;
constexpr uint16_t kBranchPage = 0x01;
constexpr uint16_t kLeafPage = 0x02;
constexpr uint16_t kMetaPage = 0x04;
constexpr uint32_t kBucketLeaf = 0x01;
constexpr uint32_t kMinPageSize = 512;
constexpr uint32_t kMaxPageSize = 1u << 20;
// bbolt's trees are a few levels deep; a deeper one is a loop or garbage.
constexpr int kMaxDepth = 32;
constexpr int kMaxNesting = 64;
constexpr uint64_t kMaxPageBytes = 64u << 20;  // one page with its overflow
constexpr size_t kMaxCacheBytes = 32u << 20;

template <typename T>
T Load(std::string_view b, size_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

/// A bucket name or key for messages: printable ASCII kept, the rest \xNN.
std::string Printable(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < 80; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      (void)std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out + (s.size() > 80 ? "...\"" : "\"");
}

std::string PathName(const std::vector<std::string>& path) {
  if (path.empty()) return "(root)";
  std::string out;
  for (const std::string& p : path) out += (out.empty() ? "" : "/") + Printable(p);
  return out;
}

}  // namespace

uint64_t BoltFnv64a(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

Result<BoltDb> BoltDb::Open(const std::string& path, const uid_t* owner) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ELOOP) return Error{path + ": is a symbolic link, refused", ELOOP};
    return ErrnoError(path + ": cannot open");
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(path + ": cannot stat");
  if (owner != nullptr && st.st_uid != *owner) {
    return Error{path + ": owned by uid " + std::to_string(st.st_uid) + ", not " +
                 std::to_string(*owner) + ": refused"};
  }
  if (owner != nullptr && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Error{path + ": group- or world-writable: refused"};
  }
  return FromFd(std::move(fd), path);
}

Result<BoltDb> BoltDb::FromFd(UniqueFd fd, std::string display) {
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(display + ": cannot stat");
  if (!S_ISREG(st.st_mode)) return Error{display + ": not a regular file"};
  BoltDb db;
  db.fd_ = std::move(fd);
  db.display_ = std::move(display);
  MOAT_TRY(db.Refresh());
  return db;
}

Result<BoltDb> BoltDb::FromBytes(std::string bytes, std::string display) {
  BoltDb db;
  db.bytes_ = std::move(bytes);
  db.in_memory_ = true;
  db.display_ = std::move(display);
  MOAT_TRY(db.Refresh());
  return db;
}

Result<uint64_t> BoltDb::FileSize() const {
  if (in_memory_) return static_cast<uint64_t>(bytes_.size());
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return ErrnoError(display_ + ": cannot stat");
  return static_cast<uint64_t>(st.st_size);
}

Result<std::string> BoltDb::ReadAt(uint64_t offset, size_t len) const {
  if (in_memory_) {
    if (offset > bytes_.size() || len > bytes_.size() - offset) {
      return Error{display_ + ": read of " + std::to_string(len) + " bytes at offset " +
                   std::to_string(offset) + " is beyond the end of the file"};
    }
    return bytes_.substr(offset, len);
  }
  std::string out(len, '\0');
  size_t done = 0;
  while (done < len) {
    const ssize_t n =
        ::pread(fd_.get(), out.data() + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(display_ + ": read at offset " + std::to_string(offset) + " failed");
    }
    if (n == 0) {
      return Error{display_ + ": read of " + std::to_string(len) + " bytes at offset " +
                   std::to_string(offset) + " is beyond the end of the file"};
    }
    done += static_cast<size_t>(n);
  }
  return out;
}

Result<std::optional<BoltDb::Meta>> BoltDb::ReadMeta(int which, uint32_t page_size) const {
  const uint64_t offset = static_cast<uint64_t>(which) * page_size;
  if (offset + kPageHeader + kMeta > file_size_) return std::optional<Meta>();
  MOAT_ASSIGN_OR_RETURN(auto b, ReadAt(offset, kPageHeader + kMeta));
  const std::string_view p = b;
  const std::string_view m = p.substr(kPageHeader);
  if (Load<uint64_t>(p, 0) != static_cast<uint64_t>(which) || Load<uint16_t>(p, 8) != kMetaPage ||
      Load<uint32_t>(m, 0) != kMagic || Load<uint32_t>(m, 4) != kVersion ||
      Load<uint64_t>(m, kMetaChecked) != BoltFnv64a(m.substr(0, kMetaChecked))) {
    return std::optional<Meta>();
  }
  Meta out;
  out.page_size = Load<uint32_t>(m, 8);
  out.root = Load<uint64_t>(m, 16);
  out.high_water = Load<uint64_t>(m, 40);
  out.txid = Load<uint64_t>(m, 48);
  out.which = which;
  if (which == 1 && out.page_size != page_size) return std::optional<Meta>();
  return std::optional<Meta>(out);
}

Result<BoltDb::Meta> BoltDb::SelectMeta() const {
  MOAT_ASSIGN_OR_RETURN(auto m0, ReadMeta(0, 0));
  // Meta page 1 sits one page in: at meta 0's page size, or (meta 0 torn)
  // at the OS page size bbolt chose by default, or another plausible size.
  std::vector<uint32_t> sizes;
  if (m0.has_value()) {
    sizes.push_back(m0->page_size);
  } else {
    const long os = ::sysconf(_SC_PAGESIZE);
    if (os > 0 && os <= static_cast<long>(kMaxPageSize)) sizes.push_back(static_cast<uint32_t>(os));
    for (uint32_t s = kMinPageSize; s <= 65536; s *= 2) sizes.push_back(s);
  }
  std::optional<Meta> m1;
  for (uint32_t s : sizes) {
    if (s < kMinPageSize || s > kMaxPageSize || (s & (s - 1)) != 0) continue;
    MOAT_ASSIGN_OR_RETURN(auto m, ReadMeta(1, s));
    if (m.has_value()) {
      m1 = m;
      break;
    }
  }
  if (!m0.has_value() && !m1.has_value()) {
    return Error{display_ + ": no valid meta page (not a bbolt file, or both meta pages corrupt)"};
  }
  Meta m;
  if (m0.has_value() && m1.has_value()) {
    if (m0->page_size != m1->page_size) {
      return Error{display_ + ": meta pages disagree on the page size"};
    }
    m = m0->txid > m1->txid ? *m0 : *m1;  // bbolt prefers meta 1 on a tie
  } else {
    m = m0.has_value() ? *m0 : *m1;
  }
  if (m.page_size < kMinPageSize || m.page_size > kMaxPageSize ||
      (m.page_size & (m.page_size - 1)) != 0) {
    return Error{display_ + ": meta page " + std::to_string(m.which) + ": page size " +
                 std::to_string(m.page_size) + " is not a power of two in [512, 1 MiB]"};
  }
  if (m.root < 2 || m.root >= m.high_water) {
    return Error{display_ + ": meta page " + std::to_string(m.which) + ": root page " +
                 std::to_string(m.root) + " is not a data page below the high water mark " +
                 std::to_string(m.high_water)};
  }
  return m;
}

Status BoltDb::Refresh() {
  MOAT_ASSIGN_OR_RETURN(file_size_, FileSize());
  MOAT_ASSIGN_OR_RETURN(meta_, SelectMeta());
  cache_.clear();
  cache_bytes_ = 0;
  return Status::Ok();
}

Result<bool> BoltDb::Unchanged() const {
  MOAT_ASSIGN_OR_RETURN(auto m, SelectMeta());
  return m.txid == meta_.txid && m.which == meta_.which && m.root == meta_.root &&
         m.page_size == meta_.page_size;
}

Status BoltDb::View(const std::function<Status(const BoltDb&)>& read, int attempts) {
  view_reads_ = 0;
  for (int i = 0; i < attempts; ++i) {
    if (i > 0) {
      // containerd commits in bursts (a task start writes several times):
      // back off a little more after each torn read, ~1 s in all at most.
      struct timespec pause {
        0, (2'000'000L << (i < 6 ? i : 6))
      };
      ::nanosleep(&pause, nullptr);
    }
    MOAT_TRY(Refresh());
    ++view_reads_;
    Status s = read(*this);
    auto same = Unchanged();
    if (!same.ok()) return s.ok() ? Status(same.error()) : s;
    if (*same) return s;
  }
  return Error{display_ + ": a commit happened during each of " + std::to_string(attempts) +
                   " reads; no consistent state read",
               EAGAIN};
}

std::string BoltDb::Where(uint64_t id) const {
  return id == 0 ? display_ + ": inline bucket page" : display_ + ": page " + std::to_string(id);
}

Result<BoltDb::Page> BoltDb::LoadPage(uint64_t id) const {
  if (id < 2) return Error{Where(id) + ": is a meta page, not a tree page"};
  if (id >= meta_.high_water) {
    return Error{Where(id) + ": beyond the high water mark " + std::to_string(meta_.high_water)};
  }
  auto cached = cache_.find(id);
  if (cached != cache_.end()) return ParsePage(cached->second, *cached->second, id);
  if (id > (UINT64_MAX - kPageHeader) / meta_.page_size) {
    return Error{Where(id) + ": offset out of range"};
  }
  const uint64_t offset = id * meta_.page_size;
  auto header = ReadAt(offset, kPageHeader);
  if (!header.ok()) return header.error().Wrap(Where(id));
  if (Load<uint64_t>(*header, 0) != id) {
    return Error{Where(id) + ": header names page " + std::to_string(Load<uint64_t>(*header, 0))};
  }
  const uint64_t overflow = Load<uint32_t>(*header, 12);
  if (overflow >= meta_.high_water - id) {
    return Error{Where(id) + ": " + std::to_string(overflow) +
                 " overflow pages reach beyond the high water mark"};
  }
  const uint64_t len = (overflow + 1) * meta_.page_size;
  if (len > kMaxPageBytes || offset > file_size_ || len > file_size_ - offset) {
    return Error{Where(id) + " (" + std::to_string(overflow) +
                 " overflow pages) reaches beyond the end of the file or the size limit"};
  }
  auto bytes = ReadAt(offset, len);
  if (!bytes.ok()) return bytes.error().Wrap(Where(id));
  auto holder = std::make_shared<const std::string>(std::move(bytes.value()));
  if (cache_bytes_ + holder->size() > kMaxCacheBytes) {
    cache_.clear();
    cache_bytes_ = 0;
  }
  cache_bytes_ += holder->size();
  cache_.emplace(id, holder);
  return ParsePage(holder, *holder, id);
}

Result<BoltDb::Page> BoltDb::ParsePage(std::shared_ptr<const std::string> holder,
                                       std::string_view bytes, uint64_t id) const {
  if (bytes.size() < kPageHeader) return Error{Where(id) + ": shorter than a page header"};
  Page p;
  p.holder = std::move(holder);
  p.bytes = bytes;
  p.id = id;
  const uint16_t flags = Load<uint16_t>(bytes, 8);
  const uint64_t count = Load<uint16_t>(bytes, 10);
  if (flags == kLeafPage) {
    p.leaf = true;
  } else if (flags != kBranchPage || id == 0) {  // inline pages are leaves
    char hex[8];
    (void)std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(flags));
    return Error{Where(id) + ": flags " + hex + " are not those of a " +
                 (id == 0 ? "leaf page" : "branch or leaf page")};
  }
  if (!p.leaf && count == 0) return Error{Where(id) + ": a branch page without elements"};
  if (count > (bytes.size() - kPageHeader) / kElement) {
    return Error{Where(id) + ": " + std::to_string(count) + " elements do not fit in the page"};
  }
  p.elems.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t at = kPageHeader + i * kElement;
    const std::string where = Where(id) + ": element " + std::to_string(i);
    Elem e;
    const uint64_t pos = Load<uint32_t>(bytes, at + (p.leaf ? 4 : 0));
    const uint64_t ksize = Load<uint32_t>(bytes, at + (p.leaf ? 8 : 4));
    const uint64_t vsize = p.leaf ? Load<uint32_t>(bytes, at + 12) : 0;
    if (at + pos + ksize + vsize > bytes.size()) {
      return Error{where + ": key or value reaches beyond the page"};
    }
    e.key = bytes.substr(at + pos, ksize);
    if (p.leaf) {
      const uint32_t eflags = Load<uint32_t>(bytes, at);
      if ((eflags & ~kBucketLeaf) != 0) return Error{where + ": unknown flags"};
      e.is_bucket = (eflags & kBucketLeaf) != 0;
      e.value = bytes.substr(at + pos + ksize, vsize);
    } else {
      e.child = Load<uint64_t>(bytes, at + 8);
    }
    if (!p.elems.empty() && !(p.elems.back().key < e.key)) {
      return Error{where + ": key " + Printable(e.key) + " does not sort after " +
                   Printable(p.elems.back().key)};
    }
    p.elems.push_back(e);
  }
  return p;
}

Result<BoltDb::Page> BoltDb::RootPage(const Bucket& b) const {
  if (b.root != 0) return LoadPage(b.root);
  auto holder = std::make_shared<const std::string>(b.inline_page);
  return ParsePage(holder, *holder, 0);
}

Result<BoltDb::Bucket> BoltDb::OpenBucketValue(std::string_view value,
                                               const std::string& where) const {
  if (value.size() < kBucketHeader) return Error{where + ": bucket value shorter than its header"};
  Bucket b;
  b.root = Load<uint64_t>(value, 0);
  if (b.root == 0) {
    if (value.size() < kBucketHeader + kPageHeader) {
      return Error{where + ": inline bucket shorter than a page header"};
    }
    b.inline_page = std::string(value.substr(kBucketHeader));
  }
  return b;
}

Result<std::optional<BoltDb::Elem>> BoltDb::Seek(const Bucket& b, std::string_view key,
                                                 Page* page_out) const {
  auto page = RootPage(b);
  if (!page.ok()) return page.error();
  for (int depth = 0;; ++depth) {
    if (page->leaf) {
      for (const Elem& e : page->elems) {
        if (e.key != key) continue;
        const Elem found = e;  // its views point into the holder, which moves along
        *page_out = std::move(page.value());
        return std::optional<Elem>(found);
      }
      return std::optional<Elem>();
    }
    if (depth >= kMaxDepth) return Error{Where(page->id) + ": tree deeper than the limit"};
    // bbolt: the last element whose key is <= the one sought, else the first.
    size_t idx = 0;
    for (size_t i = 0; i < page->elems.size() && page->elems[i].key <= key; ++i) idx = i;
    MOAT_ASSIGN_OR_RETURN(auto next, LoadPage(page->elems[idx].child));
    page = std::move(next);
  }
}

Result<std::optional<BoltDb::Bucket>> BoltDb::FindBucket(
    const std::vector<std::string>& path) const {
  Bucket cur;
  cur.root = meta_.root;
  for (size_t i = 0; i < path.size(); ++i) {
    Page holder;
    MOAT_ASSIGN_OR_RETURN(auto e, Seek(cur, path[i], &holder));
    if (!e.has_value() || !e->is_bucket) return std::optional<Bucket>();
    const std::vector<std::string> upto(path.begin(), path.begin() + static_cast<long>(i) + 1);
    auto b = OpenBucketValue(e->value, display_ + ": bucket " + PathName(upto));
    if (!b.ok()) return b.error();
    cur = std::move(b.value());
  }
  return std::optional<Bucket>(std::move(cur));
}

Result<std::optional<std::string>> BoltDb::Get(const std::vector<std::string>& bucket_path,
                                               std::string_view key) const {
  MOAT_ASSIGN_OR_RETURN(auto b, FindBucket(bucket_path));
  if (!b.has_value()) return std::optional<std::string>();
  Page holder;
  MOAT_ASSIGN_OR_RETURN(auto e, Seek(*b, key, &holder));
  if (!e.has_value() || e->is_bucket) return std::optional<std::string>();
  return std::optional<std::string>(std::string(e->value));
}

Result<bool> BoltDb::BucketExists(const std::vector<std::string>& bucket_path) const {
  MOAT_ASSIGN_OR_RETURN(auto b, FindBucket(bucket_path));
  return b.has_value();
}

Status BoltDb::WalkPage(const Page& p, int depth, std::set<uint64_t>* visited,
                        const std::function<Status(const Elem&)>& fn, Stats* stats) const {
  if (p.id != 0 && !visited->insert(p.id).second) {
    return Error{Where(p.id) + ": reached twice (a cycle, or a page shared between trees)"};
  }
  if (stats != nullptr) {
    ++(p.leaf ? stats->leaf_pages : stats->branch_pages);
    if (p.id != 0) stats->overflow_pages += p.bytes.size() / meta_.page_size - 1;
  }
  if (p.leaf) {
    for (const Elem& e : p.elems) MOAT_TRY(fn(e));
    return Status::Ok();
  }
  if (depth >= kMaxDepth) return Error{Where(p.id) + ": tree deeper than the limit"};
  for (const Elem& e : p.elems) {
    MOAT_ASSIGN_OR_RETURN(auto child, LoadPage(e.child));
    MOAT_TRY(WalkPage(child, depth + 1, visited, fn, stats));
  }
  return Status::Ok();
}

Status BoltDb::Walk(const Bucket& b, std::set<uint64_t>* visited,
                    const std::function<Status(const Elem&)>& fn, Stats* stats) const {
  MOAT_ASSIGN_OR_RETURN(auto page, RootPage(b));
  return WalkPage(page, 0, visited, fn, stats);
}

Status BoltDb::ForEach(const std::vector<std::string>& bucket_path,
                       const std::function<Status(const BoltEntry&)>& fn) const {
  MOAT_ASSIGN_OR_RETURN(auto b, FindBucket(bucket_path));
  if (!b.has_value()) {
    return Error{display_ + ": bucket " + PathName(bucket_path) + ": missing", ENOENT};
  }
  std::set<uint64_t> visited;
  return Walk(*b, &visited, [&fn](const Elem& e) {
    return fn(BoltEntry{e.key, e.is_bucket ? std::string_view() : e.value, e.is_bucket});
  });
}

Status BoltDb::CheckBucket(const Bucket& b, int nesting, std::set<uint64_t>* visited,
                           Stats* stats) const {
  if (nesting > kMaxNesting) return Error{display_ + ": buckets nested deeper than the limit"};
  return Walk(
      b, visited,
      [&](const Elem& e) -> Status {
        if (!e.is_bucket) {
          ++stats->values;
          return Status::Ok();
        }
        MOAT_ASSIGN_OR_RETURN(auto child,
                              OpenBucketValue(e.value, display_ + ": bucket " + Printable(e.key)));
        ++stats->buckets;
        if (child.root == 0) ++stats->inline_buckets;
        return CheckBucket(child, nesting + 1, visited, stats);
      },
      stats);
}

Result<BoltDb::Stats> BoltDb::CheckAll() const {
  Bucket root;
  root.root = meta_.root;
  std::set<uint64_t> visited;
  Stats stats;
  MOAT_TRY(CheckBucket(root, 0, &visited, &stats));
  return stats;
}

Status BoltParseForFuzz(std::string_view bytes) {
  MOAT_ASSIGN_OR_RETURN(auto db, BoltDb::FromBytes(std::string(bytes)));
  MOAT_TRY(db.CheckAll());
  return Status::Ok();
}

}  // namespace moat::verify

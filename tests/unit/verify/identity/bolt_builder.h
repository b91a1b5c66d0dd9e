// Writes small bbolt files for tests: the layout of go.etcd.io/bbolt (see
// verify/identity/bbolt.h), built from a tree of buckets, or page by page for
// deliberately malformed files.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "verify/identity/bbolt.h"

namespace moat::testing {

constexpr uint32_t kBoltPageSize = 4096;

template <typename T>
void BoltPut(std::string* b, size_t off, T v) {
  if (b->size() < off + sizeof v) b->resize(off + sizeof v);
  std::memcpy(b->data() + off, &v, sizeof v);
}

struct BoltItem {
  std::string key;
  std::string value;
  bool bucket = false;
};

/// A leaf page (id 0 for an inline one), padded to whole pages unless inline,
/// with its overflow count set.
inline std::string BoltLeaf(uint64_t id, const std::vector<BoltItem>& items, bool pad = true) {
  std::string p(16 + 16 * items.size(), '\0');
  BoltPut<uint64_t>(&p, 0, id);
  BoltPut<uint16_t>(&p, 8, 0x02);
  BoltPut<uint16_t>(&p, 10, static_cast<uint16_t>(items.size()));
  for (size_t i = 0; i < items.size(); ++i) {
    const size_t at = 16 + 16 * i;
    BoltPut<uint32_t>(&p, at, items[i].bucket ? 1 : 0);
    BoltPut<uint32_t>(&p, at + 4, static_cast<uint32_t>(p.size() - at));
    BoltPut<uint32_t>(&p, at + 8, static_cast<uint32_t>(items[i].key.size()));
    BoltPut<uint32_t>(&p, at + 12, static_cast<uint32_t>(items[i].value.size()));
    p += items[i].key + items[i].value;
  }
  if (pad) {
    const size_t pages = (p.size() + kBoltPageSize - 1) / kBoltPageSize;
    p.resize(pages * kBoltPageSize, '\0');
    BoltPut<uint32_t>(&p, 12, static_cast<uint32_t>(pages - 1));
  }
  return p;
}

/// A branch page: (first key, child page id) pairs.
inline std::string BoltBranch(uint64_t id,
                              const std::vector<std::pair<std::string, uint64_t>>& items) {
  std::string p(16 + 16 * items.size(), '\0');
  BoltPut<uint64_t>(&p, 0, id);
  BoltPut<uint16_t>(&p, 8, 0x01);
  BoltPut<uint16_t>(&p, 10, static_cast<uint16_t>(items.size()));
  for (size_t i = 0; i < items.size(); ++i) {
    const size_t at = 16 + 16 * i;
    BoltPut<uint32_t>(&p, at, static_cast<uint32_t>(p.size() - at));
    BoltPut<uint32_t>(&p, at + 4, static_cast<uint32_t>(items[i].first.size()));
    BoltPut<uint64_t>(&p, at + 8, items[i].second);
    p += items[i].first;
  }
  p.resize(kBoltPageSize, '\0');
  return p;
}

/// A bucket value: its header (root, sequence 0) and, for root 0, the inline page.
inline std::string BoltBucketValue(uint64_t root, const std::string& inline_page = "") {
  std::string v(16, '\0');
  BoltPut<uint64_t>(&v, 0, root);
  return v + inline_page;
}

/// Meta page `which` (0 or 1) with a valid checksum.
inline std::string BoltMeta(int which, uint64_t root, uint64_t high_water, uint64_t txid) {
  std::string p(kBoltPageSize, '\0');
  BoltPut<uint64_t>(&p, 0, static_cast<uint64_t>(which));
  BoltPut<uint16_t>(&p, 8, 0x04);
  BoltPut<uint32_t>(&p, 16, 0xED0CDAED);
  BoltPut<uint32_t>(&p, 20, 2);
  BoltPut<uint32_t>(&p, 24, kBoltPageSize);
  BoltPut<uint64_t>(&p, 32, root);
  BoltPut<uint64_t>(&p, 48, 2);  // freelist
  BoltPut<uint64_t>(&p, 56, high_water);
  BoltPut<uint64_t>(&p, 64, txid);
  BoltPut<uint64_t>(&p, 72, verify::BoltFnv64a(std::string_view(p).substr(16, 56)));
  return p;
}

/// Recomputes meta page `which`'s checksum in a whole file.
inline void BoltResum(std::string* file, int which) {
  const size_t at = static_cast<size_t>(which) * kBoltPageSize + 16;
  BoltPut<uint64_t>(file, at + 56, verify::BoltFnv64a(std::string_view(*file).substr(at, 56)));
}

/// A file from pages 3 and up (page 2 is an empty freelist), both meta pages
/// valid with txids txid - 1 and txid, root bucket at `root`.
inline std::string BoltFile(const std::map<uint64_t, std::string>& pages, uint64_t root,
                            uint64_t txid = 7) {
  uint64_t high = 3;
  for (const auto& [id, bytes] : pages) high = std::max(high, id + bytes.size() / kBoltPageSize);
  std::string f(high * kBoltPageSize, '\0');
  const int newer = static_cast<int>(txid % 2);
  f.replace(static_cast<size_t>(newer) * kBoltPageSize, kBoltPageSize,
            BoltMeta(newer, root, high, txid));
  f.replace(static_cast<size_t>(1 - newer) * kBoltPageSize, kBoltPageSize,
            BoltMeta(1 - newer, root, high, txid - 1));
  std::string freelist(kBoltPageSize, '\0');
  BoltPut<uint64_t>(&freelist, 0, 2);
  BoltPut<uint16_t>(&freelist, 8, 0x10);
  f.replace(2 * kBoltPageSize, kBoltPageSize, freelist);
  for (const auto& [id, bytes] : pages) f.replace(id * kBoltPageSize, bytes.size(), bytes);
  return f;
}

/// A bucket tree: values and sub-buckets, each in key order.
struct BoltNode {
  std::map<std::string, std::string> values;
  std::map<std::string, BoltNode> buckets;

  BoltNode& B(const std::string& name) { return buckets[name]; }
  BoltNode& V(const std::string& key, const std::string& value) {
    values[key] = value;
    return *this;
  }
};

/// Serialises a tree as bbolt does: a bucket without sub-buckets whose page
/// is small is inline, every other bucket gets its own leaf page(s).
class BoltTreeWriter {
 public:
  std::string Write(const BoltNode& root, uint64_t txid = 7) {
    const uint64_t id = Place(root);
    return BoltFile(pages_, id, txid);
  }

 private:
  std::vector<BoltItem> Items(const BoltNode& n) {
    std::map<std::string, BoltItem> all;
    for (const auto& [k, v] : n.values) all[k] = BoltItem{k, v, false};
    for (const auto& [k, b] : n.buckets) {
      if (b.buckets.empty()) {
        std::string page = BoltLeaf(0, Items(b), false);
        if (page.size() + 16 <= kBoltPageSize / 4) {
          all[k] = BoltItem{k, BoltBucketValue(0, page), true};
          continue;
        }
      }
      all[k] = BoltItem{k, BoltBucketValue(Place(b)), true};
    }
    std::vector<BoltItem> out;
    for (auto& [k, item] : all) out.push_back(std::move(item));
    return out;
  }
  uint64_t Place(const BoltNode& n) {
    std::vector<BoltItem> items = Items(n);
    const uint64_t id = next_;
    std::string page = BoltLeaf(id, items);
    next_ += page.size() / kBoltPageSize;
    pages_[id] = std::move(page);
    return id;
  }

  std::map<uint64_t, std::string> pages_;
  uint64_t next_ = 3;
};

}  // namespace moat::testing

#include "base/json_where.h"

#include <yajl/yajl_parse.h>

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "base/json.h"

namespace moat::json {

namespace {

// Follows the path of each value as yajl reports it; stops at the first
// value whose path is `want`, noting how far yajl had read by then.
struct Walker {
  std::string_view want;
  yajl_handle h = nullptr;
  struct Frame {
    bool is_array;
    std::string path;  // the container's own path
    size_t next = 0;   // arrays: index of the next element
    std::string key;   // objects: the pending key
  };
  std::vector<Frame> stack;
  std::optional<size_t> found_at;

  std::string NextPath() {
    if (stack.empty()) return "";
    Frame& f = stack.back();
    return f.is_array ? Index(f.path, f.next) : Field(f.path, f.key);
  }
  // A value starts: returns 0 (stop parsing) when it is the one wanted.
  int Value(bool opens, bool is_array) {
    std::string path = NextPath();
    if (!stack.empty() && stack.back().is_array) ++stack.back().next;
    if (path == want) {
      found_at = yajl_get_bytes_consumed(h);
      return 0;
    }
    if (opens) stack.push_back(Frame{is_array, std::move(path), 0, {}});
    return 1;
  }
};

Walker* W(void* ctx) { return static_cast<Walker*>(ctx); }
int Scalar(void* ctx) { return W(ctx)->Value(false, false); }
int OnNull(void* ctx) { return Scalar(ctx); }
int OnBool(void* ctx, int) { return Scalar(ctx); }
int OnNumber(void* ctx, const char*, size_t) { return Scalar(ctx); }
int OnString(void* ctx, const unsigned char*, size_t) { return Scalar(ctx); }
int OnStartMap(void* ctx) { return W(ctx)->Value(true, false); }
int OnStartArray(void* ctx) { return W(ctx)->Value(true, true); }
int OnKey(void* ctx, const unsigned char* s, size_t n) {
  W(ctx)->stack.back().key.assign(reinterpret_cast<const char*>(s), n);
  return 1;
}
int OnEnd(void* ctx) {
  W(ctx)->stack.pop_back();
  return 1;
}

const yajl_callbacks kCallbacks = {OnNull,     OnBool, nullptr, nullptr,      OnNumber, OnString,
                                   OnStartMap, OnKey,  OnEnd,   OnStartArray, OnEnd};

struct YajlFree {
  void operator()(yajl_handle h) const { yajl_free(h); }
};

}  // namespace

std::optional<size_t> LineOfField(std::string_view text, std::string_view field) {
  Walker w;
  w.want = field;
  std::unique_ptr<std::remove_pointer_t<yajl_handle>, YajlFree> h(
      yajl_alloc(&kCallbacks, nullptr, &w));
  if (!h) return std::nullopt;
  w.h = h.get();
  (void)yajl_parse(h.get(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
  if (!w.found_at) return std::nullopt;
  // yajl has read the value's first token; its line is that of the token's end.
  size_t line = 1;
  for (size_t i = 0; i < *w.found_at && i < text.size(); ++i) line += text[i] == '\n' ? 1 : 0;
  return line;
}

}  // namespace moat::json

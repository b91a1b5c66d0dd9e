#include "base/diff.h"

#include <cstdint>
#include <vector>

namespace moat {

namespace {

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

struct Op {
  char kind;      // ' ', '-', '+'
  size_t ai, bi;  // line index in a (for ' ' and '-') and in b (for ' ' and '+')
};

// Longest common subsequence by dynamic programming: fine for config.json
// sizes (a few hundred lines); bounded by kMaxDiffLines.
std::vector<Op> Script(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<Op> ops;
  const size_t n = a.size(), m = b.size();
  if (n > kMaxDiffLines || m > kMaxDiffLines) {
    for (size_t i = 0; i < n; ++i) ops.push_back({'-', i, 0});
    for (size_t j = 0; j < m; ++j) ops.push_back({'+', n, j});
    return ops;
  }
  std::vector<uint32_t> lcs((n + 1) * (m + 1), 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return lcs[i * (m + 1) + j]; };
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      at(i, j) = a[i] == b[j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
    }
  }
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      ops.push_back({' ', i++, j++});
    } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
      ops.push_back({'-', i++, j});  // deletions first, as diff -u
    } else {
      ops.push_back({'+', i, j++});
    }
  }
  return ops;
}

}  // namespace

std::string UnifiedDiff(const std::string& a, const std::string& b, const std::string& a_name,
                        const std::string& b_name, size_t context) {
  if (a == b) return "";
  const std::vector<std::string> al = Lines(a), bl = Lines(b);
  const std::vector<Op> ops = Script(al, bl);
  std::string out = "--- " + a_name + "\n+++ " + b_name + "\n";
  size_t k = 0;
  while (k < ops.size()) {
    // The next change, and the hunk around it: extend while changes are
    // within 2*context lines of each other.
    size_t first = k;
    while (first < ops.size() && ops[first].kind == ' ') ++first;
    if (first == ops.size()) break;
    size_t start = first >= context ? first - context : 0;
    size_t end = first;  // one past the last change in the hunk
    for (size_t x = first; x < ops.size(); ++x) {
      if (ops[x].kind != ' ') {
        end = x + 1;
      } else if (x - end >= 2 * context) {
        break;
      }
    }
    size_t stop = std::min(ops.size(), end + context);
    size_t a_start = ops[start].ai, b_start = ops[start].bi, a_n = 0, b_n = 0;
    std::string body;
    for (size_t x = start; x < stop; ++x) {
      const Op& o = ops[x];
      if (o.kind != '+') ++a_n;
      if (o.kind != '-') ++b_n;
      body += o.kind;
      body += o.kind == '+' ? bl[o.bi] : al[o.ai];
      body += '\n';
    }
    auto range = [](size_t s, size_t n) {
      // Lines count from 1; an empty range names the line before it; a
      // one-line range has no count (GNU diff's spelling).
      if (n == 1) return std::to_string(s + 1);
      return std::to_string(n == 0 ? s : s + 1) + "," + std::to_string(n);
    };
    out += "@@ -" + range(a_start, a_n) + " +" + range(b_start, b_n) + " @@\n" + body;
    k = stop;
  }
  return out;
}

}  // namespace moat

#include "base/mountinfo.h"

#include "base/fs.h"
#include "base/json.h"

namespace moat {
namespace {

constexpr size_t kMaxMountInfo = 16u << 20;

/// Undoes the kernel's "\ooo" escapes (show_mountinfo's mangle(), seq_escape).
/// Any other backslash is kept as it is.
std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && s.size() - i >= 4) {
      const char a = s[i + 1];
      const char b = s[i + 2];
      const char c = s[i + 3];
      if (a >= '0' && a <= '3' && b >= '0' && b <= '7' && c >= '0' && c <= '7') {
        out += static_cast<char>(((a - '0') << 6) | ((b - '0') << 3) | (c - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < line.size()) {
    const size_t end = line.find(' ', pos);
    out.push_back(line.substr(pos, end == std::string_view::npos ? end : end - pos));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return out;
}

// Split before unescaping: a comma inside a value is shown as \054.
std::vector<std::string> SplitCommas(std::string_view opts) {
  std::vector<std::string> out;
  size_t op = 0;
  while (op <= opts.size()) {
    const size_t comma = opts.find(',', op);
    const std::string_view one =
        opts.substr(op, comma == std::string_view::npos ? std::string_view::npos : comma - op);
    if (!one.empty()) out.push_back(Unescape(one));
    if (comma == std::string_view::npos) break;
    op = comma + 1;
  }
  return out;
}

bool ReadId(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

// "major:minor", both decimal.
bool ValidDev(std::string_view s) {
  const size_t colon = s.find(':');
  uint64_t n = 0;
  return colon != std::string_view::npos && ReadId(s.substr(0, colon), &n) &&
         ReadId(s.substr(colon + 1), &n);
}

}  // namespace

std::optional<std::string> MountEntry::Option(std::string_view key) const {
  for (const std::string& o : super_options) {
    if (o.size() > key.size() && o.compare(0, key.size(), key) == 0 && o[key.size()] == '=') {
      return o.substr(key.size() + 1);
    }
  }
  return std::nullopt;
}

Result<std::vector<MountEntry>> ParseMountInfo(std::string_view text, const std::string& display) {
  std::vector<MountEntry> out;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    const std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (line.empty()) continue;
    const std::string where = display + ": line " + std::to_string(line_no);
    const std::vector<std::string_view> f = Fields(line);
    // id parent major:minor root mount-point options [optional...] - type source super
    size_t sep = 6;
    while (sep < f.size() && f[sep] != "-") ++sep;
    if (sep + 4 != f.size()) return Error{where + ": not a mountinfo line"};
    MountEntry e;
    if (!ReadId(f[0], &e.id) || !ReadId(f[1], &e.parent) || !ValidDev(f[2])) {
      return Error{where + ": not a mountinfo line"};
    }
    e.dev = std::string(f[2]);
    e.mount_options = SplitCommas(f[5]);
    e.root = Unescape(f[3]);
    e.mount_point = Unescape(f[4]);
    e.fs_type = Unescape(f[sep + 1]);
    e.source = Unescape(f[sep + 2]);
    e.super_options = SplitCommas(f[sep + 3]);
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<MountEntry> TopMountAt(const std::vector<MountEntry>& mounts,
                                     std::string_view mount_point) {
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) {
    if (it->mount_point == mount_point) return *it;
  }
  return std::nullopt;
}

Result<std::vector<std::string>> SplitLowerDirs(std::string_view lowerdir) {
  if (lowerdir.find('\\') != std::string_view::npos) {
    return Error{"lowerdir " + std::string(lowerdir) + ": escaped characters are not supported"};
  }
  std::vector<std::string> out;
  size_t pos = 0;
  for (;;) {
    const size_t colon = lowerdir.find(':', pos);
    const std::string_view one = lowerdir.substr(
        pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos);
    if (one.empty()) {
      return Error{"lowerdir " + std::string(lowerdir) + ": an empty layer (data-only layers?)"};
    }
    out.emplace_back(one);
    if (colon == std::string_view::npos) break;
    pos = colon + 1;
  }
  return out;
}

Result<OverlayMount> ReadOverlayMount(const std::string& mountinfo,
                                      const std::string& mount_point) {
  MOAT_ASSIGN_OR_RETURN(auto text, ReadFileNoFollow(mountinfo, kMaxMountInfo));
  MOAT_ASSIGN_OR_RETURN(auto mounts, ParseMountInfo(text, mountinfo));
  auto m = TopMountAt(mounts, mount_point);
  if (!m.has_value()) {
    return Error{mount_point + ": nothing is mounted there (" + mountinfo + ")"};
  }
  OverlayMount out;
  out.shown = mount_point + " (" + mountinfo + ")";
  if (m->fs_type != "overlay") {
    return Error{out.shown + ": a " + json::Quote(m->fs_type) + " mount, not overlay"};
  }
  auto lower = m->Option("lowerdir");
  auto upper = m->Option("upperdir");
  if (!lower.has_value() || !upper.has_value()) {
    return Error{out.shown + ": overlay without lowerdir or upperdir"};
  }
  auto split = SplitLowerDirs(*lower);
  if (!split.ok()) return split.error().Wrap(out.shown);
  out.upper = std::move(*upper);
  out.lower = std::move(split.value());
  return out;
}

}  // namespace moat

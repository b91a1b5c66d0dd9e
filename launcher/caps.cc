#include "launcher/caps.h"

#include <sys/capability.h>

#include <cctype>
#include <memory>

namespace moat::launcher {

namespace {

struct CapFree {
  void operator()(char* p) const { cap_free(p); }
};

}  // namespace

Result<int> CapFromName(const std::string& name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("cap_", 0) != 0) lower = "cap_" + lower;
  // libcap also accepts plain numbers; capability names must be names.
  if (lower.size() <= 4 || std::isdigit(static_cast<unsigned char>(lower[4])) != 0) {
    return Error{"unknown capability \"" + name + "\""};
  }
  cap_value_t v = 0;
  if (cap_from_name(lower.c_str(), &v) != 0 || v < 0 || v > CAP_LAST_CAP) {
    return Error{"unknown capability \"" + name + "\""};
  }
  return static_cast<int>(v);
}

std::string CapName(int cap) {
  std::unique_ptr<char, CapFree> raw(cap_to_name(static_cast<cap_value_t>(cap)));
  std::string out = "CAP_";
  if (!raw) return out + std::to_string(cap);
  for (const char* p = raw.get(); *p != '\0'; ++p) {
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(*p)));
  }
  if (out.rfind("CAP_CAP_", 0) == 0) out = out.substr(4);
  return out;
}

CapSet AllCaps() {
  CapSet all;
  for (int c = 0; c <= CAP_LAST_CAP; ++c) all.insert(c);
  return all;
}

std::vector<std::string> CapNames(const CapSet& caps) {
  std::vector<std::string> out;
  out.reserve(caps.size());
  for (int c : caps) out.push_back(CapName(c));
  return out;
}

}  // namespace moat::launcher

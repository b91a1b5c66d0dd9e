// What `moat verify` and `moat explain` print about an image verdict, in
// text and in JSON, so that both say it the same way.
#pragma once

#include <string>

#include "base/json.h"
#include "shim/image_check.h"

namespace moat::cli {

/// ANSI colour, only when `on` (a terminal; see UseColor).
struct Style {
  bool on = false;
  std::string Paint(const std::string& s, const char* code) const {
    return on ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
  }
};

/// The identity, its evidence, the trust decision and (when moat.conf asks
/// for one) the scan verdict decision, one fact per line.
std::string ImageText(const shim::ImageVerdict& v, const Style& st);

/// {"identity", "identity_error", "trust", "verdict"} of the verdict (verdict
/// null when not checked); callers add theirs.
json::Value ImageJson(const shim::ImageVerdict& v);

}  // namespace moat::cli

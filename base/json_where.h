// Where a field is in a JSON document's text, for messages that name a line
// ("restricted.json:12: capabilities.drop[1]: unknown capability").
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace moat::json {

/// The 1-based line of the value at `field` in `text`, where `field` is
/// spelled as json::Field / json::Index build paths ("user.root",
/// "capabilities.drop[1]"). nullopt when the text does not parse or has no
/// such field. When a path names a member that is missing, callers may ask
/// again for its parent.
std::optional<size_t> LineOfField(std::string_view text, std::string_view field);

}  // namespace moat::json

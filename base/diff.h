// A unified diff of two texts, line by line (for `moat explain`).
#pragma once

#include <string>

namespace moat {

/// The differences between `a` and `b` as a unified diff ("--- a_name",
/// "+++ b_name", "@@ -l,n +l,n @@" hunks with `context` lines around each
/// change); "" when the texts are equal. Texts of more than kMaxDiffLines
/// lines each are shown as one hunk replacing all of `a`.
std::string UnifiedDiff(const std::string& a, const std::string& b, const std::string& a_name,
                        const std::string& b_name, size_t context = 3);

inline constexpr size_t kMaxDiffLines = 4000;

}  // namespace moat

#include "base/status.h"

#include <cstring>

namespace moat {

std::string Error::Describe() const {
  if (err == 0) return message;
  return message + ": " + std::strerror(err);
}

Error ErrnoError(const std::string& what, int saved_errno) { return Error{what, saved_errno}; }

}  // namespace moat

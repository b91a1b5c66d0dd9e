// Error handling without exceptions: Error, Status and Result<T>.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace moat {

/// One failure: a human-readable message that gains context on the way up,
/// and the errno that caused it (0 when none).
struct Error {
  std::string message;
  int err = 0;

  /// Returns the error with `context + ": "` put in front of the message.
  [[nodiscard]] Error Wrap(const std::string& context) const {
    return Error{context + ": " + message, err};
  }
  /// The message, with strerror(err) appended when err is set.
  [[nodiscard]] std::string Describe() const;
};

/// An Error from the current errno: "<what>: <strerror>".
Error ErrnoError(const std::string& what, int saved_errno = errno);

/// Success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : error_(std::move(e)), ok_(false) {}  // NOLINT: implicit by design
  static Status Ok() { return Status(); }
  bool ok() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

/// A value of type T or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace moat

/// Returns the error of a Status or Result expression from the enclosing function.
#define MOAT_TRY(expr)                                 \
  do {                                                 \
    auto moat_try_r_ = (expr);                         \
    if (!moat_try_r_.ok()) return moat_try_r_.error(); \
  } while (0)

#define MOAT_CONCAT_INNER_(a, b) a##b
#define MOAT_CONCAT_(a, b) MOAT_CONCAT_INNER_(a, b)
// lhs may be a declaration ("auto x"), which parentheses would break.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define MOAT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.error();                \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

/// `MOAT_ASSIGN_OR_RETURN(auto x, ReadThing());` declares (or assigns) x from
/// a Result's value, or returns its error from the enclosing function.
#define MOAT_ASSIGN_OR_RETURN(lhs, expr) \
  MOAT_ASSIGN_OR_RETURN_IMPL_(MOAT_CONCAT_(moat_aor_r_, __LINE__), lhs, expr)

// Recoverable failures: functions return Result<T> (a value or an Error); "not present"
// is std::optional. Exceptions are kept for programming errors and are caught in main.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace vmc {

/// What went wrong, said so that the user knows what to do. `code` is a short stable
/// token tests and scripts can match (e.g. "NotAuthenticated", "ssh.hostkey",
/// "plan.unknown-key"); `message` is the full sentence for humans.
struct Error {
  std::string code;
  std::string message;

  Error() = default;
  Error(std::string c, std::string m) : code(std::move(c)), message(std::move(m)) {}

  /// Prefixes the message with context ("esx01: " + message), keeping the code; a
  /// message that already starts so is kept as it is (no "esx01: esx01: ...").
  [[nodiscard]] Error context(const std::string& what) const {
    const std::string prefix = what + ": ";
    if (message.compare(0, prefix.size(), prefix) == 0) return *this;
    return Error(code, prefix + message);
  }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Result of an operation with no value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), failed_(true) {}  // NOLINT
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(failed_); return err_; }

 private:
  Error err_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace vmc

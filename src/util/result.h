// Recoverable failures: functions return Result<T> (a value or an Error); "not present"
// is std::optional. Exceptions are kept for programming errors and are caught in main.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace vmc {

/// What kind of failure an Error is, for a caller that must decide what to do next. The
/// adapter that raises the error sets it; callers branch on the kind, never on `code`.
enum class ErrorKind {
  Failed,     // nothing more to know: say it (the default)
  Transient,  // the peer cannot be reached now and is being reconnected: ask again any time
  Pending,    // not ready yet (a first connection still being made): ask again any time
  Refused,    // trust or permission refused (host key, certificate, login, privilege):
              // retrying does not help until someone acts
  Invalid,    // our own setting is wrong (a configuration file): fix it
  NotFound,   // what was named does not exist (a VM, a file, a process)
};

/// What went wrong, said so that the user knows what to do. `code` is a short stable
/// token for people, tests and scripts (e.g. "NotAuthenticated", "ssh.hostkey",
/// "plan.unknown-key"); `message` is the full sentence for humans; `kind` is what
/// code branches on.
struct Error {
  std::string code;
  std::string message;
  ErrorKind kind = ErrorKind::Failed;

  Error() = default;
  Error(std::string c, std::string m, ErrorKind k = ErrorKind::Failed)
      : code(std::move(c)), message(std::move(m)), kind(k) {}

  bool is(ErrorKind k) const { return kind == k; }

  /// Prefixes the message with context ("esx01: " + message), keeping code and kind; a
  /// message that already starts so is kept as it is (no "esx01: esx01: ...").
  [[nodiscard]] Error context(const std::string& what) const {
    const std::string prefix = what + ": ";
    if (message.compare(0, prefix.size(), prefix) == 0) return *this;
    return Error(code, prefix + message, kind);
  }
  /// The same failure said in other words (code and kind kept).
  [[nodiscard]] Error reworded(std::string m) const { return Error(code, std::move(m), kind); }
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

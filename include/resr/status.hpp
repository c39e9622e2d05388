// Errors as values: every fallible call at a module boundary returns Status or
// Result<T>. A code maps to one documented CLI exit code and one HTTP status.
#pragma once

#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace resr {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,    // the user asked for something malformed (usage)
  kNotFound,           // an input file, model or resource does not exist
  kInvalidModel,       // a model/engine file is broken, truncated or unsupported
  kInvalidImage,       // an input image is broken, truncated or over a limit
  kUnsupported,        // well-formed but not something this build can do
  kIoError,            // cannot read or write a file, disk full
  kChecksumMismatch,   // downloaded or stored bytes do not match their sha256
  kResourceExhausted,  // out of memory, queue full, pixel cap
  kUnavailable,        // a needed component (GPU, network, npm) is not there
  kCancelled,
  kInternal,
};

// Exit codes of the CLI, one per code (documented in README.md).
int exit_code_for(ErrorCode code);
// A folder run with --continue-on-error in which some images failed.
inline constexpr int kExitSomeImagesFailed = 11;
const char* error_code_name(ErrorCode code);

class Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return {}; }

  bool is_ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Prefixes context ("while loading X: ...") without losing the code.
  Status with_context(const std::string& context) const {
    return is_ok() ? *this : Status(code_, context + ": " + message_);
  }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

template <typename T>
class Result {
 public:
  // Implicit from anything a T can be made of, so `return std::nullopt;` works
  // for Result<std::optional<X>> and `return derived_ptr;` for base pointers.
  template <typename U = T>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, Status> &&
           !std::is_same_v<std::remove_cvref_t<U>, Result>) Result(U&& value)
      : v_(std::in_place_type<T>, std::forward<U>(value)) {}  // NOLINT: implicit
  Result(Status status) : v_(std::move(status)) {
    if (std::get<Status>(v_).is_ok()) std::abort();  // a Result error must be an error
  }

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const { return std::get<Status>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

inline Status error(ErrorCode code, std::string message) { return {code, std::move(message)}; }

}  // namespace resr

#define RESR_CONCAT_INNER(a, b) a##b
#define RESR_CONCAT(a, b) RESR_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when it is an error.
#define RESR_RETURN_IF_ERROR(expr)                  \
  do {                                              \
    ::resr::Status resr_status_ = (expr);           \
    if (!resr_status_.is_ok()) return resr_status_; \
  } while (0)

// `RESR_ASSIGN_OR_RETURN(auto x, f());` unwraps a Result or returns its Status.
#define RESR_ASSIGN_OR_RETURN(lhs, expr) \
  RESR_ASSIGN_OR_RETURN_IMPL(RESR_CONCAT(resr_result_, __LINE__), lhs, expr)
#define RESR_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.is_ok()) return tmp.status();           \
  lhs = std::move(tmp).value()

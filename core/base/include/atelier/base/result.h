// SPDX-License-Identifier: MIT
#pragma once

/// \file result.h
/// The error type that crosses every module boundary. A failed operation
/// returns an `Error` with a machine-readable code and a message written for
/// the user: what went wrong, on which object, and what to do next.
/// Exceptions stay inside a module; nothing throws across its public API.

#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace atelier {

/// Broad error categories; callers branch on these, users read the message.
enum class Errc {
    invalid_argument,     ///< the caller passed something malformed
    not_found,            ///< a file, model, asset or key does not exist
    io_error,             ///< the OS refused a read or write
    unsupported,          ///< a format or feature this build does not handle
    limit_exceeded,       ///< a configured limit (pixels, size, queue length) was hit
    corrupt_data,         ///< input is truncated or malformed
    cancelled,            ///< the operation was cancelled by the user
    busy,                 ///< the resource is full; retry later
    permission_denied,    ///< authentication or file permissions
    conflict,             ///< the state changed underneath (already exists, version)
    verification_failed,  ///< a hash, signature or proof did not match
    internal,             ///< a bug: an invariant did not hold
};

/// Stable lower-case name of a code ("not_found"), used in JSON output.
std::string_view errc_name(Errc code) noexcept;

/// An error: code plus a message that tells the user what to do next.
struct Error {
    Errc code = Errc::internal;
    std::string message;

    /// Returns a copy whose message is prefixed with `context: `, the way a
    /// caller adds what it was doing ("loading model esrgan-thick: ...").
    [[nodiscard]] Error with_context(std::string_view context) const {
        return Error{code, std::string(context) + ": " + message};
    }
};

/// Builds an Error; reads well at call sites: `return fail(Errc::not_found, "...")`.
inline Error fail(Errc code, std::string message) {
    return Error{code, std::move(message)};
}

/// A value or an Error. Cheap to move; check `ok()` (or `operator bool`)
/// before `value()`. Accessing the wrong alternative is a programming error
/// and asserts in debug builds.
template <class T>
class [[nodiscard]] Result {
public:
    static_assert(!std::is_same_v<T, Error>, "Result<Error> is ambiguous");

    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const noexcept { return m_v.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(m_v);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(m_v);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(m_v));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const& {
        assert(!ok());
        return std::get<1>(m_v);
    }
    Error&& error() && {
        assert(!ok());
        return std::get<1>(std::move(m_v));
    }

    /// The value, or `fallback` when this holds an error.
    T value_or(T fallback) const& { return ok() ? std::get<0>(m_v) : std::move(fallback); }

private:
    std::variant<T, Error> m_v;
};

/// Result of an operation that produces no value.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_ok(false) {}  // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const noexcept { return m_ok; }
    explicit operator bool() const noexcept { return m_ok; }
    const Error& error() const& {
        assert(!m_ok);
        return m_error;
    }
    Error&& error() && {
        assert(!m_ok);
        return std::move(m_error);
    }

private:
    Error m_error;
    bool m_ok = true;
};

/// The successful Result<void>.
inline Result<void> ok() {
    return {};
}

}  // namespace atelier

/// Propagates an error from an expression returning a Result: evaluates it,
/// returns its Error from the enclosing function on failure.
#define ATELIER_TRY(expr)                                                             \
    do {                                                                              \
        auto atelier_try_result_ = (expr);                                            \
        if (!atelier_try_result_.ok()) return std::move(atelier_try_result_).error(); \
    } while (0)

/// Invariant check: aborts with a message in every build type. Use for bugs,
/// never for user input (that gets an Error).
#define ATELIER_ASSERT(cond, msg) ((cond) ? (void)0 : ::atelier::detail::assert_fail(#cond, msg, __FILE__, __LINE__))

namespace atelier::detail {
[[noreturn]] void assert_fail(const char* cond, const char* msg, const char* file, int line);
}

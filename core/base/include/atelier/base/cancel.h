// SPDX-License-Identifier: MIT
#pragma once

/// \file cancel.h
/// Cooperative cancellation. A `CancelSource` owns the flag; `CancelToken`s
/// are cheap copies handed to work that polls `cancelled()` at safe points.
/// Thread-safe: any thread may cancel, any thread may poll.

#include <atomic>
#include <memory>

namespace atelier {

class CancelToken {
public:
    /// A token that is never cancelled.
    CancelToken() = default;

    [[nodiscard]] bool cancelled() const noexcept { return m_flag && m_flag->load(std::memory_order_acquire); }

private:
    friend class CancelSource;
    explicit CancelToken(std::shared_ptr<const std::atomic<bool>> flag) : m_flag(std::move(flag)) {}
    std::shared_ptr<const std::atomic<bool>> m_flag;
};

class CancelSource {
public:
    CancelSource() : m_flag(std::make_shared<std::atomic<bool>>(false)) {}

    /// Requests cancellation; idempotent.
    void cancel() noexcept { m_flag->store(true, std::memory_order_release); }
    [[nodiscard]] bool cancelled() const noexcept { return m_flag->load(std::memory_order_acquire); }
    [[nodiscard]] CancelToken token() const { return CancelToken(m_flag); }

private:
    std::shared_ptr<std::atomic<bool>> m_flag;
};

}  // namespace atelier

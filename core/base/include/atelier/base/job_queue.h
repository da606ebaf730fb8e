// SPDX-License-Identifier: MIT
#pragma once

/// \file job_queue.h
/// The job queue every long task runs on (upscale, import, tag, sign, ...).
/// A fixed pool of worker threads takes jobs highest priority first, FIFO
/// within a priority. Each job gets a `JobContext` to report progress and to
/// poll its cancellation token. The queue is bounded: `submit` refuses with
/// `Errc::busy` when `max_queued` jobs are already waiting.
///
/// Thread safety: every member function may be called from any thread.
/// Listener and per-job callbacks run on the worker thread that changed the
/// job (UIs must marshal them to their own thread) and must not call back
/// into the queue's blocking functions (`wait_idle`, `shutdown`).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "atelier/base/cancel.h"
#include "atelier/base/result.h"

namespace atelier {

using JobId = std::uint64_t;

enum class JobState { queued, running, succeeded, failed, cancelled };
std::string_view job_state_name(JobState state) noexcept;

/// A point-in-time copy of a job's state.
struct JobSnapshot {
    JobId id = 0;
    std::string name;
    int priority = 0;
    JobState state = JobState::queued;
    double progress = 0.0;       ///< 0..1
    std::string message;         ///< the last progress message
    std::optional<Error> error;  ///< set when failed or cancelled
};

/// What a running job sees.
class JobContext {
public:
    [[nodiscard]] bool cancelled() const noexcept { return m_cancel.cancelled(); }
    [[nodiscard]] const CancelToken& cancel_token() const noexcept { return m_cancel; }
    /// Reports progress (clamped to 0..1) and an optional message.
    void progress(double fraction, std::string message = {});

private:
    friend class JobQueue;
    JobContext(CancelToken token, std::function<void(double, std::string)> sink)
        : m_cancel(std::move(token)), m_sink(std::move(sink)) {}
    CancelToken m_cancel;
    std::function<void(double, std::string)> m_sink;
};

using JobFn = std::function<Result<void>(JobContext&)>;

struct JobSpec {
    JobSpec() = default;
    JobSpec(std::string name_, int priority_, JobFn fn_, std::function<void(const JobSnapshot&)> on_update_ = {})
        : name(std::move(name_)), priority(priority_), fn(std::move(fn_)), on_update(std::move(on_update_)) {}

    std::string name;
    int priority = 0;  ///< higher runs first
    JobFn fn;
    /// Called on every change of this job (state or progress).
    std::function<void(const JobSnapshot&)> on_update;
};

/// Shared handle to a submitted job; valid after the queue is gone.
class JobHandle {
public:
    JobHandle() = default;
    [[nodiscard]] JobId id() const noexcept;
    /// Requests cancellation: a queued job never starts, a running one sees
    /// its token set. Returns false when the job had already finished.
    bool cancel();
    /// Blocks until the job finishes; its result (Errc::cancelled if cancelled).
    Result<void> wait() const;
    /// As wait(), but gives up after `timeout` with std::nullopt.
    std::optional<Result<void>> wait_for(std::chrono::milliseconds timeout) const;
    [[nodiscard]] JobSnapshot snapshot() const;
    [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(m_record); }

    struct Record;

private:
    friend class JobQueue;
    explicit JobHandle(std::shared_ptr<Record> record) : m_record(std::move(record)) {}
    std::shared_ptr<Record> m_record;
};

class JobQueue {
public:
    struct Options {
        unsigned workers = 0;           ///< 0: one per hardware thread
        std::size_t max_queued = 1024;  ///< waiting jobs, not counting running ones
    };

    explicit JobQueue(Options options);
    JobQueue();
    /// Cancels everything and joins the workers (see shutdown()).
    ~JobQueue();
    JobQueue(const JobQueue&) = delete;
    JobQueue& operator=(const JobQueue&) = delete;

    /// Queues a job. Errors: `busy` when the queue is full, `invalid_argument`
    /// for a job without a function, `cancelled` after shutdown.
    Result<JobHandle> submit(JobSpec spec);

    /// Cancels a job by id; false if unknown or already finished.
    bool cancel(JobId id);
    /// Cancels every queued and running job.
    void cancel_all();

    [[nodiscard]] std::size_t queued() const;
    [[nodiscard]] std::size_t running() const;
    [[nodiscard]] unsigned workers() const noexcept;
    /// Queued and running jobs, highest priority first.
    [[nodiscard]] std::vector<JobSnapshot> active_jobs() const;

    /// Observer of every job's changes (replaces the previous one).
    void set_listener(std::function<void(const JobSnapshot&)> listener);

    /// Blocks until nothing is queued or running.
    void wait_idle();
    /// Stops accepting work, cancels queued jobs, signals running ones and
    /// joins the workers. Idempotent.
    void shutdown();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace atelier

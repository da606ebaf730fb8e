// SPDX-License-Identifier: MIT
#include "atelier/base/job_queue.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

namespace atelier {

std::string_view job_state_name(JobState state) noexcept {
    switch (state) {
        case JobState::queued:
            return "queued";
        case JobState::running:
            return "running";
        case JobState::succeeded:
            return "succeeded";
        case JobState::failed:
            return "failed";
        case JobState::cancelled:
            return "cancelled";
    }
    return "unknown";
}

struct JobHandle::Record {
    JobId id = 0;
    std::uint64_t seq = 0;  // FIFO order within a priority
    JobSpec spec;
    CancelSource cancel;

    mutable std::mutex mu;
    std::condition_variable done_cv;
    JobSnapshot snap;
    bool finished = false;

    JobSnapshot snapshot() const {
        std::lock_guard lk(mu);
        return snap;
    }
};

namespace {
using RecordPtr = std::shared_ptr<JobHandle::Record>;

Result<void> result_of(const JobSnapshot& s) {
    if (s.state == JobState::succeeded) return ok();
    return s.error.value_or(Error{Errc::internal, "job ended without a result"});
}
}  // namespace

void JobContext::progress(double fraction, std::string message) {
    if (m_sink) m_sink(std::clamp(fraction, 0.0, 1.0), std::move(message));
}

JobId JobHandle::id() const noexcept {
    return m_record ? m_record->id : 0;
}

bool JobHandle::cancel() {
    if (!m_record) return false;
    m_record->cancel.cancel();
    std::lock_guard lk(m_record->mu);
    return !m_record->finished;
}

Result<void> JobHandle::wait() const {
    if (!m_record) return fail(Errc::invalid_argument, "waiting on an empty job handle");
    std::unique_lock lk(m_record->mu);
    m_record->done_cv.wait(lk, [&] { return m_record->finished; });
    return result_of(m_record->snap);
}

std::optional<Result<void>> JobHandle::wait_for(std::chrono::milliseconds timeout) const {
    if (!m_record) return Result<void>(fail(Errc::invalid_argument, "waiting on an empty job handle"));
    std::unique_lock lk(m_record->mu);
    if (!m_record->done_cv.wait_for(lk, timeout, [&] { return m_record->finished; })) return std::nullopt;
    return result_of(m_record->snap);
}

JobSnapshot JobHandle::snapshot() const {
    return m_record ? m_record->snapshot() : JobSnapshot{};
}

struct JobQueue::Impl {
    Options opts;
    mutable std::mutex mu;
    std::condition_variable work_cv;
    std::condition_variable idle_cv;
    // Waiting jobs ordered by (priority desc, seq asc).
    struct Order {
        bool operator()(const std::pair<int, std::uint64_t>& a, const std::pair<int, std::uint64_t>& b) const {
            return a.first != b.first ? a.first > b.first : a.second < b.second;
        }
    };
    std::map<std::pair<int, std::uint64_t>, RecordPtr, Order> waiting;
    std::map<JobId, RecordPtr> active;  // queued + running, by id
    std::size_t running = 0;
    std::size_t reserved = 0;  // slots held by submit() while it notifies
    JobId next_id = 1;
    std::uint64_t next_seq = 0;
    bool stopping = false;
    std::function<void(const JobSnapshot&)> listener;
    std::vector<std::thread> threads;

    void notify(const RecordPtr& rec, const JobSnapshot& snap) {
        if (rec->spec.on_update) rec->spec.on_update(snap);
        std::function<void(const JobSnapshot&)> l;
        {
            std::lock_guard lk(mu);
            l = listener;
        }
        if (l) l(snap);
    }

    // Moves a record to a final state; returns its snapshot.
    static JobSnapshot finish(const RecordPtr& rec, JobState state, std::optional<Error> err) {
        std::lock_guard lk(rec->mu);
        rec->snap.state = state;
        rec->snap.error = std::move(err);
        if (state == JobState::succeeded) rec->snap.progress = 1.0;
        rec->finished = true;
        rec->done_cv.notify_all();
        return rec->snap;
    }

    void worker() {
        for (;;) {
            RecordPtr rec;
            {
                std::unique_lock lk(mu);
                work_cv.wait(lk, [&] { return stopping || !waiting.empty(); });
                if (waiting.empty()) return;  // stopping and drained
                auto it = waiting.begin();
                rec = it->second;
                waiting.erase(it);
                ++running;
            }
            run(rec);
            {
                std::lock_guard lk(mu);
                --running;
                active.erase(rec->id);
                if (waiting.empty() && running == 0) idle_cv.notify_all();
            }
        }
    }

    void run(const RecordPtr& rec) {
        if (rec->cancel.cancelled()) {
            notify(rec, finish(rec, JobState::cancelled,
                               Error{Errc::cancelled, "'" + rec->spec.name + "' was cancelled before it started"}));
            return;
        }
        JobSnapshot snap;
        {
            std::lock_guard lk(rec->mu);
            rec->snap.state = JobState::running;
            snap = rec->snap;
        }
        notify(rec, snap);
        JobContext ctx(rec->cancel.token(), [this, rec](double f, std::string msg) {
            JobSnapshot s;
            {
                std::lock_guard lk(rec->mu);
                rec->snap.progress = f;
                if (!msg.empty()) rec->snap.message = std::move(msg);
                s = rec->snap;
            }
            notify(rec, s);
        });
        Result<void> r = ok();
        try {
            r = rec->spec.fn(ctx);
        } catch (const std::exception& e) {
            r = fail(Errc::internal, "'" + rec->spec.name + "' failed unexpectedly: " + e.what());
        } catch (...) {
            r = fail(Errc::internal, "'" + rec->spec.name + "' failed with an unknown exception");
        }
        if (r.ok())
            notify(rec, finish(rec, JobState::succeeded, std::nullopt));
        else if (r.error().code == Errc::cancelled || rec->cancel.cancelled())
            notify(rec, finish(rec, JobState::cancelled,
                               r.error().code == Errc::cancelled
                                   ? r.error()
                                   : Error{Errc::cancelled, "'" + rec->spec.name + "' was cancelled"}));
        else
            notify(rec, finish(rec, JobState::failed, r.error()));
    }
};

JobQueue::JobQueue() : JobQueue(Options{}) {}

JobQueue::JobQueue(Options options) : m_impl(std::make_unique<Impl>()) {
    if (options.workers == 0) options.workers = std::max(1u, std::thread::hardware_concurrency());
    m_impl->opts = options;
    m_impl->threads.reserve(options.workers);
    for (unsigned i = 0; i < options.workers; ++i)
        m_impl->threads.emplace_back([impl = m_impl.get()] { impl->worker(); });
}

JobQueue::~JobQueue() {
    shutdown();
}

Result<JobHandle> JobQueue::submit(JobSpec spec) {
    if (!spec.fn) return fail(Errc::invalid_argument, "job '" + spec.name + "' has no function to run");
    auto rec = std::make_shared<JobHandle::Record>();
    {
        std::lock_guard lk(m_impl->mu);
        if (m_impl->stopping)
            return fail(Errc::cancelled, "the job queue is shutting down; '" + spec.name + "' was not started");
        if (m_impl->waiting.size() + m_impl->reserved >= m_impl->opts.max_queued)
            return fail(Errc::busy, "the job queue is full (" + std::to_string(m_impl->opts.max_queued) +
                                        " jobs waiting); wait for some to finish or raise jobs.max_queued");
        ++m_impl->reserved;  // holds the slot while observers hear "queued"
        rec->id = m_impl->next_id++;
        rec->seq = m_impl->next_seq++;
        rec->snap.id = rec->id;
        rec->snap.name = spec.name;
        rec->snap.priority = spec.priority;
        rec->spec = std::move(spec);
        m_impl->active.emplace(rec->id, rec);
    }
    // Observers hear "queued" before any worker can see the job, so events
    // for one job always arrive in order.
    m_impl->notify(rec, rec->snapshot());
    bool stopped = false;
    {
        std::lock_guard lk(m_impl->mu);
        --m_impl->reserved;
        if (m_impl->stopping) {
            m_impl->active.erase(rec->id);
            stopped = true;
        } else {
            m_impl->waiting.emplace(std::make_pair(rec->spec.priority, rec->seq), rec);
        }
    }
    if (stopped) {
        m_impl->notify(rec, Impl::finish(rec, JobState::cancelled,
                                         Error{Errc::cancelled,
                                               "the job queue shut down before '" + rec->spec.name + "' could start"}));
        return JobHandle(rec);
    }
    m_impl->work_cv.notify_one();
    return JobHandle(rec);
}

bool JobQueue::cancel(JobId id) {
    RecordPtr rec;
    {
        std::lock_guard lk(m_impl->mu);
        auto it = m_impl->active.find(id);
        if (it == m_impl->active.end()) return false;
        rec = it->second;
    }
    return JobHandle(rec).cancel();
}

void JobQueue::cancel_all() {
    std::vector<RecordPtr> recs;
    {
        std::lock_guard lk(m_impl->mu);
        for (auto& [id, r] : m_impl->active)
            recs.push_back(r);
    }
    for (auto& r : recs)
        r->cancel.cancel();
}

std::size_t JobQueue::queued() const {
    std::lock_guard lk(m_impl->mu);
    return m_impl->waiting.size();
}

std::size_t JobQueue::running() const {
    std::lock_guard lk(m_impl->mu);
    return m_impl->running;
}

unsigned JobQueue::workers() const noexcept {
    return m_impl->opts.workers;
}

std::vector<JobSnapshot> JobQueue::active_jobs() const {
    std::vector<RecordPtr> recs;
    {
        std::lock_guard lk(m_impl->mu);
        for (auto& [id, r] : m_impl->active)
            recs.push_back(r);
    }
    std::vector<JobSnapshot> out;
    out.reserve(recs.size());
    for (auto& r : recs)
        out.push_back(r->snapshot());
    std::stable_sort(out.begin(), out.end(), [](const JobSnapshot& a, const JobSnapshot& b) {
        if ((a.state == JobState::running) != (b.state == JobState::running)) return a.state == JobState::running;
        return a.priority != b.priority ? a.priority > b.priority : a.id < b.id;
    });
    return out;
}

void JobQueue::set_listener(std::function<void(const JobSnapshot&)> listener) {
    std::lock_guard lk(m_impl->mu);
    m_impl->listener = std::move(listener);
}

void JobQueue::wait_idle() {
    std::unique_lock lk(m_impl->mu);
    m_impl->idle_cv.wait(lk, [&] { return m_impl->waiting.empty() && m_impl->running == 0; });
}

void JobQueue::shutdown() {
    {
        std::lock_guard lk(m_impl->mu);
        if (m_impl->stopping && m_impl->threads.empty()) return;
        m_impl->stopping = true;
    }
    cancel_all();  // queued jobs finish as cancelled without running
    m_impl->work_cv.notify_all();
    for (auto& t : m_impl->threads)
        if (t.joinable()) t.join();
    m_impl->threads.clear();
}

}  // namespace atelier

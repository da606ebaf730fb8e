// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "atelier/base/job_queue.h"

using namespace atelier;
using namespace std::chrono_literals;

namespace {
// A job that blocks until released, so tests control the order of events.
struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
    void release() {
        {
            std::lock_guard lk(mu);
            open = true;
        }
        cv.notify_all();
    }
    void wait() {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return open; });
    }
};
}  // namespace

TEST(JobQueue, RunsJobAndReportsProgress) {
    JobQueue q({1, 16});
    std::vector<double> seen;
    std::mutex mu;
    auto h = q.submit({"count", 0,
                       [](JobContext& ctx) {
                           for (int i = 1; i <= 4; ++i)
                               ctx.progress(i / 4.0, "step " + std::to_string(i));
                           return ok();
                       },
                       [&](const JobSnapshot& s) {
                           std::lock_guard lk(mu);
                           if (s.state == JobState::running) seen.push_back(s.progress);
                       }});
    ASSERT_TRUE(h);
    ASSERT_TRUE(h->wait().ok());
    auto snap = h->snapshot();
    EXPECT_EQ(snap.state, JobState::succeeded);
    EXPECT_EQ(snap.progress, 1.0);
    EXPECT_EQ(snap.message, "step 4");
    std::lock_guard lk(mu);
    ASSERT_GE(seen.size(), 4u);
    EXPECT_DOUBLE_EQ(seen.back(), 1.0);
}

TEST(JobQueue, HigherPriorityFirstFifoWithin) {
    JobQueue q({1, 16});
    Gate gate;
    std::vector<std::string> order;
    std::mutex mu;
    auto blocker = q.submit({"blocker", 100, [&](JobContext&) {
                                 gate.wait();
                                 return ok();
                             }});
    ASSERT_TRUE(blocker);
    while (q.running() == 0)
        std::this_thread::yield();
    auto rec = [&](std::string name) {
        return [&, name](JobContext&) {
            std::lock_guard lk(mu);
            order.push_back(name);
            return ok();
        };
    };
    ASSERT_TRUE(q.submit({"low-a", 0, rec("low-a")}));
    ASSERT_TRUE(q.submit({"high", 5, rec("high")}));
    ASSERT_TRUE(q.submit({"low-b", 0, rec("low-b")}));
    ASSERT_TRUE(q.submit({"mid", 1, rec("mid")}));
    EXPECT_EQ(q.queued(), 4u);
    gate.release();
    q.wait_idle();
    EXPECT_EQ(order, (std::vector<std::string>{"high", "mid", "low-a", "low-b"}));
}

TEST(JobQueue, BoundedQueueRefusesWithBusy) {
    JobQueue q({1, 2});
    Gate gate;
    ASSERT_TRUE(q.submit({"blocker", 0, [&](JobContext&) {
                              gate.wait();
                              return ok();
                          }}));
    while (q.running() == 0)
        std::this_thread::yield();
    auto noop = [](JobContext&) { return ok(); };
    ASSERT_TRUE(q.submit({"a", 0, noop}));
    ASSERT_TRUE(q.submit({"b", 0, noop}));
    auto refused = q.submit({"c", 0, noop});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::busy);
    EXPECT_NE(refused.error().message.find("jobs.max_queued"), std::string::npos);
    gate.release();
    q.wait_idle();
    EXPECT_TRUE(q.submit({"d", 0, noop}));  // room again
}

TEST(JobQueue, CancelQueuedJobNeverRuns) {
    JobQueue q({1, 16});
    Gate gate;
    std::atomic<bool> ran{false};
    ASSERT_TRUE(q.submit({"blocker", 0, [&](JobContext&) {
                              gate.wait();
                              return ok();
                          }}));
    while (q.running() == 0)
        std::this_thread::yield();
    auto h = q.submit({"victim", 0, [&](JobContext&) {
                           ran = true;
                           return ok();
                       }});
    ASSERT_TRUE(h);
    EXPECT_TRUE(h->cancel());
    gate.release();
    auto r = h->wait();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::cancelled);
    EXPECT_EQ(h->snapshot().state, JobState::cancelled);
    EXPECT_FALSE(ran);
}

TEST(JobQueue, CancelRunningJobSeesToken) {
    JobQueue q({2, 16});
    std::latch started(1);
    auto h = q.submit({"spin", 0, [&](JobContext& ctx) -> Result<void> {
                           started.count_down();
                           while (!ctx.cancelled())
                               std::this_thread::sleep_for(1ms);
                           return fail(Errc::cancelled, "stopped at a safe point");
                       }});
    ASSERT_TRUE(h);
    started.wait();
    EXPECT_TRUE(q.cancel(h->id()));
    auto r = h->wait();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::cancelled);
    EXPECT_FALSE(h->cancel()) << "already finished";
}

TEST(JobQueue, FailuresAndExceptionsBecomeErrors) {
    JobQueue q({1, 16});
    auto failing =
        q.submit({"fails", 0, [](JobContext&) -> Result<void> { return fail(Errc::corrupt_data, "bad input"); }});
    auto throwing = q.submit({"throws", 0, [](JobContext&) -> Result<void> { throw std::runtime_error("boom"); }});
    ASSERT_TRUE(failing && throwing);
    auto r1 = failing->wait();
    ASSERT_FALSE(r1);
    EXPECT_EQ(r1.error().code, Errc::corrupt_data);
    EXPECT_EQ(failing->snapshot().state, JobState::failed);
    auto r2 = throwing->wait();
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error().code, Errc::internal);
    EXPECT_NE(r2.error().message.find("boom"), std::string::npos);
}

TEST(JobQueue, WaitForTimesOut) {
    JobQueue q({1, 16});
    Gate gate;
    auto h = q.submit({"slow", 0, [&](JobContext&) {
                           gate.wait();
                           return ok();
                       }});
    ASSERT_TRUE(h);
    EXPECT_FALSE(h->wait_for(20ms).has_value());
    gate.release();
    auto r = h->wait_for(10s);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->ok());
}

TEST(JobQueue, ShutdownCancelsQueuedAndRefusesNew) {
    auto q = std::make_unique<JobQueue>(JobQueue::Options{1, 64});
    std::latch started(1);
    auto running = q->submit({"running", 0, [&](JobContext& ctx) -> Result<void> {
                                  started.count_down();
                                  while (!ctx.cancelled())
                                      std::this_thread::sleep_for(1ms);
                                  return fail(Errc::cancelled, "shutdown");
                              }});
    ASSERT_TRUE(running);
    started.wait();
    std::vector<JobHandle> queued;
    for (int i = 0; i < 10; ++i) {
        auto h = q->submit({"q" + std::to_string(i), 0, [](JobContext&) { return ok(); }});
        ASSERT_TRUE(h);
        queued.push_back(*h);
    }
    q->shutdown();
    EXPECT_FALSE(q->submit({"late", 0, [](JobContext&) { return ok(); }}));
    q.reset();
    EXPECT_EQ(running->snapshot().state, JobState::cancelled);
    for (auto& h : queued)
        EXPECT_EQ(h.snapshot().state, JobState::cancelled);
}

// Many threads submit and cancel at once; every job must end in exactly one
// final state and the counts must add up. Run under ThreadSanitizer too.
TEST(JobQueue, CancellationRaces) {
    JobQueue q({4, 100000});
    std::atomic<int> succeeded{0}, cancelled{0}, started{0};
    std::atomic<int> listener_final{0};
    q.set_listener([&](const JobSnapshot& s) {
        if (s.state == JobState::succeeded || s.state == JobState::cancelled || s.state == JobState::failed)
            listener_final.fetch_add(1);
    });
    constexpr int kThreads = 4, kPerThread = 250;
    std::vector<std::thread> threads;
    std::vector<std::vector<JobHandle>> handles(kThreads);
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                auto h = q.submit({"j", i % 3, [&](JobContext& ctx) -> Result<void> {
                                       started.fetch_add(1);
                                       for (int k = 0; k < 50; ++k) {
                                           if (ctx.cancelled()) return fail(Errc::cancelled, "cancelled");
                                           ctx.progress(k / 50.0);
                                       }
                                       return ok();
                                   }});
                ASSERT_TRUE(h);
                if (i % 2 == 0) h->cancel();
                handles[t].push_back(*h);
            }
        });
    for (auto& th : threads)
        th.join();
    for (auto& hs : handles)
        for (auto& h : hs) {
            auto r = h.wait();
            if (r)
                succeeded.fetch_add(1);
            else if (r.error().code == Errc::cancelled)
                cancelled.fetch_add(1);
        }
    q.wait_idle();
    EXPECT_EQ(succeeded + cancelled, kThreads * kPerThread);
    EXPECT_GE(cancelled.load(), 1);
    EXPECT_GE(succeeded.load(), kThreads * kPerThread / 2);  // the odd ones were never cancelled
    EXPECT_EQ(listener_final.load(), kThreads * kPerThread);
    EXPECT_EQ(q.queued(), 0u);
    EXPECT_EQ(q.running(), 0u);
}

TEST(JobQueue, ActiveJobsListsRunningFirst) {
    JobQueue q({1, 16});
    Gate gate;
    ASSERT_TRUE(q.submit({"runner", 0, [&](JobContext&) {
                              gate.wait();
                              return ok();
                          }}));
    while (q.running() == 0)
        std::this_thread::yield();
    ASSERT_TRUE(q.submit({"waiting", 9, [](JobContext&) { return ok(); }}));
    auto jobs = q.active_jobs();
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_EQ(jobs[0].name, "runner");
    EXPECT_EQ(jobs[0].state, JobState::running);
    EXPECT_EQ(jobs[1].state, JobState::queued);
    gate.release();
    q.wait_idle();
    EXPECT_TRUE(q.active_jobs().empty());
}

TEST(JobQueue, RejectsJobWithoutFunction) {
    JobQueue q({1, 4});
    auto r = q.submit({"empty", 0, nullptr});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

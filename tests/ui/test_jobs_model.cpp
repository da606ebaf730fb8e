// SPDX-License-Identifier: MIT
// The jobs panel's model over the real JobQueue: progress and states arrive
// on the GUI thread, cancel and retry work, and pending jobs survive a
// restart (written on quit, resubmitted when their kind registers).

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QThread>
#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "jobs_model.h"
#include "settings_model.h"

namespace {

QCoreApplication& app() {
    static int argc = 1;
    static char name[] = "test_ui_models";
    static char* argv[] = {name, nullptr};
    static QCoreApplication* a = new QCoreApplication(argc, argv);
    return *a;
}

// Processes events until `pred` holds (or 10 s pass, failing the test).
template <typename Pred>
bool spin_until(Pred pred) {
    QElapsedTimer t;
    t.start();
    while (!pred()) {
        if (t.elapsed() > 10000) return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
    return true;
}

using atelier::Errc;
using atelier::JobContext;
using atelier::JobFn;
using atelier::Result;
using atelier::ui::JobsModel;

QString state_of(const JobsModel& m, qint64 id) {
    for (int i = 0; i < m.rowCount(); ++i)
        if (m.data(m.index(i), JobsModel::JobIdRole).toLongLong() == id)
            return m.data(m.index(i), JobsModel::StateRole).toString();
    return {};
}
QVariant role_of(const JobsModel& m, qint64 id, int role) {
    for (int i = 0; i < m.rowCount(); ++i)
        if (m.data(m.index(i), JobsModel::JobIdRole).toLongLong() == id) return m.data(m.index(i), role);
    return {};
}

}  // namespace

TEST(JobsModel, ReportsProgressAndSuccessOnTheGuiThread) {
    app();
    JobsModel model({}, 2);
    std::atomic<bool> on_gui{true};
    QObject::connect(&model, &QAbstractItemModel::dataChanged, [&] {
        if (QThread::currentThread() != QCoreApplication::instance()->thread()) on_gui = false;
    });
    model.registerKind("count", [](const QJsonObject& args) -> JobFn {
        const int n = args.value("n").toInt();
        return [n](JobContext& ctx) -> Result<void> {
            for (int i = 0; i < n; ++i)
                ctx.progress(double(i) / n, "step " + std::to_string(i));
            return atelier::ok();
        };
    });
    const qint64 id = model.submit("count", "Count to ten", QJsonObject{{"n", 10}});
    ASSERT_GT(id, 0);
    EXPECT_EQ(model.activeCount(), 1);
    ASSERT_TRUE(spin_until([&] { return state_of(model, id) == "succeeded"; }));
    EXPECT_DOUBLE_EQ(role_of(model, id, JobsModel::ProgressRole).toDouble(), 1.0);
    EXPECT_EQ(model.activeCount(), 0);
    EXPECT_FALSE(role_of(model, id, JobsModel::CanRetryRole).toBool());
    EXPECT_TRUE(on_gui);
}

TEST(JobsModel, FailureKeepsTheReasonAndRetryRunsAgain) {
    app();
    JobsModel model({}, 1);
    auto attempts = std::make_shared<std::atomic<int>>(0);
    model.registerKind("flaky", [attempts](const QJsonObject&) -> JobFn {
        return [attempts](JobContext&) -> Result<void> {
            if (attempts->fetch_add(1) == 0)
                return atelier::fail(Errc::io_error, "disk full: free some space and retry");
            return atelier::ok();
        };
    });
    const qint64 id = model.submit("flaky", "Flaky", {});
    ASSERT_TRUE(spin_until([&] { return state_of(model, id) == "failed"; }));
    EXPECT_EQ(role_of(model, id, JobsModel::ErrorRole).toString(), "disk full: free some space and retry");
    EXPECT_TRUE(role_of(model, id, JobsModel::CanRetryRole).toBool());
    EXPECT_EQ(model.failedCount(), 1);

    const qint64 again = model.retry(id);
    ASSERT_GT(again, 0);
    EXPECT_TRUE(state_of(model, id).isEmpty()) << "the failed row is replaced by the retry";
    ASSERT_TRUE(spin_until([&] { return state_of(model, again) == "succeeded"; }));
    EXPECT_EQ(attempts->load(), 2);
    EXPECT_EQ(model.failedCount(), 0);
}

TEST(JobsModel, CancelStopsARunningJob) {
    app();
    JobsModel model({}, 1);
    model.registerKind("wait", [](const QJsonObject&) -> JobFn {
        return [](JobContext& ctx) -> Result<void> {
            while (!ctx.cancelled())
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            return atelier::fail(Errc::cancelled, "stopped by the user");
        };
    });
    const qint64 id = model.submit("wait", "Wait", {});
    ASSERT_TRUE(spin_until([&] { return state_of(model, id) == "running"; }));
    EXPECT_TRUE(model.cancel(id));
    ASSERT_TRUE(spin_until([&] { return state_of(model, id) == "cancelled"; }));
    EXPECT_TRUE(role_of(model, id, JobsModel::CanRetryRole).toBool());
    model.clearFinished();
    EXPECT_EQ(model.rowCount(), 0);
}

TEST(JobsModel, UnknownKindIsShownAsAFailedRow) {
    app();
    JobsModel model({}, 1);
    EXPECT_EQ(model.submit("nope", "Mystery", {}), 0);
    ASSERT_EQ(model.rowCount(), 1);
    EXPECT_EQ(model.data(model.index(0), JobsModel::StateRole).toString(), "failed");
    EXPECT_TRUE(model.data(model.index(0), JobsModel::ErrorRole).toString().contains("nope"));
}

TEST(JobsModel, PendingJobsSurviveARestart) {
    app();
    QTemporaryDir dir;
    const QString file = dir.filePath("jobs.json");
    auto release = std::make_shared<std::atomic<bool>>(false);
    {
        JobsModel model(file, 1);
        model.registerKind("slow", [release](const QJsonObject&) -> JobFn {
            return [release](JobContext& ctx) -> Result<void> {
                while (!release->load() && !ctx.cancelled())
                    std::this_thread::sleep_for(std::chrono::milliseconds(2));
                return ctx.cancelled() ? atelier::fail(Errc::cancelled, "cancelled") : atelier::ok();
            };
        });
        model.submit("slow", "First", QJsonObject{{"n", 1}});
        model.submit("slow", "Second", QJsonObject{{"n", 2}});
        model.saveState();  // what aboutToQuit does
    }                       // the app quits with both jobs unfinished
    QFile f(file);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    const auto jobs = QJsonDocument::fromJson(f.readAll()).object().value("jobs").toArray();
    ASSERT_EQ(jobs.size(), 2);
    EXPECT_EQ(jobs[0].toObject().value("name").toString(), "First");

    JobsModel restarted(file, 1);
    EXPECT_EQ(restarted.rowCount(), 0) << "nothing runs before its kind is registered";
    QStringList seen;
    auto mu = std::make_shared<std::mutex>();
    restarted.registerKind("slow", [&seen, mu](const QJsonObject& args) -> JobFn {
        seen << QString::number(args.value("n").toInt());
        return [](JobContext&) -> Result<void> { return atelier::ok(); };
    });
    EXPECT_EQ(seen, QStringList({"1", "2"}));
    ASSERT_EQ(restarted.rowCount(), 2);
    ASSERT_TRUE(spin_until([&] { return restarted.activeCount() == 0; }));
    EXPECT_EQ(restarted.failedCount(), 0);
}

TEST(SettingsModel, WriteKeyReplacesInPlaceAndKeepsOtherLines) {
    QTemporaryDir dir;
    const std::string file = dir.filePath("atelier.conf").toStdString();
    {
        std::ofstream out(file);
        out << "# my settings\nlog.level = info\n[ml]\nprecision = bf16\n";
    }
    ASSERT_TRUE(atelier::ui::SettingsModel::write_key(file, "ml.precision", "fp16"));
    ASSERT_TRUE(atelier::ui::SettingsModel::write_key(file, "ml.memory_budget_mb", "2048"));
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str(), "# my settings\nlog.level = info\nml.memory_budget_mb = 2048\n[ml]\nprecision = fp16\n");
    auto cfg = atelier::Config::load(file);
    ASSERT_TRUE(cfg);
    EXPECT_EQ(cfg->get_string("ml.precision"), "fp16");
    EXPECT_EQ(*cfg->get_int("ml.memory_budget_mb"), 2048);

    auto bad = atelier::ui::SettingsModel::write_key(file, "ml.no_such_key", "1");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::invalid_argument);
    std::ifstream again(file);
    std::stringstream ss2;
    ss2 << again.rdbuf();
    EXPECT_EQ(ss2.str(), ss.str()) << "a refused key leaves the file untouched";
}

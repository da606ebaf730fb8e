// SPDX-License-Identifier: MIT
// The worker protocol from both sides: the real `atelier` CLI writes
// `--progress json` event lines and a `--json` report, and the app's reader
// (worker_protocol.h, used by the upscale jobs) turns them into progress and
// errors with their codes. No human-readable text is parsed.

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QDir>
#include <QJsonArray>
#include <QProcess>
#include <QTemporaryDir>
#include <filesystem>

#include "atelier/base/paths.h"
#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"
#include "worker_protocol.h"

using namespace atelier;
using namespace atelier::ui;

namespace {

struct Output {
    int code = -1;
    QList<WorkerEvent> events;
    QList<QByteArray> other_lines;
    QByteArray out;
};

QCoreApplication& app() {
    static int argc = 1;
    static char name[] = "test_ui_worker";
    static char* argv[] = {name, nullptr};
    static QCoreApplication* a = new QCoreApplication(argc, argv);
    return *a;
}

Output run_cli(const QStringList& args) {
    app();
    QProcess p;
    auto env = QProcessEnvironment::systemEnvironment();
    if (!env.contains("ATELIER_MODELS_DIR")) {
        const auto installed = paths::data_dir() / "models";
        if (std::filesystem::exists(installed)) env.insert("ATELIER_MODELS_DIR", QString::fromStdString(installed));
    }
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(ATELIER_CLI), args);
    EXPECT_TRUE(p.waitForFinished(120000)) << "the CLI did not finish";
    Output o;
    o.code = p.exitCode();
    o.out = p.readAllStandardOutput();
    LineBuffer lines;
    for (const auto& line : lines.feed(p.readAllStandardError() + '\n')) {
        if (auto e = parse_worker_event(line))
            o.events << *e;
        else if (!line.trimmed().isEmpty())
            o.other_lines << line;
    }
    return o;
}

bool model_installed(const char* id) {
    auto r = QProcessEnvironment::systemEnvironment().value("ATELIER_MODELS_DIR");
    const auto dir = r.isEmpty() ? paths::data_dir() / "models" : std::filesystem::path(r.toStdString());
    return std::filesystem::exists(dir / id);
}

}  // namespace

TEST(WorkerProtocol, ParsesEventsAndIgnoresEverythingElse) {
    auto p = parse_worker_event(
        R"({"event":"progress","stage":"upscale","fraction":0.5,"item":"/a/b.png","index":1,"count":4,"model":"m"})");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->kind, WorkerEvent::Kind::progress);
    EXPECT_EQ(p->item, "/a/b.png");
    EXPECT_EQ(p->model, "m");
    EXPECT_DOUBLE_EQ(run_fraction(*p), 1.5 / 4);
    auto e = parse_worker_event(R"({"event":"error","code":"limit_exceeded","message":"too big","item":"x.png"})");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, WorkerEvent::Kind::error);
    EXPECT_EQ(e->code, Errc::limit_exceeded);
    EXPECT_EQ(e->message, "too big");
    EXPECT_FALSE(parse_worker_event("upscale:  50%"));
    EXPECT_FALSE(parse_worker_event("[2026-11-27 10:00:00] [info] loading"));
    EXPECT_FALSE(parse_worker_event(R"({"event":"progress","fraction":0.)"));  // cut off
    EXPECT_FALSE(parse_worker_event(R"({"event":"somethingelse"})"));
    EXPECT_EQ(errc_from_name("no such code"), Errc::internal);

    LineBuffer b;
    EXPECT_TRUE(b.feed("{\"event\":").isEmpty());
    const auto lines = b.feed("\"progress\"}\nnext");
    ASSERT_EQ(lines.size(), 1);
    EXPECT_TRUE(parse_worker_event(lines[0]));
    EXPECT_EQ(b.rest(), "next");

    auto bad = parse_worker_result("not json");
    EXPECT_FALSE(bad.ok());
    auto err = parse_worker_result(R"({"error":{"code":"not_found","message":"no such model"}})");
    ASSERT_FALSE(err.ok());
    EXPECT_EQ(err.error().code, Errc::not_found);
}

// The CLI reports a failure as an error event with its code, matching the
// --json report on stdout, and writes nothing but events on stderr.
TEST(WorkerProtocol, CliErrorsArriveAsEventsWithCodes) {
    QTemporaryDir tmp;
    auto o = run_cli({"--json", "--progress", "json", "upscale", tmp.filePath("missing.png"), tmp.filePath("out.png"),
                      "--model", "no-such-model"});
    EXPECT_EQ(o.code, 1);
    ASSERT_FALSE(o.events.isEmpty()) << "no events; stderr had: " << o.other_lines.join('\n').toStdString();
    const WorkerEvent& last = o.events.back();
    EXPECT_EQ(last.kind, WorkerEvent::Kind::error);
    EXPECT_EQ(last.code, Errc::not_found);
    EXPECT_TRUE(last.message.contains("no-such-model")) << last.message.toStdString();
    auto report = parse_worker_result(o.out);
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.error().code, last.code);
    EXPECT_TRUE(o.other_lines.isEmpty()) << o.other_lines.join('\n').toStdString();
}

// A real batch upscale: itemised progress for every file, reaching 1 for
// each, a whole-run fraction that never goes back, and a per-file error
// event for the file that cannot be read, while the batch goes on.
TEST(WorkerProtocol, BatchUpscaleStreamsItemisedProgress) {
    if (!model_installed("esrgan-slim"))
        GTEST_SKIP() << "the esrgan-slim model is not installed (installer/setup.sh models)";
    QTemporaryDir tmp;
    QDir().mkpath(tmp.filePath("in"));
    for (int i = 0; i < 2; ++i)
        ASSERT_TRUE(imageio::save(procedural::noise_texture(24, 24, static_cast<std::uint32_t>(i)).value(),
                                  tmp.filePath(QStringLiteral("in/%1.png").arg(i)).toStdString()));
    QFile broken(tmp.filePath("in/2.png"));
    ASSERT_TRUE(broken.open(QIODevice::WriteOnly));
    broken.write("\x89PNG\r\n\x1a\nbroken");
    broken.close();

    auto o = run_cli({"--json", "--progress", "json", "upscale", tmp.filePath("in"), tmp.filePath("out"), "--model",
                      "esrgan-slim", "--scale", "2", "--tile", "16"});
    EXPECT_EQ(o.code, 1) << "one file failed";
    double last_run = -1;
    QMap<int, double> best;
    int errors = 0;
    bool loaded = false;
    for (const auto& e : o.events) {
        if (e.kind == WorkerEvent::Kind::error) {
            ++errors;
            EXPECT_TRUE(e.item.endsWith("2.png")) << e.item.toStdString();
            EXPECT_FALSE(e.message.isEmpty());
            continue;
        }
        if (e.stage == "load-model") {
            loaded = true;
            continue;
        }
        EXPECT_EQ(e.stage, "upscale");
        EXPECT_EQ(e.count, 3);
        EXPECT_TRUE(e.model.startsWith("esrgan-slim")) << e.model.toStdString();
        EXPECT_TRUE(e.item.endsWith(QStringLiteral("%1.png").arg(e.index)));
        EXPECT_GE(run_fraction(e), last_run) << "progress went back";
        last_run = run_fraction(e);
        best[e.index] = std::max(best.value(e.index), e.fraction);
    }
    EXPECT_TRUE(loaded) << "a load-model event comes first";
    EXPECT_EQ(errors, 1);
    EXPECT_DOUBLE_EQ(best.value(0), 1.0);
    EXPECT_DOUBLE_EQ(best.value(1), 1.0);
    auto report = parse_worker_result(o.out);
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->value("results").toArray().size(), 3);
    EXPECT_EQ(report->value("failed").toInt(), 1);
    EXPECT_EQ(report->value("results").toArray()[0].toObject().value("width").toInt(), 48);
}

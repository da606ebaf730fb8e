// SPDX-License-Identifier: MIT
// atelier-studio: sets up the application, the QML engine and the image
// provider, then loads Atelier.Studio's Main.qml (Qt 6.4: no loadFromModule).
//
// Options for scripts (screenshots, benchmarks, the end-to-end test):
//   --first-frame            print "first-frame-ms <n>" (since process start)
//                            when the first frame is on screen, then quit
//   --screenshots DIR        visit every screenshot step Main.qml lists
//                            (screenshotSteps()), save DIR/<step>.png, quit

#include <QtQml/qqmlextensionplugin.h>
#include <unistd.h>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QThreadPool>
#include <QTimer>
#include <cstdio>
#include <ctime>
#include <memory>
#include <utility>

#include "atelier/imageio/imageio.h"
#include "image_provider.h"
#include "jobs_model.h"
#include "render_backend.h"
#include "upscale_model.h"

Q_IMPORT_QML_PLUGIN(Atelier_StudioPlugin)

namespace {

// Milliseconds since this process was started (from /proc/self/stat), so
// the figure includes dynamic linking and static initialisation.
double ms_since_process_start() {
    QFile f(QStringLiteral("/proc/self/stat"));
    if (!f.open(QIODevice::ReadOnly)) return -1;
    const QByteArray stat = f.readAll();
    const auto close = stat.lastIndexOf(')');
    const auto fields = stat.mid(close + 2).split(' ');
    if (fields.size() < 20) return -1;
    const double start_ticks = fields.at(19).toDouble();  // field 22: starttime
    const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    timespec boot{};
    clock_gettime(CLOCK_BOOTTIME, &boot);
    const double now_s = static_cast<double>(boot.tv_sec) + static_cast<double>(boot.tv_nsec) / 1e9;
    return (now_s - start_ticks / hz) * 1000.0;
}

void run_screenshots(QQuickWindow* window, const QString& dir) {
    QDir().mkpath(dir);
    QVariant steps;
    QMetaObject::invokeMethod(window, "screenshotSteps", Q_RETURN_ARG(QVariant, steps));
    auto list = std::make_shared<QStringList>(steps.toStringList());
    // ATELIER_SCREENSHOT_STEPS=a,b limits the run to those steps.
    const auto only = qEnvironmentVariable("ATELIER_SCREENSHOT_STEPS").split(',', Qt::SkipEmptyParts);
    if (!only.isEmpty()) list->removeIf([&](const QString& s) { return !only.contains(s); });
    auto next = std::make_shared<std::function<void()>>();
    *next = [window, dir, list, next] {
        if (list->isEmpty()) {
            QCoreApplication::quit();
            return;
        }
        const QString step = list->takeFirst();
        QVariant wait;
        QMetaObject::invokeMethod(window, "screenshotStep", Q_RETURN_ARG(QVariant, wait), Q_ARG(QVariant, step));
        // A JS number may arrive wrapped in a QJSValue: go through its text.
        const int wait_ms = wait.toString().toInt();
        auto shoot = [window, dir, step, next] {
            const QString file = dir + '/' + step + ".png";
            if (!window->grabWindow().save(file))
                std::fprintf(stderr, "cannot write %s\n", qPrintable(file));
            else
                std::printf("%s\n", qPrintable(file));
            (*next)();
        };
        if (wait_ms >= 0) {
            QTimer::singleShot(wait_ms > 0 ? wait_ms : 700, window, shoot);
            return;
        }
        // -1: poll screenshotReady() (up to 5 minutes), then let it paint.
        auto poll = std::make_shared<std::function<void(int)>>();
        *poll = [window, shoot, poll](int left) {
            QVariant ready;
            QMetaObject::invokeMethod(window, "screenshotReady", Q_RETURN_ARG(QVariant, ready));
            if (ready.toString() == QLatin1String("true") || left <= 0) {
                QTimer::singleShot(1500, window, shoot);
                // Break the self-reference once this call has returned.
                QTimer::singleShot(0, window, [poll] { *poll = nullptr; });
                return;
            }
            QTimer::singleShot(500, window, [poll, left] {
                if (*poll) (*poll)(left - 1);
            });
        };
        (*poll)(600);
    };
    QTimer::singleShot(600, window, [next] { (*next)(); });
}

}  // namespace

int main(int argc, char* argv[]) {
    // Where start-up time goes (printed with --first-frame): dynamic linking
    // and static initialisation before main, the application object, the
    // QML engine and Main.qml, then the first frame.
    const double at_main = ms_since_process_start();
    QGuiApplication app(argc, argv);
    const double at_app = ms_since_process_start();
    QGuiApplication::setApplicationName(QStringLiteral("atelier-studio"));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("Atelier"));
    QGuiApplication::setOrganizationName(QStringLiteral("Atelier"));
    QGuiApplication::setDesktopFileName(QStringLiteral("atelier-studio"));
    QQuickStyle::setStyle(QStringLiteral("Basic"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Atelier: make, organise and sell design assets"));
    parser.addHelpOption();
    const QCommandLineOption firstFrame(QStringLiteral("first-frame"),
                                        QStringLiteral("Print the time to the first frame, then quit."));
    const QCommandLineOption shots(QStringLiteral("screenshots"),
                                   QStringLiteral("Save a PNG of every screen into <dir>, then quit."),
                                   QStringLiteral("dir"));
    const QCommandLineOption shotImport(QStringLiteral("screenshot-import"),
                                        QStringLiteral("With --screenshots: a folder to import during the jobs step."),
                                        QStringLiteral("dir"));
    parser.addOptions({firstFrame, shots, shotImport});
    parser.process(app);
    // Without a hardware OpenGL driver, draw with Qt Quick's software
    // adaptation (render_backend.h says why); before any window exists.
    atelier::ui::apply_render_backend();

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/"));
    engine.addImageProvider(QStringLiteral("atelier"), new atelier::ui::AssetImageProvider);
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, &app, [] { QCoreApplication::exit(1); },
        Qt::QueuedConnection);
    const double at_engine = ms_since_process_start();
    engine.load(QUrl(QStringLiteral("qrc:/Atelier/Studio/qml/Main.qml")));
    const double at_loaded = ms_since_process_start();
    if (engine.rootObjects().isEmpty()) return 1;
    auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().first());
    if (!window) return 1;

    // Pending upscales resume without waiting for their screen (after the
    // first frame, so start-up does not pay for it).
    QTimer::singleShot(0, &app, [] { atelier::ui::UpscaleModel::registerJobKind(); });

    // Image decoding (OpenImageIO, ~0.5 s of shared libraries) is loaded on a
    // worker thread once the Library is on screen, so neither the first frame
    // nor the first import or preview waits for it.
    if (!parser.isSet(firstFrame)) {
        auto conn = std::make_shared<QMetaObject::Connection>();
        *conn = QObject::connect(window, &QQuickWindow::frameSwapped, &app, [conn] {
            QObject::disconnect(*conn);
            QThreadPool::globalInstance()->start([] {
                if (auto r = atelier::imageio::preload(); !r) qWarning("atelier-studio: %s", r.error().message.c_str());
            });
        });
    }

    if (parser.isSet(firstFrame)) {
        QObject::connect(
            window, &QQuickWindow::frameSwapped, &app,
            [at_main, at_app, at_engine, at_loaded] {
                static bool s_done = false;
                if (std::exchange(s_done, true)) return;
                const double now = ms_since_process_start();
                std::printf("startup-phases-ms before-main %.1f app %.1f engine %.1f qml %.1f frame %.1f\n", at_main,
                            at_app - at_main, at_engine - at_app, at_loaded - at_engine, now - at_loaded);
                std::printf("first-frame-ms %.1f\n", now);
                std::printf("render-backend %s\n", qPrintable(atelier::ui::active_render_backend().reason));
                std::fflush(stdout);
                QCoreApplication::quit();
            },
            Qt::QueuedConnection);
    }
    if (parser.isSet(shots)) run_screenshots(window, parser.value(shots));
    const int rc = QGuiApplication::exec();
    atelier::ui::JobsModel::instance()->saveState();
    return rc;
}

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
#include <QTimer>
#include <cstdio>
#include <ctime>
#include <utility>

#include "image_provider.h"
#include "jobs_model.h"

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
    auto next = std::make_shared<std::function<void()>>();
    *next = [window, dir, list, next] {
        if (list->isEmpty()) {
            QCoreApplication::quit();
            return;
        }
        const QString step = list->takeFirst();
        QVariant wait;
        QMetaObject::invokeMethod(window, "screenshotStep", Q_RETURN_ARG(QVariant, wait), Q_ARG(QVariant, step));
        const int ms = wait.toInt() > 0 ? wait.toInt() : 700;
        QTimer::singleShot(ms, window, [window, dir, step, next] {
            const QString file = dir + '/' + step + ".png";
            if (!window->grabWindow().save(file))
                std::fprintf(stderr, "cannot write %s\n", qPrintable(file));
            else
                std::printf("%s\n", qPrintable(file));
            (*next)();
        });
    };
    QTimer::singleShot(600, window, [next] { (*next)(); });
}

}  // namespace

int main(int argc, char* argv[]) {
    QGuiApplication app(argc, argv);
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

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/"));
    engine.addImageProvider(QStringLiteral("atelier"), new atelier::ui::AssetImageProvider);
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, &app, [] { QCoreApplication::exit(1); },
        Qt::QueuedConnection);
    engine.load(QUrl(QStringLiteral("qrc:/Atelier/Studio/qml/Main.qml")));
    if (engine.rootObjects().isEmpty()) return 1;
    auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().first());
    if (!window) return 1;

    if (parser.isSet(firstFrame)) {
        QObject::connect(
            window, &QQuickWindow::frameSwapped, &app,
            [] {
                static bool s_done = false;
                if (std::exchange(s_done, true)) return;
                std::printf("first-frame-ms %.1f\n", ms_since_process_start());
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

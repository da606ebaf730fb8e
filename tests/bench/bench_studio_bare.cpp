// SPDX-License-Identifier: MIT
// A peer for bench_studio's cold start: the smallest Qt Quick window in a
// binary that links Qt Quick only (no Atelier libraries, so none of
// OpenImageIO's dependencies). Prints "first-frame-ms N" since process
// start, like `atelier-studio --first-frame`, then quits.

#include <unistd.h>
#include <QFile>
#include <QGuiApplication>
#include <QQuickItem>
#include <QQuickWindow>
#include <cstdio>
#include <ctime>
#include <utility>

namespace {
double ms_since_process_start() {
    QFile f(QStringLiteral("/proc/self/stat"));
    if (!f.open(QIODevice::ReadOnly)) return -1;
    const QByteArray stat = f.readAll();
    const auto fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    timespec boot{};
    clock_gettime(CLOCK_BOOTTIME, &boot);
    return (static_cast<double>(boot.tv_sec) + static_cast<double>(boot.tv_nsec) / 1e9 -
            fields.at(19).toDouble() / hz) *
           1000.0;
}
}  // namespace

int main(int argc, char* argv[]) {
    QGuiApplication app(argc, argv);
    QQuickWindow w;
    w.resize(1280, 800);
    auto* r = new QQuickItem(w.contentItem());
    r->setSize(QSizeF(100, 100));
    QObject::connect(
        &w, &QQuickWindow::frameSwapped, &w,
        [] {
            static bool done = false;
            if (std::exchange(done, true)) return;
            std::printf("first-frame-ms %.1f\n", ms_since_process_start());
            std::fflush(stdout);
            QCoreApplication::quit();
        },
        Qt::QueuedConnection);
    w.show();
    return QGuiApplication::exec();
}

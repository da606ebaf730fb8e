// SPDX-License-Identifier: MIT
// atelier-studio figures (docs/PERFORMANCE.md, "desktop app"), as JSON lines:
//   cold start   `atelier-studio --first-frame` on a library of N assets,
//                process start → first frame of the Library; side by side
//                with a bare Qt Quick window (this program, --bare-window)
//                and with `atelier --version` (the CLI links LibTorch).
//   scrolling    the real Main.qml in this process under the X server given
//                (xvfb-run): the Library grid on N assets is scrolled a fixed
//                distance per frame; frame intervals from frameSwapped.
//   memory       VmRSS of this process with the Library open, at idle.
// The N-asset library is built once (distinct --source-px square PNGs,
// 16 by default, imported through the catalog) and cached in --cache (one
// cache per size). Scrolling and a still redraw are measured with the scene
// graph backend the app chooses (render_backend.h) and, in a child process,
// with the other one; a bare window of the same size is the floor.
//   bench_studio --studio PATH --cli PATH [--assets 100000] [--reps 5] [--cache DIR]
//                [--source-px 16] [--frames 600] [--no-peer] [--grab PNG]

#include <QtQml/qqmlextensionplugin.h>
#include <malloc.h>
#include <unistd.h>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QGuiApplication>
#include <QProcess>
#include <QQmlApplicationEngine>
#include <QQmlContext>
#include <QQmlExpression>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QSGRendererInterface>
#include <QSet>
#include <QTimer>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "atelier/catalog/library.h"
#include "atelier/image/image.h"
#include "atelier/imageio/imageio.h"
#include "image_provider.h"
#include "library_model.h"
#include "render_backend.h"

Q_IMPORT_QML_PLUGIN(Atelier_StudioPlugin)

namespace fs = std::filesystem;

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

long rss_kib() {
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly)) return -1;
    for (const auto& line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:")) return line.mid(6).trimmed().split(' ').first().toLong();
    return -1;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

void emit(const nlohmann::json& j) {
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
}

// The cached library: <cache>/home/data/atelier with `n` assets.
using namespace atelier;

bool ensure_library(const fs::path& cache, int n, int px) {
    const fs::path dir = cache / "home" / "data" / "atelier";
    catalog::OpenOptions oo;
    oo.dir = dir;
    auto lib = catalog::Library::open(oo);
    if (!lib) {
        std::fprintf(stderr, "cannot open %s: %s\n", dir.c_str(), lib.error().message.c_str());
        return false;
    }
    auto count = (*lib)->count();
    if (count && *count >= n) return true;
    std::fprintf(stderr, "building a %d-asset library in %s (once)...\n", n, dir.c_str());
    QElapsedTimer t;
    t.start();
    std::vector<fs::path> files;
    for (int i = 0; i < n; ++i) {
        const fs::path f = cache / "src" / std::to_string(i / 1000) / (std::to_string(i) + ".png");
        files.push_back(f);
        std::error_code ec;
        if (fs::exists(f, ec)) continue;
        fs::create_directories(f.parent_path(), ec);
        auto img = Image::create(px, px, 3, PixelType::u8).value();
        for (int y = 0; y < px; ++y)
            for (int x = 0; x < px; ++x) {
                auto* p = img.row(y) + x * 3;
                const int u = x * 16 / px, v = y * 16 / px;
                p[0] = static_cast<std::uint8_t>((i & 0xff) ^ (x * 255 / px));
                p[1] = static_cast<std::uint8_t>(((i >> 8) & 0xff) ^ (y * 255 / px));
                p[2] = static_cast<std::uint8_t>(((i >> 16) & 0xff) ^ (u * 16 + v));
            }
        if (auto r = imageio::save(img, f); !r) {
            std::fprintf(stderr, "%s\n", r.error().message.c_str());
            return false;
        }
    }
    const double write_ms = static_cast<double>(t.restart());
    catalog::ImportOptions io;
    io.batch_size = 2000;
    io.storage = catalog::Storage::reference;
    auto rep = (*lib)->import(files, io);
    if (!rep) {
        std::fprintf(stderr, "import: %s\n", rep.error().message.c_str());
        return false;
    }
    emit({{"bench", "studio.build_library"},
          {"assets", n},
          {"source_px", px},
          {"write_files_ms", write_ms},
          {"import_ms", static_cast<double>(t.elapsed())},
          {"added", rep->added}});
    return true;
}

QProcessEnvironment home_env(const fs::path& cache) {
    auto env = QProcessEnvironment::systemEnvironment();
    const QString h = QString::fromStdString((cache / "home").string());
    env.insert("XDG_DATA_HOME", h + "/data");
    env.insert("XDG_CONFIG_HOME", h + "/config");
    env.insert("XDG_STATE_HOME", h + "/state-" + QString::number(QCoreApplication::applicationPid()));
    env.insert("XDG_CACHE_HOME", h + "/cache");
    return env;
}

// Start-up phases printed by atelier-studio --first-frame, per run.
std::map<std::string, std::vector<double>> g_phases;

// Runs `exe args` and returns its "first-frame-ms" figure or its wall time.
double spawn(const QString& exe, const QStringList& args, const QProcessEnvironment& env, bool wall,
             bool phases = true) {
    QProcess p;
    p.setProcessEnvironment(env);
    QElapsedTimer t;
    t.start();
    p.start(exe, args);
    if (!p.waitForFinished(60000)) {
        p.kill();
        return -1;
    }
    if (wall) return static_cast<double>(t.nsecsElapsed()) / 1e6;
    for (const auto& line : QString::fromUtf8(p.readAllStandardOutput()).split('\n')) {
        if (phases && line.startsWith("startup-phases-ms ")) {
            const auto f = line.mid(18).split(' ', Qt::SkipEmptyParts);
            for (qsizetype i = 0; i + 1 < f.size(); i += 2)
                g_phases[f[i].toStdString()].push_back(f[i + 1].toDouble());
        }
        if (line.startsWith("first-frame-ms ")) return line.mid(15).toDouble();
    }
    std::fprintf(stderr, "%s gave no first-frame figure: %s\n", qPrintable(exe), p.readAllStandardError().constData());
    return -1;
}

nlohmann::json stats(const std::vector<double>& v) {
    return {
        {"median_ms", percentile(v, 0.5)}, {"min_ms", percentile(v, 0)}, {"max_ms", percentile(v, 1)}, {"n", v.size()}};
}

int bare_window() {
    // The peer for cold start: the smallest Qt Quick window, same measure.
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

QObject* find(QObject* root, const QString& name) {
    QList<QObject*> todo{root};
    if (auto* w = qobject_cast<QQuickWindow*>(root)) todo.push_back(w->contentItem());
    QSet<QObject*> seen;
    while (!todo.isEmpty()) {
        QObject* o = todo.takeFirst();
        if (!o || seen.contains(o)) continue;
        seen.insert(o);
        if (o->objectName() == name) return o;
        if (auto* item = qobject_cast<QQuickItem*>(o))
            for (auto* c : item->childItems())
                todo.push_back(c);
        for (auto* c : o->children())
            todo.push_back(c);
    }
    return nullptr;
}

// Runs the event loop (blocking, as the app's exec() does: a loop of
// processEvents() would spin the GUI thread and take a core from the
// renderer) until `done()` or `timeout_ms`.
void pump_until(const std::function<bool()>& done, int timeout_ms) {
    if (done()) return;
    QEventLoop loop;
    QTimer poll;
    poll.setInterval(5);
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done()) loop.quit();
    });
    QTimer::singleShot(timeout_ms, &loop, &QEventLoop::quit);
    poll.start();
    loop.exec();
}

double now_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Frame intervals (frameSwapped, the figure) and where each frame's time
// went, from the window's own signals: `sync` beforeSynchronizing →
// afterSynchronizing (render thread; the GUI thread is blocked), `render`
// beforeRendering → afterRendering (the scene graph's draw calls),
// `swap` afterRendering → frameSwapped (with llvmpipe the rasterising and
// the copy to the X server happen here), `gui` the GUI thread's own work
// per frame (polish and our per-frame step, from frameSwapped on the GUI
// thread to the next beforeSynchronizing).
struct FrameTimes {
    std::vector<double> interval, sync, render, swap, gui;
    double total_ms = 0;
    double cpu_ms = 0;  // this process, all threads (llvmpipe's included)
};

double cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}

FrameTimes run_frames(QQuickWindow* window, int frames, const std::function<void()>& step) {
    FrameTimes t;
    std::mutex m;
    double sync_start = 0, render_start = 0, render_end = 0, gui_start = -1;
    std::vector<QMetaObject::Connection> conns;
    const auto direct = Qt::DirectConnection;
    conns.push_back(QObject::connect(
        window, &QQuickWindow::beforeSynchronizing, window,
        [&] {
            std::lock_guard lock(m);
            sync_start = now_ms();
            if (gui_start >= 0) t.gui.push_back(sync_start - gui_start);
            gui_start = -1;
        },
        direct));
    conns.push_back(QObject::connect(
        window, &QQuickWindow::afterSynchronizing, window,
        [&] {
            std::lock_guard lock(m);
            t.sync.push_back(now_ms() - sync_start);
        },
        direct));
    conns.push_back(QObject::connect(
        window, &QQuickWindow::beforeRendering, window,
        [&] {
            std::lock_guard lock(m);
            render_start = now_ms();
        },
        direct));
    conns.push_back(QObject::connect(
        window, &QQuickWindow::afterRendering, window,
        [&] {
            std::lock_guard lock(m);
            render_end = now_ms();
            t.render.push_back(render_end - render_start);
        },
        direct));
    conns.push_back(QObject::connect(
        window, &QQuickWindow::frameSwapped, window,
        [&] {
            std::lock_guard lock(m);
            t.swap.push_back(now_ms() - render_end);
        },
        direct));
    double last = -1, first = -1;
    int done = 0;
    conns.push_back(QObject::connect(
        window, &QQuickWindow::frameSwapped, window,
        [&] {
            const double now = now_ms();
            if (last >= 0)
                t.interval.push_back(now - last);
            else
                first = now;
            last = now;
            if (++done >= frames) return;
            {
                std::lock_guard lock(m);
                gui_start = now;
            }
            step();
            window->update();
        },
        Qt::QueuedConnection));
    const double cpu_start = cpu_ms();
    window->update();
    pump_until([&] { return done >= frames; }, 120000);
    t.cpu_ms = cpu_ms() - cpu_start;
    for (auto& c : conns)
        QObject::disconnect(c);
    t.total_ms = last - first;
    return t;
}

nlohmann::json frame_stats(const FrameTimes& t) {
    const auto over = std::count_if(t.interval.begin(), t.interval.end(), [](double v) { return v > 1000.0 / 60.0; });
    return {{"frames", t.interval.size()},
            {"frame_ms_median", percentile(t.interval, 0.5)},
            {"frame_ms_p95", percentile(t.interval, 0.95)},
            {"frame_ms_p99", percentile(t.interval, 0.99)},
            {"frame_ms_max", percentile(t.interval, 1.0)},
            {"fps_mean", t.total_ms <= 0 ? 0 : 1000.0 * static_cast<double>(t.interval.size()) / t.total_ms},
            {"frames_over_16_7ms", over},
            {"cpu_ms_per_frame", t.interval.empty() ? 0 : t.cpu_ms / static_cast<double>(t.interval.size() + 1)},
            {"sync_ms_median", percentile(t.sync, 0.5)},
            {"render_ms_median", percentile(t.render, 0.5)},
            {"swap_ms_median", percentile(t.swap, 0.5)},
            {"swap_ms_p95", percentile(t.swap, 0.95)},
            {"gui_ms_median", percentile(t.gui, 0.5)},
            {"gui_ms_p95", percentile(t.gui, 0.95)}};
}

// Items in the scene: all, visible ones, and those of one grid delegate.
nlohmann::json count_items(QQuickWindow* window, QQuickItem* grid) {
    int all = 0, visible = 0;
    std::function<void(QQuickItem*)> walk = [&](QQuickItem* i) {
        ++all;
        if (i->isVisible()) ++visible;
        for (auto* c : i->childItems())
            walk(c);
    };
    walk(window->contentItem());
    int per_delegate = 0;
    QQuickItem* cell = nullptr;
    if (auto* content = qvariant_cast<QQuickItem*>(grid->property("contentItem")))
        for (auto* c : content->childItems())
            if (c->property("assetId").isValid() && c->isVisible()) {
                cell = c;
                break;
            }
    if (cell) {
        int n = 0;
        std::function<void(QQuickItem*)> walk_d = [&](QQuickItem* i) {
            ++n;
            for (auto* c : i->childItems())
                walk_d(c);
        };
        walk_d(cell);
        per_delegate = n;
    }
    return {{"items", all}, {"items_visible", visible}, {"items_per_grid_delegate", per_delegate}};
}

std::string api_name(QQuickWindow* w) {
    switch (w->rendererInterface()->graphicsApi()) {
        case QSGRendererInterface::Software:
            return "software (QPainter)";
        case QSGRendererInterface::OpenGL:
            return "OpenGL";
        case QSGRendererInterface::Vulkan:
            return "Vulkan";
        default:
            return "other";
    }
}

// The render floor peer: a bare Qt Quick window of the same size, one
// full-window rectangle, redrawn continuously (run under the same X server).
int bare_frames(int frames, int w, int h) {
    QQuickWindow win;
    win.resize(w, h);
    win.setColor(QColor(0x1e, 0x1f, 0x24));
    auto* r = new QQuickItem(win.contentItem());
    r->setSize(QSizeF(w, h));
    win.show();
    pump_until([&] { return win.isExposed(); }, 10000);
    const auto t = run_frames(&win, frames, [] {});
    std::printf("%s\n", frame_stats(t).dump().c_str());
    return 0;
}

}  // namespace

int main(int argc, char* argv[]) {
    const bool bare = argc > 1 && std::string(argv[1]) == "--bare-window";
    if (argc > 4 && std::string(argv[1]) == "--bare-frames") {
        QGuiApplication app(argc, argv);
        atelier::ui::apply_render_backend();  // the same backend as the studio measured
        return bare_frames(std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]));
    }
    if (!bare && argc > 0) {
        // The in-process part uses the cached library's home: set it before Qt starts.
        for (int i = 1; i + 1 < argc; ++i)
            if (std::string(argv[i]) == "--cache") {
                // XDG paths must be absolute (relative ones are ignored by the spec).
                const std::string h = fs::absolute(argv[i + 1]).string() + "/home";
                setenv("XDG_DATA_HOME", (h + "/data").c_str(), 1);
                setenv("XDG_CONFIG_HOME", (h + "/config").c_str(), 1);
                setenv("XDG_STATE_HOME", (h + "/state-bench").c_str(), 1);
                setenv("XDG_CACHE_HOME", (h + "/cache").c_str(), 1);
            }
    }
    QGuiApplication app(argc, argv);
    if (bare) return bare_window();
    QQuickStyle::setStyle(QStringLiteral("Basic"));
    QCommandLineParser parser;
    parser.addOptions(
        {{"studio", "atelier-studio", "path"},
         {"cli", "atelier", "path"},
         {"assets", "library size", "n", "100000"},
         {"reps", "cold-start repetitions", "n", "5"},
         {"cache", "where the benchmark library is kept", "dir"},
         {"frames", "frames to scroll", "n", "600"},
         {"no-peer", "do not measure the other scene graph backend"},
         {"source-px", "side of the generated images (thumbnails are made from them, at most 256)", "n", "16"},
         {"grab", "save a picture of the window after the scroll", "png"},
         {"eval", "a JavaScript expression run in Main.qml's scope before measuring (experiments)", "js"}});
    parser.process(app);
    const int n = parser.value("assets").toInt();
    const fs::path cache = parser.isSet("cache") ? fs::absolute(parser.value("cache").toStdString())
                                                 : fs::temp_directory_path() / "atelier-bench-studio";
    if (!ensure_library(cache, n, parser.value("source-px").toInt())) return 1;

    // The backend the app chooses here (software without a GPU driver); the
    // bare-window peers are drawn the same way.
    const auto backend = atelier::ui::apply_render_backend();

    // --- cold start, side by side --------------------------------------------
    const auto env = home_env(cache);
    auto peer_env = env;
    if (backend.software) peer_env.insert("QT_QUICK_BACKEND", "software");
    auto gl_env = env;
    gl_env.insert("QT_QUICK_BACKEND", "rhi");
    const int reps = parser.value("reps").toInt();
    std::vector<double> studio, studio_gl, bare_w, qt_only, cli;
    const QString qt_only_exe = QCoreApplication::applicationDirPath() + "/bench_studio_bare";
    for (int r = 0; r < reps; ++r) {
        if (parser.isSet("studio")) studio.push_back(spawn(parser.value("studio"), {"--first-frame"}, env, false));
        if (parser.isSet("studio") && backend.software)
            studio_gl.push_back(spawn(parser.value("studio"), {"--first-frame"}, gl_env, false, false));
        bare_w.push_back(spawn(QCoreApplication::applicationFilePath(), {"--bare-window"}, peer_env, false));
        if (QFile::exists(qt_only_exe)) qt_only.push_back(spawn(qt_only_exe, {}, peer_env, false));
        if (parser.isSet("cli")) cli.push_back(spawn(parser.value("cli"), {"--version"}, env, true));
    }
    nlohmann::json cold{{"bench", "studio.cold_start_first_frame"},
                        {"assets", n},
                        {"studio", stats(studio)},
                        {"backend_choice", backend.reason.toStdString()},
                        {"peer_bare_qt_quick_window", stats(bare_w)}};
    if (!studio_gl.empty()) cold["peer_studio_forced_opengl"] = stats(studio_gl);
    if (!qt_only.empty()) cold["peer_bare_window_linking_qt_only"] = stats(qt_only);
    if (!cli.empty()) cold["atelier_cli_version_wall_links_libtorch"] = stats(cli);
    for (const auto& [phase, v] : g_phases)
        cold["studio_phase_" + phase] = stats(v);
    if (!studio.empty() && !bare_w.empty())
        cold["ratio_studio_to_bare"] = percentile(studio, 0.5) / std::max(1e-9, percentile(bare_w, 0.5));
    emit(cold);

    // --- the real UI in this process -------------------------------------------
    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/"));
    engine.addImageProvider(QStringLiteral("atelier"), new atelier::ui::AssetImageProvider);
    engine.load(QUrl(QStringLiteral("qrc:/Atelier/Studio/qml/Main.qml")));
    if (engine.rootObjects().isEmpty()) return 1;
    auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().first());
    window->setWidth(1280);
    window->setHeight(800);
    QVariant lib;
    QMetaObject::invokeMethod(window, "showScreen", Q_ARG(QVariant, QStringLiteral("library")));
    QVariant screen;
    QMetaObject::invokeMethod(window, "screenItem", Q_RETURN_ARG(QVariant, screen),
                              Q_ARG(QVariant, QStringLiteral("library")));
    auto* library = qvariant_cast<atelier::ui::LibraryModel*>(screen.value<QObject*>()->property("library"));
    library->setQuery({});
    QElapsedTimer wait;
    wait.start();
    pump_until([&] { return library->ready() && !library->loading() && library->rowCount() > 0; }, 60000);
    const double first_page_ms = static_cast<double>(wait.elapsed());
    pump_until([] { return false; }, 3000);
    const long rss_idle = rss_kib();

    auto* grid = qobject_cast<QQuickItem*>(find(window, "assetGrid"));
    if (!grid) return 1;

    if (parser.isSet("eval")) {
        QQmlExpression expr(engine.rootContext(), window, parser.value("eval"));
        const QVariant r = expr.evaluate();
        if (expr.hasError()) std::fprintf(stderr, "eval: %s\n", qPrintable(expr.error().toString()));
        std::fprintf(stderr, "eval: %s\n", qPrintable(r.toString()));
        pump_until([] { return false; }, 500);
    }
    // The render floor: the same window redrawn without scrolling.
    const int frames = parser.value("frames").toInt();
    run_frames(window, 30, [] {});  // warm-up: shaders compiled, caches filled
    const auto still = run_frames(window, 120, [] {});
    const double step = 48.0;  // px per frame: 2,880 px/s at 60 fps, a brisk scroll
    const auto scroll = run_frames(
        window, frames, [&] { grid->setProperty("contentY", grid->property("contentY").toDouble() + step); });
    // Peer: a bare Qt Quick window of the same size under the same X server.
    QProcess peer;
    peer.start(QCoreApplication::applicationFilePath(),
               {"--bare-frames", "300", QString::number(window->width()), QString::number(window->height())});
    nlohmann::json bare_peer;
    if (peer.waitForFinished(60000))
        bare_peer = nlohmann::json::parse(peer.readAllStandardOutput().trimmed().toStdString(), nullptr, false);
    // Peer: the same measurement with the other backend, in a child process
    // (the backend is fixed per process): OpenGL when this run chose
    // software, software otherwise.
    nlohmann::json other;
    if (!parser.isSet("no-peer")) {
        QProcess child;
        auto child_env = QProcessEnvironment::systemEnvironment();
        child_env.insert("QT_QUICK_BACKEND", backend.software ? "rhi" : "software");
        child.setProcessEnvironment(child_env);
        child.start(QCoreApplication::applicationFilePath(),
                    {"--reps", "0", "--no-peer", "--assets", QString::number(n), "--frames", QString::number(frames),
                     "--source-px", parser.value("source-px"), "--cache", QString::fromStdString(cache.string())});
        if (child.waitForFinished(300000))
            for (const auto& line : child.readAllStandardOutput().split('\n')) {
                auto j = nlohmann::json::parse(line.toStdString(), nullptr, false);
                if (!j.is_discarded() && j.value("bench", "") == "studio.scroll_library") {
                    other = {{"scene_graph_backend", j["scene_graph_backend"]},
                             {"scroll", j["scroll"]},
                             {"still", j["still"]}};
                }
            }
    }
    nlohmann::json out{{"bench", "studio.scroll_library"},
                       {"assets", n},
                       {"source_px", parser.value("source-px").toInt()},
                       {"library_total", library->total()},
                       {"rows_loaded", library->rowCount()},
                       {"window", std::to_string(window->width()) + "x" + std::to_string(window->height())},
                       {"px_per_frame", step},
                       {"scroll", frame_stats(scroll)},
                       {"still", frame_stats(still)},
                       {"peer_bare_window_same_size", bare_peer},
                       {"peer_other_backend", other},
                       {"backend_choice", backend.reason.toStdString()},
                       {"scene", count_items(window, grid)},
                       {"first_page_ms", first_page_ms},
                       {"platform", QGuiApplication::platformName().toStdString()},
                       {"scene_graph_backend", api_name(window)}};
    emit(out);
    if (parser.isSet("grab")) window->grabWindow().save(parser.value("grab"));
    const long rss_scrolled = rss_kib();
    // Qt Quick's pixmap cache lets go of unreferenced thumbnails after ~30 s.
    pump_until([] { return false; }, 35000);
    emit({{"bench", "studio.memory"},
          {"assets", n},
          {"rss_idle_library_open_mib", static_cast<double>(rss_idle) / 1024.0},
          {"rss_after_scroll_mib", static_cast<double>(rss_scrolled) / 1024.0},
          {"rss_35s_after_scroll_mib", static_cast<double>(rss_kib()) / 1024.0},
          {"rss_after_malloc_trim_mib", (malloc_trim(0), static_cast<double>(rss_kib()) / 1024.0)}});
    return 0;
}

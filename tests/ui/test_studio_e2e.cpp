// SPDX-License-Identifier: MIT
// End-to-end: the real atelier-studio UI (Main.qml from the Atelier.Studio
// module) driven offscreen against a fresh library, checking what each
// screen shows: import a folder → the import report and the jobs panel →
// search and filter → open an asset (specs, generation metadata) → Settings
// (installed models verified on the job queue) → state after a restart.
// Upscale and provenance steps join when those modules are merged (see
// docs/ARCHITECTURE.md, ui section).

#include <gtest/gtest.h>

#include <QtQml/qqmlextensionplugin.h>
#include <QDir>
#include <QDropEvent>
#include <QElapsedTimer>
#include <QFile>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QMimeData>
#include <QQmlApplicationEngine>
#include <QQmlProperty>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <filesystem>

#include "atelier/base/paths.h"
#include "atelier/catalog/library.h"
#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"
#include "atelier/provenance/crypto.h"
#include "atelier/provenance/log.h"
#include "atelier/provenance/validate.h"
#include "image_provider.h"
#include "jobs_model.h"
#include "library_model.h"
#include "studio_state.h"

Q_IMPORT_QML_PLUGIN(Atelier_StudioPlugin)

namespace {

template <typename Pred>
bool spin_until(Pred pred, int ms = 20000) {
    QElapsedTimer t;
    t.start();
    while (!pred()) {
        if (t.elapsed() > ms) return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(5);
    }
    return true;
}

QVariant call(QObject* obj, const char* method, const QVariant& arg = {}) {
    QVariant ret;
    const bool ok = arg.isValid()
                        ? QMetaObject::invokeMethod(obj, method, Q_RETURN_ARG(QVariant, ret), Q_ARG(QVariant, arg))
                        : QMetaObject::invokeMethod(obj, method, Q_RETURN_ARG(QVariant, ret));
    EXPECT_TRUE(ok) << "calling " << method;
    return ret;
}

// Finds an object by objectName through the visual tree (StackView and Loader
// reparent items visually) and QObject children.
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

QString text_of(QObject* root, const char* name, const char* prop = "text") {
    auto* o = find(root, QString::fromLatin1(name));
    return o ? o->property(prop).toString() : QStringLiteral("<no %1>").arg(QLatin1String(name));
}

}  // namespace

class StudioE2E : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        // The installed models stay visible: point at them before the data
        // folder moves to the temporary home.
        if (!qEnvironmentVariableIsSet("ATELIER_MODELS_DIR")) {
            const auto installed = atelier::paths::data_dir() / "models";
            if (std::filesystem::exists(installed)) qputenv("ATELIER_MODELS_DIR", installed.string().c_str());
        }
        s_home = new QTemporaryDir;
        const QString h = s_home->path();
        for (const char* v : {"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"})
            qputenv(v, (h + '/' + v).toUtf8());
        qputenv("QT_QPA_PLATFORM", "offscreen");
        QDir().mkpath(h + "/runtime");
        QFile::setPermissions(h + "/runtime", QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        qputenv("XDG_RUNTIME_DIR", (h + "/runtime").toUtf8());
        static int argc = 1;
        static char name[] = "atelier-studio-e2e";
        static char* argv[] = {name, nullptr};
        s_app = new QGuiApplication(argc, argv);
        QQuickStyle::setStyle(QStringLiteral("Basic"));
    }

    // A folder a designer would drop: patterns, a texture, and a file
    // written by AUTOMATIC1111 with its prompt, seed and model.
    static QString make_import_folder() {
        const QString dir = s_home->path() + "/drop";
        QDir().mkpath(dir + "/patterns");
        auto save = [&](atelier::Result<atelier::Image> img, const QString& file) {
            ASSERT_TRUE(img) << img.error().message;
            ASSERT_TRUE(atelier::imageio::save(*img, (dir + '/' + file).toStdString()));
        };
        save(atelier::procedural::seamless_waves(96, 96, 1), "patterns/waves-blue.png");
        save(atelier::procedural::seamless_waves(96, 96, 2), "patterns/waves-green.png");
        save(atelier::procedural::seamless_dots(96, 96, 3), "patterns/dots.png");
        save(atelier::procedural::noise_texture(128, 64, 4), "texture.png");
        const QString a1111 = QStringLiteral(ATELIER_SOURCE_DIR) + "/../../shared/testdata";
        QString src = "/work/shared/testdata/generator-metadata/automatic1111/automatic1111_cropped.png";
        if (!QFile::exists(src)) src = a1111 + "/generator-metadata/automatic1111/automatic1111_cropped.png";
        EXPECT_TRUE(QFile::copy(src, dir + "/duck.png")) << "missing test file " << src.toStdString();
        QFile junk(dir + "/notes.txt");
        EXPECT_TRUE(junk.open(QIODevice::WriteOnly));
        junk.write("not an image");
        return dir;
    }

    static inline QTemporaryDir* s_home = nullptr;
    static inline QGuiApplication* s_app = nullptr;
};

TEST_F(StudioE2E, ImportSearchOpenSettingsAndRestart) {
    const QString folder = make_import_folder();
    if (HasFatalFailure()) return;

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/"));
    engine.addImageProvider(QStringLiteral("atelier"), new atelier::ui::AssetImageProvider);
    engine.load(QUrl(QStringLiteral("qrc:/Atelier/Studio/qml/Main.qml")));
    ASSERT_FALSE(engine.rootObjects().isEmpty()) << "Main.qml failed to load";
    auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().first());
    ASSERT_NE(window, nullptr);

    // --- Library: empty at first --------------------------------------------
    call(window, "showScreen", "library");
    auto* screen = call(window, "screenItem", "library").value<QObject*>();
    ASSERT_NE(screen, nullptr);
    auto* library = qvariant_cast<atelier::ui::LibraryModel*>(screen->property("library"));
    ASSERT_NE(library, nullptr);
    ASSERT_TRUE(spin_until([&] { return library->ready() && !library->loading(); })) << "library did not open";
    EXPECT_EQ(library->libraryCount(), 0);
    EXPECT_EQ(library->rowCount(), 0);

    // --- Import a folder (what a drop does) ------------------------------------
    auto* jobs = atelier::ui::JobsModel::instance();
    const qint64 job = library->importUrls({QUrl::fromLocalFile(folder).toString()});
    ASSERT_GT(job, 0);
    ASSERT_TRUE(spin_until([&] { return jobs->activeCount() == 0 && !library->lastImport().isEmpty(); }))
        << "import did not finish";
    const QVariantMap report = library->lastImport();
    EXPECT_EQ(report.value("added").toInt(), 5);
    EXPECT_EQ(report.value("skipped").toInt() + report.value("failed").toInt(), 1) << "notes.txt is not an image";
    const QVariantList problems = report.value("problems").toList();
    ASSERT_EQ(problems.size(), 1);
    EXPECT_TRUE(problems[0].toMap().value("path").toString().endsWith("notes.txt"));
    EXPECT_FALSE(problems[0].toMap().value("reason").toString().isEmpty()) << "a skipped file says why";
    EXPECT_TRUE(text_of(window, "importSummary").contains("5 added")) << text_of(window, "importSummary").toStdString();
    // The jobs panel lists the import and, after it, the auto-tagging of the
    // five new assets in the worker process (newest first), both succeeded.
    ASSERT_GE(jobs->rowCount(), 2);
    EXPECT_EQ(jobs->data(jobs->index(0), atelier::ui::JobsModel::KindRole).toString(), "tag");
    EXPECT_EQ(jobs->data(jobs->index(0), atelier::ui::JobsModel::StateRole).toString(), "succeeded")
        << jobs->data(jobs->index(0), atelier::ui::JobsModel::ErrorRole).toString().toStdString();
    EXPECT_EQ(jobs->data(jobs->index(1), atelier::ui::JobsModel::KindRole).toString(), "import");
    EXPECT_EQ(jobs->data(jobs->index(1), atelier::ui::JobsModel::StateRole).toString(), "succeeded");
    ASSERT_TRUE(spin_until([&] { return library->rowCount() == 5 && library->libraryCount() == 5; }));
    // The taggers' results reach the Library's facets: every asset has a
    // dominant colour (palette), and the style and seamless facets appear.
    auto facet_total = [&](const char* name) {
        for (const auto& f : library->facets()) {
            const auto m = f.toMap();
            if (m.value("name") != QLatin1String(name)) continue;
            int n = 0;
            for (const auto& v : m.value("values").toList())
                n += v.toMap().value("count").toInt();
            return n;
        }
        return 0;
    };
    ASSERT_TRUE(spin_until([&] { return facet_total("color") == 5; }))
        << "the colour facet does not count the five tagged assets: "
        << QJsonDocument::fromVariant(library->facets()).toJson(QJsonDocument::Compact).toStdString();
    EXPECT_GE(facet_total("style"), 4);
    EXPECT_GE(facet_total("seamless"), 4);
    EXPECT_EQ(text_of(window, "resultCount").toStdString(), "5 assets");
    auto* grid = qobject_cast<QQuickItem*>(find(window, "assetGrid"));
    ASSERT_NE(grid, nullptr);
    EXPECT_EQ(grid->property("count").toInt(), 5);

    // --- Search with the query language, then filter with a facet --------------
    library->setQuery("duck");  // the prompt, found by full-text search
    ASSERT_TRUE(spin_until([&] { return !library->loading() && library->total() == 1; }))
        << "total " << library->total() << " error " << library->queryError().toStdString();
    ASSERT_TRUE(spin_until([&] { return text_of(window, "resultCount") == "1 of 5 assets"; }))
        << text_of(window, "resultCount").toStdString();
    library->setQuery("width>=100");
    ASSERT_TRUE(spin_until([&] { return !library->loading() && library->total() == 1; }));  // texture.png
    library->setQuery("colr:navy");
    ASSERT_TRUE(spin_until([&] { return !library->loading() && !library->queryError().isEmpty(); }));
    EXPECT_TRUE(library->queryError().contains("colr")) << library->queryError().toStdString();
    library->setQuery("");
    ASSERT_TRUE(spin_until([&] { return !library->loading() && library->total() == 5; }));
    ASSERT_TRUE(spin_until([&] { return !library->facets().isEmpty(); }));
    QString sourceTerm;
    int generatedCount = 0;
    for (const auto& f : library->facets()) {
        const auto m = f.toMap();
        if (m.value("name") != "source") continue;
        for (const auto& v : m.value("values").toList())
            if (v.toMap().value("value") == "generated") {
                sourceTerm = v.toMap().value("term").toString();
                generatedCount = v.toMap().value("count").toInt();
            }
    }
    ASSERT_FALSE(sourceTerm.isEmpty()) << "the A1111 file is counted as generated in the source facet";
    library->toggleTerm(sourceTerm);
    ASSERT_TRUE(spin_until([&] { return !library->loading() && library->total() == generatedCount; }));
    EXPECT_EQ(library->query(), sourceTerm);

    // --- Open the asset: specs and generation metadata ---------------------------
    call(screen, "openAssetAt", 0);
    ASSERT_TRUE(spin_until([&] { return library->currentAsset().contains("title"); }));
    ASSERT_TRUE(screen->property("assetOpen").toBool());
    const QVariantMap asset = library->currentAsset();
    const QVariantMap gen = asset.value("generation").toMap();
    EXPECT_TRUE(gen.value("prompt").toString().contains("duck"));
    EXPECT_EQ(gen.value("seed").toString(), "235284042");
    EXPECT_EQ(gen.value("model").toString(), "realistic_realisticVisionV20_v20");
    ASSERT_TRUE(spin_until([&] { return text_of(window, "assetPrompt", "value").contains("duck"); }))
        << text_of(window, "assetPrompt", "value").toStdString();
    EXPECT_EQ(text_of(window, "assetTitle").toStdString(), asset.value("title").toString().toStdString());
    call(screen, "closeAsset");
    EXPECT_FALSE(screen->property("assetOpen").toBool());

    // --- Selection and collections, with undo -------------------------------------
    library->setQuery("");
    ASSERT_TRUE(spin_until([&] { return !library->loading() && library->rowCount() == 5; }));
    library->select(0);
    library->select(2, "range");
    EXPECT_EQ(library->selectionCount(), 3);
    library->addSelectionToCollection("Spring drop");
    ASSERT_TRUE(spin_until([&] {
        return library->collections().size() == 1 && library->collections()[0].toMap().value("count").toInt() == 3;
    }));
    library->toggleTerm("collection:\"Spring drop\"");
    ASSERT_TRUE(spin_until([&] { return !library->loading() && library->total() == 3; }));
    library->select(0);
    library->removeSelection();  // Delete in a collection view
    ASSERT_TRUE(spin_until([&] { return !library->loading() && library->total() == 2; }));
    ASSERT_TRUE(library->canUndo());
    library->undo();  // Ctrl+Z
    ASSERT_TRUE(spin_until([&] { return !library->loading() && library->total() == 3; }));

    // --- Settings: device and models, verified on the job queue ----------------------
    call(window, "showScreen", "settings");
    auto* verify = qobject_cast<QQuickItem*>(find(window, "verifyModels"));
    ASSERT_NE(verify, nullptr);
    auto* settingsScreen = call(window, "screenItem", "settings").value<QObject*>();
    ASSERT_NE(settingsScreen, nullptr);
    if (qEnvironmentVariableIsSet("ATELIER_MODELS_DIR")) {
        ASSERT_TRUE(spin_until([&] { return verify->property("enabled").toBool(); })) << "no models listed";
        QMetaObject::invokeMethod(verify, "clicked");
        ASSERT_TRUE(
            spin_until([&] { return jobs->activeCount() == 0 && verify->property("enabled").toBool(); }, 60000));
        EXPECT_EQ(jobs->data(jobs->index(0), atelier::ui::JobsModel::KindRole).toString(), "verify-models");
        EXPECT_EQ(jobs->data(jobs->index(0), atelier::ui::JobsModel::StateRole).toString(), "succeeded")
            << jobs->data(jobs->index(0), atelier::ui::JobsModel::ErrorRole).toString().toStdString();
    }

    // --- State survives a restart ---------------------------------------------------
    library->setQuery("waves");
    window->setWidth(1111);
    window->close();
    QCoreApplication::processEvents();
    atelier::ui::StudioState reread(atelier::ui::StudioState::instance()->stateFile());
    EXPECT_EQ(reread.lastSearch(), "waves");
    EXPECT_EQ(reread.currentScreen(), "settings");
    EXPECT_EQ(reread.windowGeometry().width(), 1111);
}

// Upscale through the Upscale screen: the worker process runs the installed
// model, the result comes back as a derived asset with Content Credentials
// that validate, naming the original as its ingredient.
TEST_F(StudioE2E, UpscaleAddsASignedDerivedAsset) {
    // Auto-tagging after import is covered by ImportSearchOpenSettingsAndRestart;
    // here it would only add worker runs (library.tag_on_import, from the environment).
    qputenv("ATELIER_LIBRARY_TAG_ON_IMPORT", "false");
    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/"));
    engine.addImageProvider(QStringLiteral("atelier"), new atelier::ui::AssetImageProvider);
    engine.load(QUrl(QStringLiteral("qrc:/Atelier/Studio/qml/Main.qml")));
    ASSERT_FALSE(engine.rootObjects().isEmpty());
    auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().first());
    auto* screen = call(window, "screenItem", "library").value<QObject*>();
    auto* library = qvariant_cast<atelier::ui::LibraryModel*>(screen->property("library"));
    ASSERT_TRUE(spin_until([&] { return library->ready() && !library->loading(); }));

    call(window, "showScreen", "upscale");
    auto* up = call(window, "screenItem", "upscale").value<QObject*>();
    ASSERT_NE(up, nullptr);
    spin_until([&] { return !up->property("upscaleModels").toStringList().isEmpty(); }, 5000);
    const QStringList models = up->property("upscaleModels").toStringList();
    if (!models.join(' ').contains("esrgan-slim"))
        GTEST_SKIP() << "the esrgan-slim model is not installed (installer/setup.sh models)";

    // The library may be fresh (this test alone) or hold the first test's assets.
    if (library->libraryCount() == 0) {
        const QString folder = make_import_folder();
        library->importUrls({QUrl::fromLocalFile(folder).toString()});
        ASSERT_TRUE(spin_until([&] { return !library->lastImport().isEmpty(); }));
    }
    library->setQuery("dots");
    ASSERT_TRUE(spin_until([&] { return !library->loading() && library->total() == 1 && library->rowCount() == 1; }));
    const qint64 parent = library->idAt(0);
    library->select(0);
    const qint64 before = library->libraryCount();

    QVariant queued;
    ASSERT_TRUE(QMetaObject::invokeMethod(up, "runOnSelection", Q_RETURN_ARG(QVariant, queued),
                                          Q_ARG(QVariant, "esrgan-slim"), Q_ARG(QVariant, "")));
    ASSERT_EQ(queued.toInt(), 1);
    auto runs = [&] { return up->property("upscaleRuns").toList(); };
    ASSERT_TRUE(spin_until(
        [&] {
            const auto r = runs();
            return !r.isEmpty() &&
                   (r[0].toMap().value("state") == "succeeded" || r[0].toMap().value("state") == "failed");
        },
        120000));
    const QVariantMap run = runs()[0].toMap();
    ASSERT_EQ(run.value("state").toString().toStdString(), "succeeded") << run.value("error").toString().toStdString();
    const QVariantList results = run.value("results").toList();
    ASSERT_EQ(results.size(), 1);
    const qint64 child = results[0].toMap().value("childId").toLongLong();
    EXPECT_EQ(results[0].toMap().value("width").toInt(), 96 * 4);

    // The derived asset: in the library, linked to its parent, credentials valid.
    library->setQuery("");
    ASSERT_TRUE(spin_until([&] { return !library->loading() && library->libraryCount() == before + 1; }));
    call(window, "showScreen", "library");
    call(screen, "openAssetById", child);
    ASSERT_TRUE(spin_until([&] { return library->currentAsset().value("id").toLongLong() == child; }));
    const QVariantMap asset = library->currentAsset();
    EXPECT_EQ(asset.value("source").toString(), "derived");
    const QVariantList parents = asset.value("parents").toList();
    ASSERT_EQ(parents.size(), 1);
    EXPECT_EQ(parents[0].toMap().value("id").toLongLong(), parent);
    EXPECT_EQ(parents[0].toMap().value("operation").toString(), "upscale");
    const QVariantMap c2pa = asset.value("c2pa").toMap();
    const QString state = c2pa.value("state").toString().toLower();
    EXPECT_TRUE(state == "trusted" || state == "valid")
        << state.toStdString() << " " << c2pa.value("error").toString().toStdString();
    EXPECT_TRUE(c2pa.value("failures").toList().isEmpty());
    const QVariantList chain = c2pa.value("chain").toList();
    ASSERT_FALSE(chain.isEmpty());
    QStringList actions;
    for (const auto& a : chain[0].toMap().value("actions").toList())
        actions << a.toMap().value("action").toString();
    EXPECT_TRUE(actions.contains("c2pa.resized")) << actions.join(',').toStdString();
    const QVariantList ingredients = chain[0].toMap().value("ingredients").toList();
    ASSERT_EQ(ingredients.size(), 1);
    EXPECT_EQ(ingredients[0].toMap().value("relationship").toString(), "parentOf");
    // What the provenance panel shows.
    ASSERT_TRUE(spin_until([&] { return text_of(window, "provenanceStatus").startsWith("verified"); }))
        << text_of(window, "provenanceStatus").toStdString();
}

namespace {

// Loads Main.qml into `engine`; returns the window and the Library model.
std::pair<QQuickWindow*, atelier::ui::LibraryModel*> load_main(QQmlApplicationEngine& engine) {
    engine.addImportPath(QStringLiteral("qrc:/"));
    engine.addImageProvider(QStringLiteral("atelier"), new atelier::ui::AssetImageProvider);
    engine.load(QUrl(QStringLiteral("qrc:/Atelier/Studio/qml/Main.qml")));
    if (engine.rootObjects().isEmpty()) return {nullptr, nullptr};
    auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().first());
    if (!window) return {nullptr, nullptr};
    call(window, "showScreen", "library");
    auto* screen = call(window, "screenItem", "library").value<QObject*>();
    auto* library = screen ? qvariant_cast<atelier::ui::LibraryModel*>(screen->property("library")) : nullptr;
    return {window, library};
}

// `n` new images (seeds from `first`, so each call's are distinct content).
QString make_images(const QString& dir, int n, std::uint32_t first) {
    QDir().mkpath(dir);
    for (int i = 0; i < n; ++i) {
        auto img = atelier::procedural::noise_texture(40, 40, first + static_cast<std::uint32_t>(i));
        EXPECT_TRUE(img &&
                    atelier::imageio::save(*img, QStringLiteral("%1/drop-%2.png").arg(dir).arg(i).toStdString()));
    }
    return dir;
}

}  // namespace

// A real drop from the file manager: drag enter, move and drop events with
// file URLs delivered through the window, as the platform delivers them.
// The overlay shows while dragging, the import runs as a job with progress
// in the Library's banner, and the report appears.
TEST_F(StudioE2E, DropFromTheFileManagerImportsWithProgressAndAReport) {
    // Auto-tagging after import is covered by ImportSearchOpenSettingsAndRestart;
    // here it would only add worker runs (library.tag_on_import, from the environment).
    qputenv("ATELIER_LIBRARY_TAG_ON_IMPORT", "false");
    QQmlApplicationEngine engine;
    auto [window, library] = load_main(engine);
    ASSERT_NE(window, nullptr);
    ASSERT_NE(library, nullptr);
    ASSERT_TRUE(spin_until([&] { return library->ready() && !library->loading(); }));
    const qint64 before = library->libraryCount();
    const QString folder = make_images(s_home->path() + "/dropped", 60, 5000);
    QFile junk(folder + "/readme.txt");
    ASSERT_TRUE(junk.open(QIODevice::WriteOnly));
    junk.write("not an image");
    junk.close();

    // Record the banner's progress as it moves.
    QList<double> seen;
    QObject::connect(library, &atelier::ui::LibraryModel::importChanged, library, [&] {
        if (library->importing()) seen << library->importProgress();
    });

    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(folder)});
    const QPointF at(window->width() * 0.6, window->height() * 0.5);
    auto* drop = find(window, "dropArea");
    ASSERT_NE(drop, nullptr);
    QDragEnterEvent enter(at.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(window, &enter);
    QDragMoveEvent move(at.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(window, &move);
    EXPECT_TRUE(move.isAccepted()) << "the window refused the drag";
    EXPECT_TRUE(drop->property("containsDrag").toBool()) << "the drop overlay shows while dragging";
    QDropEvent dropped(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(window, &dropped);
    EXPECT_TRUE(dropped.isAccepted());
    EXPECT_FALSE(drop->property("containsDrag").toBool());

    EXPECT_TRUE(library->importing()) << "the drop started an import";
    auto* bar = qobject_cast<QQuickItem*>(find(window, "importProgress"));
    ASSERT_NE(bar, nullptr);
    EXPECT_TRUE(bar->isVisible());
    auto* jobs = atelier::ui::JobsModel::instance();
    EXPECT_EQ(jobs->data(jobs->index(0), atelier::ui::JobsModel::KindRole).toString(), "import");

    ASSERT_TRUE(spin_until([&] { return !library->importing() && !library->lastImport().isEmpty(); }, 60000));
    const QVariantMap report = library->lastImport();
    EXPECT_EQ(report.value("added").toInt(), 60);
    EXPECT_EQ(report.value("skipped").toInt() + report.value("failed").toInt(), 1);
    EXPECT_TRUE(text_of(window, "importSummary").contains("60 added"))
        << text_of(window, "importSummary").toStdString();
    EXPECT_FALSE(bar->isVisible());
    bool partial = false;
    for (double f : seen)
        partial = partial || (f > 0 && f < 1);
    EXPECT_TRUE(partial) << "no progress between 0 and 1 was shown (" << seen.size() << " updates)";
    ASSERT_TRUE(spin_until([&] { return library->libraryCount() == before + 60; }));
}

// Delete: asks first (Esc keeps everything), then hides the asset at once;
// Ctrl+Z in the undo window brings it back untouched; once the window
// closes it is removed from the catalog with its file in the blob store.
TEST_F(StudioE2E, DeleteAsksFirstHidesAtOnceUndoesThenRemovesFromTheLibrary) {
    // Auto-tagging after import is covered by ImportSearchOpenSettingsAndRestart;
    // here it would only add worker runs (library.tag_on_import, from the environment).
    qputenv("ATELIER_LIBRARY_TAG_ON_IMPORT", "false");
    QQmlApplicationEngine engine;
    auto [window, library] = load_main(engine);
    ASSERT_NE(window, nullptr);
    ASSERT_NE(library, nullptr);
    ASSERT_TRUE(spin_until([&] { return library->ready() && !library->loading(); }));
    window->requestActivate();
    spin_until([&] { return QGuiApplication::focusWindow() == window; }, 3000);

    const QString folder = make_images(s_home->path() + "/to-delete", 2, 7000);
    library->importUrls({QUrl::fromLocalFile(folder).toString()});
    ASSERT_TRUE(spin_until([&] { return !library->importing() && !library->lastImport().isEmpty(); }));
    library->setQuery("");
    ASSERT_TRUE(spin_until([&] { return !library->loading() && library->rowCount() > 0; }));
    const qint64 before = library->libraryCount();
    library->select(0);
    const qint64 id = library->idAt(0);
    auto asset = library->library()->get(id);
    ASSERT_TRUE(asset.ok());
    const auto file = asset->path;
    ASSERT_TRUE(std::filesystem::exists(file));

    auto* screen = call(window, "screenItem", "library").value<QObject*>();
    ASSERT_NE(screen, nullptr);
    EXPECT_EQ(screen->property("deleteDialog").value<QObject*>(), nullptr) << "made on first use";
    QTest::keyClick(window, Qt::Key_Delete);
    QObject* dialog = nullptr;
    ASSERT_TRUE(spin_until(
        [&] {
            dialog = screen->property("deleteDialog").value<QObject*>();
            return dialog && dialog->property("opened").toBool();
        },
        5000))
        << "Delete asks first";
    EXPECT_TRUE(dialog->property("title").toString().contains("1 asset"))
        << dialog->property("title").toString().toStdString();
    QTest::keyClick(window, Qt::Key_Escape);
    ASSERT_TRUE(spin_until([&] { return !dialog->property("visible").toBool(); }, 5000));
    QTest::qWait(300);
    EXPECT_EQ(library->libraryCount(), before);
    EXPECT_TRUE(std::filesystem::exists(file));

    QTest::keyClick(window, Qt::Key_Delete);
    ASSERT_TRUE(spin_until([&] { return dialog->property("opened").toBool(); }, 5000));
    QTest::keyClick(window, Qt::Key_Return);  // the Delete button has the focus
    // Gone from the grid at once; the catalog is only touched when the undo
    // window closes.
    ASSERT_TRUE(spin_until([&] { return library->rowOfId(id) == -1; }, 5000));
    EXPECT_EQ(library->libraryCount(), before - 1);
    EXPECT_EQ(library->selectionCount(), 0);
    EXPECT_TRUE(library->canUndo());
    EXPECT_EQ(library->pendingDeleteCount(), 1);
    EXPECT_TRUE(library->notice().startsWith("Deleted 1 asset")) << library->notice().toStdString();
    EXPECT_TRUE(std::filesystem::exists(file));
    EXPECT_TRUE(library->library()->get(id).ok());

    // Ctrl+Z brings it back, untouched.
    QTest::keyClick(window, Qt::Key_Z, Qt::ControlModifier);
    ASSERT_TRUE(spin_until([&] { return !library->loading() && library->rowOfId(id) >= 0; }, 5000))
        << "undo restores the deleted asset; notice: " << library->notice().toStdString();
    EXPECT_EQ(library->libraryCount(), before);
    EXPECT_EQ(library->pendingDeleteCount(), 0);
    EXPECT_TRUE(library->notice().startsWith("Restored 1 asset")) << library->notice().toStdString();
    EXPECT_TRUE(std::filesystem::exists(file));

    // Deleted again, and this time the undo window closes: now it is gone
    // from the catalog and the library's copy of the file with it.
    library->setDeleteUndoMs(300);
    library->select(library->rowOfId(id));
    QTest::keyClick(window, Qt::Key_Delete);
    ASSERT_TRUE(spin_until([&] { return dialog->property("opened").toBool(); }, 5000));
    EXPECT_TRUE(dialog->property("title").toString().contains("1 asset"));
    QTest::keyClick(window, Qt::Key_Return);
    ASSERT_TRUE(spin_until([&] { return !std::filesystem::exists(file); }, 10000)) << library->notice().toStdString();
    // The notice says what was freed once the catalog has removed it.
    ASSERT_TRUE(spin_until([&] {
        return !library->loading() && library->notice().startsWith("Deleted 1 asset from the library (");
    })) << library->notice().toStdString();
    EXPECT_EQ(library->libraryCount(), before - 1);
    EXPECT_EQ(library->rowOfId(id), -1);
    EXPECT_FALSE(library->canUndo()) << "a carried-out delete leaves the undo list";
    EXPECT_EQ(library->selectionCount(), 0);
    EXPECT_EQ(library->library()->get(id).error().code, atelier::Errc::not_found);
}

// A delete still inside its undo window when the app quits is carried out
// (the window is for changing one's mind, not a way to lose a delete).
TEST_F(StudioE2E, DeleteInsideTheUndoWindowIsCarriedOutOnQuit) {
    qputenv("ATELIER_LIBRARY_TAG_ON_IMPORT", "false");
    std::shared_ptr<atelier::catalog::Library> catalog;
    qint64 id = 0;
    std::filesystem::path file;
    {
        QQmlApplicationEngine engine;
        auto [window, library] = load_main(engine);
        ASSERT_NE(library, nullptr);
        ASSERT_TRUE(spin_until([&] { return library->ready() && !library->loading(); }));
        const QString folder = make_images(s_home->path() + "/to-delete-on-quit", 1, 7300);
        library->importUrls({QUrl::fromLocalFile(folder).toString()});
        ASSERT_TRUE(spin_until([&] { return !library->importing() && !library->lastImport().isEmpty(); }));
        library->setQuery("");
        ASSERT_TRUE(spin_until([&] { return !library->loading() && library->rowCount() > 0; }));
        id = library->idAt(0);
        catalog = library->library();
        file = catalog->get(id)->path;
        library->select(0);
        library->deleteSelection();
        ASSERT_EQ(library->pendingDeleteCount(), 1);
        EXPECT_TRUE(catalog->get(id).ok()) << "not yet: the undo window is open";
    }  // the app quits
    EXPECT_EQ(catalog->get(id).error().code, atelier::Errc::not_found);
    EXPECT_FALSE(std::filesystem::exists(file));
}

// Export… from the Asset screen and for the Library's selection: a job in
// the jobs panel writes copies to the chosen folder, each signed with
// Content Credentials as `atelier export` does (trusted by the local CA,
// c2pa.published, the library's copy as ingredient) and logged in the
// provenance log; a folder that cannot be made fails with the reason on the
// job row and on the Asset screen.
TEST_F(StudioE2E, ExportWritesSignedCopiesAsAJob) {
    namespace pv = atelier::provenance;
    qputenv("ATELIER_LIBRARY_TAG_ON_IMPORT", "false");
    QQmlApplicationEngine engine;
    auto [window, library] = load_main(engine);
    ASSERT_NE(window, nullptr);
    ASSERT_NE(library, nullptr);
    ASSERT_TRUE(spin_until([&] { return library->ready() && !library->loading(); }));

    const QString folder = make_images(s_home->path() + "/to-export", 2, 9100);
    library->importUrls({QUrl::fromLocalFile(folder).toString()});
    ASSERT_TRUE(spin_until([&] { return !library->importing() && !library->lastImport().isEmpty(); }));
    library->setQuery("drop");
    ASSERT_TRUE(spin_until([&] { return !library->loading() && library->rowCount() >= 2; }));

    auto log_exports = [] {
        auto log = pv::ProvenanceLog::open(pv::ProvenanceLog::default_path());
        if (!log) return -1;
        auto entries = log->list();
        if (!entries) return -1;
        int n = 0;
        for (const auto& e : *entries)
            n += e.action == "export" ? 1 : 0;
        return n;
    };
    const int logged_before = std::max(0, log_exports());
    auto finished = [&] {
        return !library->lastExport().isEmpty() && !library->lastExport().value("running").toBool();
    };
    auto check_signed = [&](const QString& file) {
        SCOPED_TRACE(file.toStdString());
        ASSERT_TRUE(QFile::exists(file));
        pv::ValidationOptions opts;
        auto anchors = pv::Certificate::load_bundle(pv::KeyStore(pv::KeyStore::default_dir()).ca_cert_path());
        ASSERT_TRUE(anchors) << anchors.error().message;
        opts.trust_anchors = *anchors;
        auto rep = pv::validate_file(file.toStdString(), opts);
        ASSERT_TRUE(rep) << rep.error().message;
        EXPECT_EQ(rep->state, pv::ValidationState::trusted) << rep->to_json().dump();
        const auto& man = rep->manifests[rep->active_label];
        QStringList actions;
        for (const auto& a : man.value("assertions", nlohmann::json::array()))
            if (a.value("label", "").rfind("c2pa.actions", 0) == 0)
                for (const auto& act : a["data"]["actions"])
                    actions << QString::fromStdString(act.value("action", ""));
        EXPECT_TRUE(actions.contains("c2pa.published")) << actions.join(',').toStdString();
        EXPECT_TRUE(actions.contains("c2pa.opened")) << actions.join(',').toStdString();
        ASSERT_EQ(man.value("ingredients", nlohmann::json::array()).size(), 1u);
        EXPECT_EQ(man["ingredients"][0].value("relationship", ""), "parentOf");
        EXPECT_TRUE(man.contains("thumbnail")) << "the library's thumbnail is embedded: " << man.dump();
    };

    // The Asset screen: the button, then the export the folder picker starts.
    auto* screen = call(window, "screenItem", "library").value<QObject*>();
    const qint64 id = library->idAt(0);
    call(screen, "openAssetById", id);
    ASSERT_TRUE(spin_until([&] { return library->currentAsset().value("id").toLongLong() == id; }));
    QObject* button = nullptr;
    ASSERT_TRUE(spin_until(
        [&] { return (button = find(window, "exportButton")) && button->property("enabled").toBool(); }, 5000));
    EXPECT_EQ(screen->property("exportDialog").value<QObject*>(), nullptr) << "made on first use";
    ASSERT_TRUE(QMetaObject::invokeMethod(button, "clicked"));
    QObject* dialog = nullptr;
    ASSERT_TRUE(
        spin_until([&] { return (dialog = screen->property("exportDialog").value<QObject*>()) != nullptr; }, 5000))
        << "Export… opens the folder picker";
    const QVariantList dialog_ids = dialog->property("ids").toList();
    ASSERT_EQ(dialog_ids.size(), 1);
    EXPECT_EQ(dialog_ids[0].toLongLong(), id);
    QMetaObject::invokeMethod(dialog, "close");
    const QString out = s_home->path() + "/exported/one";
    const qint64 job = library->exportAssets({id}, QUrl::fromLocalFile(out).toString());
    ASSERT_GT(job, 0);
    ASSERT_TRUE(spin_until(finished));
    QVariantMap result = library->lastExport();
    ASSERT_TRUE(result.value("ok").toBool()) << result.value("message").toString().toStdString();
    ASSERT_EQ(result.value("files").toList().size(), 1);
    EXPECT_EQ(result.value("unsigned").toInt(), 0);
    EXPECT_TRUE(result.value("message").toString().contains("signed"))
        << result.value("message").toString().toStdString();
    const QString file = result.value("files").toList()[0].toString();
    EXPECT_TRUE(file.startsWith(out));
    check_signed(file);
    EXPECT_EQ(text_of(window, "exportStatus"), result.value("message").toString());
    // The library's own copy is untouched (still the imported bytes, unsigned).
    auto asset = library->library()->get(id);
    ASSERT_TRUE(asset.ok());
    auto original = pv::validate_file(asset->path);
    ASSERT_TRUE(original);
    EXPECT_EQ(original->state, pv::ValidationState::no_manifest);

    // The jobs panel shows it as an export that succeeded.
    auto* jobs = atelier::ui::JobsModel::instance();
    int row = -1;
    for (int r = 0; r < jobs->rowCount(); ++r)
        if (jobs->data(jobs->index(r), atelier::ui::JobsModel::JobIdRole).toLongLong() == job) row = r;
    ASSERT_GE(row, 0);
    EXPECT_EQ(jobs->data(jobs->index(row), atelier::ui::JobsModel::KindRole).toString(), "export");
    // The job's own state arrives through the queue's listener, which may run
    // just after the export posted its result.
    EXPECT_TRUE(spin_until(
        [&] { return jobs->data(jobs->index(row), atelier::ui::JobsModel::StateRole).toString() == "succeeded"; },
        5000))
        << jobs->data(jobs->index(row), atelier::ui::JobsModel::StateRole).toString().toStdString();

    // The Library's selection: both assets, into one folder.
    call(screen, "closeAsset");
    library->select(0);
    library->select(1, QStringLiteral("toggle"));
    ASSERT_EQ(library->selectionCount(), 2);
    const QString out2 = s_home->path() + "/exported/two";
    ASSERT_GT(library->exportSelection(out2), 0);
    ASSERT_TRUE(spin_until([&] { return finished() && library->lastExport().value("folder").toString() == out2; }));
    result = library->lastExport();
    ASSERT_TRUE(result.value("ok").toBool()) << result.value("message").toString().toStdString();
    ASSERT_EQ(result.value("files").toList().size(), 2);
    for (const auto& f : result.value("files").toList())
        check_signed(f.toString());
    EXPECT_EQ(log_exports(), logged_before + 3) << "one provenance-log entry per exported file";

    // A folder that cannot be made: the reason on the job row and the screen.
    QFile blocker(s_home->path() + "/exported/not-a-folder");
    ASSERT_TRUE(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    call(screen, "openAssetById", id);
    const qint64 bad = library->exportAssets({id}, blocker.fileName() + "/inside");
    ASSERT_GT(bad, 0);
    ASSERT_TRUE(spin_until(finished));
    result = library->lastExport();
    EXPECT_FALSE(result.value("ok").toBool());
    EXPECT_TRUE(result.value("message").toString().contains("cannot create the export folder"))
        << result.value("message").toString().toStdString();
    ASSERT_TRUE(
        spin_until([&] { return text_of(window, "exportStatus") == result.value("message").toString(); }, 5000));
    row = -1;
    for (int r = 0; r < jobs->rowCount(); ++r)
        if (jobs->data(jobs->index(r), atelier::ui::JobsModel::JobIdRole).toLongLong() == bad) row = r;
    ASSERT_GE(row, 0);
    EXPECT_EQ(jobs->data(jobs->index(row), atelier::ui::JobsModel::StateRole).toString(), "failed");
    EXPECT_TRUE(jobs->data(jobs->index(row), atelier::ui::JobsModel::ErrorRole).toString().contains("export folder"));
}

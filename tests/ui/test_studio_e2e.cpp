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
#include <QElapsedTimer>
#include <QFile>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlProperty>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QSet>
#include <QTemporaryDir>
#include <QThread>
#include <filesystem>

#include "atelier/base/paths.h"
#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"
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
    // The jobs panel lists the import as succeeded.
    ASSERT_GE(jobs->rowCount(), 1);
    EXPECT_EQ(jobs->data(jobs->index(0), atelier::ui::JobsModel::StateRole).toString(), "succeeded");
    EXPECT_EQ(jobs->data(jobs->index(0), atelier::ui::JobsModel::KindRole).toString(), "import");
    ASSERT_TRUE(spin_until([&] { return library->rowCount() == 5 && library->libraryCount() == 5; }));
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

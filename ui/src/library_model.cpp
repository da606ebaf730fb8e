// SPDX-License-Identifier: MIT
#include "library_model.h"

#include <algorithm>
#include <utility>

#include <QCoreApplication>
#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QPointer>
#include <QRegularExpression>
#include <QUrl>
#include <filesystem>

#include "atelier/base/config.h"
#include "atelier/catalog/library.h"
#include "atelier/catalog/query.h"
#include "image_provider.h"
#include "jobs_model.h"
#include "provenance_adapter.h"
#include "studio_state.h"
#include "worker_protocol.h"

namespace atelier::ui {

namespace {

constexpr int kPageSize = 400;
QPointer<LibraryModel> g_current;

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

// The folder the library lives in: library.path or the default.
QString library_dir() {
    Config cfg;
    if (auto loaded = Config::load()) cfg = std::move(*loaded);
    return q(catalog::Library::default_dir(cfg).string());
}

// Whether new assets are auto-tagged after an import (library.tag_on_import).
bool tag_on_import() {
    Config cfg;
    if (auto loaded = Config::load()) cfg = std::move(*loaded);
    auto v = cfg.get_bool("library.tag_on_import");
    return !v || *v;
}

QVariantMap import_report_map(const catalog::ImportReport& r) {
    QVariantList problems;
    for (const auto& e : r.entries) {
        if (e.status == catalog::ImportEntry::Status::added && e.warnings.empty()) continue;
        if (e.status == catalog::ImportEntry::Status::duplicate) continue;
        QString reason = q(e.reason);
        if (reason.isEmpty() && !e.warnings.empty()) reason = q(e.warnings.front());
        problems.push_back(QVariantMap{{"path", q(e.path.string())},
                                       {"status", q(std::string(catalog::import_status_name(e.status)))},
                                       {"reason", reason}});
        if (problems.size() >= 200) break;
    }
    return {{"added", static_cast<qint64>(r.added)},
            {"duplicates", static_cast<qint64>(r.duplicates)},
            {"skipped", static_cast<qint64>(r.skipped)},
            {"failed", static_cast<qint64>(r.failed)},
            {"cancelled", r.cancelled},
            {"stopped", r.stopped ? q(r.stopped->message) : QString()},
            {"problems", problems}};
}

QVariantMap asset_map(const catalog::Asset& a, const std::vector<catalog::AssetId>& children) {
    QVariantMap m;
    m["id"] = static_cast<qint64>(a.id);
    m["hash"] = q(a.hash);
    m["path"] = q(a.path.string());
    m["originalPath"] = q(a.original_path.string());
    m["title"] = a.title.empty() ? q(a.original_path.filename().string()) : q(a.title);
    m["description"] = q(a.description);
    m["width"] = a.width;
    m["height"] = a.height;
    m["format"] = q(a.format);
    m["fileBytes"] = static_cast<qint64>(a.file_bytes);
    m["source"] = q(std::string(catalog::source_type_name(a.source)));
    m["storage"] = a.storage == catalog::Storage::blob ? QStringLiteral("copied into the library")
                                                       : QStringLiteral("referenced in place");
    m["created"] = QDateTime::fromSecsSinceEpoch(a.created_at).toString(Qt::ISODate);
    m["imported"] = QDateTime::fromSecsSinceEpoch(a.imported_at).toString(Qt::ISODate);
    m["licence"] = q(a.licence);
    m["rating"] = a.rating;
    m["seamless"] = a.seamless ? QVariant(*a.seamless) : QVariant();
    m["color"] = q(a.color_family);
    m["style"] = q(a.style);
    m["model"] = q(a.model);
    if (a.generation) {
        const auto& g = *a.generation;
        m["generation"] = QVariantMap{{"tool", q(g.tool)},
                                      {"model", q(g.model)},
                                      {"modelHash", q(g.model_hash)},
                                      {"prompt", q(g.prompt)},
                                      {"negativePrompt", q(g.negative_prompt)},
                                      {"seed", q(g.seed)},
                                      {"steps", g.steps ? QVariant(*g.steps) : QVariant()},
                                      {"sampler", q(g.sampler)},
                                      {"cfgScale", g.cfg_scale ? QVariant(*g.cfg_scale) : QVariant()}};
    }
    QVariantList tags;
    for (const auto& t : a.tags)
        tags.push_back(QVariantMap{
            {"name", q(t.name)}, {"value", q(t.value)}, {"confidence", t.confidence}, {"source", q(t.source)}});
    m["tags"] = tags;
    QStringList kw;
    for (const auto& k : a.keywords)
        kw << q(k);
    m["keywords"] = kw;
    QStringList cols;
    for (const auto& c : a.collections)
        cols << q(c);
    m["collections"] = cols;
    QVariantList parents;
    for (const auto& p : a.parents)
        parents.push_back(QVariantMap{
            {"id", static_cast<qint64>(p.parent)}, {"operation", q(p.operation)}, {"parameters", q(p.parameters)}});
    m["parents"] = parents;
    QVariantList kids;
    for (auto c : children)
        kids.push_back(static_cast<qint64>(c));
    m["children"] = kids;
    if (a.provenance) {
        m["provenance"] = QVariantMap{{"claimGenerator", q(a.provenance->claim_generator)},
                                      {"label", q(a.provenance->manifest_label)},
                                      {"validation", q(a.provenance->validation)},
                                      {"manifestJson", q(a.provenance->manifest_json)}};
    }
    return m;
}

}  // namespace

LibraryModel* LibraryModel::current() {
    return g_current;
}

LibraryModel::LibraryModel(QObject* parent) : QAbstractListModel(parent) {
    g_current = this;
    m_pool.setMaxThreadCount(1);
    m_query = StudioState::instance()->lastSearch();
    m_sort = StudioState::instance()->sortOrder();
    m_searchTimer.setSingleShot(true);
    m_searchTimer.setInterval(180);
    connect(&m_searchTimer, &QTimer::timeout, this, &LibraryModel::runSearch);
    m_deleteTimer.setSingleShot(true);
    connect(&m_deleteTimer, &QTimer::timeout, this, &LibraryModel::commitPendingDelete);

    // Imports are jobs: they show in the jobs panel, can be cancelled and
    // retried, and a pending import resumes after a restart (re-importing is
    // idempotent: files already added come back as duplicates).
    QPointer<LibraryModel> self(this);
    JobsModel::instance()->registerKind(QStringLiteral("import"), [self](const QJsonObject& args) -> JobFn {
        std::vector<std::filesystem::path> paths;
        for (const auto& v : args.value("paths").toArray())
            paths.emplace_back(v.toString().toStdString());
        const std::string dir = args.value("library").toString().toStdString();
        return [self, paths, dir](JobContext& ctx) -> Result<void> {
            catalog::OpenOptions oo;
            oo.dir = dir;
            auto lib = catalog::Library::open(oo);
            if (!lib) return lib.error().with_context("opening the library");
            catalog::ImportOptions io;
            io.provenance = make_provenance_reader();  // files with Content Credentials keep them
            int last_pct = -1;
            io.on_file = [&ctx, &last_pct, self](std::size_t done, std::size_t total, const catalog::ImportEntry& e) {
                const double f = total ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
                ctx.progress(f, std::to_string(done) + "/" + std::to_string(total) + " " + e.path.filename().string());
                // The Library's import banner too, once per percent.
                const int pct = static_cast<int>(f * 100.0);
                if (pct == last_pct) return;
                last_pct = pct;
                const QString text = tr("Importing %1 of %2: %3")
                                         .arg(done)
                                         .arg(total)
                                         .arg(QString::fromStdString(e.path.filename().string()));
                QMetaObject::invokeMethod(
                    self.data(),
                    [self, f, text] {
                        if (!self) return;
                        self->m_importProgress = f;
                        self->m_importMessage = text;
                        Q_EMIT self->importChanged();
                    },
                    Qt::QueuedConnection);
            };
            auto report = (*lib)->import(paths, io, ctx.cancel_token());
            if (!report) return report.error();
            const QVariantMap map = import_report_map(*report);
            QMetaObject::invokeMethod(
                self.data(),
                [self, map] {
                    if (!self) return;
                    self->m_lastImport = map;
                    self->m_importProgress = 0;
                    self->m_importMessage.clear();
                    Q_EMIT self->importChanged();
                    Q_EMIT self->importFinished(map);
                    self->refresh();
                },
                Qt::QueuedConnection);
            if (report->stopped) return *report->stopped;
            if (report->cancelled) return fail(Errc::cancelled, "import cancelled; what was added so far stays");
            if (report->added == 0 && report->failed + report->skipped > 0 && report->duplicates == 0)
                return fail(Errc::unsupported, "no file could be imported: " + std::to_string(report->skipped) +
                                                   " skipped, " + std::to_string(report->failed) +
                                                   " failed (see the import report)");
            ctx.progress(1.0, std::to_string(report->added) + " added, " + std::to_string(report->duplicates) +
                                  " duplicates, " + std::to_string(report->skipped + report->failed) + " skipped");
            // The auto-taggers (style, palette, seamless, hashes, moderation)
            // run in the worker process: they need LibTorch, which the app
            // does not load. A job of its own, so the import's report shows
            // at once and the tagging can be cancelled or retried alone.
            if (report->added > 0 && tag_on_import()) {
                const auto n = static_cast<int>(report->added);
                QMetaObject::invokeMethod(
                    QCoreApplication::instance(),
                    [n, dir] {
                        JobsModel::instance()->submit(QStringLiteral("tag"), tr("Tag %n new assets", "", n),
                                                      QJsonObject{{"library", QString::fromStdString(dir)}}, 2);
                    },
                    Qt::QueuedConnection);
            }
            return ok();
        };
    });
    JobsModel::instance()->registerKind(QStringLiteral("tag"), [](const QJsonObject& args) -> JobFn {
        const QString dir = args.value("library").toString();
        return [dir](JobContext& ctx) -> Result<void> {
            const QString exe = find_worker();
            if (exe.isEmpty())
                return fail(Errc::not_found,
                            "the worker 'atelier' was not found next to atelier-studio or on PATH, so new assets "
                            "were not auto-tagged; reinstall Atelier or set ATELIER_CLI, then retry this job");
            ctx.progress(0.02, "starting the tagging worker");
            auto run = run_worker(exe, {QStringLiteral("retag"), QStringLiteral("--library"), dir}, ctx, "tagging",
                                  "tagging cancelled; assets tagged so far keep their tags, retry to finish");
            if (!run) return run.error();
            const int tagged = run->result.value("tagged").toInt();
            const int failed = run->result.value("failed").toInt();
            ctx.progress(1.0, std::to_string(tagged) + " tagged" +
                                  (failed > 0 ? ", " + std::to_string(failed) + " could not be decoded" : ""));
            return ok();
        };
    });
    // Exports are jobs too: signing reads and hashes every file. Not
    // persistent: an export the user quit during is not redone unasked.
    JobsModel::instance()->registerKind(
        QStringLiteral("export"),
        [self](const QJsonObject& args) -> JobFn {
            std::vector<catalog::AssetId> ids;
            for (const auto& v : args.value("ids").toArray())
                ids.push_back(static_cast<catalog::AssetId>(v.toInteger()));
            const std::string dir = args.value("library").toString().toStdString();
            const std::filesystem::path folder = args.value("folder").toString().toStdString();
            return [self, ids, dir, folder](JobContext& ctx) -> Result<void> {
                QVariantList files;
                int unsigned_count = 0;
                auto post = [&](bool ok, const QString& message) {
                    const QVariantMap m{{"ok", ok},           {"running", false},
                                        {"message", message}, {"folder", QString::fromStdString(folder.string())},
                                        {"files", files},     {"unsigned", unsigned_count}};
                    QMetaObject::invokeMethod(
                        self.data(),
                        [self, m] {
                            if (!self) return;
                            self->m_lastExport = m;
                            Q_EMIT self->exportChanged();
                            self->setNotice(m.value("message").toString());
                        },
                        Qt::QueuedConnection);
                };
                auto failed = [&](Error e) -> Result<void> {
                    post(false, tr("Export failed: %1").arg(QString::fromStdString(e.message)));
                    return e;
                };
                catalog::OpenOptions oo;
                oo.dir = dir;
                auto lib = catalog::Library::open(oo);
                if (!lib) return failed(lib.error().with_context("opening the library"));
                std::error_code ec;
                std::filesystem::create_directories(folder, ec);
                if (ec)
                    return failed(fail(Errc::io_error, "cannot create the export folder '" + folder.string() +
                                                           "': " + ec.message() + "; choose another folder"));
                for (std::size_t i = 0; i < ids.size(); ++i) {
                    if (ctx.cancel_token().cancelled())
                        return failed(fail(Errc::cancelled, "export cancelled; the files exported so far stay"));
                    auto a = (*lib)->get(ids[i]);
                    if (!a) return failed(a.error());
                    ctx.progress(static_cast<double>(i) / static_cast<double>(ids.size()), "exporting " + a->title);
                    auto out = (*lib)->export_asset(ids[i], folder);
                    if (!out) return failed(out.error());
                    // The library's thumbnail goes into the credentials (made now if missing;
                    // an export without one is still signed).
                    auto thumb = (*lib)->ensure_thumbnail(ids[i]);
                    std::string reason;
                    auto label = sign_library_export(*out, a->path, a->licence,
                                                     thumb ? *thumb : std::filesystem::path(), &reason);
                    if (!label) return failed(label.error());
                    if (label->empty()) ++unsigned_count;
                    files.push_back(QString::fromStdString(out->string()));
                }
                const auto n = static_cast<int>(files.size());
                QString message = tr("Exported %n asset(s) to %1", "", n).arg(QString::fromStdString(folder.string()));
                message += unsigned_count == 0
                               ? tr(", signed with Content Credentials")
                               : tr(" (%n in a format without Content Credentials, unsigned)", "", unsigned_count);
                ctx.progress(1.0, message.toStdString());
                post(true, message);
                return ok();
            };
        },
        false);
    connect(JobsModel::instance(), &JobsModel::jobFinished, this, [this](qint64, const QString& kind) {
        if (kind == QLatin1String("tag")) {
            refresh();  // new tags feed the facets and the search
            return;
        }
        if (kind != QLatin1String("import")) return;
        m_importJobs = std::max(0, m_importJobs - 1);
        Q_EMIT importChanged();
    });
    open();
}

LibraryModel::~LibraryModel() {
    m_pool.clear();
    m_pool.waitForDone();
    // A delete still inside its undo window (or queued behind a search that
    // clear() just dropped) is carried out before the app goes.
    if (m_lib && !(m_pendingDelete.isEmpty() && m_deleting.isEmpty())) {
        std::vector<catalog::AssetId> v;
        v.assign(m_pendingDelete.cbegin(), m_pendingDelete.cend());
        for (auto id : std::as_const(m_deleting))  // may already be done
            if (m_lib->get(id)) v.push_back(id);
        if (!v.empty())
            if (auto r = m_lib->remove(v); !r)
                qWarning("atelier-studio: deleting assets: %s", r.error().message.c_str());
    }
    AssetImageProvider::setResolver(QStringLiteral("thumb"), nullptr);
}

void LibraryModel::open() {
    m_dir = library_dir();
    QPointer<LibraryModel> self(this);
    const std::string dir = m_dir.toStdString();
    m_pool.start([self, dir] {
        catalog::OpenOptions oo;
        oo.dir = dir;
        auto lib = catalog::Library::open(oo);
        std::shared_ptr<catalog::Library> reader, thumbs;
        QString error;
        if (lib) {
            reader = std::move(*lib);
            // Thumbnails get their own connection so making one never waits
            // behind a search (and the other way round).
            if (auto t = catalog::Library::open(oo)) thumbs = std::move(*t);
        } else {
            error = QString::fromStdString(lib.error().message);
        }
        QMetaObject::invokeMethod(
            self.data(),
            [self, reader, thumbs, error] {
                if (!self) return;
                self->m_lib = reader;
                self->m_thumbLib = thumbs ? thumbs : reader;
                self->m_openError = error;
                if (self->m_thumbLib) {
                    std::weak_ptr<catalog::Library> weak = self->m_thumbLib;
                    AssetImageProvider::setResolver(
                        QStringLiteral("thumb"),
                        [weak](const QString& key, QSize size, const CancelToken& cancel) -> Result<QImage> {
                            // key: <id>/<hash>
                            const auto parts = key.split('/');
                            auto tl = weak.lock();
                            if (!tl || parts.size() != 2) return fail(Errc::not_found, "no library");
                            auto path = tl->thumbnail_path(parts[1].toStdString());
                            std::error_code ec;
                            if (!std::filesystem::exists(path, ec)) {
                                if (cancel.cancelled()) return fail(Errc::cancelled, "cancelled");
                                auto made = tl->ensure_thumbnail(parts[0].toLongLong());
                                if (!made) return made.error();
                                path = *made;
                            }
                            return AssetImageProvider::loadFile(QString::fromStdString(path.string()), size, cancel);
                        });
                }
                Q_EMIT self->readyChanged();
                self->runSearch();
            },
            Qt::QueuedConnection);
    });
}

int LibraryModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant LibraryModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_rows.size()) return {};
    const Row& r = m_rows.at(index.row());
    switch (role) {
        case Qt::DisplayRole:
        case TitleRole:
            return r.title;
        case AssetIdRole:
            return r.id;
        case HashRole:
            return r.hash;
        case PathRole:
            return r.path;
        case WidthRole:
            return r.width;
        case HeightRole:
            return r.height;
        case FormatRole:
            return r.format;
        case RatingRole:
            return r.rating;
        case CreatedRole:
            return r.created;
        case TagsRole:
            return r.tags;
        case ThumbnailRole:
            return QStringLiteral("image://atelier/thumb/%1/%2").arg(r.id).arg(r.hash);
        case SelectedRole:
            return m_selected.contains(r.id);
        default:
            return {};
    }
}

QHash<int, QByteArray> LibraryModel::roleNames() const {
    return {{AssetIdRole, "assetId"}, {HashRole, "hash"},           {TitleRole, "title"},
            {PathRole, "path"},       {WidthRole, "pixelWidth"},    {HeightRole, "pixelHeight"},
            {FormatRole, "format"},   {RatingRole, "rating"},       {CreatedRole, "created"},
            {TagsRole, "tags"},       {ThumbnailRole, "thumbnail"}, {SelectedRole, "selected"}};
}

bool LibraryModel::canFetchMore(const QModelIndex& parent) const {
    return !parent.isValid() && m_lib && !m_fetching && !m_nextCursor.isEmpty();
}

void LibraryModel::fetchMore(const QModelIndex& parent) {
    if (!canFetchMore(parent)) return;
    fetchPage(m_nextCursor, m_generation);
}

void LibraryModel::setQuery(const QString& text) {
    if (text == m_query) return;
    m_query = text;
    StudioState::instance()->setLastSearch(text);
    Q_EMIT queryChanged();
    m_searchTimer.start();
}

void LibraryModel::setSort(const QString& s) {
    if (s == m_sort) return;
    m_sort = s;
    StudioState::instance()->setSortOrder(s);
    Q_EMIT queryChanged();
    runSearch();
}

QString LibraryModel::effectiveQuery() const {
    QString qtext = m_query.trimmed();
    if (!qtext.contains(QLatin1String("sort:")) && !m_sort.isEmpty()) qtext += QStringLiteral(" sort:") + m_sort;
    return qtext.trimmed();
}

QString LibraryModel::activeCollection() const {
    static const QRegularExpression re(QStringLiteral("(?:^|\\s)collection:(?:\"([^\"]+)\"|(\\S+))"));
    const auto m = re.match(m_query);
    if (!m.hasMatch()) return {};
    return m.captured(1).isEmpty() ? m.captured(2) : m.captured(1);
}

bool LibraryModel::hasTerm(const QString& term) const {
    return m_query.split(' ', Qt::SkipEmptyParts).contains(term) || m_query.contains(term);
}

void LibraryModel::toggleTerm(const QString& term) {
    QString text = m_query;
    if (text.contains(term)) {
        text.remove(term);
        text = text.simplified();
    } else {
        // One value per facet key: replace key:other with key:value.
        const auto colon = term.indexOf(':');
        if (colon > 0) {
            const QString key = term.left(colon + 1);
            static const QRegularExpression quoted(QStringLiteral("\"[^\"]*\"|\\S+"));
            QStringList kept;
            auto it = quoted.globalMatch(text);
            while (it.hasNext()) {
                const auto tok = it.next().captured(0);
                if (!tok.startsWith(key)) kept << tok;
            }
            text = kept.join(' ');
        }
        text = (text + ' ' + term).trimmed();
    }
    m_query = text;
    StudioState::instance()->setLastSearch(text);
    Q_EMIT queryChanged();
    runSearch();
}

void LibraryModel::refresh() {
    runSearch();
}

void LibraryModel::runSearch() {
    m_searchTimer.stop();
    if (!m_lib) return;
    ++m_generation;
    m_loading = true;
    Q_EMIT resultsChanged();
    fetchPage({}, m_generation);
    loadFacets();
}

void LibraryModel::fetchPage(const QString& cursor, quint64 generation) {
    m_fetching = true;
    QPointer<LibraryModel> self(this);
    auto lib = m_lib;
    const std::string query = effectiveQuery().toStdString();
    const std::string cur = cursor.toStdString();
    const bool first = cursor.isEmpty();
    m_pool.start([self, lib, query, cur, first, generation] {
        catalog::SearchRequest req;
        req.query = query;
        req.cursor = cur;
        req.limit = first ? 200 : kPageSize;
        req.with_total = first;
        auto page = lib->search(req);
        std::optional<std::int64_t> all;
        if (first)
            if (auto c = lib->count()) all = *c;
        QList<Row> rows;
        QString error, next;
        std::optional<std::int64_t> total;
        if (page) {
            rows.reserve(static_cast<qsizetype>(page->items.size()));
            for (const auto& it : page->items) {
                Row r;
                r.id = it.id;
                r.hash = q(it.hash);
                r.title = it.title.empty() ? q(it.path.filename().string()) : q(it.title);
                r.path = q(it.path.string());
                r.format = q(it.format);
                r.width = it.width;
                r.height = it.height;
                r.rating = it.rating;
                r.created = it.created_at;
                QStringList tags;
                for (const auto& t : it.tags)
                    tags << q(t);
                r.tags = tags.join(", ");
                rows.push_back(std::move(r));
            }
            next = q(page->next_cursor);
            total = page->total;
        } else {
            error = q(page.error().message);
        }
        QMetaObject::invokeMethod(
            self.data(),
            [self, rows = std::move(rows), error, next, total, all, first, generation]() mutable {
                if (!self || generation != self->m_generation) return;  // an older query
                LibraryModel& m = *self;
                m.m_fetching = false;
                m.m_queryError = error;
                // Assets deleted in the grid whose delete is still undoable.
                qsizetype hidden = 0;
                if (!m.m_pendingDelete.isEmpty()) {
                    const QSet<qint64> pending(m.m_pendingDelete.cbegin(), m.m_pendingDelete.cend());
                    hidden = rows.removeIf([&pending](const Row& r) { return pending.contains(r.id); });
                }
                if (first) {
                    m.beginResetModel();
                    m.m_rows = rows;
                    m.m_anchor = -1;
                    m.endResetModel();
                    m.m_total = total ? *total - hidden : (error.isEmpty() ? rows.size() : 0);
                    if (all) m.m_libraryCount = *all - m.m_pendingDelete.size();
                } else if (hidden > 0 && m.m_total >= 0) {
                    m.m_total -= hidden;
                }
                if (!first && !rows.isEmpty()) {
                    const int at = static_cast<int>(m.m_rows.size());
                    m.beginInsertRows({}, at, at + static_cast<int>(rows.size()) - 1);
                    m.m_rows.append(rows);
                    m.endInsertRows();
                }
                m.m_nextCursor = error.isEmpty() ? next : QString();
                m.m_loading = false;
                Q_EMIT m.resultsChanged();
            },
            Qt::QueuedConnection);
    });
}

void LibraryModel::loadFacets() {
    QPointer<LibraryModel> self(this);
    auto lib = m_lib;
    const std::string query = m_query.trimmed().toStdString();
    const quint64 generation = m_generation;
    m_pool.start([self, lib, query, generation] {
        auto facets = lib->facets(query);
        auto cols = lib->collections();
        QVariantList fl, cl;
        if (facets) {
            static const char* order[] = {"color", "style", "seamless", "source", "licence", "resolution", "model"};
            for (const char* name : order) {
                auto it = facets->facets.find(name);
                if (it == facets->facets.end() || it->second.empty()) continue;
                QVariantList values;
                for (const auto& [value, count] : it->second) {
                    if (value.empty()) continue;
                    const QString v = q(value);
                    const QString term = QString::fromLatin1(name) + ':' + (v.contains(' ') ? '"' + v + '"' : v);
                    values.push_back(QVariantMap{{"value", v}, {"count", static_cast<qint64>(count)}, {"term", term}});
                }
                if (!values.isEmpty())
                    fl.push_back(QVariantMap{{"name", QString::fromLatin1(name)}, {"values", values}});
            }
        }
        if (cols) {
            for (const auto& [name, count] : *cols) {
                const QString n = q(name);
                cl.push_back(QVariantMap{
                    {"name", n}, {"count", static_cast<qint64>(count)}, {"term", "collection:\"" + n + "\""}});
            }
        }
        QMetaObject::invokeMethod(
            self.data(),
            [self, fl, cl, generation] {
                if (!self || generation != self->m_generation) return;
                self->m_facets = fl;
                self->m_collections = cl;
                Q_EMIT self->facetsChanged();
            },
            Qt::QueuedConnection);
    });
}

void LibraryModel::select(int row, const QString& mode) {
    if (row < 0 || row >= m_rows.size()) return;
    const qint64 id = m_rows[row].id;
    if (mode == QLatin1String("toggle")) {
        if (!m_selected.remove(id)) m_selected.insert(id);
        m_anchor = row;
    } else if (mode == QLatin1String("range") || mode == QLatin1String("extend")) {
        if (mode == QLatin1String("range")) m_selected.clear();
        const int a = m_anchor < 0 ? row : m_anchor;
        for (int i = std::min(a, row); i <= std::max(a, row); ++i)
            m_selected.insert(m_rows[i].id);
    } else {
        m_selected.clear();
        m_selected.insert(id);
        m_anchor = row;
    }
    if (!m_rows.isEmpty()) Q_EMIT dataChanged(index(0), index(static_cast<int>(m_rows.size()) - 1), {SelectedRole});
    Q_EMIT selectionChanged();
}

void LibraryModel::selectAll() {
    for (const auto& r : std::as_const(m_rows))
        m_selected.insert(r.id);
    if (!m_rows.isEmpty()) Q_EMIT dataChanged(index(0), index(static_cast<int>(m_rows.size()) - 1), {SelectedRole});
    Q_EMIT selectionChanged();
}

void LibraryModel::clearSelection() {
    if (m_selected.isEmpty()) return;
    m_selected.clear();
    if (!m_rows.isEmpty()) Q_EMIT dataChanged(index(0), index(static_cast<int>(m_rows.size()) - 1), {SelectedRole});
    Q_EMIT selectionChanged();
}

QVariantList LibraryModel::selectedIds() const {
    QVariantList out;
    for (const auto& r : m_rows)  // in grid order
        if (m_selected.contains(r.id)) out.push_back(r.id);
    return out;
}

QVariantList LibraryModel::selectedTitles() const {
    QVariantList out;
    for (const auto& r : m_rows)
        if (m_selected.contains(r.id)) out.push_back(r.title);
    return out;
}

qint64 LibraryModel::idAt(int row) const {
    return row >= 0 && row < m_rows.size() ? m_rows[row].id : 0;
}

int LibraryModel::rowOfId(qint64 id) const {
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].id == id) return i;
    return -1;
}

void LibraryModel::openAsset(qint64 id) {
    if (!m_lib) return;
    QPointer<LibraryModel> self(this);
    auto lib = m_lib;
    m_pool.start([self, lib, id] {
        auto a = lib->get(id);
        QVariantMap m;
        if (a) {
            auto kids = lib->children(id);
            m = asset_map(*a, kids ? *kids : std::vector<catalog::AssetId>{});
            // Validate the credentials now (the stored summary is from import time).
            m["c2pa"] = validate_for_panel(a->path);
        } else {
            m = {{"id", id}, {"error", q(a.error().message)}};
        }
        QMetaObject::invokeMethod(
            self.data(),
            [self, m] {
                if (!self) return;
                self->m_current = m;
                Q_EMIT self->currentAssetChanged();
            },
            Qt::QueuedConnection);
    });
}

qint64 LibraryModel::importUrls(const QVariantList& urls) {
    QJsonArray paths;
    for (const auto& v : urls) {
        QString s = v.toString();
        if (s.startsWith(QLatin1String("file:"))) s = QUrl(s).toLocalFile();
        if (!s.isEmpty()) paths.append(s);
    }
    if (paths.isEmpty()) {
        setNotice(tr("Nothing to import: drop files or folders from the file manager."));
        return 0;
    }
    const QString name = paths.size() == 1 ? tr("Import %1").arg(QFileInfo(paths.first().toString()).fileName())
                                           : tr("Import %n items", "", static_cast<int>(paths.size()));
    const qint64 id = JobsModel::instance()->submit(QStringLiteral("import"), name,
                                                    QJsonObject{{"paths", paths}, {"library", m_dir}}, 5);
    if (id) {
        ++m_importJobs;
        Q_EMIT importChanged();
    }
    return id;
}

qint64 LibraryModel::exportAssets(const QVariantList& ids, const QString& folder) {
    QJsonArray list;
    for (const auto& v : ids)
        if (const qint64 id = v.toLongLong(); id > 0) list.append(id);
    QString dir = folder;
    if (dir.startsWith(QLatin1String("file:"))) dir = QUrl(dir).toLocalFile();
    if (list.isEmpty() || dir.isEmpty()) {
        setNotice(list.isEmpty() ? tr("Select assets first, then export them.") : tr("Choose a folder to export to."));
        return 0;
    }
    const QString name = list.size() == 1
                             ? tr("Export 1 asset to %1").arg(QFileInfo(dir).fileName())
                             : tr("Export %1 assets to %2").arg(list.size()).arg(QFileInfo(dir).fileName());
    const qint64 job = JobsModel::instance()->submit(
        QStringLiteral("export"), name, QJsonObject{{"ids", list}, {"folder", dir}, {"library", m_dir}}, 4);
    if (job) {
        m_lastExport = QVariantMap{{"ok", true},    {"running", true},         {"message", name + QStringLiteral("…")},
                                   {"folder", dir}, {"files", QVariantList{}}, {"unsigned", 0}};
        Q_EMIT exportChanged();
    }
    return job;
}

qint64 LibraryModel::exportSelection(const QString& folder) {
    return exportAssets(selectedIds(), folder);
}

void LibraryModel::dismissImportReport() {
    m_lastImport.clear();
    Q_EMIT importChanged();
}

void LibraryModel::addSelectionToCollection(const QString& name) {
    const QString n = name.trimmed();
    if (n.isEmpty() || m_selected.isEmpty()) {
        setNotice(tr("Select assets first, then name the collection."));
        return;
    }
    editCollection(n, QList<qint64>(m_selected.cbegin(), m_selected.cend()), false, true);
}

void LibraryModel::removeSelection() {
    const QString col = activeCollection();
    if (m_selected.isEmpty()) return;
    if (col.isEmpty()) {
        setNotice(tr("Open a collection to remove assets from it; Shift+Delete deletes them from the library."));
        return;
    }
    editCollection(col, QList<qint64>(m_selected.cbegin(), m_selected.cend()), true, true);
}

void LibraryModel::editCollection(const QString& name, const QList<qint64>& ids, bool remove, bool recordUndo) {
    if (!m_lib) return;
    QPointer<LibraryModel> self(this);
    auto lib = m_lib;
    m_pool.start([self, lib, name, ids, remove, recordUndo] {
        std::vector<catalog::AssetId> v(ids.cbegin(), ids.cend());
        const std::string n = name.toStdString();
        Result<void> r = ok();
        if (remove) {
            r = lib->remove_from_collection(n, v);
        } else {
            bool exists = false;
            if (auto cols = lib->collections())
                for (const auto& c : *cols)
                    exists = exists || c.first == n;
            if (!exists)
                if (auto c = lib->create_collection(n); !c) r = c.error();
            if (r) r = lib->add_to_collection(n, v);
        }
        const QString error = r ? QString() : q(r.error().message);
        QMetaObject::invokeMethod(
            self.data(),
            [self, name, ids, remove, recordUndo, error] {
                if (!self) return;
                if (!error.isEmpty()) {
                    self->setNotice(error);
                    return;
                }
                const bool one = ids.size() == 1;
                const QString count = QString::number(ids.size());
                const QString what = remove ? (one ? tr("Removed 1 asset from %1") : tr("Removed %2 assets from %1"))
                                            : (one ? tr("Added 1 asset to %1") : tr("Added %2 assets to %1"));
                const QString text = one ? what.arg(name) : what.arg(name, count);
                if (recordUndo) {
                    self->m_undo.push_back(UndoStep{text, name, ids, remove});
                    Q_EMIT self->undoChanged();
                }
                self->setNotice(text);
                if (remove) self->clearSelection();
                self->refresh();
            },
            Qt::QueuedConnection);
    });
}

void LibraryModel::setDeleteUndoMs(int ms) {
    m_deleteUndoMs = std::max(0, ms);
    Q_EMIT undoChanged();
}

void LibraryModel::deleteSelection() {
    if (!m_lib || m_selected.isEmpty()) return;
    commitPendingDelete();  // one delete is undoable at a time
    QList<qint64> ids;
    for (const auto& r : std::as_const(m_rows))  // in grid order
        if (m_selected.contains(r.id)) ids << r.id;
    {
        const QSet<qint64> listed(ids.cbegin(), ids.cend());
        for (auto id : std::as_const(m_selected))  // selected but not loaded (select all)
            if (!listed.contains(id)) ids << id;
    }
    if (ids.isEmpty()) return;
    m_pendingDelete = ids;
    // Out of the grid now; out of the catalog when the undo window closes.
    const QSet<qint64> gone(ids.cbegin(), ids.cend());
    qsizetype shown = 0;
    if (ids.size() > 64) {
        beginResetModel();
        shown = m_rows.removeIf([&gone](const Row& r) { return gone.contains(r.id); });
        m_anchor = -1;
        endResetModel();
    } else {
        for (int i = static_cast<int>(m_rows.size()) - 1; i >= 0; --i) {
            if (!gone.contains(m_rows.at(i).id)) continue;
            beginRemoveRows({}, i, i);
            m_rows.removeAt(i);
            endRemoveRows();
            ++shown;
        }
    }
    if (m_total >= 0) m_total = std::max<qint64>(0, m_total - shown);
    m_libraryCount = std::max<qint64>(0, m_libraryCount - ids.size());
    Q_EMIT resultsChanged();
    m_selected.clear();
    m_anchor = -1;
    Q_EMIT selectionChanged();
    if (gone.contains(m_current.value("id").toLongLong())) {
        m_current.clear();
        Q_EMIT currentAssetChanged();
    }
    const QString text = ids.size() == 1 ? tr("Deleted 1 asset from the library")
                                         : tr("Deleted %1 assets from the library").arg(ids.size());
    m_undo.push_back(UndoStep{text, {}, ids, false, true});
    Q_EMIT undoChanged();
    setNotice(text + tr(" · Ctrl+Z brings %1 back").arg(ids.size() == 1 ? tr("it") : tr("them")));
    m_deleteTimer.start(m_deleteUndoMs);
}

void LibraryModel::commitPendingDelete() {
    m_deleteTimer.stop();
    if (m_pendingDelete.isEmpty()) return;
    const QList<qint64> ids = std::exchange(m_pendingDelete, {});
    for (auto id : ids)
        m_deleting.insert(id);
    m_undo.removeIf([](const UndoStep& u) { return u.isDelete; });
    Q_EMIT undoChanged();
    if (!m_lib) return;
    QPointer<LibraryModel> self(this);
    auto lib = m_lib;
    m_pool.start([self, lib, ids] {
        std::vector<catalog::AssetId> v(ids.cbegin(), ids.cend());
        auto r = lib->remove(v);
        const QString error = r ? QString() : q(r.error().message);
        const qint64 freed = r ? static_cast<qint64>(r->bytes_freed) : 0;
        const QString warning = r && !r->warnings.empty() ? q(r->warnings.front()) : QString();
        QMetaObject::invokeMethod(
            self.data(),
            [self, ids, error, freed, warning] {
                if (!self) return;
                for (auto id : ids)
                    self->m_deleting.remove(id);
                if (!error.isEmpty()) {
                    // Nothing was removed (one transaction): the assets come back.
                    self->setNotice(tr("The delete failed and nothing was deleted: %1").arg(error));
                    self->refresh();
                    return;
                }
                QVariantList gone;
                for (auto id : ids)
                    gone << id;
                const QString mb = QString::number(static_cast<double>(freed) / 1e6, 'f', 1);
                self->setNotice(!warning.isEmpty() ? warning
                                : ids.size() == 1
                                    ? tr("Deleted 1 asset from the library (%1 MB freed)").arg(mb)
                                    : tr("Deleted %1 assets from the library (%2 MB freed)").arg(ids.size()).arg(mb));
                Q_EMIT self->assetsDeleted(gone);
                self->refresh();
            },
            Qt::QueuedConnection);
    });
}

QString LibraryModel::undoText() const {
    return m_undo.isEmpty() ? QString() : tr("Undo: %1").arg(m_undo.back().text);
}

void LibraryModel::undo() {
    if (m_undo.isEmpty()) return;
    const UndoStep step = m_undo.takeLast();
    if (step.isDelete) {
        // The catalog was never touched: showing them again is the undo.
        m_deleteTimer.stop();
        m_pendingDelete.clear();
        Q_EMIT undoChanged();
        setNotice(step.ids.size() == 1 ? tr("Restored 1 asset") : tr("Restored %1 assets").arg(step.ids.size()));
        refresh();
        return;
    }
    Q_EMIT undoChanged();
    editCollection(step.collection, step.ids, !step.wasRemove, false);
}

void LibraryModel::setRating(qint64 id, int rating) {
    if (!m_lib) return;
    QPointer<LibraryModel> self(this);
    auto lib = m_lib;
    m_pool.start([self, lib, id, rating] {
        auto r = lib->set_rating(id, rating);
        const QString error = r ? QString() : q(r.error().message);
        QMetaObject::invokeMethod(
            self.data(),
            [self, id, rating, error] {
                if (!self) return;
                if (!error.isEmpty()) return self->setNotice(error);
                const int row = self->rowOfId(id);
                if (row >= 0) {
                    self->m_rows[row].rating = rating;
                    Q_EMIT self->dataChanged(self->index(row), self->index(row), {RatingRole});
                }
                if (self->m_current.value("id").toLongLong() == id) {
                    self->m_current["rating"] = rating;
                    Q_EMIT self->currentAssetChanged();
                }
            },
            Qt::QueuedConnection);
    });
}

void LibraryModel::setNotice(const QString& n) {
    m_notice = n;
    Q_EMIT noticeChanged();
}

}  // namespace atelier::ui

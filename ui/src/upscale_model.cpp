// SPDX-License-Identifier: MIT
#include "upscale_model.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QPointer>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <chrono>
#include <utility>

#include "atelier/base/paths.h"
#include "atelier/catalog/library.h"
#include "jobs_model.h"
#include "library_model.h"
#include "provenance_adapter.h"
#include "worker_protocol.h"

namespace atelier::ui {

namespace {

QPointer<UpscaleModel> g_upscale;

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

// Posts fields of a run to the model (if it still exists), on the GUI thread.
void post(const QString& run, QVariantMap fields) {
    QMetaObject::invokeMethod(
        QCoreApplication::instance(),
        [run, fields = std::move(fields)] {
            if (g_upscale) g_upscale->updateRun(run, fields);
        },
        Qt::QueuedConnection);
}

struct WorkerRun {
    QJsonObject result;  // the worker's --json report
};

// Runs the worker with `--json --progress json` and follows its event lines
// (worker_protocol.h) for progress and errors; terminates it on cancel.
Result<WorkerRun> run_worker(const QString& exe, const QStringList& args, JobContext& ctx, const std::string& what) {
    QProcess proc;
    proc.setProgram(exe);
    proc.setArguments(QStringList{QStringLiteral("--json"), QStringLiteral("--progress"), QStringLiteral("json")} +
                      args);
    proc.start();
    if (!proc.waitForStarted(10000))
        return fail(Errc::not_found, "cannot start the inference worker '" + exe.toStdString() +
                                         "': " + proc.errorString().toStdString() + "; reinstall Atelier");
    LineBuffer lines;
    QByteArray out_bytes;
    std::optional<Error> last_error;
    auto take = [&](const QByteArray& bytes) {
        for (const auto& line : lines.feed(bytes)) {
            const auto e = parse_worker_event(line);
            if (!e) continue;  // log output
            if (e->kind == WorkerEvent::Kind::error) {
                last_error = Error{e->code, e->message.toStdString()};
                continue;
            }
            std::string text = what;
            if (e->stage == QLatin1String("load-model")) text = "loading";
            if (!e->model.isEmpty()) text += " " + e->model.toStdString();
            if (e->count > 1) text += " (" + std::to_string(e->index + 1) + "/" + std::to_string(e->count) + ")";
            ctx.progress(0.05 + 0.8 * run_fraction(*e), text);
        }
    };
    while (proc.state() != QProcess::NotRunning) {
        proc.waitForReadyRead(100);
        if (ctx.cancelled()) {
            proc.terminate();  // the CLI stops at the next tile on SIGTERM
            if (!proc.waitForFinished(5000)) proc.kill();
            proc.waitForFinished(2000);
            return fail(Errc::cancelled, "upscale cancelled; nothing was added to the library");
        }
        take(proc.readAllStandardError());
        out_bytes += proc.readAllStandardOutput();
    }
    take(proc.readAllStandardError() + '\n');
    out_bytes += proc.readAllStandardOutput();
    auto result = parse_worker_result(out_bytes);
    if (proc.exitStatus() != QProcess::NormalExit || proc.exitCode() != 0 || !result) {
        if (last_error) return *last_error;
        if (!result && proc.exitStatus() == QProcess::NormalExit && proc.exitCode() != 0) return result.error();
        return fail(Errc::internal, "the inference worker stopped (exit " + std::to_string(proc.exitCode()) +
                                        "); see the log and retry");
    }
    return WorkerRun{*result};
}

}  // namespace

UpscaleModel::UpscaleModel(QObject* parent) : QObject(parent) {
    g_upscale = this;
    registerJobKind();
    connect(JobsModel::instance(), &JobsModel::jobFinished, this,
            [this](qint64 id, const QString& kind, const QString& state, const QString& error) {
                if (kind != QLatin1String("upscale")) return;
                for (const auto& r : std::as_const(m_runs)) {
                    const auto m = r.toMap();
                    if (m.value("jobId").toLongLong() == id && m.value("state") != QLatin1String("succeeded"))
                        updateRun(m.value("run").toString(), {{"state", state}, {"error", error}});
                }
            });
}

void UpscaleModel::registerJobKind() {
    static bool s_done = false;
    if (std::exchange(s_done, true)) return;
    JobsModel::instance()->registerKind(QStringLiteral("upscale"), [](const QJsonObject& args) -> JobFn {
        return [args](JobContext& ctx) -> Result<void> {
            const auto exe = UpscaleModel::findWorker();
            if (exe.isEmpty())
                return fail(Errc::not_found,
                            "the inference worker 'atelier' was not found next to atelier-studio or on PATH; "
                            "reinstall Atelier or set ATELIER_CLI");
            const qint64 asset_id = args.value("asset").toInteger();
            QStringList models;
            for (const auto& v : args.value("models").toArray())
                models << v.toString();
            if (models.isEmpty()) return fail(Errc::invalid_argument, "choose a model first");
            catalog::OpenOptions oo;
            oo.dir = args.value("library").toString().toStdString();
            auto lib = catalog::Library::open(oo);
            if (!lib) return lib.error().with_context("opening the library");
            auto source = (*lib)->get(asset_id);
            if (!source) return source.error();
            ctx.progress(0.02, "starting the inference worker");

            const auto work_dir = paths::cache_dir() / "upscale";
            if (auto r = paths::ensure_dir(work_dir); !r) return r.error();
            QTemporaryDir tmp(QString::fromStdString((work_dir / "job-XXXXXX").string()));
            if (!tmp.isValid()) return fail(Errc::io_error, "cannot create a work folder in " + work_dir.string());
            const QString in = q(source->path.string());
            QStringList wargs{QStringLiteral("upscale"), in};
            const QString precision = args.value("precision").toString();
            const QString device = args.value("device").toString();
            QStringList outputs;
            if (models.size() == 1) {
                outputs << tmp.filePath("upscaled.png");
                wargs << outputs[0] << "--model" << models[0];
            } else {
                wargs << tmp.path() << "--compare" << models.join(',');
                const QString stem = QFileInfo(in).completeBaseName();
                for (const auto& m : models)
                    outputs << tmp.filePath(stem + "." + m + ".png");
            }
            if (!precision.isEmpty() && precision != "auto") wargs << "--precision" << precision;
            if (!device.isEmpty() && device != "auto") wargs << "--device" << device;
            if (source->seamless.value_or(false)) wargs << "--seamless";
            const auto t0 = std::chrono::steady_clock::now();
            auto worker = run_worker(exe, wargs, ctx, "upscaling with");
            if (!worker) return worker.error();
            const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

            // Metrics and details from the worker's JSON report.
            QVariantMap psnr, ssim;
            for (const auto& v : worker->result.value("metrics").toArray()) {
                const auto m = v.toObject();
                psnr[m.value("name").toString()] = m.value("psnr_db").toDouble();
                ssim[m.value("name").toString()] = m.value("ssim").toDouble();
            }
            QString detail;
            if (models.size() == 1) {
                const QJsonObject& r = worker->result;
                const int tiles = r.value("tiles").toInt();
                detail = (tiles == 1 ? tr("%1×%2, ×%3 on %4, 1 tile, %5%6, %7 ms")
                                     : tr("%1×%2, ×%3 on %4, %8 tiles, %5%6, %7 ms"))
                             .arg(r.value("width").toInt())
                             .arg(r.value("height").toInt())
                             .arg(r.value("scale").toInt())
                             .arg(r.value("device").toString(), r.value("precision").toString(),
                                  r.value("retried_fp32").toBool() ? tr(", retried in fp32") : QString())
                             .arg(r.value("milliseconds").toDouble(), 0, 'f', 0);
                if (tiles != 1) detail = detail.arg(tiles);
            }

            QVariantList results;
            const std::string title = source->title.empty() ? source->original_path.stem().string() : source->title;
            for (int k = 0; k < models.size(); ++k) {
                if (ctx.cancelled()) return fail(Errc::cancelled, "cancelled before the results were added");
                ctx.progress(0.88 + 0.1 * k / models.size(), "signing and adding " + models[k].toStdString());
                const QString signed_path = tmp.filePath(
                    QStringLiteral("%1-%2-x.png").arg(QString::fromStdString(title), models[k]).replace(' ', '_'));
                const nlohmann::json params{{"operation", "upscale"},
                                            {"model", models[k].toStdString()},
                                            {"precision", precision.toStdString()},
                                            {"device", device.toStdString()}};
                if (auto s = sign_derived(
                        outputs[k].toStdString(), signed_path.toStdString(), source->path, title + "." + source->format,
                        title + " (upscaled, " + models[k].toStdString() + ")", "c2pa.resized", params);
                    !s)
                    return s.error();
                catalog::ImportOptions io;
                io.source = catalog::SourceType::derived;
                io.licence = source->licence;
                io.provenance = make_provenance_reader();
                const std::filesystem::path sp = signed_path.toStdString();
                auto rep = (*lib)->import(std::span(&sp, 1), io, ctx.cancel_token());
                if (!rep) return rep.error();
                if (rep->entries.empty() || rep->entries[0].id == 0)
                    return fail(Errc::internal,
                                "the upscaled file was not added: " +
                                    (rep->entries.empty() ? std::string("no report") : rep->entries[0].reason));
                const auto child = rep->entries[0].id;
                const catalog::Derivation d{asset_id, "upscale", params.dump()};
                if (auto r = (*lib)->add_derivation(child, std::span(&d, 1)); !r) return r.error();
                (void)(*lib)->set_title(child, title + " ×" + " " + models[k].toStdString(), "");
                auto added = (*lib)->get(child);
                results.push_back(QVariantMap{{"model", models[k]},
                                              {"childId", static_cast<qint64>(child)},
                                              {"path", added ? q(added->path.string()) : QString()},
                                              {"width", added ? added->width : 0},
                                              {"height", added ? added->height : 0},
                                              {"psnr", psnr.value(models[k])},
                                              {"ssim", ssim.value(models[k])},
                                              {"detail", detail}});
            }
            post(args.value("run").toString(), {{"state", QStringLiteral("succeeded")},
                                                {"results", results},
                                                {"ms", ms},
                                                {"parentPath", q(source->path.string())}});
            ctx.progress(1.0, (results.size() == 1 ? std::string("1 derived asset added")
                                                   : std::to_string(results.size()) + " derived assets added"));
            return ok();
        };
    });
}

void UpscaleModel::setModelA(const QString& v) {
    if (v == m_modelA) return;
    m_modelA = v;
    Q_EMIT optionsChanged();
}
void UpscaleModel::setModelB(const QString& v) {
    if (v == m_modelB) return;
    m_modelB = v;
    Q_EMIT optionsChanged();
}
void UpscaleModel::setPrecision(const QString& v) {
    if (v == m_precision) return;
    m_precision = v;
    Q_EMIT optionsChanged();
}
void UpscaleModel::setDevice(const QString& v) {
    if (v == m_device) return;
    m_device = v;
    Q_EMIT optionsChanged();
}

QString UpscaleModel::findWorker() {
    const QString env = qEnvironmentVariable("ATELIER_CLI");
    if (!env.isEmpty() && QFileInfo(env).isExecutable()) return env;
    const QString here = QCoreApplication::applicationDirPath();
    for (const QString& c : {here + "/atelier", here + "/../cli/atelier", here + "/../../app/cli/atelier"})
        if (QFileInfo(c).isExecutable()) return QFileInfo(c).canonicalFilePath();
    return QStandardPaths::findExecutable(QStringLiteral("atelier"));
}

QString UpscaleModel::workerPath() const {
    return findWorker();
}

QString UpscaleModel::workerError() const {
    return findWorker().isEmpty() ? tr("The inference worker (atelier) is not installed next to atelier-studio. "
                                       "Reinstall Atelier, or set ATELIER_CLI to its path.")
                                  : QString();
}

int UpscaleModel::run(const QVariantList& assetIds, const QVariantList& titles) {
    auto* lib = LibraryModel::current();
    if (!lib || !lib->ready() || m_modelA.isEmpty()) return 0;
    QJsonArray models{m_modelA};
    if (!m_modelB.isEmpty() && m_modelB != m_modelA) models.append(m_modelB);
    static int s_run = 0;
    int queued = 0;
    for (int i = 0; i < assetIds.size(); ++i) {
        const qint64 id = assetIds[i].toLongLong();
        const QString title = i < titles.size() ? titles[i].toString() : QString::number(id);
        const QString run = QStringLiteral("%1-%2").arg(QCoreApplication::applicationPid()).arg(++s_run);
        const QString name = models.size() == 1 ? tr("Upscale %1 with %2").arg(title, m_modelA)
                                                : tr("Compare %1: %2 vs %3").arg(title, m_modelA, m_modelB);
        const qint64 job = JobsModel::instance()->submit(QStringLiteral("upscale"), name,
                                                         QJsonObject{{"asset", id},
                                                                     {"models", models},
                                                                     {"precision", m_precision},
                                                                     {"device", m_device},
                                                                     {"library", lib->libraryDir()},
                                                                     {"run", run}});
        m_runs.prepend(QVariantMap{{"run", run},
                                   {"jobId", job},
                                   {"parentId", id},
                                   {"title", title},
                                   {"state", job ? QStringLiteral("queued") : QStringLiteral("failed")},
                                   {"results", QVariantList{}}});
        if (job) ++queued;
    }
    Q_EMIT runsChanged();
    return queued;
}

void UpscaleModel::clearRuns() {
    m_runs.clear();
    Q_EMIT runsChanged();
}

void UpscaleModel::updateRun(const QString& run, const QVariantMap& fields) {
    for (auto& r : m_runs) {
        auto m = r.toMap();
        if (m.value("run") != run) continue;
        for (auto it = fields.cbegin(); it != fields.cend(); ++it)
            m[it.key()] = it.value();
        r = m;
        Q_EMIT runsChanged();
        if (fields.value("state") == QLatin1String("succeeded"))
            if (auto* lib = LibraryModel::current()) lib->refresh();
        return;
    }
}

}  // namespace atelier::ui

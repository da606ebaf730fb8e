// SPDX-License-Identifier: MIT
#include "worker_protocol.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <algorithm>

namespace atelier::ui {

std::optional<WorkerEvent> parse_worker_event(const QByteArray& line) {
    const QByteArray t = line.trimmed();
    if (!t.startsWith('{')) return std::nullopt;
    QJsonParseError perr{};
    const auto doc = QJsonDocument::fromJson(t, &perr);
    if (perr.error != QJsonParseError::NoError || !doc.isObject()) return std::nullopt;
    const QJsonObject o = doc.object();
    const QString event = o.value("event").toString();
    WorkerEvent e;
    if (event == QLatin1String("progress")) {
        e.kind = WorkerEvent::Kind::progress;
        e.fraction = std::clamp(o.value("fraction").toDouble(), 0.0, 1.0);
    } else if (event == QLatin1String("error")) {
        e.kind = WorkerEvent::Kind::error;
        e.code = errc_from_name(o.value("code").toString());
        e.message = o.value("message").toString();
    } else {
        return std::nullopt;
    }
    e.stage = o.value("stage").toString();
    e.item = o.value("item").toString();
    e.model = o.value("model").toString();
    e.index = o.value("index").toInt(-1);
    e.count = o.value("count").toInt(0);
    return e;
}

double run_fraction(const WorkerEvent& e) {
    if (e.index < 0 || e.count <= 0) return e.fraction;
    return std::clamp((e.index + e.fraction) / e.count, 0.0, 1.0);
}

Errc errc_from_name(const QString& name) {
    for (int c = 0; c <= static_cast<int>(Errc::internal); ++c)
        if (name.toStdString() == errc_name(static_cast<Errc>(c))) return static_cast<Errc>(c);
    return Errc::internal;
}

QList<QByteArray> LineBuffer::feed(const QByteArray& bytes) {
    m_buf += bytes;
    QList<QByteArray> lines;
    qsizetype nl;
    while ((nl = m_buf.indexOf('\n')) >= 0) {
        lines << m_buf.left(nl);
        m_buf.remove(0, nl + 1);
    }
    return lines;
}

Result<QJsonObject> parse_worker_result(const QByteArray& stdout_bytes) {
    QJsonParseError perr{};
    const auto doc = QJsonDocument::fromJson(stdout_bytes, &perr);
    if (perr.error != QJsonParseError::NoError || !doc.isObject())
        return fail(Errc::internal, "the inference worker's report is not JSON (" + perr.errorString().toStdString() +
                                        "); is `atelier` the same version as atelier-studio?");
    const QJsonObject o = doc.object();
    if (o.contains("error")) {
        const QJsonObject err = o.value("error").toObject();
        return fail(errc_from_name(err.value("code").toString()), err.value("message").toString().toStdString());
    }
    return o;
}

QString find_worker() {
    const QString env = qEnvironmentVariable("ATELIER_CLI");
    if (!env.isEmpty() && QFileInfo(env).isExecutable()) return env;
    const QString here = QCoreApplication::applicationDirPath();
    for (const QString& c : {here + "/atelier", here + "/../cli/atelier", here + "/../../app/cli/atelier"})
        if (QFileInfo(c).isExecutable()) return QFileInfo(c).canonicalFilePath();
    return QStandardPaths::findExecutable(QStringLiteral("atelier"));
}

Result<WorkerRun> run_worker(const QString& exe, const QStringList& args, JobContext& ctx, const std::string& what,
                             const std::string& cancelled_message) {
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
            return fail(Errc::cancelled, cancelled_message);
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

}  // namespace atelier::ui

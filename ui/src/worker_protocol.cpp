// SPDX-License-Identifier: MIT
#include "worker_protocol.h"

#include <QJsonDocument>
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

}  // namespace atelier::ui

// SPDX-License-Identifier: MIT
#include "jobs_model.h"

#include <QCoreApplication>
#include <QFile>
#include <QJSEngine>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QSaveFile>
#include <algorithm>

#include "atelier/base/config.h"
#include "atelier/base/paths.h"

namespace atelier::ui {

namespace {
QString stateName(JobState s) {
    const auto n = job_state_name(s);
    return QString::fromLatin1(n.data(), static_cast<qsizetype>(n.size()));
}
bool isFinal(JobState s) {
    return s == JobState::succeeded || s == JobState::failed || s == JobState::cancelled;
}
}  // namespace

JobsModel* JobsModel::instance() {
    static QPointer<JobsModel> s_instance;
    if (!s_instance) {
        unsigned workers = 2;
        if (auto cfg = Config::load()) {
            if (auto w = cfg->get_int("jobs.workers"); w && *w > 0) workers = static_cast<unsigned>(*w);
        }
        const auto file = QString::fromStdString((paths::state_dir() / "studio-jobs.json").string());
        s_instance = new JobsModel(file, workers, QCoreApplication::instance());
    }
    return s_instance;
}

JobsModel* JobsModel::create(QQmlEngine*, QJSEngine*) {
    auto* m = instance();
    QJSEngine::setObjectOwnership(m, QJSEngine::CppOwnership);
    return m;
}

JobsModel::JobsModel(QString stateFile, unsigned workers, QObject* parent)
    : QAbstractListModel(parent), m_stateFile(std::move(stateFile)) {
    JobQueue::Options opts;
    opts.workers = std::max(1u, workers);
    m_queue = std::make_unique<JobQueue>(opts);
    m_queue->set_listener([this](const JobSnapshot& snap) {
        // Worker thread: hand the copy to the GUI thread.
        QMetaObject::invokeMethod(
            this, [this, snap] { apply(snap); }, Qt::QueuedConnection);
    });
    m_saveTimer.setSingleShot(true);
    m_saveTimer.setInterval(300);
    connect(&m_saveTimer, &QTimer::timeout, this, &JobsModel::saveState);
    if (auto* app = QCoreApplication::instance())
        connect(app, &QCoreApplication::aboutToQuit, this, &JobsModel::saveState);
    restoreState();
}

JobsModel::~JobsModel() {
    // Persist what is still pending, then stop the workers while `this` is
    // alive; their queued notifications die with this object.
    if (m_saveTimer.isActive()) saveState();
    m_queue->shutdown();
    m_queue->set_listener(nullptr);
}

int JobsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant JobsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_rows.size()) return {};
    const Row& r = m_rows.at(index.row());
    switch (role) {
        case Qt::DisplayRole:
        case NameRole:
            return r.name;
        case JobIdRole:
            return r.id;
        case KindRole:
            return r.kind;
        case StateRole:
            return stateName(r.state);
        case ProgressRole:
            return r.progress;
        case MessageRole:
            return r.message;
        case ErrorRole:
            return r.error;
        case CanCancelRole:
            return !r.finished;
        case CanRetryRole:
            return r.finished && r.state != JobState::succeeded && m_factories.contains(r.kind);
        default:
            return {};
    }
}

QHash<int, QByteArray> JobsModel::roleNames() const {
    return {{JobIdRole, "jobId"},     {NameRole, "name"},           {KindRole, "kind"},
            {StateRole, "state"},     {ProgressRole, "progress"},   {MessageRole, "message"},
            {ErrorRole, "errorText"}, {CanCancelRole, "canCancel"}, {CanRetryRole, "canRetry"}};
}

void JobsModel::registerKind(const QString& kind, Factory factory, bool persistent) {
    m_factories.insert(kind, std::move(factory));
    m_persistent.insert(kind, persistent);
    // Resubmit jobs of this kind that were pending when the app last quit.
    QList<QJsonObject> still;
    for (const auto& j : std::as_const(m_pendingRestore)) {
        if (j.value("kind").toString() == kind)
            submit(kind, j.value("name").toString(), j.value("args").toObject(), j.value("priority").toInt());
        else
            still.push_back(j);
    }
    m_pendingRestore = still;
}

qint64 JobsModel::submit(const QString& kind, const QString& name, const QJsonObject& args, int priority) {
    Row row;
    row.kind = kind;
    row.name = name;
    row.args = args;
    row.priority = priority;
    const auto it = m_factories.constFind(kind);
    Result<JobHandle> handle = fail(Errc::internal, "no job kind '" + kind.toStdString() + "' is registered");
    if (it != m_factories.cend()) {
        JobSpec spec;
        spec.name = name.toStdString();
        spec.priority = priority;
        spec.fn = (*it)(args);
        handle = m_queue->submit(std::move(spec));
    }
    if (!handle) {
        // Refused (queue full, shut down): show it where jobs are shown.
        static qint64 s_refused = -1;
        row.id = s_refused--;
        row.state = JobState::failed;
        row.finished = true;
        row.error = QString::fromStdString(handle.error().message);
    } else {
        row.id = static_cast<qint64>(handle->id());
    }
    beginInsertRows({}, 0, 0);
    m_rows.prepend(row);
    endInsertRows();
    Q_EMIT countsChanged();
    scheduleSave();
    return handle ? row.id : 0;
}

bool JobsModel::cancel(qint64 jobId) {
    return jobId > 0 && m_queue->cancel(static_cast<JobId>(jobId));
}

qint64 JobsModel::retry(qint64 jobId) {
    const int i = rowOf(jobId);
    if (i < 0 || !m_rows[i].finished) return 0;
    const Row old = m_rows[i];
    beginRemoveRows({}, i, i);
    m_rows.removeAt(i);
    endRemoveRows();
    return submit(old.kind, old.name, old.args, old.priority);
}

void JobsModel::cancelAll() {
    m_queue->cancel_all();
}

void JobsModel::clearFinished() {
    for (int i = static_cast<int>(m_rows.size()) - 1; i >= 0; --i) {
        if (!m_rows[i].finished) continue;
        beginRemoveRows({}, i, i);
        m_rows.removeAt(i);
        endRemoveRows();
    }
    Q_EMIT countsChanged();
}

void JobsModel::waitIdle() {
    m_queue->wait_idle();
    QCoreApplication::sendPostedEvents(this);
}

int JobsModel::activeCount() const {
    return static_cast<int>(std::count_if(m_rows.cbegin(), m_rows.cend(), [](const Row& r) { return !r.finished; }));
}

int JobsModel::failedCount() const {
    return static_cast<int>(
        std::count_if(m_rows.cbegin(), m_rows.cend(), [](const Row& r) { return r.state == JobState::failed; }));
}

double JobsModel::overallProgress() const {
    double sum = 0;
    int n = 0;
    for (const auto& r : m_rows) {
        if (r.finished) continue;
        sum += r.progress;
        ++n;
    }
    return n ? sum / n : 1.0;
}

void JobsModel::apply(const JobSnapshot& snap) {
    const int i = rowOf(static_cast<qint64>(snap.id));
    if (i < 0) return;  // cleared meanwhile
    Row& r = m_rows[i];
    if (r.finished) return;  // a late progress report after the end
    r.state = snap.state;
    r.progress = snap.progress;
    if (!snap.message.empty()) r.message = QString::fromStdString(snap.message);
    if (snap.error) r.error = QString::fromStdString(snap.error->message);
    r.finished = isFinal(snap.state);
    const auto idx = index(i);
    Q_EMIT dataChanged(idx, idx);
    Q_EMIT countsChanged();
    if (r.finished) {
        scheduleSave();
        Q_EMIT jobFinished(r.id, r.kind, stateName(r.state), r.error);
    }
}

int JobsModel::rowOf(qint64 id) const {
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].id == id) return i;
    return -1;
}

void JobsModel::scheduleSave() {
    if (!m_stateFile.isEmpty()) m_saveTimer.start();
}

void JobsModel::saveState() {
    m_saveTimer.stop();
    if (m_stateFile.isEmpty()) return;
    QJsonArray pending;
    // Oldest first so that restore keeps the order.
    for (auto it = m_rows.crbegin(); it != m_rows.crend(); ++it) {
        if (it->finished || !m_persistent.value(it->kind, false)) continue;
        pending.append(QJsonObject{{"kind", it->kind},
                                   {"name", it->name},
                                   {"args", it->args},
                                   {"priority", it->priority},
                                   {"progress", it->progress}});
    }
    for (const auto& j : std::as_const(m_pendingRestore))
        pending.append(j);
    (void)paths::ensure_dir(std::filesystem::path(m_stateFile.toStdString()).parent_path());
    QSaveFile f(m_stateFile);
    if (!f.open(QIODevice::WriteOnly)) return;
    f.write(QJsonDocument(QJsonObject{{"version", 1}, {"jobs", pending}}).toJson());
    f.commit();
}

void JobsModel::restoreState() {
    if (m_stateFile.isEmpty()) return;
    QFile f(m_stateFile);
    if (!f.open(QIODevice::ReadOnly)) return;
    const auto doc = QJsonDocument::fromJson(f.readAll());
    for (const auto& v : doc.object().value("jobs").toArray())
        if (v.isObject()) m_pendingRestore.push_back(v.toObject());
}

}  // namespace atelier::ui

// SPDX-License-Identifier: MIT
#include "models_model.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QPointer>
#include <QThreadPool>

#include "atelier/base/config.h"
#include "atelier/base/paths.h"
#include "atelier/ml/registry.h"
#include "jobs_model.h"

namespace atelier::ui {

namespace {
std::vector<std::filesystem::path> model_search_dirs() {
    std::vector<std::filesystem::path> dirs;
    if (auto cfg = Config::load()) {
        const auto extra = cfg->get_string("models.path");
        if (!extra.empty()) dirs.emplace_back(extra);
    }
    for (auto& d : paths::model_dirs())
        dirs.push_back(std::move(d));
    return dirs;
}
}  // namespace

ModelsModel::ModelsModel(QObject* parent) : QAbstractListModel(parent) {
    // The verification job kind: args {"refs": [...]} → verify each model.
    QPointer<ModelsModel> self(this);
    JobsModel::instance()->registerKind(
        QStringLiteral("verify-models"),
        [self](const QJsonObject& args) -> JobFn {
            QStringList refs;
            for (const auto& v : args.value("refs").toArray())
                refs << v.toString();
            std::shared_ptr<const ml::ModelRegistry> reg = self ? self->m_registry : nullptr;
            return [self, refs, reg](JobContext& ctx) -> Result<void> {
                if (!reg) return fail(Errc::not_found, "the model list is not loaded yet; open Settings and retry");
                int bad = 0;
                std::string first_error;
                for (int i = 0; i < refs.size(); ++i) {
                    if (ctx.cancelled()) return fail(Errc::cancelled, "verification cancelled");
                    const auto ref = refs[i];
                    ctx.progress(static_cast<double>(i) / refs.size(), "checking " + ref.toStdString());
                    auto post = [self, ref](QString st, QString detail) {
                        QMetaObject::invokeMethod(
                            self.data(),
                            [self, ref, st, detail] {
                                if (self) self->setStatus(ref, st, detail);
                            },
                            Qt::QueuedConnection);
                    };
                    if (self) post(QStringLiteral("verifying"), {});
                    auto m = reg->find(ref.toStdString());
                    Result<void> r = m ? reg->verify(**m, ctx.cancel_token()) : Result<void>(m.error());
                    if (r) {
                        post(QStringLiteral("ok"), QObject::tr("All files match their SHA-256."));
                    } else if (r.error().code == Errc::cancelled) {
                        post(QStringLiteral("unverified"), {});
                        return r;
                    } else {
                        ++bad;
                        if (first_error.empty()) first_error = r.error().message;
                        post(QStringLiteral("failed"), QString::fromStdString(r.error().message));
                    }
                }
                ctx.progress(1.0, "done");
                if (bad)
                    return fail(Errc::verification_failed,
                                std::to_string(bad) + " model(s) failed verification: " + first_error);
                return ok();
            };
        },
        /*persistent=*/false);
    connect(JobsModel::instance(), &JobsModel::jobFinished, this, [this](qint64 id) {
        if (id != m_verifyJob) return;
        m_verifyJob = 0;
        Q_EMIT verifyingChanged();
    });
    rescan();
}

ModelsModel::~ModelsModel() = default;

void ModelsModel::rescan() {
    if (m_scanning) return;
    m_scanning = true;
    Q_EMIT scanningChanged();
    QPointer<ModelsModel> self(this);
    QThreadPool::globalInstance()->start([self] {
        const auto dirs = model_search_dirs();
        auto reg = std::make_shared<const ml::ModelRegistry>(ml::ModelRegistry::scan(dirs));
        QMetaObject::invokeMethod(
            self.data(),
            [self, reg, dirs] {
                if (!self) return;
                ModelsModel& m = *self;
                m.beginResetModel();
                m.m_registry = reg;
                m.m_rows.clear();
                for (const auto& man : reg->models()) {
                    Row r;
                    r.id = QString::fromStdString(man.id);
                    r.version = QString::fromStdString(man.version);
                    r.task = QString::fromStdString(man.task);
                    r.format = QString::fromStdString(man.format);
                    r.licence = QString::fromStdString(man.licence);
                    r.description = QString::fromStdString(man.description);
                    r.source = QString::fromStdString(man.source_registry + ":" + man.source_package + "@" +
                                                      man.source_version);
                    r.folder = QString::fromStdString(man.dir.string());
                    r.files = static_cast<int>(man.files.size());
                    for (const auto& f : man.files)
                        r.bytes += static_cast<qint64>(f.bytes);
                    m.m_rows.push_back(r);
                }
                m.m_problems.clear();
                for (const auto& p : reg->problems())
                    m.m_problems << QString::fromStdString(p);
                m.m_folders.clear();
                for (const auto& d : dirs)
                    m.m_folders << QString::fromStdString(d.string());
                m.endResetModel();
                m.m_scanning = false;
                Q_EMIT m.scanningChanged();
                Q_EMIT m.countChanged();
            },
            Qt::QueuedConnection);
    });
}

qint64 ModelsModel::verifyAll() {
    if (m_verifyJob || m_rows.isEmpty()) return 0;
    QJsonArray refs;
    for (const auto& r : std::as_const(m_rows))
        refs.append(r.id + "@" + r.version);
    m_verifyJob = JobsModel::instance()->submit(QStringLiteral("verify-models"), tr("Verify model files"),
                                                QJsonObject{{"refs", refs}});
    Q_EMIT verifyingChanged();
    return m_verifyJob;
}

QStringList ModelsModel::refsForTask(const QString& task) const {
    QStringList out;
    for (const auto& r : m_rows)
        if (r.task == task) out << r.id + "@" + r.version;
    return out;
}

void ModelsModel::setStatus(const QString& ref, const QString& status, const QString& detail) {
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].id + "@" + m_rows[i].version != ref) continue;
        m_rows[i].status = status;
        m_rows[i].detail = detail;
        Q_EMIT dataChanged(index(i), index(i), {StatusRole, StatusDetailRole});
    }
}

int ModelsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant ModelsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_rows.size()) return {};
    const Row& r = m_rows.at(index.row());
    switch (role) {
        case Qt::DisplayRole:
        case IdRole:
            return r.id;
        case VersionRole:
            return r.version;
        case TaskRole:
            return r.task;
        case FormatRole:
            return r.format;
        case LicenceRole:
            return r.licence;
        case SourceRole:
            return r.source;
        case DescriptionRole:
            return r.description;
        case SizeRole:
            return r.bytes;
        case FilesRole:
            return r.files;
        case StatusRole:
            return r.status;
        case StatusDetailRole:
            return r.detail;
        case FolderRole:
            return r.folder;
        default:
            return {};
    }
}

QHash<int, QByteArray> ModelsModel::roleNames() const {
    return {{IdRole, "modelId"},
            {VersionRole, "version"},
            {TaskRole, "task"},
            {FormatRole, "format"},
            {LicenceRole, "licence"},
            {SourceRole, "source"},
            {DescriptionRole, "description"},
            {SizeRole, "bytes"},
            {FilesRole, "files"},
            {StatusRole, "status"},
            {StatusDetailRole, "statusDetail"},
            {FolderRole, "folder"}};
}

}  // namespace atelier::ui

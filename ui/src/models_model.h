// SPDX-License-Identifier: MIT
#pragma once

/// \file models_model.h
/// Installed models for the Settings screen: id, version, task, format,
/// licence, source, size and hash status. The registry (`atelier::ml_registry`,
/// no LibTorch) is scanned on a worker thread; "Verify" runs every model's
/// SHA-256 check as one job on the shared job queue, so it shows progress in
/// the jobs panel and can be cancelled.
///
/// Thread safety: GUI thread only; worker results are posted back.

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <memory>

namespace atelier::ml {
class ModelRegistry;
}

namespace atelier::ui {

class ModelsModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(bool scanning READ scanning NOTIFY scanningChanged)
    Q_PROPERTY(bool verifying READ verifying NOTIFY verifyingChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    /// Manifests that could not be read, with the reason.
    Q_PROPERTY(QStringList problems READ problems NOTIFY countChanged)
    Q_PROPERTY(QStringList searchedFolders READ searchedFolders NOTIFY countChanged)

public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        VersionRole,
        TaskRole,
        FormatRole,
        LicenceRole,
        SourceRole,
        DescriptionRole,
        SizeRole,
        FilesRole,
        /// "unverified", "verifying", "ok", "failed"
        StatusRole,
        StatusDetailRole,
        FolderRole,
    };

    explicit ModelsModel(QObject* parent = nullptr);
    ~ModelsModel() override;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    bool scanning() const { return m_scanning; }
    bool verifying() const { return m_verifyJob != 0; }
    int count() const { return static_cast<int>(m_rows.size()); }
    QStringList problems() const { return m_problems; }
    QStringList searchedFolders() const { return m_folders; }

    Q_INVOKABLE void rescan();
    /// Submits the verification job; returns its id (0 when refused).
    Q_INVOKABLE qint64 verifyAll();
    /// Ids of the installed models for a task ("upscale"), newest first.
    Q_INVOKABLE QStringList refsForTask(const QString& task) const;

Q_SIGNALS:
    void scanningChanged();
    void verifyingChanged();
    void countChanged();

private:
    struct Row {
        QString id, version, task, format, licence, source, description, folder;
        qint64 bytes = 0;
        int files = 0;
        QString status = QStringLiteral("unverified");
        QString detail;
    };
    void setStatus(const QString& ref, const QString& status, const QString& detail);

    std::shared_ptr<const ml::ModelRegistry> m_registry;
    QList<Row> m_rows;
    QStringList m_problems;
    QStringList m_folders;
    bool m_scanning = false;
    qint64 m_verifyJob = 0;
};

}  // namespace atelier::ui

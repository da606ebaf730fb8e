// SPDX-License-Identifier: MIT
#pragma once

/// \file jobs_model.h
/// The jobs panel's model: every job the app runs (import, verify, upscale,
/// ...) goes through the one `atelier::JobQueue` owned here, and shows up as a
/// row with its state, progress, message and error. Finished jobs stay listed
/// (so errors keep their reasons) until cleared.
///
/// Jobs are submitted by *kind*: a kind is a factory that turns JSON
/// arguments into a job function. That is what makes retry and restart work:
/// a failed or cancelled job is re-created from its kind and arguments, and
/// jobs still queued or running when the app quits are written to
/// `paths::state_dir()/studio-jobs.json` and submitted again on the next
/// start, as soon as their kind is registered.
///
/// Thread safety: a QObject of the GUI thread. The queue's callbacks arrive on
/// worker threads and are marshalled here with queued invocations; no model
/// state is touched off the GUI thread.

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QHash>
#include <QJsonObject>
#include <QTimer>
#include <functional>
#include <memory>

#include "atelier/base/job_queue.h"

class QQmlEngine;
class QJSEngine;

namespace atelier::ui {

class JobsModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON
    Q_PROPERTY(int activeCount READ activeCount NOTIFY countsChanged)
    Q_PROPERTY(int failedCount READ failedCount NOTIFY countsChanged)
    Q_PROPERTY(double overallProgress READ overallProgress NOTIFY countsChanged)

public:
    enum Role {
        JobIdRole = Qt::UserRole + 1,
        NameRole,
        KindRole,
        StateRole,
        ProgressRole,
        MessageRole,
        ErrorRole,
        CanCancelRole,
        CanRetryRole,
    };
    Q_ENUM(Role)

    /// Makes a job function from the arguments it was submitted with.
    using Factory = std::function<JobFn(const QJsonObject& args)>;

    /// The process-wide model (parented to the application object).
    static JobsModel* instance();
    static JobsModel* create(QQmlEngine*, QJSEngine*);

    /// `stateFile` empty: jobs are not persisted.
    explicit JobsModel(QString stateFile, unsigned workers, QObject* parent = nullptr);
    ~JobsModel() override;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    /// Registers a kind. Jobs of that kind restored from the state file are
    /// submitted now. `persistent` kinds survive a restart.
    void registerKind(const QString& kind, Factory factory, bool persistent = true);

    /// Submits a job of a registered kind; returns its id, or 0 when refused
    /// (the refusal appears as a failed row with the reason).
    qint64 submit(const QString& kind, const QString& name, const QJsonObject& args, int priority = 0);

    Q_INVOKABLE bool cancel(qint64 jobId);
    Q_INVOKABLE qint64 retry(qint64 jobId);
    Q_INVOKABLE void cancelAll();
    Q_INVOKABLE void clearFinished();
    /// Blocks until the queue is idle (tests and shutdown only).
    Q_INVOKABLE void waitIdle();

    int activeCount() const;
    int failedCount() const;
    double overallProgress() const;

    /// Writes queued and running persistent jobs to the state file now.
    void saveState();

Q_SIGNALS:
    void countsChanged();
    /// Emitted on the GUI thread when a job ends (any final state).
    void jobFinished(qint64 jobId, const QString& kind, const QString& state, const QString& error);

private:
    struct Row {
        qint64 id = 0;
        QString kind;
        QString name;
        QJsonObject args;
        int priority = 0;
        JobState state = JobState::queued;
        double progress = 0.0;
        QString message;
        QString error;
        bool finished = false;
    };
    void apply(const JobSnapshot& snap);
    int rowOf(qint64 id) const;
    void scheduleSave();
    void restoreState();

    std::unique_ptr<JobQueue> m_queue;
    QString m_stateFile;
    QList<Row> m_rows;
    QHash<QString, Factory> m_factories;
    QHash<QString, bool> m_persistent;
    QList<QJsonObject> m_pendingRestore;  // jobs whose kind is not registered yet
    QTimer m_saveTimer;
};

}  // namespace atelier::ui

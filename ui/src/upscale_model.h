// SPDX-License-Identifier: MIT
#pragma once

/// \file upscale_model.h
/// The Upscale and compare screen's model. Inference never runs in the app
/// process: each selected asset becomes one job on the shared queue that
/// runs the `atelier upscale` worker process (LibTorch is loaded there, so
/// the app starts without it and a crash in inference cannot take the app
/// down), reads its progress, and on cancel terminates it. The result is
/// signed with Content Credentials naming the parent as ingredient, imported
/// into the library as a derived asset (with its derivation edge), and its
/// credentials are validated.
///
/// With two models the worker's compare mode runs both on the same input and
/// reports PSNR/SSIM against a bicubic baseline; both results are added.
///
/// Thread safety: GUI thread only; jobs post their results back.

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QVariantList>

namespace atelier::ui {

class UpscaleModel : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QString modelA READ modelA WRITE setModelA NOTIFY optionsChanged)
    /// Empty: a single model.
    Q_PROPERTY(QString modelB READ modelB WRITE setModelB NOTIFY optionsChanged)
    Q_PROPERTY(QString precision READ precision WRITE setPrecision NOTIFY optionsChanged)
    Q_PROPERTY(QString device READ device WRITE setDevice NOTIFY optionsChanged)
    /// [{jobId, parentId, title, state, results: [{model, childId, path, psnr, ssim, ms, detail}], error}]
    Q_PROPERTY(QVariantList runs READ runs NOTIFY runsChanged)
    /// Where the worker executable is, or empty with `workerError` saying why.
    Q_PROPERTY(QString workerPath READ workerPath CONSTANT)
    Q_PROPERTY(QString workerError READ workerError CONSTANT)

public:
    explicit UpscaleModel(QObject* parent = nullptr);

    QString modelA() const { return m_modelA; }
    void setModelA(const QString& v);
    QString modelB() const { return m_modelB; }
    void setModelB(const QString& v);
    QString precision() const { return m_precision; }
    void setPrecision(const QString& v);
    QString device() const { return m_device; }
    void setDevice(const QString& v);
    QVariantList runs() const { return m_runs; }
    QString workerPath() const;
    QString workerError() const;

    /// Queues one job per asset; returns how many were queued.
    Q_INVOKABLE int run(const QVariantList& assetIds, const QVariantList& titles);
    Q_INVOKABLE void clearRuns();

    /// The `atelier` executable: $ATELIER_CLI, next to this program, the
    /// build tree's app/cli, then PATH. Empty when none is found.
    static QString findWorker();
    /// Registers the `upscale` job kind (once): called at start-up so that
    /// upscales pending at the last quit resume before the screen is opened.
    static void registerJobKind();
    /// Merges `fields` into the run `run` (GUI thread).
    void updateRun(const QString& run, const QVariantMap& fields);

Q_SIGNALS:
    void optionsChanged();
    void runsChanged();

private:
    QString m_modelA, m_modelB;
    QString m_precision = QStringLiteral("auto");
    QString m_device = QStringLiteral("auto");
    QVariantList m_runs;
};

}  // namespace atelier::ui

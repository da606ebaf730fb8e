// SPDX-License-Identifier: MIT
#pragma once

/// \file settings_model.h
/// The Settings screen's device and library section: what the machine has
/// (`atelier::sysinfo`, probed on a worker thread) and the user's choices,
/// stored as `atelier::Config` keys (`ml.device`, `ml.precision`,
/// `ml.memory_budget_mb`, `library.path`) in the config file that the CLI
/// reads too. Each change is validated, written atomically (temp file +
/// rename, other lines kept), and refused with a reason in `lastError`.
///
/// Thread safety: GUI thread only; the probe posts its result back.

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QVariantList>

#include "atelier/base/config.h"

namespace atelier::ui {

class SettingsModel : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(bool probing READ probing NOTIFY deviceChanged)
    Q_PROPERTY(QString cpuName READ cpuName NOTIFY deviceChanged)
    Q_PROPERTY(int cpuCores READ cpuCores NOTIFY deviceChanged)
    Q_PROPERTY(QString cpuFeatures READ cpuFeatures NOTIFY deviceChanged)
    Q_PROPERTY(double memoryGiB READ memoryGiB NOTIFY deviceChanged)
    Q_PROPERTY(double availableGiB READ availableGiB NOTIFY deviceChanged)
    /// [{name, memoryGiB, compute}] for each NVIDIA GPU.
    Q_PROPERTY(QVariantList gpus READ gpus NOTIFY deviceChanged)
    Q_PROPERTY(QString gpuReason READ gpuReason NOTIFY deviceChanged)
    /// How the window is drawn (render_backend.h): "GPU …" or "software: why".
    Q_PROPERTY(QString renderBackend READ renderBackend CONSTANT)
    Q_PROPERTY(QString device READ device NOTIFY configChanged)
    Q_PROPERTY(QString precision READ precision NOTIFY configChanged)
    Q_PROPERTY(int memoryBudgetMb READ memoryBudgetMb NOTIFY configChanged)
    Q_PROPERTY(QString libraryPath READ libraryPath NOTIFY configChanged)
    /// library.path resolved (the default when empty).
    Q_PROPERTY(QString effectiveLibraryPath READ effectiveLibraryPath NOTIFY configChanged)
    Q_PROPERTY(QString configFile READ configFile CONSTANT)
    Q_PROPERTY(QString lastError READ lastError NOTIFY lastErrorChanged)

public:
    explicit SettingsModel(QObject* parent = nullptr);

    bool probing() const { return m_probing; }
    QString cpuName() const { return m_cpuName; }
    int cpuCores() const { return m_cpuCores; }
    QString cpuFeatures() const { return m_cpuFeatures; }
    double memoryGiB() const { return m_memoryGiB; }
    double availableGiB() const { return m_availableGiB; }
    QVariantList gpus() const { return m_gpus; }
    QString gpuReason() const { return m_gpuReason; }
    QString renderBackend() const;
    QString device() const;
    QString precision() const;
    int memoryBudgetMb() const;
    QString libraryPath() const;
    QString effectiveLibraryPath() const;
    QString configFile() const;
    QString lastError() const { return m_lastError; }

    Q_INVOKABLE bool setDevice(const QString& v);
    Q_INVOKABLE bool setPrecision(const QString& v);
    Q_INVOKABLE bool setMemoryBudgetMb(int mb);
    Q_INVOKABLE bool setLibraryPath(const QString& path);
    /// Re-reads the config file (another process may have changed it).
    Q_INVOKABLE void reload();
    Q_INVOKABLE void probe();

    /// Writes `key = value` into the config file at `file`, replacing an
    /// existing assignment (also inside a `[section]`) and keeping every other
    /// line. Validates the whole result with Config before the atomic rename.
    static Result<void> write_key(const std::string& file, const std::string& key, const std::string& value);

Q_SIGNALS:
    void deviceChanged();
    void configChanged();
    void lastErrorChanged();

private:
    bool store(const char* key, const QString& value);
    void setError(const QString& e);

    Config m_config;
    bool m_probing = false;
    QString m_cpuName;
    int m_cpuCores = 0;
    QString m_cpuFeatures;
    double m_memoryGiB = 0;
    double m_availableGiB = 0;
    QVariantList m_gpus;
    QString m_gpuReason;
    QString m_lastError;
};

}  // namespace atelier::ui

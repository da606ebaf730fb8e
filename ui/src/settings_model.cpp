// SPDX-License-Identifier: MIT
#include "settings_model.h"

#include "render_backend.h"

#include <QDir>
#include <QFileInfo>
#include <QPointer>
#include <QSaveFile>
#include <QThreadPool>
#include <fstream>
#include <sstream>

#include "atelier/base/paths.h"
#include "atelier/base/sysinfo.h"

namespace atelier::ui {

namespace {
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}
}  // namespace

SettingsModel::SettingsModel(QObject* parent) : QObject(parent) {
    reload();
    probe();
}

void SettingsModel::reload() {
    if (auto cfg = Config::load()) {
        m_config = std::move(*cfg);
    } else {
        setError(QString::fromStdString(cfg.error().message));
    }
    Q_EMIT configChanged();
}

void SettingsModel::probe() {
    if (m_probing) return;
    m_probing = true;
    Q_EMIT deviceChanged();
    QPointer<SettingsModel> self(this);
    // sysinfo reads /proc and dlopens libcuda: keep it off the GUI thread.
    QThreadPool::globalInstance()->start([self] {
        auto cpu = sysinfo::cpu();
        auto gpus = sysinfo::gpus();
        if (!self) return;
        QMetaObject::invokeMethod(
            self.data(),
            [self, cpu = std::move(cpu), gpus = std::move(gpus)] {
                if (!self) return;
                SettingsModel& m = *self;
                m.m_cpuName = QString::fromStdString(cpu.model);
                m.m_cpuCores = static_cast<int>(cpu.logical_cores);
                QStringList flags;
                for (const auto& f : cpu.flags)
                    flags << QString::fromStdString(f);
                m.m_cpuFeatures = flags.join(", ");
                m.m_memoryGiB = static_cast<double>(cpu.memory_bytes) / kGiB;
                m.m_availableGiB = static_cast<double>(cpu.available_bytes) / kGiB;
                m.m_gpus.clear();
                for (const auto& g : gpus.devices) {
                    m.m_gpus.push_back(
                        QVariantMap{{"name", QString::fromStdString(g.name)},
                                    {"memoryGiB", static_cast<double>(g.memory_bytes) / kGiB},
                                    {"compute", QStringLiteral("%1.%2").arg(g.compute_major).arg(g.compute_minor)}});
                }
                m.m_gpuReason = QString::fromStdString(gpus.reason);
                m.m_probing = false;
                Q_EMIT m.deviceChanged();
            },
            Qt::QueuedConnection);
    });
}

QString SettingsModel::device() const {
    return QString::fromStdString(m_config.get_string("ml.device"));
}
QString SettingsModel::precision() const {
    return QString::fromStdString(m_config.get_string("ml.precision"));
}
int SettingsModel::memoryBudgetMb() const {
    auto v = m_config.get_int("ml.memory_budget_mb");
    return v ? static_cast<int>(*v) : 0;
}
QString SettingsModel::libraryPath() const {
    return QString::fromStdString(m_config.get_string("library.path"));
}
QString SettingsModel::effectiveLibraryPath() const {
    const auto p = libraryPath();
    return p.isEmpty() ? QString::fromStdString(paths::data_dir().string()) : p;
}
QString SettingsModel::configFile() const {
    return QString::fromStdString(Config::default_file().string());
}

void SettingsModel::setError(const QString& e) {
    if (e == m_lastError) return;
    m_lastError = e;
    Q_EMIT lastErrorChanged();
}

bool SettingsModel::setDevice(const QString& v) {
    if (v != "auto" && v != "cpu" && v != "cuda") {
        setError(tr("Device must be auto, cpu or cuda."));
        return false;
    }
    if (v == "cuda" && m_gpus.isEmpty() && !m_probing) {
        setError(tr("No CUDA device was found (%1). Inference would fall back to the CPU; choose Auto or CPU.")
                     .arg(m_gpuReason));
        return false;
    }
    return store("ml.device", v);
}

bool SettingsModel::setPrecision(const QString& v) {
    if (v != "fp32" && v != "bf16" && v != "fp16" && v != "auto") {
        setError(tr("Precision must be fp32, bf16, fp16 or auto."));
        return false;
    }
    return store("ml.precision", v);
}

bool SettingsModel::setMemoryBudgetMb(int mb) {
    if (mb < 0) {
        setError(tr("The memory budget cannot be negative; 0 means automatic."));
        return false;
    }
    if (m_memoryGiB > 0 && mb > m_memoryGiB * 1024.0 && m_gpus.isEmpty()) {
        setError(tr("%1 MiB is more than this machine's memory (%2 GiB).").arg(mb).arg(m_memoryGiB, 0, 'f', 1));
        return false;
    }
    return store("ml.memory_budget_mb", QString::number(mb));
}

bool SettingsModel::setLibraryPath(const QString& path) {
    QString p = path.trimmed();
    if (p.startsWith("file://")) p = QUrl(p).toLocalFile();
    if (!p.isEmpty()) {
        const QFileInfo fi(p);
        if (!fi.isAbsolute()) {
            setError(tr("Choose an absolute folder for the library (for example /home/you/Atelier)."));
            return false;
        }
        if (fi.exists() && !fi.isDir()) {
            setError(tr("'%1' is a file; choose a folder for the library.").arg(p));
            return false;
        }
        if (!QDir().mkpath(p) || !QFileInfo(p).isWritable()) {
            setError(tr("Cannot write to '%1'; choose a folder you own.").arg(p));
            return false;
        }
    }
    return store("library.path", p);
}

bool SettingsModel::store(const char* key, const QString& value) {
    auto r = write_key(configFile().toStdString(), key, value.toStdString());
    if (!r) {
        setError(QString::fromStdString(r.error().message));
        return false;
    }
    (void)m_config.set(key, value.toStdString(), "file:" + configFile().toStdString());
    setError({});
    Q_EMIT configChanged();
    return true;
}

Result<void> SettingsModel::write_key(const std::string& file, const std::string& key, const std::string& value) {
    std::vector<std::string> lines;
    {
        std::ifstream in(file);
        for (std::string line; std::getline(in, line);)
            lines.push_back(line);
    }
    std::string section;
    bool replaced = false;
    for (auto& line : lines) {
        const auto t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        if (t.front() == '[' && t.back() == ']') {
            section = trim(t.substr(1, t.size() - 2));
            continue;
        }
        const auto eq = t.find('=');
        if (eq == std::string::npos) continue;
        const auto k = trim(t.substr(0, eq));
        const auto full = section.empty() ? k : section + "." + k;
        if (full == key) {
            line = k + " = " + value;
            replaced = true;
        }
    }
    if (!replaced) {
        // Top-level keys must come before the first section header.
        auto pos = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
            const auto t = trim(l);
            return !t.empty() && t.front() == '[';
        });
        lines.insert(pos, key + " = " + value);
    }
    std::ostringstream out;
    for (const auto& l : lines)
        out << l << '\n';
    const auto text = out.str();
    Config check;
    ATELIER_TRY(check.merge_text(text, file));
    ATELIER_TRY(paths::ensure_dir(std::filesystem::path(file).parent_path()));
    QSaveFile f(QString::fromStdString(file));
    if (!f.open(QIODevice::WriteOnly) || f.write(text.data(), static_cast<qint64>(text.size())) < 0 || !f.commit())
        return fail(Errc::io_error, "cannot write the config file '" + file + "': " + f.errorString().toStdString());
    return ok();
}

QString SettingsModel::renderBackend() const {
    return active_render_backend().reason;
}

}  // namespace atelier::ui

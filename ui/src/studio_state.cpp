// SPDX-License-Identifier: MIT
#include "studio_state.h"

#include <QCoreApplication>
#include <QEvent>
#include <QGuiApplication>
#include <QJSEngine>
#include <QPalette>
#include <QPointer>

#include "atelier/base/paths.h"

namespace atelier::ui {

StudioState* StudioState::instance() {
    static QPointer<StudioState> s_instance;
    if (!s_instance) {
        const auto file = QString::fromStdString((paths::state_dir() / "studio.ini").string());
        s_instance = new StudioState(file, QCoreApplication::instance());
    }
    return s_instance;
}

StudioState* StudioState::create(QQmlEngine*, QJSEngine*) {
    auto* s = instance();
    QJSEngine::setObjectOwnership(s, QJSEngine::CppOwnership);
    return s;
}

StudioState::StudioState(const QString& file, QObject* parent)
    : QObject(parent), m_settings(std::make_unique<QSettings>(file, QSettings::IniFormat)) {
    probeSystem();
    if (auto* app = QCoreApplication::instance()) app->installEventFilter(this);
}

bool StudioState::eventFilter(QObject* watched, QEvent* event) {
    if (watched == QCoreApplication::instance() && event->type() == QEvent::ApplicationPaletteChange) probeSystem();
    return QObject::eventFilter(watched, event);
}

void StudioState::probeSystem() {
    bool darkNow = false;
    // ATELIER_THEME lets scripts (screenshots, tests) pick the system side.
    const QByteArray forced = qgetenv("ATELIER_SYSTEM_THEME");
    if (forced == "dark") {
        darkNow = true;
    } else if (forced == "light") {
        darkNow = false;
    } else if (qobject_cast<QGuiApplication*>(QCoreApplication::instance())) {
        // Qt 6.4 has no QStyleHints::colorScheme: the platform theme's window
        // colour tells whether the desktop is dark.
        darkNow = QGuiApplication::palette().color(QPalette::Window).lightness() < 128;
    }
    if (darkNow != m_systemDark) {
        m_systemDark = darkNow;
        Q_EMIT systemDarkChanged();
    }
}

void StudioState::put(const char* key, const QVariant& value) {
    if (m_settings->value(key) == value) return;
    m_settings->setValue(key, value);
    m_settings->sync();
    Q_EMIT changed();
}

QRect StudioState::windowGeometry() const {
    return m_settings->value("window/geometry", QRect(0, 0, 1280, 800)).toRect();
}
void StudioState::setWindowGeometry(const QRect& r) {
    put("window/geometry", r);
}
bool StudioState::windowMaximized() const {
    return m_settings->value("window/maximized", false).toBool();
}
void StudioState::setWindowMaximized(bool v) {
    put("window/maximized", v);
}
QString StudioState::currentScreen() const {
    return m_settings->value("window/screen", "library").toString();
}
void StudioState::setCurrentScreen(const QString& v) {
    put("window/screen", v);
}
QString StudioState::lastSearch() const {
    return m_settings->value("library/search").toString();
}
void StudioState::setLastSearch(const QString& v) {
    put("library/search", v);
}
QString StudioState::sortOrder() const {
    return m_settings->value("library/sort", "newest").toString();
}
void StudioState::setSortOrder(const QString& v) {
    put("library/sort", v);
}
int StudioState::thumbnailSize() const {
    return m_settings->value("library/thumbnailSize", 176).toInt();
}
void StudioState::setThumbnailSize(int v) {
    put("library/thumbnailSize", v);
}
bool StudioState::jobsPanelOpen() const {
    return m_settings->value("window/jobsPanelOpen", false).toBool();
}
void StudioState::setJobsPanelOpen(bool v) {
    put("window/jobsPanelOpen", v);
}
int StudioState::jobsPanelWidth() const {
    return m_settings->value("window/jobsPanelWidth", 340).toInt();
}
void StudioState::setJobsPanelWidth(int v) {
    put("window/jobsPanelWidth", v);
}
int StudioState::sidebarWidth() const {
    return m_settings->value("window/sidebarWidth", 220).toInt();
}
void StudioState::setSidebarWidth(int v) {
    put("window/sidebarWidth", v);
}
QString StudioState::themeMode() const {
    return m_settings->value("appearance/theme", "system").toString();
}
void StudioState::setThemeMode(const QString& v) {
    if (v != "system" && v != "dark" && v != "light") return;
    const bool before = dark();
    put("appearance/theme", v);
    if (dark() != before) Q_EMIT systemDarkChanged();
}
QString StudioState::drawing() const {
    const auto v = m_settings->value("appearance/drawing", "auto").toString();
    return v == "gpu" || v == "software" ? v : QStringLiteral("auto");
}
void StudioState::setDrawing(const QString& v) {
    if (v != "auto" && v != "gpu" && v != "software") return;
    put("appearance/drawing", v);
}
bool StudioState::dark() const {
    const auto mode = themeMode();
    return mode == "dark" || (mode == "system" && m_systemDark);
}

}  // namespace atelier::ui

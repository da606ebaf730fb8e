// SPDX-License-Identifier: MIT
#pragma once

/// \file studio_state.h
/// What the app remembers between runs (window geometry, the open screen,
/// the last search, panel sizes, the theme choice), kept in
/// `paths::state_dir()/studio.ini`, plus whether the desktop asks for a dark
/// theme. Values are written when they change, so a crash loses nothing.
///
/// Thread safety: GUI thread only.

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QRect>
#include <QSettings>
#include <memory>

class QQmlEngine;
class QJSEngine;

namespace atelier::ui {

class StudioState : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON
    Q_PROPERTY(QRect windowGeometry READ windowGeometry WRITE setWindowGeometry NOTIFY changed)
    Q_PROPERTY(bool windowMaximized READ windowMaximized WRITE setWindowMaximized NOTIFY changed)
    Q_PROPERTY(QString currentScreen READ currentScreen WRITE setCurrentScreen NOTIFY changed)
    Q_PROPERTY(QString lastSearch READ lastSearch WRITE setLastSearch NOTIFY changed)
    Q_PROPERTY(QString sortOrder READ sortOrder WRITE setSortOrder NOTIFY changed)
    Q_PROPERTY(int thumbnailSize READ thumbnailSize WRITE setThumbnailSize NOTIFY changed)
    Q_PROPERTY(bool jobsPanelOpen READ jobsPanelOpen WRITE setJobsPanelOpen NOTIFY changed)
    Q_PROPERTY(int jobsPanelWidth READ jobsPanelWidth WRITE setJobsPanelWidth NOTIFY changed)
    Q_PROPERTY(int sidebarWidth READ sidebarWidth WRITE setSidebarWidth NOTIFY changed)
    /// "system", "dark" or "light".
    Q_PROPERTY(QString themeMode READ themeMode WRITE setThemeMode NOTIFY changed)
    /// How to draw the window: "auto", "gpu" or "software" (render_backend.h);
    /// read once at start-up, so a change applies at the next start.
    Q_PROPERTY(QString drawing READ drawing WRITE setDrawing NOTIFY changed)
    /// The desktop's preference, from the application palette.
    Q_PROPERTY(bool systemDark READ systemDark NOTIFY systemDarkChanged)
    /// themeMode resolved against the system.
    Q_PROPERTY(bool dark READ dark NOTIFY systemDarkChanged)
    Q_PROPERTY(QString stateFile READ stateFile CONSTANT)

public:
    static StudioState* instance();
    static StudioState* create(QQmlEngine*, QJSEngine*);

    explicit StudioState(const QString& file, QObject* parent = nullptr);

    QRect windowGeometry() const;
    void setWindowGeometry(const QRect& r);
    bool windowMaximized() const;
    void setWindowMaximized(bool v);
    QString currentScreen() const;
    void setCurrentScreen(const QString& v);
    QString lastSearch() const;
    void setLastSearch(const QString& v);
    QString sortOrder() const;
    void setSortOrder(const QString& v);
    int thumbnailSize() const;
    void setThumbnailSize(int v);
    bool jobsPanelOpen() const;
    void setJobsPanelOpen(bool v);
    int jobsPanelWidth() const;
    void setJobsPanelWidth(int v);
    int sidebarWidth() const;
    void setSidebarWidth(int v);
    QString themeMode() const;
    void setThemeMode(const QString& v);
    QString drawing() const;
    void setDrawing(const QString& v);
    bool systemDark() const { return m_systemDark; }
    bool dark() const;
    QString stateFile() const { return m_settings->fileName(); }

Q_SIGNALS:
    void changed();
    void systemDarkChanged();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void put(const char* key, const QVariant& value);
    void probeSystem();
    std::unique_ptr<QSettings> m_settings;
    bool m_systemDark = false;
};

}  // namespace atelier::ui

// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.Window
import Atelier.Studio

// The main window: navigation rail, the current screen, and the jobs panel
// shared by every screen. Screens are listed once in `screens`; each is
// loaded on first visit (the Library first, so it paints first).
ApplicationWindow {
    id: window
    objectName: "mainWindow"
    title: qsTr("Atelier")
    minimumWidth: 900
    minimumHeight: 560
    color: Theme.window
    font.family: Theme.fontFamily
    font.pixelSize: Theme.fontBody

    palette.window: Theme.window
    palette.windowText: Theme.text
    palette.base: Theme.surface
    palette.alternateBase: Theme.surfaceAlt
    palette.text: Theme.text
    palette.button: Theme.surfaceAlt
    palette.buttonText: Theme.text
    palette.highlight: Theme.accent
    palette.highlightedText: Theme.textOnAccent
    palette.placeholderText: Theme.textFaint
    palette.mid: Theme.border
    palette.midlight: Theme.surfaceHover
    palette.dark: Theme.textMuted
    palette.light: Theme.surface
    palette.shadow: Theme.border
    palette.toolTipBase: Theme.surfaceAlt
    palette.toolTipText: Theme.text

    // The screen registry. Later releases add Create, Marketplace, Publish
    // and Plugins here; nothing else in the shell changes.
    readonly property var screens: [
        { key: "library", title: qsTr("Library"), glyph: "\u25A6", url: "LibraryScreen.qml" },
        { key: "upscale", title: qsTr("Upscale"), glyph: "\u21E7", url: "UpscaleScreen.qml" },
        { key: "settings", title: qsTr("Settings"), glyph: "\u2699", url: "SettingsScreen.qml" }
    ]
    property string currentScreen: {
        const saved = StudioState.currentScreen
        return screens.some(s => s.key === saved) ? saved : "library"
    }
    readonly property int currentIndex: Math.max(0, screens.findIndex(s => s.key === currentScreen))
    readonly property Item currentScreenItem: screenRepeater.count > currentIndex
        ? screenRepeater.itemAt(currentIndex).item : null

    function showScreen(key) {
        if (!screens.some(s => s.key === key))
            return
        currentScreen = key
        StudioState.currentScreen = key
        Qt.callLater(() => { if (currentScreenItem) currentScreenItem.forceActiveFocus() })
    }
    function screenItem(key) {
        const i = screens.findIndex(s => s.key === key)
        return i >= 0 ? screenRepeater.itemAt(i).item : null
    }

    // Screenshot steps (tools/screenshots.sh): each prepares one view and
    // returns how long to wait (ms) for it to settle.
    function screenshotSteps() {
        return ["library", "asset", "asset-tiled", "library-search", "library-delete", "jobs", "upscale", "asset-derived",
                "settings", "library-light", "asset-light", "upscale-light", "settings-light"]
    }
    function screenshotStep(step) {
        const light = step.endsWith("-light")
        const base = light ? step.slice(0, -6) : step
        StudioState.themeMode = light ? "light" : "dark"
        StudioState.jobsPanelOpen = base === "jobs"
        const lib = screenItem("library") || (showScreen("library"), screenItem("library"))
        if (lib.deleteDialog) lib.deleteDialog.close()
        if (base === "library-delete") {
            showScreen("library")
            lib.closeAsset()
            lib.library.select(0)
            lib.library.select(2, "range")
            lib.deleteSelected(true)
            return 1200
        }
        lib.library.clearSelection()
        if (base === "settings") {
            showScreen("settings")
            return 1200
        }
        if (base === "upscale") {
            const library = screenItem("library")
            library.closeAsset()
            library.library.query = ""
            if (light) {
                showScreen("upscale")
                return 1500
            }
            library.library.select(0)
            showScreen("upscale")
            const queued = screenItem("upscale").runOnSelection("esrgan-slim", "esrgan-medium")
            return queued > 0 ? -1 : 1500  // -1: wait for screenshotReady()
        }
        showScreen("library")
        const library = screenItem("library")
        if (base === "asset-derived") {
            const runs = screenItem("upscale").upscaleRuns
            const child = runs.length > 0 && runs[0].results.length > 0 ? runs[0].results[0].childId : 0
            library.openAssetById(child)
            return 2500
        }
        if (base === "asset" || base === "asset-tiled") {
            const row = base === "asset-tiled" ? library.findRow("waves") : library.findRow("art-deco")
            library.openAssetAt(Math.max(0, row))
            library.setTiled(base === "asset-tiled")
            return 1800
        }
        library.closeAsset()
        if (base === "library-search") {
            library.library.query = "waves"
            return 1800
        }
        if (base === "jobs") {
            library.library.query = ""
            const extra = Qt.application.arguments.indexOf("--screenshot-import")
            if (extra >= 0)
                library.library.importUrls([Qt.application.arguments[extra + 1]])
            return 2500
        }
        library.library.query = ""
        return 1800
    }

    // Whether a step that returned -1 has settled (the upscale finished).
    function screenshotReady() {
        const up = screenItem("upscale")
        return !up || (up.upscaleRuns.length > 0 && up.upscaleRuns.every(r => r.state !== "queued" && r.state !== "running"))
    }

    // Window layout survives a restart.
    Component.onCompleted: {
        const g = StudioState.windowGeometry
        const avail = Screen.desktopAvailableWidth > 0
        width = Math.max(minimumWidth, avail ? Math.min(g.width, Screen.desktopAvailableWidth) : g.width)
        height = Math.max(minimumHeight, avail ? Math.min(g.height, Screen.desktopAvailableHeight) : g.height)
        if (g.x > 0 || g.y > 0) { x = g.x; y = g.y }
        if (StudioState.windowMaximized)
            showMaximized()
        else
            show()
    }
    onClosing: saveGeometry()
    function saveGeometry() {
        StudioState.windowMaximized = visibility === Window.Maximized
        if (visibility === Window.Windowed)
            StudioState.windowGeometry = Qt.rect(x, y, width, height)
    }
    Timer {
        id: geometryTimer
        interval: 500
        onTriggered: window.saveGeometry()
    }
    onWidthChanged: geometryTimer.restart()
    onHeightChanged: geometryTimer.restart()
    onXChanged: geometryTimer.restart()
    onYChanged: geometryTimer.restart()

    // Standard shortcuts. Screen-specific ones (Ctrl+F, Ctrl+I, Delete,
    // Ctrl+Z) are forwarded to the current screen when it handles them.
    Shortcut { sequence: "Ctrl+1"; onActivated: window.showScreen(window.screens[0].key) }
    Shortcut { sequence: "Ctrl+2"; enabled: window.screens.length > 1; onActivated: window.showScreen(window.screens[1].key) }
    Shortcut { sequence: "Ctrl+3"; enabled: window.screens.length > 2; onActivated: window.showScreen(window.screens[2].key) }
    Shortcut { sequence: "Ctrl+4"; enabled: window.screens.length > 3; onActivated: window.showScreen(window.screens[3].key) }
    Shortcut { sequences: [StandardKey.Preferences]; onActivated: window.showScreen("settings") }
    Shortcut { sequence: "Ctrl+,"; onActivated: window.showScreen("settings") }
    Shortcut { sequence: "Ctrl+J"; onActivated: StudioState.jobsPanelOpen = !StudioState.jobsPanelOpen }
    Shortcut { sequences: [StandardKey.Quit]; onActivated: window.close() }
    Shortcut {
        sequences: [StandardKey.Find]
        onActivated: {
            window.showScreen("library")
            const lib = window.screenItem("library")
            if (lib) lib.focusSearch()
        }
    }
    Shortcut {
        sequence: "Ctrl+I"
        onActivated: {
            window.showScreen("library")
            const lib = window.screenItem("library")
            if (lib) lib.openImport()
        }
    }
    Shortcut {
        sequences: [StandardKey.Undo]
        enabled: window.currentScreenItem !== null && window.currentScreenItem.canUndo === true
        onActivated: window.currentScreenItem.undo()
    }

    RowLayout {
        anchors.fill: parent
        spacing: 0

        NavRail {
            id: rail
            Layout.fillHeight: true
            screens: window.screens
            current: window.currentScreen
            jobsActive: JobsModel.activeCount
            jobsFailed: JobsModel.failedCount
            jobsOpen: StudioState.jobsPanelOpen
            onActivated: (key) => window.showScreen(key)
            onJobsToggled: StudioState.jobsPanelOpen = !StudioState.jobsPanelOpen
        }

        StackLayout {
            id: stack
            Layout.fillWidth: true
            Layout.fillHeight: true
            currentIndex: window.currentIndex
            Repeater {
                id: screenRepeater
                model: window.screens
                delegate: Loader {
                    required property var modelData
                    required property int index
                    objectName: "screen_" + modelData.key
                    // Only the visible screen is created; others on first visit.
                    // The Library always (other screens use its model).
                    active: index === 0 || index === window.currentIndex || item !== null
                    source: modelData.url
                    onLoaded: {
                        item.window = window
                        if (index === window.currentIndex) item.forceActiveFocus()
                    }
                }
            }
        }

        // Created when first opened (start-up pays only for what shows).
        Loader {
            id: jobsPanel
            objectName: "jobsPanel"
            Layout.fillHeight: true
            Layout.preferredWidth: StudioState.jobsPanelWidth
            visible: StudioState.jobsPanelOpen
            active: StudioState.jobsPanelOpen || item !== null
            sourceComponent: JobsPanel {
                onCloseRequested: StudioState.jobsPanelOpen = false
            }
        }
    }
}

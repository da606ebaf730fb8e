// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

// The Library: search bar with the query language, facet sidebar with
// counts, a virtualised grid of thumbnails (pages load as it scrolls,
// thumbnails are made off the GUI thread), multi-select, drag and drop
// import with progress and a report, and the Asset view on Enter.
FocusScope {
    id: screen
    property var window
    property LibraryModel library: LibraryModel {}
    readonly property bool canUndo: library.canUndo
    readonly property bool assetOpen: pages.depth > 1
    /// The delete confirmation, once it has been asked for (null before).
    readonly property var deleteDialog: deleteDialogLoader.item
    readonly property var exportDialog: exportDialogLoader.item

    function focusSearch() {
        if (assetOpen) pages.pop()
        search.forceActiveFocus()
        search.selectAll()
    }
    function openImport() { importDialog.active = true; importDialog.item.open() }
    // Export…: a folder picker, then a signed export job.
    function openExport(ids) {
        exportDialogLoader.active = true
        exportDialogLoader.item.ids = ids
        exportDialogLoader.item.open()
    }
    function undo() { library.undo() }
    function openAssetAt(row) {
        const id = library.idAt(row)
        if (id <= 0) return
        library.openAsset(id)
        if (!assetOpen) pages.push(assetPage)
    }
    // Row of the first loaded asset whose title contains `text` (-1: none).
    function findRow(text) {
        for (let i = 0; i < grid.count; ++i) {
            const it = grid.itemAtIndex(i)
            if (it && it.title.indexOf(text) >= 0) return i
        }
        return -1
    }
    function openAssetById(id) {
        if (id <= 0) return
        library.openAsset(id)
        if (!assetOpen) pages.push(assetPage)
    }
    function setTiled(on) {
        if (assetOpen) {
            pages.currentItem.tiledRequest = on
            pages.currentItem.tiled = on
        }
    }
    function closeAsset() {
        if (assetOpen) pages.pop()
        grid.forceActiveFocus()
    }

    StackView {
        id: pages
        anchors.fill: parent
        initialItem: libraryPage
        // Switching views should feel instant.
        pushEnter: null; pushExit: null; popEnter: null; popExit: null
    }

    Component {
        id: assetPage
        AssetView {
            library: screen.library
            onBackRequested: screen.closeAsset()
            onExportRequested: (ids) => screen.openExport(ids)
            onUpscaleRequested: (id) => {
                const row = screen.library.rowOfId(id)
                if (row >= 0) screen.library.select(row)
                if (screen.window) screen.window.showScreen("upscale")
            }
        }
    }

    Item {
        id: libraryPage
        Item {
            anchors.fill: parent
            RowLayout {
                anchors.fill: parent
                spacing: 0

                // ---- facet sidebar ----------------------------------------
                Rectangle {
                    Layout.fillHeight: true
                    Layout.preferredWidth: StudioState.sidebarWidth
                    color: Theme.surface
                    Rectangle { anchors.right: parent.right; width: 1; height: parent.height; color: Theme.divider }
                    FacetSidebar {
                        anchors.fill: parent
                        anchors.rightMargin: 1
                        library: screen.library
                    }
                }

                // ---- main column ------------------------------------------
                ColumnLayout {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    spacing: 0

                    // Search and tools
                    Rectangle {
                        Layout.fillWidth: true
                        implicitHeight: toolbar.implicitHeight + 2 * Theme.s3
                        color: Theme.window
                        RowLayout {
                            id: toolbar
                            anchors.fill: parent
                            anchors.margins: Theme.s3
                            anchors.leftMargin: Theme.s4
                            anchors.rightMargin: Theme.s4
                            spacing: Theme.s2
                            SearchField {
                                id: search
                                objectName: "searchField"
                                Layout.fillWidth: true
                                text: screen.library.query
                                error: screen.library.queryError
                                onTextEdited: screen.library.query = text
                                onDownPressed: grid.forceActiveFocus()
                            }
                            ComboBox {
                                id: sortBox
                                objectName: "sortBox"
                                Layout.preferredWidth: 150
                                implicitHeight: Theme.controlHeight
                                textRole: "label"
                                valueRole: "key"
                                Accessible.name: qsTr("Sort order")
                                model: [
                                    { key: "newest", label: qsTr("Newest first") },
                                    { key: "oldest", label: qsTr("Oldest first") },
                                    { key: "rating", label: qsTr("Highest rated") },
                                    { key: "title", label: qsTr("Title A–Z") },
                                    { key: "width", label: qsTr("Largest first") }
                                ]
                                Component.onCompleted: currentIndex = Math.max(0, indexOfValue(screen.library.sort))
                                onActivated: screen.library.sort = currentValue
                            }
                            Slider {
                                id: sizeSlider
                                Layout.preferredWidth: 110
                                from: 112; to: 320; stepSize: 16
                                value: StudioState.thumbnailSize
                                onMoved: StudioState.thumbnailSize = value
                                Accessible.name: qsTr("Thumbnail size")
                                ToolTip.visible: hovered
                                ToolTip.text: qsTr("Thumbnail size")
                            }
                            AccentButton {
                                objectName: "importButton"
                                text: qsTr("Import…")
                                onClicked: screen.openImport()
                                ToolTip.visible: hovered
                                ToolTip.delay: 500
                                ToolTip.text: qsTr("Import files (Ctrl+I), or drop files and folders anywhere here")
                            }
                        }
                    }

                    ImportReport {
                        Layout.fillWidth: true
                        Layout.leftMargin: Theme.s4
                        Layout.rightMargin: Theme.s4
                        Layout.bottomMargin: Theme.s2
                        library: screen.library
                    }

                    // The grid
                    Item {
                        Layout.fillWidth: true
                        Layout.fillHeight: true

                        AssetGrid {
                            id: grid
                            objectName: "assetGrid"
                            anchors.fill: parent
                            focus: true
                            library: screen.library
                            cellSize: StudioState.thumbnailSize
                            visible: count > 0
                            onOpenRequested: (row) => screen.openAssetAt(row)
                            onSearchRequested: screen.focusSearch()
                        }

                        EmptyState {
                            anchors.centerIn: parent
                            width: Math.min(parent.width - 48, 480)
                            visible: grid.count === 0 && !screen.library.loading
                            glyph: screen.library.libraryCount === 0 ? "\u2B06" : "\u2205"
                            title: !screen.library.ready && screen.library.openError !== "" ? qsTr("The library could not be opened")
                                 : screen.library.libraryCount === 0 ? qsTr("Your library is empty")
                                 : qsTr("Nothing matches this search")
                            body: !screen.library.ready && screen.library.openError !== "" ? screen.library.openError
                                : screen.library.libraryCount === 0
                                  ? qsTr("Drop images or folders here, or press Ctrl+I to import. Originals are copied into the library and keep their metadata.")
                                  : (screen.library.queryError !== "" ? screen.library.queryError
                                     : qsTr("Try fewer words, or remove a filter from the sidebar."))
                            actionText: screen.library.libraryCount === 0 ? qsTr("Import images…")
                                      : (screen.library.query !== "" ? qsTr("Clear search") : "")
                            onActionTriggered: {
                                if (screen.library.libraryCount === 0) screen.openImport()
                                else screen.library.query = ""
                            }
                        }
                        BusyIndicator {
                            anchors.centerIn: parent
                            running: screen.library.loading && grid.count === 0
                            visible: running
                        }
                    }

                    // Status line
                    Rectangle {
                        Layout.fillWidth: true
                        implicitHeight: 30
                        color: Theme.surface
                        Rectangle { width: parent.width; height: 1; color: Theme.divider }
                        RowLayout {
                            anchors.fill: parent
                            anchors.leftMargin: Theme.s4
                            anchors.rightMargin: Theme.s3
                            spacing: Theme.s3
                            Label {
                                objectName: "resultCount"
                                text: screen.library.total < 0 ? ""
                                      : screen.library.query.trim() === ""
                                        ? qsTr("%L1 assets").arg(screen.library.total)
                                        : qsTr("%L1 of %L2 assets").arg(screen.library.total).arg(screen.library.libraryCount)
                                color: Theme.textMuted
                                font.pixelSize: Theme.fontSmall + 1
                            }
                            Label {
                                visible: screen.library.selectionCount > 0
                                text: qsTr("%L1 selected").arg(screen.library.selectionCount)
                                color: Theme.accent
                                font.pixelSize: Theme.fontSmall + 1
                                font.weight: Font.DemiBold
                            }
                            Label {
                                Layout.fillWidth: true
                                text: screen.library.notice
                                elide: Text.ElideRight
                                color: Theme.textMuted
                                font.pixelSize: Theme.fontSmall + 1
                            }
                            AccentButton {
                                visible: screen.library.canUndo
                                flat: true
                                implicitHeight: 22
                                text: qsTr("Undo")
                                ToolTip.visible: hovered
                                ToolTip.text: screen.library.undoText + " (Ctrl+Z)"
                                onClicked: screen.library.undo()
                            }
                            AccentButton {
                                visible: screen.library.selectionCount > 0
                                flat: true
                                implicitHeight: 22
                                text: qsTr("Add to collection…")
                                onClicked: screen.openDialog(collectionDialogLoader)
                            }
                            AccentButton {
                                objectName: "exportSelectionButton"
                                visible: screen.library.selectionCount > 0
                                flat: true
                                implicitHeight: 22
                                text: qsTr("Export…")
                                ToolTip.visible: hovered
                                ToolTip.text: qsTr("Save copies to a folder, signed with Content Credentials")
                                onClicked: screen.openExport(screen.library.selectedIds())
                            }
                            AccentButton {
                                objectName: "deleteButton"
                                visible: screen.library.selectionCount > 0
                                flat: true
                                implicitHeight: 22
                                text: screen.library.viewingCollection !== "" ? qsTr("Remove from collection")
                                                                             : qsTr("Delete…")
                                ToolTip.visible: hovered
                                ToolTip.text: screen.library.viewingCollection !== ""
                                              ? qsTr("Remove from this collection (Delete; Ctrl+Z undoes it)")
                                              : qsTr("Delete from the library (Delete; Ctrl+Z undoes it)")
                                onClicked: screen.deleteSelected(false)
                            }
                        }
                    }
                }
            }
        }
    }

    // Drag and drop from the file manager, anywhere on the screen.
    DropArea {
        id: drop
        objectName: "dropArea"
        anchors.fill: parent
        keys: ["text/uri-list"]
        onDropped: (event) => {
            if (event.hasUrls) {
                screen.library.importUrls(event.urls)
                event.acceptProposedAction()
            }
        }
        Rectangle {
            anchors.fill: parent
            anchors.margins: Theme.s3
            visible: drop.containsDrag
            radius: Theme.radiusLarge
            color: Qt.rgba(Theme.accent.r, Theme.accent.g, Theme.accent.b, 0.10)
            border.color: Theme.accent
            border.width: 2
            Label {
                anchors.centerIn: parent
                text: qsTr("Drop to import into the library")
                font.pixelSize: Theme.fontTitle
                font.weight: Font.DemiBold
                color: Theme.accent
            }
        }
    }

    // Delete: in a collection, take the selection out of it (Ctrl+Z puts it
    // back); elsewhere, and with Shift+Delete, delete it from the library
    // after asking (Ctrl+Z brings it back during the undo window).
    function deleteSelected(fromLibrary) {
        if (library.selectionCount === 0) return
        if (!fromLibrary && library.viewingCollection !== "") library.removeSelection()
        else openDialog(deleteDialogLoader)
    }
    Shortcut {
        sequences: [StandardKey.Delete]
        enabled: screen.visible && !screen.assetOpen && screen.library.selectionCount > 0
        onActivated: screen.deleteSelected(false)
    }
    Shortcut {
        sequence: "Shift+Del"
        enabled: screen.visible && !screen.assetOpen && screen.library.selectionCount > 0
        onActivated: screen.deleteSelected(true)
    }
    Shortcut {
        sequences: [StandardKey.Back]
        enabled: screen.assetOpen
        onActivated: screen.closeAsset()
    }

    // Created on first use: the dialogs module costs start-up time.
    Loader {
        id: importDialog
        active: false
        source: "ImportDialog.qml"
        onLoaded: item.library = screen.library
    }

    Loader {
        id: exportDialogLoader
        active: false
        source: "ExportDialog.qml"
        onLoaded: item.library = screen.library
    }

    // Dialogs are made on first use: start-up pays only for what shows.
    function openDialog(loader) {
        loader.active = true
        loader.item.open()
    }
    Loader {
        id: deleteDialogLoader
        active: false
        sourceComponent: Dialog {
            id: deleteDialog
            objectName: "deleteDialog"
            parent: screen
            title: screen.library.selectionCount === 1 ? qsTr("Delete 1 asset from the library?")
                   : qsTr("Delete %L1 assets from the library?").arg(screen.library.selectionCount)
            anchors.centerIn: parent
            width: Math.min(480, parent.width - 2 * Theme.s6)
            modal: true
            onOpened: deleteButton.forceActiveFocus()
            onAccepted: screen.library.deleteSelection()
            onClosed: grid.forceActiveFocus()
            Label {
                width: parent ? parent.width : 420
                wrapMode: Text.WordWrap
                color: Theme.textMuted
                text: qsTr("Their tags, collection places and thumbnails go too, and the copies the library "
                           + "made of their files are deleted. Files imported by reference stay where they are. "
                           + "Derived assets are kept. Undo (Ctrl+Z) brings them back for %1 seconds.")
                      .arg(Math.round(screen.library.deleteUndoMs / 1000))
            }
            footer: DialogButtonBox {
                alignment: Qt.AlignRight
                Button {
                    text: qsTr("Cancel")
                    DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
                }
                AccentButton {
                    id: deleteButton
                    objectName: "deleteConfirm"
                    danger: true
                    text: qsTr("Delete")
                    DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
                    Keys.onReturnPressed: deleteDialog.accept()
                    Keys.onEnterPressed: deleteDialog.accept()
                }
            }
        }
    }
    Loader {
        id: collectionDialogLoader
        active: false
        sourceComponent: Dialog {
            id: collectionDialog
            parent: screen
            title: screen.library.selectionCount === 1 ? qsTr("Add 1 asset to a collection")
                   : qsTr("Add %L1 assets to a collection").arg(screen.library.selectionCount)
            anchors.centerIn: parent
            modal: true
            standardButtons: Dialog.Ok | Dialog.Cancel
            onOpened: { collectionName.text = ""; collectionName.forceActiveFocus() }
            onAccepted: screen.library.addSelectionToCollection(collectionName.text)
            ColumnLayout {
                spacing: Theme.s2
                Label { text: qsTr("Collection name (a new one is created if needed)"); color: Theme.textMuted }
                TextField {
                    id: collectionName
                    Layout.preferredWidth: 320
                    placeholderText: qsTr("Spring drop")
                    onAccepted: collectionDialog.accept()
                }
            }
        }
    }
}

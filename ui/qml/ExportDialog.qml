// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Dialogs
import Atelier.Studio

// The folder picker for Export…, in its own file so that QtQuick.Dialogs is
// only loaded when it is first used (start-up time). `ids` are the assets to
// export; the export runs as a job (signed with Content Credentials).
FolderDialog {
    property LibraryModel library
    property var ids: []
    title: ids.length === 1 ? qsTr("Export 1 asset to…") : qsTr("Export %L1 assets to…").arg(ids.length)
    onAccepted: library.exportAssets(ids, selectedFolder.toString())
}

// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

FocusScope {
    id: screen
    property var window
    readonly property bool canUndo: false
    function focusSearch() {}
    function openImport() {}
    EmptyState {
        anchors.centerIn: parent
        title: qsTr("Your library is empty")
        body: qsTr("Drop images here or press Ctrl+I to import a folder.")
    }
}

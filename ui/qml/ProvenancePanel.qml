// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

// The asset's C2PA summary as the catalog recorded it at import: validation
// status, claim generator, manifest label, and the manifest store.
ColumnLayout {
    id: panel
    property var asset: ({})
    readonly property var p: asset.provenance
    property bool showManifest: false
    spacing: Theme.s2

    RowLayout {
        visible: panel.p !== undefined
        spacing: Theme.s2
        StatusBadge {
            objectName: "provenanceStatus"
            status: panel.p && panel.p.validation.startsWith("valid") ? "ok" : "failed"
            text: panel.p ? panel.p.validation : ""
        }
    }
    FieldRow { Layout.fillWidth: true; labelWidth: 110; visible: panel.p !== undefined; label: qsTr("Made with"); value: panel.p ? panel.p.claimGenerator : "" }
    FieldRow { Layout.fillWidth: true; labelWidth: 110; visible: panel.p !== undefined; label: qsTr("Manifest"); value: panel.p ? panel.p.label : "" }
    AccentButton {
        visible: panel.p !== undefined && panel.p.manifestJson !== ""
        flat: true
        implicitHeight: 26
        text: panel.showManifest ? qsTr("Hide manifest") : qsTr("Show manifest")
        onClicked: panel.showManifest = !panel.showManifest
    }
    TextArea {
        Layout.fillWidth: true
        visible: panel.showManifest
        readOnly: true
        wrapMode: TextEdit.WrapAnywhere
        text: panel.p ? panel.p.manifestJson : ""
        font.family: "DejaVu Sans Mono"
        font.pixelSize: Theme.fontSmall
        color: Theme.text
        background: Rectangle { color: Theme.surfaceAlt; radius: Theme.radius }
    }
    Label {
        Layout.fillWidth: true
        visible: panel.p === undefined
        wrapMode: Text.WordWrap
        text: qsTr("No Content Credentials (C2PA) in this file.")
        color: Theme.textFaint
    }
}

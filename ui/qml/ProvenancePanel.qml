// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

// Content Credentials (C2PA) of the asset, validated when the asset opens:
// the validation state, any failure codes, and the chain of manifests with
// their actions and ingredients (the active manifest first).
ColumnLayout {
    id: panel
    property var asset: ({})
    readonly property var c: asset.c2pa || ({ state: "no_manifest" })
    readonly property string st: String(c.state || "no_manifest").toLowerCase()
    readonly property bool present: st !== "no_manifest" && st !== "nomanifest"
    spacing: Theme.s2

    RowLayout {
        visible: panel.present
        spacing: Theme.s2
        StatusBadge {
            objectName: "provenanceStatus"
            status: panel.st === "trusted" || panel.st === "valid" ? "ok" : "failed"
            text: panel.st === "trusted" ? qsTr("verified · trusted signer")
                : panel.st === "valid" ? qsTr("verified · signer not in trust list")
                : panel.c.state
        }
    }
    Label {
        Layout.fillWidth: true
        visible: (panel.c.error || "") !== ""
        text: panel.c.error || ""
        wrapMode: Text.WordWrap
        color: Theme.danger
    }
    Repeater {
        model: panel.c.failures || []
        delegate: Label {
            required property var modelData
            Layout.fillWidth: true
            text: "\u26A0 " + modelData.code + ": " + modelData.explanation
            wrapMode: Text.WordWrap
            color: Theme.danger
            font.pixelSize: Theme.fontSmall + 1
        }
    }
    Repeater {
        model: panel.c.chain || []
        delegate: Rectangle {
            required property var modelData
            required property int index
            Layout.fillWidth: true
            implicitHeight: entry.implicitHeight + 2 * Theme.s2
            radius: Theme.radius
            color: Theme.surfaceAlt
            ColumnLayout {
                id: entry
                anchors.left: parent.left; anchors.right: parent.right; anchors.top: parent.top
                anchors.margins: Theme.s2
                spacing: 2
                Label {
                    Layout.fillWidth: true
                    text: (index === 0 ? qsTr("This file") : qsTr("Ingredient")) + " · " + (modelData.title || qsTr("untitled"))
                    font.weight: Font.DemiBold
                    wrapMode: Text.WrapAtWordBoundaryOrAnywhere
                    color: Theme.text
                }
                Label {
                    Layout.fillWidth: true
                    text: qsTr("Made with %1").arg(modelData.claimGenerator || "?")
                    color: Theme.textMuted
                    font.pixelSize: Theme.fontSmall + 1
                    elide: Text.ElideRight
                }
                Label {
                    Layout.fillWidth: true
                    visible: modelData.actions.length > 0
                    text: qsTr("Actions: %1").arg(modelData.actions.map(a => a.action.replace("c2pa.", "")).join(", "))
                    color: Theme.textMuted
                    font.pixelSize: Theme.fontSmall + 1
                    wrapMode: Text.WordWrap
                }
                Label {
                    Layout.fillWidth: true
                    visible: modelData.ingredients.length > 0
                    text: qsTr("Ingredients: %1").arg(modelData.ingredients.map(i => i.title + " (" + i.relationship + ")").join(", "))
                    color: Theme.textMuted
                    font.pixelSize: Theme.fontSmall + 1
                    wrapMode: Text.WordWrap
                }
            }
        }
    }
    Label {
        Layout.fillWidth: true
        visible: !panel.present
        wrapMode: Text.WordWrap
        text: qsTr("No Content Credentials (C2PA) in this file.")
        color: Theme.textFaint
    }
}

// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import Atelier.Studio

// A small pill: "ok" green, "failed" red, "running"/"verifying" accent,
// anything else neutral.
Rectangle {
    id: badge
    property string status: ""
    property string text: status
    readonly property color tone: status === "ok" || status === "succeeded" ? Theme.success
                                : status === "failed" ? Theme.danger
                                : status === "cancelled" ? Theme.warning
                                : status === "running" || status === "verifying" ? Theme.accent
                                : Theme.textMuted
    implicitWidth: lbl.implicitWidth + 16
    implicitHeight: 20
    radius: 10
    color: Qt.rgba(tone.r, tone.g, tone.b, Theme.dark ? 0.18 : 0.12)
    border.color: Qt.rgba(tone.r, tone.g, tone.b, 0.45)
    border.width: 1
    Label {
        id: lbl
        anchors.centerIn: parent
        text: badge.text
        font.family: Theme.fontFamily
        font.pixelSize: Theme.fontSmall
        font.weight: Font.DemiBold
        color: badge.tone
    }
}

// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

// What a screen shows when it has nothing yet: a glyph, a title, one line
// that says what to do, and an optional action.
ColumnLayout {
    id: root
    property string glyph: "\u25A6"
    property string title
    property string body
    property string actionText: ""
    signal actionTriggered()
    spacing: Theme.s3

    Label {
        Layout.alignment: Qt.AlignHCenter
        text: root.glyph
        font.family: Theme.fontFamily
        font.pixelSize: 48
        color: Theme.textFaint
    }
    Label {
        Layout.alignment: Qt.AlignHCenter
        text: root.title
        font.family: Theme.fontFamily
        font.pixelSize: Theme.fontTitle
        font.weight: Font.DemiBold
        color: Theme.text
    }
    Label {
        Layout.alignment: Qt.AlignHCenter
        Layout.maximumWidth: 440
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.WordWrap
        text: root.body
        font.family: Theme.fontFamily
        font.pixelSize: Theme.fontBody
        color: Theme.textMuted
        lineHeight: 1.2
    }
    AccentButton {
        Layout.alignment: Qt.AlignHCenter
        Layout.topMargin: Theme.s2
        visible: root.actionText !== ""
        text: root.actionText
        onClicked: root.actionTriggered()
    }
}

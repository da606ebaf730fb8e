// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import Atelier.Studio

// A square glyph button with a tooltip; `tip` doubles as its accessible name.
AbstractButton {
    id: control
    property string glyph
    property string tip
    property color tint: Theme.textMuted
    implicitWidth: 28
    implicitHeight: 28
    focusPolicy: Qt.StrongFocus
    Accessible.name: tip
    ToolTip.visible: hovered && tip !== ""
    ToolTip.delay: 500
    ToolTip.text: tip
    background: Rectangle {
        radius: Theme.radius
        color: control.down ? Theme.surfaceHover : control.hovered ? Theme.surfaceAlt : "transparent"
        border.width: control.visualFocus ? 2 : 0
        border.color: Theme.focus
    }
    contentItem: Label {
        text: control.glyph
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        font.family: Theme.fontFamily
        font.pixelSize: 15
        color: control.enabled ? control.tint : Theme.textFaint
    }
}

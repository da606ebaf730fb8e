// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import Atelier.Studio

// The primary action of a screen (filled) or, with `flat`, a quiet one.
Button {
    id: control
    property bool danger: false
    implicitHeight: Theme.controlHeight
    leftPadding: Theme.s4
    rightPadding: Theme.s4
    font.family: Theme.fontFamily
    font.pixelSize: Theme.fontBody
    font.weight: Font.DemiBold
    focusPolicy: Qt.StrongFocus
    Accessible.name: text
    contentItem: Label {
        text: control.text
        font: control.font
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        elide: Text.ElideRight
        color: !control.enabled ? Theme.textFaint
             : control.flat ? (control.danger ? Theme.danger : Theme.text)
             : Theme.textOnAccent
    }
    background: Rectangle {
        radius: Theme.radius
        color: !control.enabled ? Theme.surfaceAlt
             : control.flat ? (control.down ? Theme.surfaceHover : control.hovered ? Theme.surfaceAlt : "transparent")
             : control.danger ? Theme.danger
             : control.down || control.hovered ? Theme.accentHover : Theme.accent
        border.width: control.visualFocus ? 2 : (control.flat ? 1 : 0)
        border.color: control.visualFocus ? Theme.focus : Theme.border
    }
}

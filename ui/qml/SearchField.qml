// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

// The search bar: free text plus the library's query language. A parse
// error is shown under the field with what the catalog says to do.
TextField {
    id: field
    property string error: ""
    signal downPressed()
    implicitHeight: 34
    leftPadding: 32
    rightPadding: clearButton.visible ? 30 : 10
    placeholderText: qsTr("Search (Ctrl+F), e.g. floral color:navy seamless:yes width>=2048 rating>=4")
    placeholderTextColor: Theme.textFaint
    color: Theme.text
    selectByMouse: true
    selectionColor: Theme.selection
    selectedTextColor: Theme.text
    font.family: Theme.fontFamily
    font.pixelSize: Theme.fontBody
    Accessible.name: qsTr("Search the library")
    Accessible.description: error
    Keys.onDownPressed: field.downPressed()
    Keys.onEscapePressed: if (text !== "") { text = ""; textEdited() } else field.downPressed()

    background: Rectangle {
        radius: Theme.radius
        color: Theme.surface
        border.width: field.activeFocus ? 2 : 1
        border.color: field.error !== "" ? Theme.danger : field.activeFocus ? Theme.focus : Theme.border
    }
    Label {
        anchors.left: parent.left
        anchors.leftMargin: 11
        anchors.verticalCenter: parent.verticalCenter
        text: "\u2315"
        font.family: Theme.fontFamily
        font.pixelSize: 15
        color: Theme.textFaint
        visible: false
    }
    Rectangle {
        // A drawn magnifier (DejaVu lacks the glyph).
        x: 11; y: (parent.height - 12) / 2 - 1
        width: 10; height: 10; radius: 5
        color: "transparent"
        border.width: 1.6
        border.color: Theme.textFaint
        Rectangle {
            x: 8; y: 9; width: 5; height: 1.6
            rotation: 45
            transformOrigin: Item.Left
            color: Theme.textFaint
        }
    }
    IconButton {
        id: clearButton
        anchors.right: parent.right
        anchors.rightMargin: 3
        anchors.verticalCenter: parent.verticalCenter
        visible: field.text !== ""
        glyph: "\u2715"
        tip: qsTr("Clear search (Esc)")
        implicitWidth: 26; implicitHeight: 26
        focusPolicy: Qt.NoFocus
        onClicked: { field.text = ""; field.textEdited() }
    }
    ToolTip {
        parent: field
        y: field.height + 4
        visible: field.error !== "" && field.activeFocus
        text: field.error
        timeout: -1
    }
}

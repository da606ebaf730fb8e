// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

// "Label    value" on one line; the value wraps and can be selected.
RowLayout {
    property alias label: key.text
    property alias value: val.text
    property alias valueColor: val.color
    property int labelWidth: 150
    spacing: Theme.s3
    Label {
        id: key
        Layout.preferredWidth: parent.labelWidth
        Layout.alignment: Qt.AlignTop
        font.family: Theme.fontFamily
        font.pixelSize: Theme.fontBody
        color: Theme.textMuted
        elide: Text.ElideRight
    }
    TextEdit {
        id: val
        Layout.fillWidth: true
        readOnly: true
        selectByMouse: true
        wrapMode: TextEdit.Wrap
        font.family: Theme.fontFamily
        font.pixelSize: Theme.fontBody
        color: Theme.text
        selectionColor: Theme.selection
        selectedTextColor: Theme.text
        activeFocusOnTab: false
    }
}

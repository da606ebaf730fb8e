// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

// A section title with an optional one-line explanation.
ColumnLayout {
    property alias title: titleLabel.text
    property alias subtitle: subtitleLabel.text
    spacing: 2
    Label {
        id: titleLabel
        font.family: Theme.fontFamily
        font.pixelSize: Theme.fontLarge
        font.weight: Font.DemiBold
        color: Theme.text
        Accessible.role: Accessible.Heading
    }
    Label {
        id: subtitleLabel
        visible: text !== ""
        Layout.fillWidth: true
        wrapMode: Text.WordWrap
        font.family: Theme.fontFamily
        font.pixelSize: Theme.fontBody - 1
        color: Theme.textMuted
    }
}

// SPDX-License-Identifier: MIT
import QtQuick
import Atelier.Studio

// A surface with a border: groups related settings or specs.
Rectangle {
    default property alias content: inner.data
    property int padding: Theme.s4
    color: Theme.surface
    radius: Theme.radiusLarge
    border.color: Theme.border
    border.width: 1
    implicitHeight: inner.childrenRect.height + 2 * padding
    Item {
        id: inner
        anchors.fill: parent
        anchors.margins: parent.padding
    }
}

// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Window
import Atelier.Studio

// The virtualised thumbnail grid. Delegates are recycled (reuseItems) and
// thumbnails come from the asynchronous image provider, so scrolling never
// waits for a decode. Keyboard: arrows move, Shift+arrows extend, Space
// toggles, Ctrl+A selects all, Enter opens, Esc clears the selection.
GridView {
    id: grid
    property LibraryModel library
    property int cellSize: 176
    signal openRequested(int row)
    signal searchRequested()

    readonly property int columns: Math.max(1, Math.floor((width - leftMargin - rightMargin) / cellSize))
    model: library
    leftMargin: Theme.s3
    rightMargin: Theme.s3
    topMargin: Theme.s2
    bottomMargin: Theme.s3
    cellWidth: Math.floor((width - leftMargin - rightMargin) / columns)
    cellHeight: cellWidth + 30
    clip: true
    reuseItems: true
    cacheBuffer: cellHeight * 2
    keyNavigationEnabled: true
    activeFocusOnTab: true
    highlightFollowsCurrentItem: false
    boundsBehavior: Flickable.StopAtBounds
    currentIndex: -1
    Accessible.role: Accessible.List
    Accessible.name: qsTr("Assets")
    ScrollBar.vertical: ScrollBar { policy: ScrollBar.AsNeeded; minimumSize: 0.04 }

    onActiveFocusChanged: if (activeFocus && currentIndex < 0 && count > 0) currentIndex = 0

    // Thumbnails are decoded (on the provider's threads) at the size they are
    // shown, in device pixels, so drawing one is a copy rather than a scale
    // every frame, and fine patterns are filtered once, properly, instead of
    // aliasing. After a resize or a size change the new size is asked for
    // once it has settled, not for every pixel of a drag.
    readonly property int wantedThumbPixels: Math.max(16, Math.ceil((cellWidth - 30) * Screen.devicePixelRatio))
    property int thumbPixels: 0
    onWantedThumbPixelsChanged: {
        if (thumbPixels <= 0 || count === 0) thumbPixels = wantedThumbPixels
        else thumbSizeSettle.restart()
    }
    Component.onCompleted: thumbPixels = wantedThumbPixels
    Timer {
        id: thumbSizeSettle
        interval: 250
        onTriggered: grid.thumbPixels = grid.wantedThumbPixels
    }

    function moveSelect(event, step) {
        const from = currentIndex < 0 ? 0 : currentIndex
        const to = Math.max(0, Math.min(count - 1, from + step))
        currentIndex = to
        if (event.modifiers & Qt.ShiftModifier)
            library.select(to, (event.modifiers & Qt.ControlModifier) ? "extend" : "range")
        event.accepted = true
    }
    Keys.onPressed: (event) => {
        if (event.modifiers & Qt.ShiftModifier) {
            if (event.key === Qt.Key_Left) return moveSelect(event, -1)
            if (event.key === Qt.Key_Right) return moveSelect(event, 1)
            if (event.key === Qt.Key_Up) return moveSelect(event, -columns)
            if (event.key === Qt.Key_Down) return moveSelect(event, columns)
        }
        if (event.key === Qt.Key_Up && currentIndex >= 0 && currentIndex < columns) {
            searchRequested(); event.accepted = true; return
        }
        if (event.key === Qt.Key_Space && currentIndex >= 0) {
            library.select(currentIndex, (event.modifiers & Qt.ControlModifier) ? "toggle"
                                        : (library.selectionCount > 0 ? "toggle" : "single"))
            event.accepted = true
        } else if ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter) && currentIndex >= 0) {
            openRequested(currentIndex); event.accepted = true
        } else if (event.key === Qt.Key_A && (event.modifiers & Qt.ControlModifier)) {
            library.selectAll(); event.accepted = true
        } else if (event.key === Qt.Key_Escape && library.selectionCount > 0) {
            library.clearSelection(); event.accepted = true
        } else if (event.key === Qt.Key_Home) {
            currentIndex = 0; positionViewAtBeginning(); event.accepted = true
        } else if (event.key === Qt.Key_End) {
            currentIndex = count - 1; event.accepted = true
        }
    }

    delegate: Item {
        id: cell
        required property int index
        required property var assetId
        required property string title
        required property string thumbnail
        required property int pixelWidth
        required property int pixelHeight
        required property string format
        required property bool selected
        width: grid.cellWidth
        height: grid.cellHeight
        Accessible.role: Accessible.ListItem
        Accessible.name: title + ", " + pixelWidth + " by " + pixelHeight + (selected ? ", selected" : "")
        Accessible.selected: selected

        Rectangle {
            id: card
            anchors.fill: parent
            anchors.margins: 5
            radius: Theme.radius + 2
            color: cell.selected ? Theme.selection : (hover.hovered ? Theme.surfaceHover : "transparent")
            border.width: grid.currentIndex === cell.index && grid.activeFocus ? 2 : (cell.selected ? 1 : 0)
            border.color: grid.currentIndex === cell.index && grid.activeFocus ? Theme.focus : Theme.accent

            // Kept light for scrolling: no clipping (it breaks render
            // batching), plain Text rather than styled Labels, nothing
            // hidden that is never shown.
            Rectangle {
                id: frame
                x: 6; y: 6
                width: parent.width - 12
                height: width
                radius: Theme.radius
                color: Theme.surfaceAlt
                Image {
                    id: thumb
                    anchors.fill: parent
                    anchors.margins: 4
                    source: grid.thumbPixels > 0 ? cell.thumbnail : ""
                    asynchronous: true
                    fillMode: Image.PreserveAspectFit
                    sourceSize.width: grid.thumbPixels
                    sourceSize.height: grid.thumbPixels
                    smooth: true
                    mipmap: false
                }
                Text {
                    anchors.centerIn: parent
                    visible: thumb.status === Image.Error
                    text: visible ? qsTr("No preview") : ""
                    color: Theme.textFaint
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.fontSmall
                }
                Rectangle {
                    visible: cell.selected
                    anchors.right: parent.right
                    anchors.top: parent.top
                    anchors.margins: 6
                    width: 20; height: 20; radius: 10
                    color: Theme.accent
                    Text {
                        anchors.centerIn: parent
                        text: "\u2713"
                        color: Theme.textOnAccent
                        font.pixelSize: 12
                        font.bold: true
                    }
                }
            }
            Text {
                anchors.left: frame.left
                anchors.right: frame.right
                anchors.leftMargin: 4
                anchors.rightMargin: 4
                anchors.top: frame.bottom
                anchors.topMargin: 5
                text: cell.title
                elide: Text.ElideMiddle
                font.family: Theme.fontFamily
                font.pixelSize: Theme.fontSmall + 1
                color: Theme.text
            }
        }
        HoverHandler { id: hover }
        TapHandler {
            acceptedModifiers: Qt.KeyboardModifierMask
            onTapped: (eventPoint, button) => {
                grid.forceActiveFocus()
                grid.currentIndex = cell.index
                const mods = point.modifiers
                grid.library.select(cell.index, (mods & Qt.ShiftModifier) ? "range"
                                               : (mods & Qt.ControlModifier) ? "toggle" : "single")
            }
            onDoubleTapped: grid.openRequested(cell.index)
        }
    }
}

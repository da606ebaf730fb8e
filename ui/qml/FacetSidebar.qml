// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

// Collections and facets with counts for the current search; a click adds
// the facet to the search (and shows it there), a second click removes it.
ScrollView {
    id: side
    property LibraryModel library
    contentWidth: availableWidth
    clip: true

    readonly property var facetTitles: ({
        color: qsTr("Colour"), style: qsTr("Style"), seamless: qsTr("Seamless"), source: qsTr("Source"),
        licence: qsTr("Licence"), resolution: qsTr("Resolution"), model: qsTr("Model")
    })

    ColumnLayout {
        width: side.availableWidth
        spacing: 2

        Item { Layout.preferredHeight: Theme.s3 }
        FacetItem {
            Layout.fillWidth: true
            label: qsTr("All assets")
            count: side.library.libraryCount
            active: side.library.query.trim() === ""
            onClicked: side.library.query = ""
        }

        Heading { text: qsTr("Collections") }
        Repeater {
            model: side.library.collections
            delegate: FacetItem {
                required property var modelData
                Layout.fillWidth: true
                label: modelData.name
                count: modelData.count
                active: side.library.query.indexOf(modelData.term) >= 0
                onClicked: side.library.toggleTerm(modelData.term)
            }
        }
        Label {
            Layout.fillWidth: true
            Layout.leftMargin: Theme.s4
            Layout.rightMargin: Theme.s3
            visible: side.library.collections.length === 0
            text: qsTr("Select assets, then “Add to collection…”")
            wrapMode: Text.WordWrap
            color: Theme.textFaint
            font.pixelSize: Theme.fontSmall + 1
        }

        Repeater {
            model: side.library.facets
            delegate: ColumnLayout {
                id: facet
                required property var modelData
                Layout.fillWidth: true
                spacing: 2
                Heading { text: side.facetTitles[facet.modelData.name] || facet.modelData.name }
                Repeater {
                    model: facet.modelData.values.slice(0, 8)
                    delegate: FacetItem {
                        required property var modelData
                        Layout.fillWidth: true
                        label: modelData.value
                        count: modelData.count
                        active: side.library.query.indexOf(modelData.term) >= 0
                        onClicked: side.library.toggleTerm(modelData.term)
                    }
                }
            }
        }
        Item { Layout.preferredHeight: Theme.s4 }
    }

    component Heading: Label {
        Layout.fillWidth: true
        Layout.leftMargin: Theme.s4
        Layout.topMargin: Theme.s4
        Layout.bottomMargin: 2
        font.pixelSize: Theme.fontSmall
        font.weight: Font.DemiBold
        font.capitalization: Font.AllUppercase
        font.letterSpacing: 0.6
        color: Theme.textFaint
    }

    component FacetItem: AbstractButton {
        id: item
        property string label
        property var count: 0
        property bool active: false
        implicitHeight: 28
        leftPadding: Theme.s4
        rightPadding: Theme.s3
        focusPolicy: Qt.StrongFocus
        Accessible.role: Accessible.CheckBox
        Accessible.checked: active
        Accessible.name: label + ", " + count
        background: Rectangle {
            anchors.fill: parent
            anchors.leftMargin: Theme.s2
            anchors.rightMargin: Theme.s2
            radius: Theme.radius
            color: item.active ? Theme.accentSoft : item.hovered ? Theme.surfaceHover : "transparent"
            border.width: item.visualFocus ? 2 : 0
            border.color: Theme.focus
        }
        contentItem: RowLayout {
            spacing: Theme.s2
            Label {
                Layout.fillWidth: true
                text: item.label
                elide: Text.ElideRight
                color: item.active ? Theme.accent : Theme.text
                font.weight: item.active ? Font.DemiBold : Font.Normal
            }
            Label {
                text: Number(item.count).toLocaleString(Qt.locale(), "f", 0)
                color: Theme.textFaint
                font.pixelSize: Theme.fontSmall + 1
            }
        }
    }
}

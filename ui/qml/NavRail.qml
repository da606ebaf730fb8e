// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

// The navigation rail. `screens` is the registry in Main.qml: adding a
// screen (Create, Marketplace, Publish, Plugins) is one entry there.
Rectangle {
    id: rail
    property var screens: []
    property string current: ""
    property int jobsActive: 0
    property int jobsFailed: 0
    property bool jobsOpen: false
    signal activated(string key)
    signal jobsToggled()

    color: Theme.rail
    implicitWidth: Theme.railWidth

    Rectangle {
        anchors.right: parent.right
        width: 1; height: parent.height
        color: Theme.divider
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.topMargin: Theme.s3
        anchors.bottomMargin: Theme.s3
        spacing: Theme.s1

        Label {
            Layout.alignment: Qt.AlignHCenter
            Layout.bottomMargin: Theme.s3
            text: "A"
            font.family: Theme.fontFamily
            font.pixelSize: 22
            font.bold: true
            color: Theme.accent
            Accessible.ignored: true
        }

        Repeater {
            model: rail.screens
            delegate: RailButton {
                required property var modelData
                required property int index
                Layout.alignment: Qt.AlignHCenter
                glyph: modelData.glyph
                label: modelData.title
                checked: rail.current === modelData.key
                shortcutHint: "Ctrl+" + (index + 1)
                onClicked: rail.activated(modelData.key)
            }
        }

        Item { Layout.fillHeight: true }

        RailButton {
            id: jobsButton
            objectName: "jobsButton"
            Layout.alignment: Qt.AlignHCenter
            glyph: "\u27F3"
            label: qsTr("Jobs")
            checked: rail.jobsOpen
            shortcutHint: "Ctrl+J"
            badge: rail.jobsFailed > 0 ? "!" : (rail.jobsActive > 0 ? String(rail.jobsActive) : "")
            badgeColor: rail.jobsFailed > 0 ? Theme.danger : Theme.accent
            onClicked: rail.jobsToggled()
        }
    }

    component RailButton: AbstractButton {
        id: btn
        property string glyph
        property string label
        property string shortcutHint
        property string badge: ""
        property color badgeColor: Theme.accent
        implicitWidth: Theme.railWidth - 12
        implicitHeight: 56
        focusPolicy: Qt.StrongFocus
        Accessible.name: label
        Accessible.role: Accessible.PageTab
        ToolTip.visible: hovered && shortcutHint !== ""
        ToolTip.delay: 600
        ToolTip.text: label + "  (" + shortcutHint + ")"

        background: Rectangle {
            radius: Theme.radius
            color: btn.checked ? Theme.accentSoft : (btn.hovered ? Theme.surfaceHover : "transparent")
            border.width: btn.visualFocus ? 2 : 0
            border.color: Theme.focus
        }
        contentItem: Column {
            spacing: 2
            topPadding: 6
            Label {
                anchors.horizontalCenter: parent.horizontalCenter
                text: btn.glyph
                font.family: Theme.fontFamily
                font.pixelSize: 20
                color: btn.checked ? Theme.accent : Theme.textMuted
            }
            Label {
                anchors.horizontalCenter: parent.horizontalCenter
                text: btn.label
                font.family: Theme.fontFamily
                font.pixelSize: Theme.fontSmall
                font.weight: btn.checked ? Font.DemiBold : Font.Normal
                color: btn.checked ? Theme.text : Theme.textMuted
            }
        }
        Rectangle {
            visible: btn.badge !== ""
            anchors.right: parent.right
            anchors.top: parent.top
            anchors.rightMargin: 8
            anchors.topMargin: 4
            height: 16
            width: Math.max(16, badgeText.implicitWidth + 8)
            radius: 8
            color: btn.badgeColor
            Label {
                id: badgeText
                anchors.centerIn: parent
                text: btn.badge
                color: Theme.textOnAccent
                font.pixelSize: 10
                font.bold: true
            }
        }
    }
}

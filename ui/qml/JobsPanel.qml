// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

// The jobs panel shared by every screen: running and queued work first,
// then finished jobs with their results or errors.
Rectangle {
    id: panel
    property var jobs: JobsModel
    signal closeRequested()
    color: Theme.surface
    Accessible.role: Accessible.Pane
    Accessible.name: qsTr("Jobs")

    Rectangle {
        anchors.left: parent.left
        width: 1; height: parent.height
        color: Theme.divider
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: Theme.s4
        anchors.leftMargin: Theme.s4 + 1
        spacing: Theme.s3

        RowLayout {
            Layout.fillWidth: true
            spacing: Theme.s2
            Label {
                text: qsTr("Jobs")
                font.family: Theme.fontFamily
                font.pixelSize: Theme.fontLarge
                font.weight: Font.DemiBold
                color: Theme.text
            }
            Label {
                Layout.fillWidth: true
                text: panel.jobs.activeCount > 0 ? qsTr("%1 running or queued").arg(panel.jobs.activeCount) : ""
                font.family: Theme.fontFamily
                font.pixelSize: Theme.fontSmall + 1
                color: Theme.textMuted
                elide: Text.ElideRight
            }
            IconButton {
                glyph: "\u2715"
                tip: qsTr("Close jobs panel (Ctrl+J)")
                onClicked: panel.closeRequested()
            }
        }

        ListView {
            id: list
            objectName: "jobsList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: Theme.s2
            model: panel.jobs
            visible: count > 0
            keyNavigationEnabled: true
            activeFocusOnTab: true
            boundsBehavior: Flickable.StopAtBounds
            ScrollBar.vertical: ScrollBar {}
            delegate: JobRow {
                width: list.width
                focus: ListView.isCurrentItem
                onCancelRequested: (id) => panel.jobs.cancel(id)
                onRetryRequested: (id) => panel.jobs.retry(id)
            }
        }

        EmptyState {
            Layout.alignment: Qt.AlignCenter
            Layout.fillHeight: true
            visible: list.count === 0
            glyph: "\u27F3"
            title: qsTr("No jobs")
            body: qsTr("Imports, model checks and upscales run here. You can keep working while they do.")
        }

        RowLayout {
            Layout.fillWidth: true
            visible: list.count > 0
            spacing: Theme.s2
            AccentButton {
                flat: true
                text: qsTr("Clear finished")
                enabled: list.count > panel.jobs.activeCount
                onClicked: panel.jobs.clearFinished()
            }
            Item { Layout.fillWidth: true }
            AccentButton {
                flat: true
                danger: true
                text: qsTr("Cancel all")
                enabled: panel.jobs.activeCount > 0
                onClicked: panel.jobs.cancelAll()
            }
        }
    }
}

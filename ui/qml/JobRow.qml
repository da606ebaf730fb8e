// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

// One job: name, state, progress, the last message, and the error with its
// reason; Cancel while it runs, Retry after it failed or was cancelled.
FocusScope {
    id: row
    required property var jobId
    required property string name
    required property string state
    required property double progress
    required property string message
    required property string errorText
    required property bool canCancel
    required property bool canRetry
    signal cancelRequested(var id)
    signal retryRequested(var id)

    implicitHeight: body.implicitHeight + 2 * Theme.s3
    activeFocusOnTab: true
    Accessible.role: Accessible.ListItem
    Accessible.name: name + ", " + state + (errorText !== "" ? ", " + errorText : "")

    Keys.onDeletePressed: if (canCancel) row.cancelRequested(jobId)
    Keys.onReturnPressed: if (canRetry) row.retryRequested(jobId)

    Rectangle {
        anchors.fill: parent
        radius: Theme.radius
        color: row.state === "failed" ? Theme.dangerSoft : Theme.surfaceAlt
        border.width: row.activeFocus ? 2 : 0
        border.color: Theme.focus
    }

    ColumnLayout {
        id: body
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.margins: Theme.s3
        spacing: Theme.s1 + 2

        RowLayout {
            Layout.fillWidth: true
            spacing: Theme.s2
            Label {
                Layout.fillWidth: true
                text: row.name
                elide: Text.ElideRight
                font.family: Theme.fontFamily
                font.pixelSize: Theme.fontBody
                font.weight: Font.DemiBold
                color: Theme.text
            }
            StatusBadge { status: row.state }
        }
        ProgressBar {
            id: bar
            Layout.fillWidth: true
            visible: row.state === "running" || row.state === "queued"
            indeterminate: row.state === "queued"
            value: row.progress
            implicitHeight: 4
            background: Rectangle { implicitHeight: 4; radius: 2; color: Theme.border }
            contentItem: Item {
                implicitHeight: 4
                Rectangle {
                    width: bar.indeterminate ? parent.width * 0.25 : bar.visualPosition * parent.width
                    height: parent.height
                    radius: 2
                    color: Theme.accent
                }
            }
        }
        Label {
            Layout.fillWidth: true
            visible: text !== ""
            text: row.errorText !== "" ? row.errorText
                  : row.state === "running" ? (Math.round(row.progress * 100) + "%" + (row.message !== "" ? " · " + row.message : ""))
                  : row.message
            wrapMode: Text.WordWrap
            maximumLineCount: 4
            elide: Text.ElideRight
            font.family: Theme.fontFamily
            font.pixelSize: Theme.fontSmall + 1
            color: row.errorText !== "" && row.state === "failed" ? Theme.danger : Theme.textMuted
        }
        RowLayout {
            Layout.fillWidth: true
            visible: row.canCancel || row.canRetry
            spacing: Theme.s2
            Item { Layout.fillWidth: true }
            AccentButton {
                objectName: "cancelButton"
                visible: row.canCancel
                flat: true
                danger: true
                text: qsTr("Cancel")
                implicitHeight: 26
                onClicked: row.cancelRequested(row.jobId)
            }
            AccentButton {
                objectName: "retryButton"
                visible: row.canRetry
                flat: true
                text: qsTr("Retry")
                implicitHeight: 26
                onClicked: row.retryRequested(row.jobId)
            }
        }
    }
}

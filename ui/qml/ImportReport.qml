// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

// The last import's report: what was added, what was already there, and
// each file that was skipped or failed with the reason.
Rectangle {
    id: report
    property LibraryModel library
    readonly property var r: library.lastImport
    readonly property bool hasReport: r.added !== undefined
    readonly property var problems: hasReport ? r.problems : []
    property bool expanded: false
    visible: hasReport || library.importing
    implicitHeight: col.implicitHeight + 2 * Theme.s3
    radius: Theme.radius
    color: Theme.surface
    border.color: hasReport && (r.failed > 0 || r.stopped !== "") ? Theme.danger : Theme.border
    Accessible.role: Accessible.StatusBar
    Accessible.name: summary.text

    ColumnLayout {
        id: col
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.margins: Theme.s3
        spacing: Theme.s2
        RowLayout {
            Layout.fillWidth: true
            spacing: Theme.s3
            Label {
                id: summary
                objectName: "importSummary"
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
                color: Theme.text
                text: report.library.importing ? (report.library.importMessage !== "" ? report.library.importMessage
                                                                                      : qsTr("Importing…"))
                      : !report.hasReport ? ""
                      : (report.r.cancelled ? qsTr("Import cancelled: ") : qsTr("Import finished: "))
                        + qsTr("%L1 added, %L2 already in the library, %L3 skipped, %L4 failed")
                          .arg(report.r.added).arg(report.r.duplicates).arg(report.r.skipped).arg(report.r.failed)
                        + (report.r.stopped !== "" ? " — " + report.r.stopped : "")
            }
            AccentButton {
                visible: !report.library.importing && report.problems.length > 0
                flat: true
                implicitHeight: 26
                text: report.expanded ? qsTr("Hide details") : (report.problems.length === 1 ? qsTr("Show 1 problem") : qsTr("Show %1 problems").arg(report.problems.length))
                onClicked: report.expanded = !report.expanded
            }
            IconButton {
                visible: report.hasReport && !report.library.importing
                glyph: "\u2715"
                tip: qsTr("Dismiss")
                onClicked: { report.expanded = false; report.library.dismissImportReport() }
            }
        }
        ProgressBar {
            objectName: "importProgress"
            Layout.fillWidth: true
            visible: report.library.importing
            from: 0; to: 1
            value: report.library.importProgress
            indeterminate: report.library.importProgress <= 0
            Accessible.name: qsTr("Import progress")
        }
        Repeater {
            model: !report.library.importing && report.expanded ? report.problems.slice(0, 50) : []
            delegate: RowLayout {
                required property var modelData
                Layout.fillWidth: true
                spacing: Theme.s2
                StatusBadge { status: modelData.status === "skipped" ? "cancelled" : "failed"; text: modelData.status }
                Label {
                    Layout.fillWidth: true
                    text: "<b>" + modelData.path.split("/").pop() + "</b> — " + modelData.reason
                    textFormat: Text.StyledText
                    wrapMode: Text.WordWrap
                    color: Theme.textMuted
                    font.pixelSize: Theme.fontSmall + 1
                }
            }
        }
    }
}

// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

// Upscale and compare: one or two models, precision and device, run on the
// assets selected in the Library. Each asset is a job (progress and cancel
// in the jobs panel); results are signed, added to the library as derived
// assets, and compared here with an A/B slider and PSNR/SSIM.
FocusScope {
    id: screen
    property var window
    readonly property bool canUndo: false
    readonly property var library: window ? window.screenItem("library").library : null
    readonly property var selectedIds: library ? (library.selectionCount, library.selectedIds()) : []
    readonly property var selectedTitles: library ? (library.selectionCount, library.selectedTitles()) : []
    property int shownRun: 0
    readonly property var upscaleRuns: upscale.runs

    // Index of a model in a list of refs; "esrgan-slim" matches "esrgan-slim@1.0.0".
    function indexOfRef(list, v) {
        if (!v) return -1
        return list.findIndex(m => m === v || m.startsWith(v + "@"))
    }

    // Runs model A (and B) on the Library's selection (screenshots, tests).
    function runOnSelection(a, b) {
        const ref = (id) => upscaleModels.find(m => m === id || m.startsWith(id + "@")) || id
        upscale.modelA = ref(a)
        upscale.modelB = b ? ref(b) : ""
        return upscale.run(selectedIds, selectedTitles)
    }

    UpscaleModel { id: upscale }
    ModelsModel { id: models }
    SettingsModel { id: settings }
    readonly property var upscaleModels: (models.count, models.refsForTask("upscale"))
    onUpscaleModelsChanged: if (upscale.modelA === "" && upscaleModels.length > 0) upscale.modelA = upscaleModels[0]
    Component.onCompleted: {
        upscale.precision = settings.precision
        upscale.device = settings.device
    }

    RowLayout {
        anchors.fill: parent
        anchors.margins: Theme.s5
        spacing: Theme.s5

        // ---- options ------------------------------------------------------
        ColumnLayout {
            Layout.preferredWidth: 340
            Layout.maximumWidth: 340
            Layout.fillWidth: false
            Layout.fillHeight: true
            spacing: Theme.s4
            Label {
                text: qsTr("Upscale")
                font.pixelSize: Theme.fontDisplay
                font.weight: Font.DemiBold
                color: Theme.text
            }
            Card {
                Layout.fillWidth: true
                ColumnLayout {
                    width: parent.width
                    spacing: Theme.s2
                    SectionHeader {
                        Layout.fillWidth: true
                        title: screen.selectedIds.length > 0 ? (screen.selectedIds.length === 1 ? qsTr("1 asset selected") : qsTr("%1 assets selected").arg(screen.selectedIds.length)) : qsTr("No assets selected")
                        subtitle: screen.selectedIds.length > 0 ? screen.selectedTitles.slice(0, 4).join(", ") + (screen.selectedTitles.length > 4 ? "…" : "")
                                  : qsTr("Select assets in the Library (click, Ctrl+click, Shift+click), then come back.")
                    }
                }
            }
            Card {
                Layout.fillWidth: true
                ColumnLayout {
                    width: parent.width
                    spacing: Theme.s3
                    Label { text: qsTr("Model A"); color: Theme.textMuted }
                    ComboBox {
                        id: modelA
                        objectName: "modelA"
                        Layout.fillWidth: true
                        model: screen.upscaleModels
                        currentIndex: Math.max(0, screen.indexOfRef(screen.upscaleModels, upscale.modelA))
                        onActivated: upscale.modelA = currentText
                        Accessible.name: qsTr("Model A")
                    }
                    Label { text: qsTr("Compare with (optional)"); color: Theme.textMuted }
                    ComboBox {
                        id: modelB
                        objectName: "modelB"
                        Layout.fillWidth: true
                        model: [qsTr("No comparison")].concat(screen.upscaleModels.filter(m => screen.indexOfRef([m], upscale.modelA) < 0))
                        currentIndex: Math.max(0, screen.indexOfRef(model, upscale.modelB))
                        onActivated: upscale.modelB = currentIndex === 0 ? "" : currentText
                        Accessible.name: qsTr("Model B")
                    }
                    Label { text: qsTr("Precision"); color: Theme.textMuted }
                    Flow {
                        Layout.fillWidth: true
                        spacing: 6
                        Repeater {
                            model: ["auto", "fp32", "bf16", "fp16"]
                            delegate: Chip {
                                required property string modelData
                                text: modelData === "auto" ? qsTr("Automatic") : modelData.toUpperCase()
                                checked: upscale.precision === modelData
                                onClicked: upscale.precision = modelData
                            }
                        }
                    }
                    Label { text: qsTr("Device"); color: Theme.textMuted }
                    Flow {
                        Layout.fillWidth: true
                        spacing: 6
                        Repeater {
                            model: ["auto", "cpu", "cuda"]
                            delegate: Chip {
                                required property string modelData
                                text: modelData === "auto" ? qsTr("Automatic") : modelData === "cpu" ? "CPU" : qsTr("GPU (CUDA)")
                                checked: upscale.device === modelData
                                enabled: modelData !== "cuda" || settings.gpus.length > 0
                                onClicked: upscale.device = modelData
                            }
                        }
                    }
                }
            }
            AccentButton {
                objectName: "runUpscale"
                Layout.fillWidth: true
                enabled: screen.selectedIds.length > 0 && upscale.modelA !== "" && upscale.workerError === ""
                text: upscale.modelB !== "" ? (screen.selectedIds.length === 1 ? qsTr("Compare on 1 asset") : qsTr("Compare on %1 assets").arg(screen.selectedIds.length))
                                            : (screen.selectedIds.length === 1 ? qsTr("Upscale 1 asset") : qsTr("Upscale %1 assets").arg(screen.selectedIds.length))
                onClicked: upscale.run(screen.selectedIds, screen.selectedTitles)
            }
            Label {
                Layout.fillWidth: true
                visible: upscale.workerError !== "" || (screen.upscaleModels.length === 0 && !models.scanning)
                text: upscale.workerError !== "" ? upscale.workerError : qsTr("No upscaling model is installed. Run installer/setup.sh models.")
                wrapMode: Text.WordWrap
                color: Theme.danger
            }
            Label {
                Layout.fillWidth: true
                text: qsTr("Results are signed with Content Credentials and added to the library as derived assets. Progress and Cancel are in the jobs panel (Ctrl+J).")
                wrapMode: Text.WordWrap
                color: Theme.textFaint
                font.pixelSize: Theme.fontSmall + 1
            }
            Item { Layout.fillHeight: true }
        }

        // ---- results ------------------------------------------------------
        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: Theme.s3

            RowLayout {
                Layout.fillWidth: true
                SectionHeader { Layout.fillWidth: true; title: qsTr("Results") }
                AccentButton { flat: true; visible: upscale.runs.length > 0; text: qsTr("Clear"); onClicked: upscale.clearRuns() }
            }
            ListView {
                id: runList
                objectName: "runList"
                Layout.fillWidth: true
                Layout.preferredHeight: Math.min(contentHeight, 220)
                visible: count > 0
                clip: true
                spacing: Theme.s2
                model: upscale.runs
                delegate: Rectangle {
                    id: runRow
                    required property var modelData
                    required property int index
                    width: runList.width
                    implicitHeight: runCol.implicitHeight + 2 * Theme.s3
                    radius: Theme.radius
                    color: screen.shownRun === index ? Theme.accentSoft : Theme.surface
                    border.color: Theme.border
                    TapHandler { onTapped: screen.shownRun = runRow.index }
                    ColumnLayout {
                        id: runCol
                        anchors.left: parent.left; anchors.right: parent.right; anchors.top: parent.top
                        anchors.margins: Theme.s3
                        spacing: 4
                        RowLayout {
                            Layout.fillWidth: true
                            Label { Layout.fillWidth: true; text: runRow.modelData.title; elide: Text.ElideRight; font.weight: Font.DemiBold; color: Theme.text }
                            StatusBadge { status: runRow.modelData.state }
                        }
                        Repeater {
                            model: runRow.modelData.results
                            delegate: Label {
                                required property var modelData
                                Layout.fillWidth: true
                                elide: Text.ElideRight
                                color: Theme.textMuted
                                font.pixelSize: Theme.fontSmall + 1
                                text: modelData.model + " → " + modelData.width + "×" + modelData.height + " · asset #" + modelData.childId
                                      + (modelData.psnr !== undefined ? qsTr(" · PSNR %1 dB · SSIM %2 vs bicubic").arg(Number(modelData.psnr).toFixed(2)).arg(Number(modelData.ssim).toFixed(4)) : "")
                                      + (modelData.detail ? " · " + modelData.detail : "")
                            }
                        }
                        Label {
                            Layout.fillWidth: true
                            visible: (runRow.modelData.error || "") !== ""
                            text: runRow.modelData.error || ""
                            wrapMode: Text.WordWrap
                            color: Theme.danger
                            font.pixelSize: Theme.fontSmall + 1
                        }
                    }
                }
            }

            // A/B slider over the shown run (A and B, or the original and A).
            Rectangle {
                id: compare
                Layout.fillWidth: true
                Layout.fillHeight: true
                radius: Theme.radiusLarge
                color: Theme.dark ? "#0e0f11" : "#e4e5e9"
                clip: true
                readonly property var run: upscale.runs.length > screen.shownRun ? upscale.runs[screen.shownRun] : null
                readonly property var results: run ? run.results : []
                readonly property string leftSource: results.length > 1 ? results[0].path : (run && run.parentPath ? run.parentPath : "")
                readonly property string rightSource: results.length > 1 ? results[1].path : (results.length === 1 ? results[0].path : "")
                readonly property string leftLabel: results.length > 1 ? results[0].model : qsTr("Original (nearest)")
                readonly property string rightLabel: results.length > 1 ? results[1].model : (results.length === 1 ? results[0].model : "")
                property real split: 0.5
                property string originalPath: ""

                EmptyState {
                    anchors.centerIn: parent
                    width: Math.min(parent.width - 48, 420)
                    visible: compare.rightSource === ""
                    glyph: "\u2194"
                    title: qsTr("Nothing to compare yet")
                    body: qsTr("Pick a model (and optionally a second one), then run it on your selection. The two results appear here side by side with a slider.")
                }
                Item {
                    id: stage
                    anchors.fill: parent
                    anchors.margins: Theme.s3
                    anchors.bottomMargin: 48
                    visible: compare.rightSource !== ""
                    Image {
                        id: right
                        anchors.fill: parent
                        fillMode: Image.PreserveAspectFit
                        source: compare.rightSource !== "" ? "image://atelier/file/" + encodeURIComponent(compare.rightSource) : ""
                        asynchronous: true
                        smooth: false
                    }
                    Item {
                        anchors.left: parent.left
                        anchors.top: parent.top
                        anchors.bottom: parent.bottom
                        width: parent.width * compare.split
                        clip: true
                        Image {
                            width: stage.width
                            height: stage.height
                            fillMode: Image.PreserveAspectFit
                            asynchronous: true
                            smooth: false
                            source: compare.leftSource !== "" ? "image://atelier/file/" + encodeURIComponent(compare.leftSource) : ""
                        }
                    }
                    Rectangle {
                        x: parent.width * compare.split - 1
                        width: 2
                        height: parent.height
                        color: Theme.accent
                        Rectangle {
                            anchors.centerIn: parent
                            width: 28; height: 28; radius: 14
                            color: Theme.accent
                            Label { anchors.centerIn: parent; text: "\u2194"; color: Theme.textOnAccent; font.pixelSize: 16 }
                        }
                    }
                    MouseArea {
                        anchors.fill: parent
                        cursorShape: Qt.SplitHCursor
                        onPressed: (m) => compare.split = Math.max(0, Math.min(1, m.x / width))
                        onPositionChanged: (m) => { if (pressed) compare.split = Math.max(0, Math.min(1, m.x / width)) }
                    }
                    Label {
                        anchors.left: parent.left; anchors.top: parent.top; anchors.margins: Theme.s2
                        text: "A · " + compare.leftLabel
                        color: "white"
                        padding: 4
                        background: Rectangle { color: "#99000000"; radius: 4 }
                    }
                    Label {
                        anchors.right: parent.right; anchors.top: parent.top; anchors.margins: Theme.s2
                        text: "B · " + compare.rightLabel
                        color: "white"
                        padding: 4
                        background: Rectangle { color: "#99000000"; radius: 4 }
                    }
                }
                Slider {
                    id: splitSlider
                    anchors.bottom: parent.bottom
                    anchors.horizontalCenter: parent.horizontalCenter
                    anchors.bottomMargin: Theme.s2
                    width: parent.width * 0.4
                    visible: compare.rightSource !== ""
                    from: 0; to: 1
                    value: compare.split
                    onMoved: compare.split = value
                    Accessible.name: qsTr("A/B split (Left and Right keys)")
                }
            }
        }
    }

    component Chip: AbstractButton {
        id: chip
        checkable: true
        implicitHeight: 28
        leftPadding: Theme.s3
        rightPadding: Theme.s3
        focusPolicy: Qt.StrongFocus
        Accessible.role: Accessible.RadioButton
        Accessible.name: text
        Accessible.checked: checked
        contentItem: Label {
            text: chip.text
            color: !chip.enabled ? Theme.textFaint : chip.checked ? Theme.accent : Theme.text
            font.weight: chip.checked ? Font.DemiBold : Font.Normal
            verticalAlignment: Text.AlignVCenter
        }
        background: Rectangle {
            radius: 14
            color: chip.checked ? Theme.accentSoft : chip.hovered ? Theme.surfaceHover : "transparent"
            border.width: chip.visualFocus ? 2 : 1
            border.color: chip.visualFocus ? Theme.focus : chip.checked ? Theme.accent : Theme.border
        }
    }
}

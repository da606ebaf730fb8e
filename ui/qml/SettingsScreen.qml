// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.Dialogs
import Atelier.Studio

// Settings: device and precision, installed models with their hash status,
// library location, theme. Device settings are atelier.conf keys, shared
// with the `atelier` CLI.
FocusScope {
    id: screen
    property var window
    readonly property bool canUndo: false

    SettingsModel { id: settings }
    ModelsModel { id: models }

    function humanBytes(b) {
        if (b >= 1073741824) return (b / 1073741824).toFixed(1) + " GB"
        if (b >= 1048576) return (b / 1048576).toFixed(1) + " MB"
        if (b >= 1024) return Math.round(b / 1024) + " KB"
        return b + " B"
    }

    ScrollView {
        id: scroll
        anchors.fill: parent
        contentWidth: availableWidth
        clip: true

        ColumnLayout {
            id: column
            width: Math.min(scroll.availableWidth - 2 * Theme.s6, 880)
            x: Math.max(Theme.s6, (scroll.availableWidth - width) / 2)
            spacing: Theme.s5

            Item { Layout.preferredHeight: Theme.s2 }
            Label {
                text: qsTr("Settings")
                font.family: Theme.fontFamily
                font.pixelSize: Theme.fontDisplay
                font.weight: Font.DemiBold
                color: Theme.text
                Accessible.role: Accessible.Heading
            }

            Rectangle {
                Layout.fillWidth: true
                visible: settings.lastError !== ""
                implicitHeight: errLabel.implicitHeight + 2 * Theme.s3
                radius: Theme.radius
                color: Theme.dangerSoft
                border.color: Theme.danger
                Label {
                    id: errLabel
                    objectName: "settingsError"
                    anchors.fill: parent
                    anchors.margins: Theme.s3
                    text: settings.lastError
                    wrapMode: Text.WordWrap
                    color: Theme.danger
                }
            }

            // --- Appearance -------------------------------------------------
            SectionHeader {
                Layout.fillWidth: true
                title: qsTr("Appearance")
                subtitle: qsTr("Follow the system, or choose a theme for Atelier alone.")
            }
            Card {
                Layout.fillWidth: true
                RowLayout {
                    width: parent.width
                    spacing: Theme.s2
                    Repeater {
                        model: [
                            { key: "system", label: qsTr("System") + (StudioState.systemDark ? qsTr(" (dark)") : qsTr(" (light)")) },
                            { key: "light", label: qsTr("Light") },
                            { key: "dark", label: qsTr("Dark") }
                        ]
                        delegate: ChoiceChip {
                            required property var modelData
                            objectName: "theme_" + modelData.key
                            text: modelData.label
                            checked: StudioState.themeMode === modelData.key
                            onClicked: StudioState.themeMode = modelData.key
                        }
                    }
                    Item { Layout.fillWidth: true }
                }
            }

            // --- Device -----------------------------------------------------
            SectionHeader {
                Layout.fillWidth: true
                title: qsTr("Device")
                subtitle: qsTr("Where and how models run. Applies to the next job; the command line reads the same settings from %1.").arg(settings.configFile)
            }
            Card {
                Layout.fillWidth: true
                ColumnLayout {
                    width: parent.width
                    spacing: Theme.s3
                    FieldRow {
                        Layout.fillWidth: true
                        label: qsTr("Processor")
                        value: settings.probing ? qsTr("Detecting…")
                              : qsTr("%1 · %2 threads").arg(settings.cpuName).arg(settings.cpuCores)
                    }
                    FieldRow {
                        Layout.fillWidth: true
                        visible: settings.cpuFeatures !== ""
                        label: qsTr("Vector units")
                        value: settings.cpuFeatures
                    }
                    FieldRow {
                        Layout.fillWidth: true
                        label: qsTr("Memory")
                        value: qsTr("%1 GiB, %2 GiB available").arg(settings.memoryGiB.toFixed(1)).arg(settings.availableGiB.toFixed(1))
                    }
                    FieldRow {
                        Layout.fillWidth: true
                        label: qsTr("Graphics")
                        value: settings.gpus.length > 0
                               ? settings.gpus.map(g => g.name + " · " + g.memoryGiB.toFixed(0) + " GiB · compute " + g.compute).join("\n")
                               : (settings.probing ? qsTr("Detecting…") : qsTr("No CUDA GPU: %1").arg(settings.gpuReason))
                        valueColor: settings.gpus.length > 0 ? Theme.text : Theme.textMuted
                    }
                    FieldRow {
                        Layout.fillWidth: true
                        label: qsTr("Drawing")
                        value: settings.renderBackend
                        valueColor: Theme.textMuted
                    }
                    RowLayout {
                        spacing: Theme.s3
                        Label { text: qsTr("Draw with"); color: Theme.textMuted; Layout.preferredWidth: 150 }
                        Repeater {
                            model: [
                                { key: "auto", label: qsTr("Automatic") },
                                { key: "gpu", label: qsTr("GPU") },
                                { key: "software", label: qsTr("Software") }
                            ]
                            delegate: ChoiceChip {
                                required property var modelData
                                objectName: "drawing_" + modelData.key
                                text: modelData.label
                                checked: StudioState.drawing === modelData.key
                                onClicked: StudioState.drawing = modelData.key
                            }
                        }
                        Label {
                            text: qsTr("applies at the next start")
                            color: Theme.textFaint
                            font.pixelSize: Theme.fontSmall
                        }
                    }
                    Rectangle { Layout.fillWidth: true; height: 1; color: Theme.divider }
                    RowLayout {
                        spacing: Theme.s3
                        Label { text: qsTr("Run models on"); color: Theme.textMuted; Layout.preferredWidth: 150 }
                        Repeater {
                            model: [
                                { key: "auto", label: qsTr("Automatic") },
                                { key: "cpu", label: qsTr("CPU") },
                                { key: "cuda", label: qsTr("GPU (CUDA)") }
                            ]
                            delegate: ChoiceChip {
                                required property var modelData
                                objectName: "device_" + modelData.key
                                text: modelData.label
                                checked: settings.device === modelData.key
                                onClicked: settings.setDevice(modelData.key)
                            }
                        }
                    }
                    RowLayout {
                        spacing: Theme.s3
                        Label { text: qsTr("Precision"); color: Theme.textMuted; Layout.preferredWidth: 150 }
                        Repeater {
                            model: [
                                { key: "auto", label: qsTr("Automatic") },
                                { key: "fp32", label: "FP32" },
                                { key: "bf16", label: "BF16" },
                                { key: "fp16", label: "FP16" }
                            ]
                            delegate: ChoiceChip {
                                required property var modelData
                                objectName: "precision_" + modelData.key
                                text: modelData.label
                                checked: settings.precision === modelData.key
                                onClicked: settings.setPrecision(modelData.key)
                            }
                        }
                    }
                    RowLayout {
                        spacing: Theme.s3
                        Label { text: qsTr("Memory budget"); color: Theme.textMuted; Layout.preferredWidth: 150 }
                        SpinBox {
                            id: budget
                            objectName: "memoryBudget"
                            from: 0
                            to: 262144
                            stepSize: 512
                            editable: true
                            value: settings.memoryBudgetMb
                            onValueModified: settings.setMemoryBudgetMb(value)
                            Accessible.name: qsTr("Memory budget in MiB")
                            textFromValue: (v) => v === 0 ? qsTr("Automatic") : v + " MiB"
                            valueFromText: (t) => t.toLowerCase().startsWith("auto") ? 0 : parseInt(t)
                            validator: RegularExpressionValidator { regularExpression: /(Automatic|\d+( MiB)?)/i }
                        }
                        Label {
                            text: qsTr("0 lets Atelier pick tile sizes from free memory")
                            color: Theme.textFaint
                            font.pixelSize: Theme.fontSmall + 1
                        }
                    }
                }
            }

            // --- Models -----------------------------------------------------
            RowLayout {
                Layout.fillWidth: true
                SectionHeader {
                    Layout.fillWidth: true
                    title: qsTr("Installed models")
                    subtitle: models.count > 0
                              ? (models.count === 1 ? qsTr("1 model.") : qsTr("%1 models.").arg(models.count)) + " " + qsTr("Files are checked against their SHA-256 before first use.")
                              : ""
                }
                AccentButton {
                    objectName: "verifyModels"
                    text: models.verifying ? qsTr("Verifying…") : qsTr("Verify files")
                    enabled: !models.verifying && models.count > 0
                    onClicked: models.verifyAll()
                }
                AccentButton {
                    flat: true
                    text: qsTr("Rescan")
                    enabled: !models.scanning
                    onClicked: models.rescan()
                }
            }
            Card {
                Layout.fillWidth: true
                padding: 0
                ColumnLayout {
                    width: parent.width
                    spacing: 0
                    Repeater {
                        id: modelRepeater
                        model: models
                        delegate: ModelRow {
                            Layout.fillWidth: true
                            last: index === modelRepeater.count - 1
                        }
                    }
                    EmptyState {
                        Layout.fillWidth: true
                        Layout.margins: Theme.s5
                        visible: models.count === 0 && !models.scanning
                        glyph: "\u25C8"
                        title: qsTr("No models installed")
                        body: qsTr("Run installer/setup.sh models to install the upscalers and the safety checker. Searched: %1").arg(models.searchedFolders.join(", "))
                    }
                    Label {
                        Layout.margins: Theme.s4
                        visible: models.scanning && models.count === 0
                        text: qsTr("Looking for models…")
                        color: Theme.textMuted
                    }
                }
            }
            Repeater {
                model: models.problems
                delegate: Label {
                    required property string modelData
                    Layout.fillWidth: true
                    text: "\u26A0 " + modelData
                    color: Theme.warning
                    wrapMode: Text.WordWrap
                }
            }

            // --- Library ----------------------------------------------------
            SectionHeader {
                Layout.fillWidth: true
                title: qsTr("Library")
                subtitle: qsTr("Where the asset database, originals and thumbnails are kept.")
            }
            Card {
                Layout.fillWidth: true
                RowLayout {
                    width: parent.width
                    spacing: Theme.s3
                    TextField {
                        id: libraryField
                        objectName: "libraryPath"
                        Layout.fillWidth: true
                        text: settings.effectiveLibraryPath
                        selectByMouse: true
                        Accessible.name: qsTr("Library folder")
                        onAccepted: settings.setLibraryPath(text)
                    }
                    AccentButton {
                        flat: true
                        text: qsTr("Choose…")
                        onClicked: folderDialog.open()
                    }
                    AccentButton {
                        flat: true
                        text: qsTr("Use default")
                        enabled: settings.libraryPath !== ""
                        onClicked: settings.setLibraryPath("")
                    }
                }
            }
            Label {
                Layout.fillWidth: true
                text: qsTr("A new location takes effect the next time Atelier starts. Files are not moved.")
                color: Theme.textFaint
                font.pixelSize: Theme.fontSmall + 1
                wrapMode: Text.WordWrap
            }
            Item { Layout.preferredHeight: Theme.s5 }
        }
    }

    FolderDialog {
        id: folderDialog
        title: qsTr("Choose the library folder")
        onAccepted: settings.setLibraryPath(selectedFolder.toString())
    }

    component ChoiceChip: AbstractButton {
        id: chip
        checkable: true
        implicitHeight: 30
        leftPadding: Theme.s3
        rightPadding: Theme.s3
        focusPolicy: Qt.StrongFocus
        Accessible.role: Accessible.RadioButton
        Accessible.name: text
        Accessible.checked: checked
        contentItem: Label {
            text: chip.text
            font.family: Theme.fontFamily
            font.pixelSize: Theme.fontBody
            font.weight: chip.checked ? Font.DemiBold : Font.Normal
            color: chip.checked ? Theme.accent : Theme.text
            verticalAlignment: Text.AlignVCenter
        }
        background: Rectangle {
            radius: 15
            color: chip.checked ? Theme.accentSoft : chip.hovered ? Theme.surfaceHover : "transparent"
            border.width: chip.visualFocus ? 2 : 1
            border.color: chip.visualFocus ? Theme.focus : chip.checked ? Theme.accent : Theme.border
        }
    }

    component ModelRow: Item {
        id: mrow
        required property int index
        required property string modelId
        required property string version
        required property string task
        required property string format
        required property string licence
        required property string source
        required property var bytes
        required property int files
        required property string status
        required property string statusDetail
        property bool last: false
        implicitHeight: mcol.implicitHeight + 2 * Theme.s3
        Accessible.role: Accessible.ListItem
        Accessible.name: modelId + " " + version + ", " + status

        ColumnLayout {
            id: mcol
            anchors.left: parent.left
            anchors.right: parent.right
            anchors.verticalCenter: parent.verticalCenter
            anchors.leftMargin: Theme.s4
            anchors.rightMargin: Theme.s4
            spacing: 3
            RowLayout {
                Layout.fillWidth: true
                spacing: Theme.s2
                Label {
                    text: mrow.modelId
                    font.weight: Font.DemiBold
                    color: Theme.text
                }
                Label {
                    text: mrow.version
                    color: Theme.textMuted
                }
                Item { Layout.fillWidth: true }
                StatusBadge {
                    status: mrow.status
                    text: mrow.status === "ok" ? qsTr("verified") : mrow.status
                }
            }
            Label {
                Layout.fillWidth: true
                text: [mrow.task, mrow.format, mrow.licence + " licence", mrow.files + " files · " + screen.humanBytes(mrow.bytes), mrow.source].join("  ·  ")
                color: Theme.textMuted
                font.pixelSize: Theme.fontSmall + 1
                elide: Text.ElideRight
            }
            Label {
                Layout.fillWidth: true
                visible: mrow.status === "failed"
                text: mrow.statusDetail
                color: Theme.danger
                wrapMode: Text.WordWrap
                font.pixelSize: Theme.fontSmall + 1
            }
        }
        Rectangle {
            visible: !mrow.last
            anchors.bottom: parent.bottom
            anchors.left: parent.left
            anchors.right: parent.right
            height: 1
            color: Theme.divider
        }
    }
}

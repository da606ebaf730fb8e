// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Atelier.Studio

// One asset: a large preview with zoom and pan (wheel, drag, + / - / 0 / 1),
// a 3×3 tiled preview for patterns (T), and the details: technical specs,
// licence, tags, generation metadata, derivation and provenance.
FocusScope {
    id: view
    property LibraryModel library
    readonly property var a: library.currentAsset
    readonly property bool loaded: a.id !== undefined && a.error === undefined
    property bool tiled: false
    signal backRequested()
    signal upscaleRequested(var assetId)
    signal exportRequested(var assetIds)
    focus: true
    Component.onCompleted: forceActiveFocus()

    function humanBytes(b) {
        if (b >= 1048576) return (b / 1048576).toFixed(1) + " MB"
        if (b >= 1024) return Math.round(b / 1024) + " KB"
        return b + " B"
    }
    // A tiling choice made before the asset finished loading (scripts) wins
    // over the default (tiled when the catalog knows it is seamless).
    property var tiledRequest: undefined
    onAChanged: {
        tiled = tiledRequest !== undefined ? tiledRequest : a.seamless === true
        Qt.callLater(preview.fit)
    }

    Keys.onEscapePressed: view.backRequested()
    Keys.onPressed: (event) => {
        if (event.key === Qt.Key_Plus || event.key === Qt.Key_Equal) { preview.zoomBy(1.25); event.accepted = true }
        else if (event.key === Qt.Key_Minus) { preview.zoomBy(0.8); event.accepted = true }
        else if (event.key === Qt.Key_0) { preview.fit(); event.accepted = true }
        else if (event.key === Qt.Key_1) { preview.actualSize(); event.accepted = true }
        else if (event.key === Qt.Key_T) { view.tiled = !view.tiled; event.accepted = true }
    }

    RowLayout {
        anchors.fill: parent
        spacing: 0

        // ---- preview ------------------------------------------------------
        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 0
            Rectangle {
                Layout.fillWidth: true
                implicitHeight: 48
                color: Theme.window
                RowLayout {
                    anchors.fill: parent
                    anchors.leftMargin: Theme.s3
                    anchors.rightMargin: Theme.s3
                    spacing: Theme.s2
                    AccentButton {
                        objectName: "backButton"
                        flat: true
                        text: "\u2190 " + qsTr("Library")
                        onClicked: view.backRequested()
                        ToolTip.visible: hovered
                        ToolTip.text: qsTr("Back to the grid (Esc)")
                    }
                    Label {
                        Layout.fillWidth: true
                        text: view.loaded ? view.a.title : ""
                        elide: Text.ElideMiddle
                        font.pixelSize: Theme.fontLarge
                        font.weight: Font.DemiBold
                        color: Theme.text
                    }
                    AccentButton {
                        objectName: "upscaleButton"
                        flat: true
                        implicitHeight: 28
                        text: qsTr("Upscale…")
                        enabled: view.loaded
                        onClicked: view.upscaleRequested(view.a.id)
                        ToolTip.visible: hovered
                        ToolTip.text: qsTr("Open this asset in Upscale and compare")
                    }
                    Label {
                        objectName: "exportStatus"
                        visible: text !== ""
                        Layout.maximumWidth: 320
                        text: view.library.lastExport.message || ""
                        elide: Text.ElideMiddle
                        color: view.library.lastExport.ok === false ? Theme.danger : Theme.textMuted
                        font.pixelSize: Theme.fontSmall + 1
                    }
                    AccentButton {
                        objectName: "exportButton"
                        flat: true
                        implicitHeight: 28
                        text: qsTr("Export…")
                        enabled: view.loaded
                        onClicked: view.exportRequested([view.a.id])
                        ToolTip.visible: hovered
                        ToolTip.text: qsTr("Save a copy to a folder, signed with Content Credentials")
                    }
                    ToggleChip {
                        objectName: "tileToggle"
                        text: qsTr("Tile 3×3")
                        checked: view.tiled
                        onClicked: view.tiled = !view.tiled
                        ToolTip.visible: hovered
                        ToolTip.text: qsTr("Repeat the image to check a seamless pattern (T)")
                    }
                    IconButton { glyph: "\u2212"; tip: qsTr("Zoom out (-)"); onClicked: preview.zoomBy(0.8) }
                    Label {
                        text: Math.round(preview.scale * 100) + "%"
                        color: Theme.textMuted
                        Layout.preferredWidth: 44
                        horizontalAlignment: Text.AlignHCenter
                    }
                    IconButton { glyph: "+"; tip: qsTr("Zoom in (+)"); onClicked: preview.zoomBy(1.25) }
                    AccentButton { flat: true; implicitHeight: 28; text: qsTr("Fit"); onClicked: preview.fit() }
                    AccentButton { flat: true; implicitHeight: 28; text: "1:1"; onClicked: preview.actualSize() }
                }
            }
            Rectangle {
                id: previewArea
                Layout.fillWidth: true
                Layout.fillHeight: true
                color: Theme.dark ? "#0e0f11" : "#e4e5e9"
                clip: true

                // Checkerboard under transparent pixels.
                Item {
                    id: preview
                    property real scale: 1
                    readonly property real contentW: (view.tiled ? 3 : 1) * Math.max(1, view.a.width || 1)
                    readonly property real contentH: (view.tiled ? 3 : 1) * Math.max(1, view.a.height || 1)
                    function fit() {
                        scale = Math.min(1, Math.min((previewArea.width - 48) / contentW, (previewArea.height - 48) / contentH))
                        if (!(scale > 0)) scale = 1
                        center()
                    }
                    function actualSize() { scale = 1; center() }
                    function center() {
                        flick.contentX = Math.max(0, (flick.contentWidth - flick.width) / 2)
                        flick.contentY = Math.max(0, (flick.contentHeight - flick.height) / 2)
                    }
                    function zoomBy(f) {
                        const cx = flick.contentX + flick.width / 2, cy = flick.contentY + flick.height / 2
                        const old = scale
                        scale = Math.max(0.02, Math.min(16, scale * f))
                        flick.contentX = Math.max(0, cx * scale / old - flick.width / 2)
                        flick.contentY = Math.max(0, cy * scale / old - flick.height / 2)
                    }
                }
                Connections {
                    target: view
                    function onTiledChanged() { preview.fit() }
                }
                onWidthChanged: Qt.callLater(preview.fit)
                onHeightChanged: Qt.callLater(preview.fit)

                Flickable {
                    id: flick
                    anchors.fill: parent
                    contentWidth: Math.max(width, preview.contentW * preview.scale + 48)
                    contentHeight: Math.max(height, preview.contentH * preview.scale + 48)
                    boundsBehavior: Flickable.StopAtBounds
                    ScrollBar.vertical: ScrollBar {}
                    ScrollBar.horizontal: ScrollBar {}
                    WheelHandler {
                        acceptedModifiers: Qt.NoModifier | Qt.ControlModifier
                        onWheel: (event) => preview.zoomBy(event.angleDelta.y > 0 ? 1.15 : 1 / 1.15)
                    }
                    Grid {
                        id: tiles
                        x: (flick.contentWidth - width) / 2
                        y: (flick.contentHeight - height) / 2
                        columns: view.tiled ? 3 : 1
                        Repeater {
                            model: view.loaded ? (view.tiled ? 9 : 1) : 0
                            delegate: Image {
                                width: (view.a.width || 1) * preview.scale
                                height: (view.a.height || 1) * preview.scale
                                source: view.loaded ? "image://atelier/file/" + encodeURIComponent(view.a.path) : ""
                                sourceSize.width: Math.min(4096, view.a.width || 4096)
                                asynchronous: true
                                smooth: preview.scale < 2
                                mipmap: true
                                fillMode: Image.Stretch
                            }
                        }
                    }
                }
                BusyIndicator { anchors.centerIn: parent; running: !view.loaded && view.a.error === undefined }
                Label {
                    anchors.centerIn: parent
                    visible: view.a.error !== undefined
                    width: parent.width * 0.6
                    horizontalAlignment: Text.AlignHCenter
                    wrapMode: Text.WordWrap
                    text: view.a.error || ""
                    color: Theme.danger
                }
            }
        }

        // ---- details ------------------------------------------------------
        Rectangle {
            Layout.fillHeight: true
            Layout.preferredWidth: 380
            color: Theme.surface
            Rectangle { width: 1; height: parent.height; color: Theme.divider }
            ScrollView {
                id: details
                anchors.fill: parent
                anchors.leftMargin: 1
                contentWidth: availableWidth
                clip: true
                ColumnLayout {
                    x: Theme.s4
                    width: details.availableWidth - 2 * Theme.s4
                    spacing: Theme.s3
                    visible: view.loaded
                    Item { Layout.preferredHeight: Theme.s1 }

                    Label {
                        objectName: "assetTitle"
                        Layout.fillWidth: true
                        text: view.a.title || ""
                        wrapMode: Text.WrapAnywhere
                        font.pixelSize: Theme.fontTitle
                        font.weight: Font.DemiBold
                        color: Theme.text
                    }
                    RowLayout {
                        spacing: 2
                        Repeater {
                            model: 5
                            delegate: IconButton {
                                required property int index
                                glyph: index < (view.a.rating || 0) ? "\u2605" : "\u2606"
                                tint: index < (view.a.rating || 0) ? Theme.warning : Theme.textFaint
                                tip: (index === 0 ? qsTr("Rate 1 star") : qsTr("Rate %1 stars").arg(index + 1))
                                onClicked: view.library.setRating(view.a.id, (view.a.rating === index + 1) ? 0 : index + 1)
                            }
                        }
                    }

                    Group { title: qsTr("Specs") }
                    FieldRow { Layout.fillWidth: true; labelWidth: 110; label: qsTr("Dimensions"); value: (view.a.width || 0) + " × " + (view.a.height || 0) + " px" }
                    FieldRow { Layout.fillWidth: true; labelWidth: 110; label: qsTr("Format"); value: (view.a.format || "").toUpperCase() + " · " + view.humanBytes(view.a.fileBytes || 0) }
                    FieldRow { Layout.fillWidth: true; labelWidth: 110; label: qsTr("Seamless"); value: view.a.seamless === undefined ? qsTr("not checked") : (view.a.seamless ? qsTr("yes") : qsTr("no")) }
                    FieldRow { Layout.fillWidth: true; labelWidth: 110; visible: (view.a.color || "") !== ""; label: qsTr("Colour"); value: view.a.color || "" }
                    FieldRow { Layout.fillWidth: true; labelWidth: 110; visible: (view.a.style || "") !== ""; label: qsTr("Style"); value: view.a.style || "" }
                    FieldRow { Layout.fillWidth: true; labelWidth: 110; label: qsTr("Source"); value: (view.a.source || "") + ", " + (view.a.storage || "") }
                    FieldRow { Layout.fillWidth: true; labelWidth: 110; label: qsTr("Imported"); value: (view.a.imported || "").replace("T", " ") }
                    FieldRow { Layout.fillWidth: true; labelWidth: 110; label: qsTr("File"); value: (view.a.source === "derived" ? view.a.path : view.a.originalPath) || view.a.path || "" }

                    Group { title: qsTr("Licence") }
                    Label {
                        objectName: "assetLicence"
                        Layout.fillWidth: true
                        text: (view.a.licence || "") !== "" ? view.a.licence : qsTr("No licence recorded. Set one before you publish or sell this asset.")
                        wrapMode: Text.WordWrap
                        color: (view.a.licence || "") !== "" ? Theme.text : Theme.warning
                    }

                    Group { title: qsTr("Tags") }
                    Flow {
                        Layout.fillWidth: true
                        spacing: 6
                        Repeater {
                            model: view.a.tags || []
                            delegate: Rectangle {
                                required property var modelData
                                implicitWidth: tagLabel.implicitWidth + 16
                                implicitHeight: 24
                                radius: 12
                                color: Theme.surfaceAlt
                                border.color: Theme.border
                                Label {
                                    id: tagLabel
                                    anchors.centerIn: parent
                                    text: modelData.value !== "" ? modelData.name + ": " + modelData.value : modelData.name
                                    font.pixelSize: Theme.fontSmall + 1
                                    color: Theme.text
                                }
                                ToolTip.visible: tagHover.hovered
                                ToolTip.text: qsTr("%1 · confidence %2").arg(modelData.source).arg(Math.round(modelData.confidence * 100) + "%")
                                HoverHandler { id: tagHover }
                            }
                        }
                        Repeater {
                            model: view.a.keywords || []
                            delegate: Rectangle {
                                required property string modelData
                                implicitWidth: kwLabel.implicitWidth + 16
                                implicitHeight: 24
                                radius: 12
                                color: Theme.accentSoft
                                Label { id: kwLabel; anchors.centerIn: parent; text: modelData; font.pixelSize: Theme.fontSmall + 1; color: Theme.accent }
                            }
                        }
                    }
                    Label {
                        visible: (view.a.tags || []).length === 0 && (view.a.keywords || []).length === 0
                        text: qsTr("No tags yet.")
                        color: Theme.textFaint
                    }

                    Group { title: qsTr("Generation") }
                    ColumnLayout {
                        Layout.fillWidth: true
                        visible: view.a.generation !== undefined
                        spacing: Theme.s2
                        FieldRow { Layout.fillWidth: true; labelWidth: 110; label: qsTr("Tool"); value: view.a.generation ? view.a.generation.tool : "" }
                        FieldRow { Layout.fillWidth: true; labelWidth: 110; label: qsTr("Model"); value: view.a.generation ? view.a.generation.model : "" }
                        FieldRow { objectName: "assetPrompt"; Layout.fillWidth: true; labelWidth: 110; label: qsTr("Prompt"); value: view.a.generation ? view.a.generation.prompt : "" }
                        FieldRow { Layout.fillWidth: true; labelWidth: 110; visible: !!(view.a.generation && view.a.generation.negativePrompt !== ""); label: qsTr("Negative"); value: view.a.generation ? view.a.generation.negativePrompt : "" }
                        FieldRow { Layout.fillWidth: true; labelWidth: 110; label: qsTr("Seed"); value: view.a.generation ? view.a.generation.seed : "" }
                        FieldRow {
                            Layout.fillWidth: true; labelWidth: 110; label: qsTr("Sampling")
                            value: view.a.generation ? [view.a.generation.sampler,
                                                        view.a.generation.steps !== undefined ? view.a.generation.steps + " steps" : "",
                                                        view.a.generation.cfgScale !== undefined ? "CFG " + view.a.generation.cfgScale : ""].filter(s => s).join(" · ") : ""
                        }
                    }
                    Label {
                        visible: view.a.generation === undefined
                        Layout.fillWidth: true
                        wrapMode: Text.WordWrap
                        text: qsTr("No generation metadata in this file.")
                        color: Theme.textFaint
                    }

                    Group { title: qsTr("Derivation") }
                    Label {
                        Layout.fillWidth: true
                        wrapMode: Text.WordWrap
                        color: Theme.text
                        text: {
                            const p = view.a.parents || [], c = view.a.children || []
                            let parts = []
                            for (const x of p) parts.push(qsTr("%1 of asset #%2").arg(x.operation).arg(x.id))
                            if (c.length > 0) parts.push((c.length === 1 ? qsTr("1 derived asset") : qsTr("%1 derived assets").arg(c.length)))
                            return parts.length ? parts.join("\n") : qsTr("Original (no parents, nothing derived yet).")
                        }
                    }

                    Group { title: qsTr("Provenance") }
                    ProvenancePanel {
                        Layout.fillWidth: true
                        asset: view.a
                    }

                    Item { Layout.preferredHeight: Theme.s4 }
                }
            }
        }
    }

    component Group: Label {
        property string title
        Layout.fillWidth: true
        Layout.topMargin: Theme.s2
        text: title
        font.pixelSize: Theme.fontSmall
        font.weight: Font.DemiBold
        font.capitalization: Font.AllUppercase
        font.letterSpacing: 0.6
        color: Theme.textFaint
    }

    component ToggleChip: AbstractButton {
        id: chip
        checkable: true
        implicitHeight: 28
        leftPadding: Theme.s3
        rightPadding: Theme.s3
        focusPolicy: Qt.StrongFocus
        Accessible.name: text
        Accessible.checked: checked
        contentItem: Label {
            text: chip.text
            color: chip.checked ? Theme.accent : Theme.text
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

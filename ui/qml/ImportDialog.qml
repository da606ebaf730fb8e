// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Dialogs
import Atelier.Studio

// The file picker for Ctrl+I, in its own file so that QtQuick.Dialogs is
// only loaded when it is first used (start-up time).
FileDialog {
    property LibraryModel library
    title: qsTr("Import images")
    fileMode: FileDialog.OpenFiles
    nameFilters: [qsTr("Images (*.png *.jpg *.jpeg *.tif *.tiff *.webp *.exr *.bmp *.tga)"), qsTr("All files (*)")]
    onAccepted: library.importUrls(selectedFiles)
}

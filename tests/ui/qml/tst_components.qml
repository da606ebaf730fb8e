// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Window
import QtTest
import Atelier.Studio

// Components of the shell, each with the real singletons behind it.
Item {
    id: root
    width: 800
    height: 600

    Component {
        id: jobRowComponent
        JobRow {
            width: 320
            jobId: 7
            name: "Import 12 items"
            state: "failed"
            progress: 0.4
            message: ""
            errorText: "cannot read 'a.png': permission denied; check the file's permissions"
            canCancel: false
            canRetry: true
        }
    }
    Component { id: badgeComponent; StatusBadge {} }
    Component { id: searchComponent; SearchField { width: 400 } }
    Component { id: panelComponent; JobsPanel { width: 340; height: 500 } }
    Component {
        id: emptyComponent
        EmptyState { title: "Nothing here"; body: "Do this"; actionText: "Go" }
    }

    Component { id: gridComponent; AssetGrid { width: 1000; height: 500; cellSize: 176 } }

    SignalSpy { id: spy }

    TestCase {
        name: "Components"
        when: windowShown

        function findByObjectName(item, name) {
            if (item.objectName === name) return item
            for (let i = 0; i < item.children.length; ++i) {
                const f = findByObjectName(item.children[i], name)
                if (f) return f
            }
            if (item.contentItem && item.contentItem !== item) {
                const f = findByObjectName(item.contentItem, name)
                if (f) return f
            }
            return null
        }

        // Thumbnails are asked for at the size they are drawn (device pixels),
        // and a new size once a resize has settled.
        function test_gridRequestsThumbnailsAtTheirDrawnSize() {
            const g = createTemporaryObject(gridComponent, root)
            verify(g.cellWidth > 100)
            const drawn = g.cellWidth - 30  // card margins 5, frame inset 6, image inset 4
            compare(g.wantedThumbPixels, Math.ceil(drawn * Screen.devicePixelRatio))
            compare(g.thumbPixels, g.wantedThumbPixels)
            verify(g.thumbPixels < 256, "smaller than the catalog's 256-px thumbnails at this size")
            g.cellSize = 320
            g.width = 700  // two columns of 320 px
            verify(g.wantedThumbPixels > 256)
            tryCompare(g, "thumbPixels", g.wantedThumbPixels, 2000)
        }

        function test_statusBadgeTones() {
            const b = createTemporaryObject(badgeComponent, root, { status: "failed" })
            compare(b.tone, Theme.danger)
            b.status = "ok"
            compare(b.tone, Theme.success)
            b.status = "running"
            compare(b.tone, Theme.accent)
            verify(b.implicitWidth > 20)
        }

        function test_jobRowShowsErrorAndRetries() {
            const row = createTemporaryObject(jobRowComponent, root)
            verify(row)
            spy.target = null
            spy.signalName = "retryRequested"
            spy.target = row
            spy.clear()
            const retry = findByObjectName(row, "retryButton")
            verify(retry, "retry button")
            verify(retry.visible)
            const cancel = findByObjectName(row, "cancelButton")
            verify(!cancel.visible, "a finished job cannot be cancelled")
            mouseClick(retry)
            compare(spy.count, 1)
            compare(spy.signalArguments[0][0], 7)
            // Keyboard: focus the row and press Enter.
            row.forceActiveFocus()
            keyClick(Qt.Key_Return)
            compare(spy.count, 2)
        }

        function test_searchFieldShowsQueryError() {
            const f = createTemporaryObject(searchComponent, root)
            f.forceActiveFocus()
            keyClick(Qt.Key_A)
            compare(f.text, "a")
            f.error = "unknown key 'colr': use color, style, ..."
            compare(f.background.border.color, Theme.danger)
            keyClick(Qt.Key_Escape)
            compare(f.text, "", "Esc clears the search")
        }

        function test_emptyStateAction() {
            const e = createTemporaryObject(emptyComponent, root)
            spy.target = null
            spy.signalName = "actionTriggered"
            spy.target = e
            spy.clear()
            let button = null
            for (let i = 0; i < e.children.length; ++i)
                if (e.children[i].text === "Go") button = e.children[i]
            verify(button, "action button")
            mouseClick(button)
            compare(spy.count, 1)
        }

        function test_jobsPanelEmptyThenListsJobs() {
            JobsModel.clearFinished()
            const p = createTemporaryObject(panelComponent, root)
            const list = findByObjectName(p, "jobsList")
            verify(list)
            compare(list.count, JobsModel.activeCount)
        }

        function test_themeFollowsChoice() {
            const before = StudioState.themeMode
            StudioState.themeMode = "dark"
            verify(Theme.dark)
            const darkWindow = String(Theme.window)
            StudioState.themeMode = "light"
            verify(!Theme.dark)
            verify(String(Theme.window) !== darkWindow)
            StudioState.themeMode = "system"
            compare(Theme.dark, StudioState.systemDark)
            StudioState.themeMode = before
        }
    }
}

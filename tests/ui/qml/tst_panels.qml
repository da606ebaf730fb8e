// SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import Atelier.Studio

// The provenance panel and the import report, fed the shapes their models
// produce.
Item {
    id: root
    width: 600
    height: 600

    Component { id: provenanceComponent; ProvenancePanel { width: 360 } }

    TestCase {
        name: "Panels"
        when: windowShown

        function badgeOf(panel) {
            for (let i = 0; i < panel.children.length; ++i) {
                const row = panel.children[i]
                for (let j = 0; j < row.children.length; ++j)
                    if (row.children[j].objectName === "provenanceStatus") return row.children[j]
            }
            return null
        }

        function test_noCredentials() {
            const p = createTemporaryObject(provenanceComponent, root, { asset: { c2pa: { state: "no_manifest" } } })
            verify(!p.present)
        }

        function test_trustedChain() {
            const p = createTemporaryObject(provenanceComponent, root, { asset: { c2pa: {
                state: "Trusted", failures: [],
                chain: [{ title: "waves (upscaled)", claimGenerator: "Atelier 0.1.0",
                          actions: [{ action: "c2pa.opened" }, { action: "c2pa.resized" }],
                          ingredients: [{ title: "waves.png", relationship: "parentOf" }] }] } } })
            verify(p.present)
            const badge = badgeOf(p)
            verify(badge, "status badge")
            compare(badge.status, "ok")
            verify(badge.text.indexOf("trusted") >= 0, badge.text)
        }

        function test_tamperedIsAFailure() {
            const p = createTemporaryObject(provenanceComponent, root, { asset: { c2pa: {
                state: "Invalid", chain: [],
                failures: [{ code: "assertion.dataHash.mismatch", explanation: "the pixels changed after signing" }] } } })
            const badge = badgeOf(p)
            compare(badge.status, "failed")
            compare(badge.tone, Theme.danger)
        }
    }
}

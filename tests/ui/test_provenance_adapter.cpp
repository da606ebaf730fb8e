// SPDX-License-Identifier: MIT
// The app signs with the keys the configuration names (provenance.keys_dir),
// as the CLI does — not always with the default folder.
#include <gtest/gtest.h>

#include <QTemporaryDir>
#include <cstdlib>
#include <filesystem>

#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"
#include "atelier/provenance/crypto.h"
#include "atelier/provenance/validate.h"
#include "provenance_adapter.h"

namespace fs = std::filesystem;
using namespace atelier;

TEST(ProvenanceAdapter, ExportSignsWithTheConfiguredKeysFolder) {
    QTemporaryDir tmp;
    ASSERT_TRUE(tmp.isValid());
    const fs::path root = tmp.path().toStdString();
    const fs::path keys = root / "team-keys";
    ::setenv("XDG_DATA_HOME", (root / "data").c_str(), 1);
    ::setenv("ATELIER_PROVENANCE_KEYS_DIR", keys.c_str(), 1);

    const fs::path library_copy = root / "library-copy.png";
    auto img = procedural::seamless_waves(48, 32, 3);
    ASSERT_TRUE(img.ok());
    ASSERT_TRUE(imageio::save(*img, library_copy).ok());
    ASSERT_TRUE(imageio::save(*img, root / "exported.png").ok());

    std::string unsigned_reason;
    auto label = ui::sign_library_export(root / "exported.png", library_copy, "commercial", {}, &unsigned_reason);
    ::unsetenv("ATELIER_PROVENANCE_KEYS_DIR");
    ASSERT_TRUE(label.ok()) << label.error().message;
    EXPECT_FALSE(label->empty()) << unsigned_reason;

    // The identity and its CA were made in the configured folder, not the default one.
    const provenance::KeyStore store(keys);
    EXPECT_TRUE(fs::exists(store.ca_cert_path()));
    EXPECT_FALSE(fs::exists(root / "data/atelier/keys")) << "signed with the default keys folder";

    provenance::ValidationOptions o;
    auto anchors = provenance::Certificate::load_bundle(store.ca_cert_path());
    ASSERT_TRUE(anchors.ok());
    o.trust_anchors = *anchors;
    auto rep = provenance::validate_file(root / "exported.png", o);
    ASSERT_TRUE(rep.ok()) << rep.error().message;
    EXPECT_EQ(rep->state, provenance::ValidationState::trusted);
}

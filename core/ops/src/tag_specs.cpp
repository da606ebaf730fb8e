// SPDX-License-Identifier: MIT
// The technical-specs tagger.

#include "atelier/ops/tag_specs.h"

#include <cmath>

namespace atelier::ops {

namespace {

double round_to(double v, double step) {
    return std::round(v / step) * step;
}

class SpecsTagger final : public Tagger {
public:
    const TaggerInfo& info() const noexcept override { return m_info; }

    Result<std::vector<Tag>> tag(const TagInput& in) const override {
        const Image& img = in.image;
        const auto& meta = img.metadata();
        std::vector<Tag> t;
        const double w = img.width(), h = img.height();
        t.push_back(make_tag("width", static_cast<std::int64_t>(img.width())));
        t.push_back(make_tag("height", static_cast<std::int64_t>(img.height())));
        t.push_back(make_tag("megapixels", std::round(w * h / 1e4) / 100.0));
        if (meta.dpi_x) {
            const double dx = *meta.dpi_x, dy = meta.dpi_y.value_or(dx);
            // Files store DPI as floats or rationals: 299.9994 is 300.
            t.push_back(make_tag("dpi.x", round_to(dx, 0.01)));
            t.push_back(make_tag("dpi.y", round_to(dy, 0.01)));
            if (dx > 0 && dy > 0) {
                t.push_back(make_tag("print.native.width_in", round_to(w / round_to(dx, 0.01), 0.01)));
                t.push_back(make_tag("print.native.height_in", round_to(h / round_to(dy, 0.01), 0.01)));
            }
        }
        for (int dpi : {150, 300}) {
            const std::string p = "print." + std::to_string(dpi) + "dpi.";
            t.push_back(make_tag(p + "width_in", round_to(w / dpi, 0.01)));
            t.push_back(make_tag(p + "height_in", round_to(h / dpi, 0.01)));
        }
        int bits = static_cast<int>(bytes_per_sample(img.type()) * 8);
        if (meta.source_bits > 0) bits = meta.source_bits;
        if (in.file && in.file->bits_per_sample > 0) bits = in.file->bits_per_sample;
        t.push_back(make_tag("bit_depth", static_cast<std::int64_t>(bits)));
        t.push_back(make_tag("sample_type", std::string(pixel_type_name(img.type()))));
        t.push_back(make_tag("channels", static_cast<std::int64_t>(img.channels())));
        t.push_back(make_tag("alpha", img.has_alpha()));
        t.push_back(make_tag("alpha_used", img.has_alpha() && img.alpha_used()));
        std::string cs = meta.color_space.empty() ? "unspecified" : meta.color_space;
        if (img.color_channels() == 1 && cs == "sRGB") cs = "Gray (sRGB transfer)";
        t.push_back(make_tag("color_space", cs));
        if (!meta.icc_profile_name.empty()) t.push_back(make_tag("icc_profile", meta.icc_profile_name));
        std::string format = meta.source_format;
        if (in.file && !in.file->format.empty()) format = in.file->format;
        if (!format.empty()) t.push_back(make_tag("format", format));
        if (in.file) {
            t.push_back(make_tag("file_bytes", static_cast<std::int64_t>(in.file->file_bytes)));
            t.push_back(make_tag("frames", static_cast<std::int64_t>(in.file->frames)));
        }
        // Pixel aspect (width of a pixel over its height): stated, or from
        // unequal horizontal/vertical DPI, else square.
        double aspect = 1.0;
        if (in.file && in.file->pixel_aspect && *in.file->pixel_aspect > 0) {
            aspect = *in.file->pixel_aspect;
        } else if (meta.dpi_x && meta.dpi_y && *meta.dpi_x > 0 && *meta.dpi_y > 0) {
            aspect = *meta.dpi_y / *meta.dpi_x;
        }
        t.push_back(make_tag("pixel_aspect", aspect));
        return t;
    }

private:
    TaggerInfo m_info{"specs", 1, "technical specs: size, DPI, print size, depth, channels, colour space, format", ""};
};

}  // namespace

std::unique_ptr<Tagger> make_specs_tagger() {
    return std::make_unique<SpecsTagger>();
}

}  // namespace atelier::ops

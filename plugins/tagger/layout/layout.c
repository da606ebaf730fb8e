/* SPDX-License-Identifier: MIT */
/* Example tagger plugin "layout", written in plain C against the tagger C ABI
 * (atelier/ops/tagger_plugin_abi.h):
 *   layout.orientation  landscape / portrait / square
 *   layout.aspect       the nearest common aspect ratio ("16:9", "4:3",
 *                       "3:2", "1:1", "5:4", "2:1", "ISO 216" (1:√2), their
 *                       portrait forms) within 1.5 %, else "other"
 *   layout.cutout       true when the border is transparent and something
 *                       inside is not (stickers, clip art, isolated objects)
 * Build: plugins/CMakeLists.txt (atelier_add_plugin). */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "atelier/ops/tagger_plugin_abi.h"

#if defined(__GNUC__)
#define LAYOUT_EXPORT __attribute__((visibility("default")))
#else
#define LAYOUT_EXPORT
#endif

static const struct {
    const char* name;
    double ratio; /* width / height, >= 1 */
} kRatios[] = {
    {"1:1", 1.0}, {"5:4", 1.25}, {"4:3", 4.0 / 3.0}, {"ISO 216", 1.41421356}, {"3:2", 1.5}, {"16:9", 16.0 / 9.0},
    {"2:1", 2.0},
};

static int layout_tag(const AtelierTagInput* in, const AtelierTagSink* sink, char* error, size_t error_size) {
    if (in->width <= 0 || in->height <= 0) {
        snprintf(error, error_size, "layout: the image has no pixels");
        return 1;
    }
    const double w = in->width, h = in->height;
    const char* orientation = w > h * 1.01 ? "landscape" : h > w * 1.01 ? "portrait" : "square";
    sink->text(sink->context, "layout.orientation", orientation, 1.0);

    const double r = w >= h ? w / h : h / w;
    const char* best = "other";
    double best_err = 0.015;
    for (size_t i = 0; i < sizeof kRatios / sizeof kRatios[0]; ++i) {
        const double err = fabs(r - kRatios[i].ratio) / kRatios[i].ratio;
        if (err <= best_err) {
            best_err = err;
            best = kRatios[i].name;
        }
    }
    char aspect[32];
    if (strcmp(best, "other") != 0 && strcmp(best, "1:1") != 0 && h > w * 1.01 && strcmp(best, "ISO 216") != 0) {
        /* portrait: "9:16" for "16:9" */
        const char* colon = strchr(best, ':');
        snprintf(aspect, sizeof aspect, "%s:%.*s", colon + 1, (int)(colon - best), best);
    } else {
        snprintf(aspect, sizeof aspect, "%s", best);
    }
    sink->text(sink->context, "layout.aspect", aspect, 1.0 - best_err / 0.015 * 0.5);

    /* Cutout: share of transparent pixels on the preview's border ring. */
    const int pw = in->preview_width, ph = in->preview_height;
    if (pw < 3 || ph < 3 || !in->preview_rgba) return 0; /* too small to tell: no cutout tag */
    size_t border = 0, clear = 0, inside_opaque = 0;
    for (int y = 0; y < ph; ++y)
        for (int x = 0; x < pw; ++x) {
            const float a = in->preview_rgba[((size_t)y * pw + x) * 4 + 3];
            if (x == 0 || y == 0 || x == pw - 1 || y == ph - 1) {
                ++border;
                clear += a < 0.05f;
            } else {
                inside_opaque += a > 0.5f;
            }
        }
    const double clear_share = (double)clear / (double)border;
    const int cutout = clear_share >= 0.95 && inside_opaque > 0;
    sink->flag(sink->context, "layout.cutout", cutout, cutout ? clear_share : 1.0 - clear_share * 0.5);
    return 0;
}

static const AtelierTaggerPlugin kPlugin = {
    "layout",
    1,
    "orientation, common aspect ratio and cutout (transparent border) detection",
    layout_tag,
};

LAYOUT_EXPORT uint32_t atelier_tagger_abi_version(void) {
    return ATELIER_TAGGER_ABI_VERSION;
}

LAYOUT_EXPORT const AtelierTaggerPlugin* atelier_tagger_plugin(void) {
    return &kPlugin;
}

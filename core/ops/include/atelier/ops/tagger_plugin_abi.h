/* SPDX-License-Identifier: MIT */
#pragma once

/** \file tagger_plugin_abi.h
 * The C ABI a tagger plugin implements (the only Atelier header a plugin
 * includes; plain C, so a plugin can be written in C, C++ or anything that
 * exports C symbols). A plugin is a shared library that exports:
 *
 *   uint32_t atelier_tagger_abi_version(void);
 *       returns ATELIER_TAGGER_ABI_VERSION as the plugin was compiled;
 *       the loader calls it first and refuses the plugin, saying so, when it
 *       differs from its own version (nothing else in the plugin is called).
 *   const AtelierTaggerPlugin* atelier_tagger_plugin(void);
 *       the plugin's description and tag function; static storage, valid
 *       until the library is unloaded.
 *
 * Rules: `tag` is called from several threads at once and must be
 * thread-safe; it must not throw (C++ plugins catch everything); it reports
 * tags through the sink only during the call; strings passed to the sink are
 * copied. Tag names are dotted lower-case paths; the pipeline stamps each tag
 * with "<id>@<version>". Bump ATELIER_TAGGER_ABI_VERSION whenever a struct
 * below changes layout or meaning.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ATELIER_TAGGER_ABI_VERSION 1u

/** One image to tag: the analysis preview (see ops::TagInput) and facts about
 *  the full image. All pointers are valid only during the `tag` call. */
typedef struct AtelierTagInput {
    int32_t preview_width, preview_height;
    /** preview_width × preview_height × 4 floats: sRGB-encoded RGBA in 0..1,
     *  straight alpha, rows top to bottom. */
    const float* preview_rgba;
    int32_t width, height;   /**< the full image */
    int32_t channels;        /**< 1..4 */
    int32_t bits_per_sample; /**< 8, 16 or 32 (float) */
    const char* format;      /**< "png", "jpeg", ... or "" when not from a file */
} AtelierTagInput;

/** Where a plugin reports its tags (`context` is passed back unchanged). */
typedef struct AtelierTagSink {
    void* context;
    void (*text)(void* context, const char* name, const char* value, double confidence);
    void (*number)(void* context, const char* name, double value, double confidence);
    void (*integer)(void* context, const char* name, int64_t value, double confidence);
    void (*flag)(void* context, const char* name, int value, double confidence);
} AtelierTagSink;

typedef struct AtelierTaggerPlugin {
    const char* id;          /**< stable, lower-case, unique among taggers */
    int32_t version;         /**< bumped whenever its output for an input may change */
    const char* description; /**< one line */
    /** Tags one image. Returns 0 on success; otherwise writes a reason (what
     *  the user can do) into `error` (NUL-terminated, at most `error_size`
     *  bytes) and returns non-zero. */
    int (*tag)(const AtelierTagInput* input, const AtelierTagSink* sink, char* error, size_t error_size);
} AtelierTaggerPlugin;

typedef uint32_t (*AtelierTaggerAbiVersionFn)(void);
typedef const AtelierTaggerPlugin* (*AtelierTaggerPluginFn)(void);

#ifdef __cplusplus
}
#endif

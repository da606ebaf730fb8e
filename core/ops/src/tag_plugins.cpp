// SPDX-License-Identifier: MIT
// Tagger plugins: dlopen, ABI check, and the adapter to ops::Tagger.

#include "atelier/ops/tag_plugins.h"

#include <dlfcn.h>

#include <algorithm>
#include <string>
#include <system_error>

#include <spdlog/spdlog.h>

#include "atelier/ops/tagger_plugin_abi.h"

namespace atelier::ops {

namespace {

namespace fs = std::filesystem;

struct DlClose {
    void operator()(void* handle) const noexcept {
        if (handle) dlclose(handle);
    }
};
using Library = std::shared_ptr<void>;

std::string dl_error() {
    const char* e = dlerror();
    return e ? e : "unknown error";
}

class PluginTagger final : public Tagger {
public:
    PluginTagger(Library lib, const AtelierTaggerPlugin* plugin, std::string path)
        : m_lib(std::move(lib)), m_plugin(plugin) {
        m_info = {plugin->id, plugin->version, std::string(plugin->description) + " (plugin " + path + ")", ""};
    }
    const TaggerInfo& info() const noexcept override { return m_info; }
    Result<std::vector<Tag>> tag(const TagInput& in) const override {
        struct Ctx {
            const PluginTagger* self;
            std::vector<Tag> tags;
        } ctx{this, {}};
        AtelierTagSink sink{};
        sink.context = &ctx;
        sink.text = [](void* c, const char* name, const char* value, double conf) {
            auto* x = static_cast<Ctx*>(c);
            if (name && value) x->tags.push_back(x->self->make_tag(name, std::string(value), conf));
        };
        sink.number = [](void* c, const char* name, double value, double conf) {
            auto* x = static_cast<Ctx*>(c);
            if (name) x->tags.push_back(x->self->make_tag(name, value, conf));
        };
        sink.integer = [](void* c, const char* name, std::int64_t value, double conf) {
            auto* x = static_cast<Ctx*>(c);
            if (name) x->tags.push_back(x->self->make_tag(name, value, conf));
        };
        sink.flag = [](void* c, const char* name, int value, double conf) {
            auto* x = static_cast<Ctx*>(c);
            if (name) x->tags.push_back(x->self->make_tag(name, value != 0, conf));
        };
        if (in.preview.type() != PixelType::f32 || in.preview.channels() != 4)
            return fail(Errc::invalid_argument, "plugin taggers need the f32 RGBA preview from make_preview");
        AtelierTagInput input{};
        input.preview_width = in.preview.width();
        input.preview_height = in.preview.height();
        // The preview is contiguous f32 RGBA (make_preview allocates it so).
        input.preview_rgba = in.preview.row_as<float>(0);
        input.width = in.image.width();
        input.height = in.image.height();
        input.channels = in.image.channels();
        input.bits_per_sample = in.image.type() == PixelType::u8 ? 8 : in.image.type() == PixelType::u16 ? 16 : 32;
        input.format = in.file ? in.file->format.c_str() : "";
        char error[512] = {0};
        if (m_plugin->tag(&input, &sink, error, sizeof error) != 0) {
            error[sizeof error - 1] = '\0';
            return fail(Errc::invalid_argument, error[0]
                                                    ? std::string(error)
                                                    : "the plugin tagger '" + m_info.id + "' failed without a reason");
        }
        return std::move(ctx.tags);
    }

private:
    Library m_lib;
    const AtelierTaggerPlugin* m_plugin;
    TaggerInfo m_info;
};

}  // namespace

Result<std::unique_ptr<Tagger>> load_tagger_plugin(const fs::path& library) {
    const std::string where = "tagger plugin " + library.string();
    dlerror();
    Library lib(dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL), DlClose{});
    if (!lib)
        return fail(Errc::invalid_argument, where + ": cannot be loaded (" + dl_error() +
                                                "); check that it is a shared library for this system");
    auto abi = reinterpret_cast<AtelierTaggerAbiVersionFn>(dlsym(lib.get(), "atelier_tagger_abi_version"));
    auto entry = reinterpret_cast<AtelierTaggerPluginFn>(dlsym(lib.get(), "atelier_tagger_plugin"));
    if (!abi || !entry)
        return fail(Errc::invalid_argument, where +
                                                ": not a tagger plugin (it must export atelier_tagger_abi_version and "
                                                "atelier_tagger_plugin; see atelier/ops/tagger_plugin_abi.h)");
    const std::uint32_t version = abi();
    if (version != ATELIER_TAGGER_ABI_VERSION)
        return fail(Errc::unsupported, where + ": built for tagger ABI " + std::to_string(version) +
                                           ", this Atelier implements ABI " +
                                           std::to_string(ATELIER_TAGGER_ABI_VERSION) +
                                           "; rebuild the plugin against this version's tagger_plugin_abi.h");
    const AtelierTaggerPlugin* plugin = entry();
    if (!plugin || !plugin->id || !*plugin->id || !plugin->tag || !plugin->description || plugin->version < 1)
        return fail(
            Errc::invalid_argument,
            where + ": incomplete description (it needs an id, a version >= 1, a description and a tag function)");
    const std::string id = plugin->id;
    if (!std::all_of(id.begin(), id.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        }))
        return fail(Errc::invalid_argument, where + ": id '" + id + "' must be lower-case letters, digits, - _ .");
    return std::unique_ptr<Tagger>(std::make_unique<PluginTagger>(std::move(lib), plugin, library.string()));
}

TaggerPlugins load_tagger_plugins(const fs::path& dir) {
    TaggerPlugins out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    std::vector<fs::path> libs;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".so" && it->is_regular_file(ec)) libs.push_back(it->path());
    std::sort(libs.begin(), libs.end());
    for (const auto& p : libs) {
        auto t = load_tagger_plugin(p);
        if (!t) {
            spdlog::warn("{}", t.error().message);
            out.rejected.emplace_back(p, t.error());
            continue;
        }
        spdlog::info("loaded tagger plugin {}@{} from {}", (*t)->info().id, (*t)->info().version, p.string());
        out.taggers.push_back(std::move(*t));
    }
    return out;
}

}  // namespace atelier::ops

// SPDX-License-Identifier: MIT
// Generation metadata of other tools, from PNG text chunks.
#include <algorithm>
#include <cctype>
#include <set>

#include <nlohmann/json.hpp>

#include "atelier/catalog/metadata.h"

namespace atelier::catalog {

using nlohmann::json;

namespace {

constexpr std::size_t kRawLimit = 64 * 1024;  // raw text kept per asset

std::string trim(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b])))
        ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])))
        --e;
    return std::string(s.substr(b, e - b));
}

std::string bounded(std::string_view s) {
    return std::string(s.substr(0, kRawLimit));
}

std::optional<int> to_int(std::string_view s) {
    try {
        std::size_t used = 0;
        const std::string t = trim(s);
        const long v = std::stol(t, &used);
        if (used != t.size() || v < 0 || v > 100000) return std::nullopt;
        return static_cast<int>(v);
    } catch (...) {
        return std::nullopt;
    }
}

std::optional<double> to_double(std::string_view s) {
    try {
        std::size_t used = 0;
        const std::string t = trim(s);
        const double v = std::stod(t, &used);
        if (used != t.size()) return std::nullopt;
        return v;
    } catch (...) {
        return std::nullopt;
    }
}

/// A JSON number or string holding a seed, as decimal text (seeds reach 2^64−1).
std::string seed_text(const json& v) {
    if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
    if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
    if (v.is_number_float()) return std::to_string(static_cast<std::uint64_t>(v.get<double>()));
    if (v.is_string()) {
        std::string s = trim(v.get<std::string>());
        if (!s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) return s;
    }
    return {};
}

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number()) return it->dump();
    return {};
}

std::optional<int> int_of(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) return std::nullopt;
    if (it->is_number_integer()) return static_cast<int>(it->get<std::int64_t>());
    if (it->is_string()) return to_int(it->get<std::string>());
    return std::nullopt;
}

std::optional<double> num_of(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) return std::nullopt;
    if (it->is_number()) return it->get<double>();
    if (it->is_string()) return to_double(it->get<std::string>());
    return std::nullopt;
}

json parse_json(std::string_view text, std::string* error) {
    try {
        return json::parse(text.begin(), text.end());
    } catch (const std::exception& e) {
        if (error) *error = e.what();
        return json();
    }
}

// ---- InvokeAI ---------------------------------------------------------------

std::optional<GenerationInfo> parse_invokeai_metadata(std::string_view text, std::string* error) {
    json j = parse_json(text, error);
    if (!j.is_object()) return std::nullopt;
    GenerationInfo g;
    g.tool = "invokeai";
    g.prompt = str(j, "positive_prompt");
    g.negative_prompt = str(j, "negative_prompt");
    if (auto it = j.find("seed"); it != j.end()) g.seed = seed_text(*it);
    g.steps = int_of(j, "steps");
    g.sampler = str(j, "scheduler");
    g.cfg_scale = num_of(j, "cfg_scale");
    if (auto it = j.find("model"); it != j.end()) {
        if (it->is_object()) {
            g.model = str(*it, "model_name");
            if (g.model.empty()) g.model = str(*it, "name");
            g.model_hash = str(*it, "hash");
        } else if (it->is_string()) {
            g.model = it->get<std::string>();
        }
    }
    g.raw = bounded(text);
    return g;
}

std::optional<GenerationInfo> parse_invokeai_sd_metadata(std::string_view text, std::string* error) {
    json j = parse_json(text, error);
    if (!j.is_object()) return std::nullopt;
    GenerationInfo g;
    g.tool = "invokeai";
    g.model = str(j, "model_weights");
    g.model_hash = str(j, "model_hash");
    auto img = j.find("image");
    if (img != j.end() && img->is_object()) {
        auto p = img->find("prompt");
        if (p != img->end()) {
            if (p->is_string()) {
                g.prompt = p->get<std::string>();
            } else if (p->is_array()) {
                for (const auto& part : *p)
                    if (part.is_object()) {
                        if (!g.prompt.empty()) g.prompt += " ";
                        g.prompt += str(part, "prompt");
                    }
            }
        }
        if (auto s = img->find("seed"); s != img->end()) g.seed = seed_text(*s);
        g.steps = int_of(*img, "steps");
        g.sampler = str(*img, "sampler");
        g.cfg_scale = num_of(*img, "cfg_scale");
    }
    g.raw = bounded(text);
    return g;
}

/// The oldest InvokeAI format: `"prompt" -s 50 -S 123 -A k_lms -C 7.5 ...`.
std::optional<GenerationInfo> parse_invokeai_dream(std::string_view text) {
    GenerationInfo g;
    g.tool = "invokeai";
    std::string_view rest = text;
    while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front())))
        rest.remove_prefix(1);
    if (!rest.empty() && rest.front() == '"') {
        const auto close = rest.find('"', 1);
        if (close == std::string_view::npos) return std::nullopt;
        g.prompt = std::string(rest.substr(1, close - 1));
        rest.remove_prefix(close + 1);
    } else {
        const auto dash = rest.find(" -");
        g.prompt = trim(rest.substr(0, dash));
        rest = dash == std::string_view::npos ? std::string_view{} : rest.substr(dash);
    }
    std::vector<std::string> words;
    std::string cur;
    for (char c : rest) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (!cur.empty()) words.push_back(std::move(cur));
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    if (!cur.empty()) words.push_back(cur);
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
        const auto& w = words[i];
        const auto& v = words[i + 1];
        if (w == "-S" || w == "--seed") g.seed = v;
        if (w == "-s" || w == "--steps") g.steps = to_int(v);
        if (w == "-A" || w == "--sampler") g.sampler = v;
        if (w == "-C" || w == "--cfg_scale") g.cfg_scale = to_double(v);
        if (w == "-m" || w == "--model") g.model = v;
    }
    if (!g.seed.empty() && !std::all_of(g.seed.begin(), g.seed.end(), [](unsigned char c) { return std::isdigit(c); }))
        g.seed.clear();
    if (g.prompt.empty() && g.seed.empty()) return std::nullopt;
    g.raw = bounded(text);
    return g;
}

// ---- Fooocus ----------------------------------------------------------------

std::optional<GenerationInfo> parse_fooocus(const json& j, std::string_view text) {
    if (!j.is_object()) return std::nullopt;
    GenerationInfo g;
    g.tool = "fooocus";
    g.prompt = str(j, "prompt");
    g.negative_prompt = str(j, "negative_prompt");
    if (auto it = j.find("seed"); it != j.end()) g.seed = seed_text(*it);
    g.steps = int_of(j, "steps");
    g.sampler = str(j, "sampler");
    g.cfg_scale = num_of(j, "guidance_scale");
    g.model = str(j, "base_model");
    g.model_hash = str(j, "base_model_hash");
    g.raw = bounded(text);
    return g;
}

// ---- NovelAI ----------------------------------------------------------------

std::optional<GenerationInfo> parse_novelai(const std::map<std::string, std::string>& attrs, std::string* error) {
    GenerationInfo g;
    g.tool = "novelai";
    auto get = [&](const char* k) -> std::string {
        auto it = attrs.find(k);
        return it == attrs.end() ? std::string() : it->second;
    };
    g.prompt = get("Description");
    if (g.prompt.empty()) g.prompt = get("ImageDescription");
    g.model = get("Source");
    const std::string comment = get("Comment");
    if (!comment.empty()) {
        json j = parse_json(comment, error);
        if (j.is_object()) {
            if (auto it = j.find("seed"); it != j.end()) g.seed = seed_text(*it);
            g.steps = int_of(j, "steps");
            g.sampler = str(j, "sampler");
            g.cfg_scale = num_of(j, "scale");
            g.negative_prompt = str(j, "uc");
        }
        g.raw = bounded(comment);
    }
    return g;
}

// ---- ComfyUI ------------------------------------------------------------------

bool is_link(const json& v) {
    return v.is_array() && v.size() == 2 && (v[0].is_string() || v[0].is_number());
}
std::string link_target(const json& v) {
    return v[0].is_string() ? v[0].get<std::string>() : std::to_string(v[0].get<std::int64_t>());
}

/// Prompt texts reachable from a conditioning input (through combine/area nodes).
void collect_texts(const json& graph, const json& input, std::vector<std::string>& out, std::set<std::string>& seen,
                   int depth) {
    if (depth > 64 || !is_link(input)) return;
    const std::string id = link_target(input);
    if (!seen.insert(id).second) return;
    auto node = graph.find(id);
    if (node == graph.end() || !node->is_object()) return;
    auto inputs = node->find("inputs");
    if (inputs == node->end() || !inputs->is_object()) return;
    for (const char* k : {"text", "text_g", "text_l", "string", "prompt"}) {
        auto t = inputs->find(k);
        if (t != inputs->end() && t->is_string()) {
            const std::string s = trim(t->get<std::string>());
            if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
            return;
        }
        if (t != inputs->end() && is_link(*t)) {
            collect_texts(graph, *t, out, seen, depth + 1);
            return;
        }
    }
    for (auto it = inputs->begin(); it != inputs->end(); ++it)
        if (it.key().rfind("conditioning", 0) == 0 || it.key() == "positive" || it.key() == "negative")
            collect_texts(graph, it.value(), out, seen, depth + 1);
}

/// The checkpoint behind a model input (through LoRA and patch nodes).
std::string find_checkpoint(const json& graph, const json& input, int depth) {
    if (depth > 64 || !is_link(input)) return {};
    auto node = graph.find(link_target(input));
    if (node == graph.end() || !node->is_object()) return {};
    auto inputs = node->find("inputs");
    if (inputs == node->end() || !inputs->is_object()) return {};
    for (const char* k : {"ckpt_name", "unet_name", "model_name"}) {
        auto c = inputs->find(k);
        if (c != inputs->end() && c->is_string()) return c->get<std::string>();
    }
    if (auto m = inputs->find("model"); m != inputs->end()) return find_checkpoint(graph, *m, depth + 1);
    return {};
}

long node_number(const std::string& id) {
    try {
        return std::stol(id);
    } catch (...) {
        return -1;
    }
}

}  // namespace

bool valid_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        unsigned cp = 0;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n) return false;
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

std::optional<GenerationInfo> parse_a1111_parameters(std::string_view text) {
    // Lines: prompt (possibly several), optional "Negative prompt: ...", and a
    // last line of "Key: value, Key: value" that starts with "Steps: ".
    std::vector<std::string_view> lines;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        lines.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    std::size_t params_line = lines.size();
    for (std::size_t i = lines.size(); i-- > 0;) {
        const std::string t = trim(lines[i]);
        if (t.rfind("Steps:", 0) == 0) {
            params_line = i;
            break;
        }
    }
    if (params_line == lines.size()) return std::nullopt;
    GenerationInfo g;
    g.tool = "automatic1111";
    std::string prompt, negative;
    bool in_negative = false;
    for (std::size_t i = 0; i < params_line; ++i) {
        std::string_view l = lines[i];
        if (l.rfind("Negative prompt:", 0) == 0) {
            in_negative = true;
            l.remove_prefix(16);
        }
        std::string& dst = in_negative ? negative : prompt;
        if (!dst.empty()) dst += "\n";
        dst += std::string(l);
    }
    g.prompt = trim(prompt);
    g.negative_prompt = trim(negative);
    // Key: value pairs; values may be quoted and contain commas.
    std::string_view p = lines[params_line];
    std::size_t i = 0;
    while (i < p.size()) {
        while (i < p.size() && (p[i] == ' ' || p[i] == ','))
            ++i;
        const auto colon = p.find(':', i);
        if (colon == std::string_view::npos) break;
        const std::string key = trim(p.substr(i, colon - i));
        std::size_t v = colon + 1;
        while (v < p.size() && p[v] == ' ')
            ++v;
        std::string value;
        if (v < p.size() && p[v] == '"') {
            std::size_t e = v + 1;
            while (e < p.size() && p[e] != '"') {
                if (p[e] == '\\' && e + 1 < p.size()) ++e;
                value.push_back(p[e]);
                ++e;
            }
            i = e + 1;
        } else {
            auto comma = p.find(',', v);
            if (comma == std::string_view::npos) comma = p.size();
            value = trim(p.substr(v, comma - v));
            i = comma;
        }
        if (key == "Steps")
            g.steps = to_int(value);
        else if (key == "Sampler")
            g.sampler = value;
        else if (key == "CFG scale")
            g.cfg_scale = to_double(value);
        else if (key == "Seed")
            g.seed =
                std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); }) ? value : "";
        else if (key == "Model hash")
            g.model_hash = value;
        else if (key == "Model")
            g.model = value;
    }
    g.raw = bounded(text);
    return g;
}

std::optional<GenerationInfo> parse_comfyui(std::string_view prompt_json, std::string_view workflow_json,
                                            std::string* error) {
    json graph = parse_json(prompt_json, error);
    if (!graph.is_object()) {
        if (error && error->empty()) *error = "the ComfyUI prompt is not a JSON object";
        return std::nullopt;
    }
    GenerationInfo g;
    g.tool = "comfyui";
    // The first sampler by node number.
    const json* sampler = nullptr;
    long best = -1;
    for (auto it = graph.begin(); it != graph.end(); ++it) {
        if (!it->is_object()) continue;
        const std::string type = str(*it, "class_type");
        auto inputs = it->find("inputs");
        if (inputs == it->end() || !inputs->is_object()) continue;
        const bool has_seed = inputs->contains("seed") || inputs->contains("noise_seed");
        if (type.find("Sampler") == std::string::npos || !has_seed) continue;
        const long n = node_number(it.key());
        if (sampler == nullptr || (n >= 0 && n < best)) {
            sampler = &*it;
            best = n;
        }
    }
    if (sampler != nullptr) {
        const json& in = (*sampler)["inputs"];
        if (auto s = in.find("seed"); s != in.end())
            g.seed = seed_text(*s);
        else if (auto ns = in.find("noise_seed"); ns != in.end())
            g.seed = seed_text(*ns);
        g.steps = int_of(in, "steps");
        g.sampler = str(in, "sampler_name");
        g.cfg_scale = num_of(in, "cfg");
        if (auto m = in.find("model"); m != in.end()) g.model = find_checkpoint(graph, *m, 0);
        std::vector<std::string> pos, neg;
        std::set<std::string> seen_pos, seen_neg;
        if (auto p = in.find("positive"); p != in.end()) collect_texts(graph, *p, pos, seen_pos, 0);
        if (auto n = in.find("negative"); n != in.end()) collect_texts(graph, *n, neg, seen_neg, 0);
        for (const auto& s : pos)
            g.prompt += (g.prompt.empty() ? "" : "\n") + s;
        for (const auto& s : neg)
            g.negative_prompt += (g.negative_prompt.empty() ? "" : "\n") + s;
    }
    if (g.model.empty()) {
        // No sampler we understand (custom nodes): the first checkpoint loader.
        long first = -1;
        for (auto it = graph.begin(); it != graph.end(); ++it) {
            if (!it->is_object()) continue;
            auto inputs = it->find("inputs");
            if (inputs == it->end() || !inputs->is_object()) continue;
            auto c = inputs->find("ckpt_name");
            if (c == inputs->end() || !c->is_string()) continue;
            const long n = node_number(it.key());
            if (first < 0 || n < first) {
                first = n;
                g.model = c->get<std::string>();
            }
        }
    }
    g.workflow = std::string(workflow_json);
    g.raw = bounded(prompt_json);
    return g;
}

FileMetadata parse_text_attributes(const std::map<std::string, std::string>& attributes, std::size_t max_bytes) {
    FileMetadata out;
    // Keep only chunks we can trust: bounded, valid UTF-8.
    std::map<std::string, std::string> usable;
    for (const auto& [k, v] : attributes) {
        if (v.size() > max_bytes) {
            out.warnings.push_back("ignored the '" + k + "' text chunk: " + std::to_string(v.size()) +
                                   " bytes, over the " + std::to_string(max_bytes) + "-byte metadata limit");
            continue;
        }
        if (!valid_utf8(v)) {
            out.warnings.push_back("ignored the '" + k + "' text chunk: it is not valid UTF-8 text");
            continue;
        }
        usable.emplace(k, v);
    }
    auto get = [&](const char* k) -> const std::string* {
        auto it = usable.find(k);
        return it == usable.end() ? nullptr : &it->second;
    };
    auto warn_json = [&](const char* chunk, const std::string& why) {
        out.warnings.push_back(std::string("ignored the '") + chunk + "' text chunk: malformed JSON (" +
                               why.substr(0, 200) + ")");
    };

    std::string err;
    if (const auto* prompt = get("prompt"); prompt != nullptr && !prompt->empty() && prompt->front() == '{') {
        const auto* wf = get("workflow");
        auto g = parse_comfyui(*prompt, wf ? std::string_view(*wf) : std::string_view{}, &err);
        if (g)
            out.generation = std::move(g);
        else
            warn_json("prompt", err);
    }
    if (!out.generation) {
        if (const auto* im = get("invokeai_metadata")) {
            err.clear();
            auto g = parse_invokeai_metadata(*im, &err);
            if (g)
                out.generation = std::move(g);
            else
                warn_json("invokeai_metadata", err);
        }
    }
    if (!out.generation) {
        if (const auto* sd = get("sd-metadata")) {
            err.clear();
            auto g = parse_invokeai_sd_metadata(*sd, &err);
            if (g)
                out.generation = std::move(g);
            else
                warn_json("sd-metadata", err);
        }
    }
    if (!out.generation) {
        if (const auto* dream = get("Dream")) out.generation = parse_invokeai_dream(*dream);
    }
    if (!out.generation) {
        if (const auto* params = get("parameters")) {
            const std::string t = trim(*params);
            if (!t.empty() && t.front() == '{') {
                err.clear();
                json j = parse_json(t, &err);
                if (j.is_object())
                    out.generation = parse_fooocus(j, t);
                else
                    warn_json("parameters", err);
            } else {
                out.generation = parse_a1111_parameters(t);
            }
        }
    }
    if (!out.generation) {
        const auto* software = get("Software");
        if (software != nullptr && software->find("NovelAI") != std::string::npos) {
            err.clear();
            out.generation = parse_novelai(usable, &err);
            if (!err.empty()) warn_json("Comment", err);
        }
    }

    // Title, description, keywords as OIIO names them (PNG tEXt Title/Description, IPTC/XMP).
    for (const char* k : {"XMP:Title", "IPTC:ObjectName", "Title", "DocumentName"}) {
        if (const auto* v = get(k); v != nullptr && !v->empty() && out.title.empty()) out.title = trim(*v);
    }
    const bool novelai = out.generation && out.generation->tool == "novelai";
    for (const char* k : {"XMP:Description", "IPTC:Caption", "ImageDescription", "Description"}) {
        if (novelai) break;  // NovelAI writes the prompt there
        if (const auto* v = get(k); v != nullptr && !v->empty() && out.description.empty()) out.description = trim(*v);
    }
    for (const char* k : {"Keywords", "IPTC:Keywords", "XMP:Subject"}) {
        if (const auto* v = get(k)) {
            std::string_view s = *v;
            std::size_t b = 0;
            while (b <= s.size()) {
                auto e = s.find_first_of(";,", b);
                if (e == std::string_view::npos) e = s.size();
                std::string kw = trim(s.substr(b, e - b));
                if (!kw.empty() && std::find(out.keywords.begin(), out.keywords.end(), kw) == out.keywords.end())
                    out.keywords.push_back(kw);
                b = e + 1;
            }
        }
    }
    return out;
}

}  // namespace atelier::catalog

// SPDX-License-Identifier: MIT
#include "atelier/ml/tfjs.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace atelier::ml {

namespace fs = std::filesystem;

namespace {

Error corrupt(std::string what) {
    return fail(Errc::corrupt_data, std::move(what));
}

Result<std::string> read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return fail(Errc::not_found, "cannot read '" + p.string() + "'; reinstall the model");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Result<InboundRef> parse_ref(const nlohmann::json& r, const std::string& layer) {
    // [["name", node, tensor, {kwargs}]] (Keras 2) or {"args": [...]} (Keras 3 is not supported here)
    if (!r.is_array() || r.size() < 3 || !r[0].is_string() || !r[1].is_number_integer() || !r[2].is_number_integer())
        return corrupt("layer '" + layer + "' has a malformed inbound reference");
    return InboundRef{r[0].get<std::string>(), r[1].get<int>(), r[2].get<int>()};
}

Result<std::vector<std::string>> parse_endpoints(const nlohmann::json& cfg, const char* key) {
    std::vector<std::string> out;
    auto it = cfg.find(key);
    if (it == cfg.end() || !it->is_array()) return out;
    for (const auto& e : *it) {
        if (e.is_array() && !e.empty() && e[0].is_string())
            out.push_back(e[0].get<std::string>());
        else if (e.is_string())  // a single [name, 0, 0] triple
        {
            out.push_back(it->at(0).get<std::string>());
            break;
        } else
            return corrupt(std::string("model.json: malformed \"") + key + "\"");
    }
    return out;
}

}  // namespace

std::size_t WeightSpec::stored_bytes() const {
    std::int64_t n = TensorF32::count(shape);
    std::size_t bytes_per = 4;
    if (quant_dtype == "uint8")
        bytes_per = 1;
    else if (quant_dtype == "uint16" || quant_dtype == "float16")
        bytes_per = 2;
    return static_cast<std::size_t>(n) * bytes_per;
}

Result<LayersGraph> parse_layers_graph(const nlohmann::json& model_json) {
    if (!model_json.is_object()) return corrupt("model.json must be a JSON object");
    const nlohmann::json* topo = &model_json;
    if (auto t = model_json.find("modelTopology"); t != model_json.end()) topo = &*t;
    if (!topo->is_object()) return corrupt("model.json: \"modelTopology\" must be an object");
    const nlohmann::json* mc = topo;
    if (auto c = topo->find("model_config"); c != topo->end()) mc = &*c;
    if (!mc->is_object() || !mc->contains("class_name") || !(*mc)["class_name"].is_string())
        return corrupt("model.json: the model config has no \"class_name\"");
    const std::string cls = (*mc)["class_name"].get<std::string>();
    auto cfg_it = mc->find("config");
    if (cfg_it == mc->end() || !(cfg_it->is_object() || cfg_it->is_array()))
        return corrupt("model.json: the model config has no \"config\"");
    LayersGraph g;
    const nlohmann::json* layers = nullptr;
    if (cfg_it->is_object()) {
        g.name = cfg_it->value("name", "");
        auto l = cfg_it->find("layers");
        if (l == cfg_it->end() || !l->is_array()) return corrupt("model.json: the model config has no \"layers\" list");
        layers = &*l;
    } else {
        layers = &*cfg_it;  // old Sequential: config is the list
    }
    const bool sequential = cls == "Sequential";
    if (!sequential && cls != "Model" && cls != "Functional")
        return fail(Errc::unsupported,
                    "model.json: model class '" + cls + "' is not supported (Functional, Model or Sequential)");
    std::string prev;
    for (const auto& lj : *layers) {
        if (!lj.is_object() || !lj.contains("class_name") || !lj["class_name"].is_string())
            return corrupt("model.json: a layer has no \"class_name\"");
        LayerSpec ls;
        ls.class_name = lj["class_name"].get<std::string>();
        ls.config = lj.value("config", nlohmann::json::object());
        if (!ls.config.is_object()) return corrupt("model.json: layer config must be an object");
        if (lj.contains("name") && lj["name"].is_string())
            ls.name = lj["name"].get<std::string>();
        else if (ls.config.contains("name") && ls.config["name"].is_string())
            ls.name = ls.config["name"].get<std::string>();
        else
            return corrupt("model.json: a " + ls.class_name + " layer has no name");
        if (!sequential) {
            auto in = lj.find("inbound_nodes");
            if (in != lj.end() && in->is_array() && !in->empty()) {
                if (in->size() > 1)
                    return fail(Errc::unsupported,
                                "layer '" + ls.name + "' (" + ls.class_name +
                                    ") is shared between several nodes; shared layers are not supported");
                const auto& node = (*in)[0];
                if (!node.is_array()) return corrupt("layer '" + ls.name + "' has a malformed inbound node");
                for (const auto& r : node) {
                    auto ref = parse_ref(r, ls.name);
                    if (!ref) return ref.error();
                    ls.inbound.push_back(*ref);
                }
            }
        } else {
            if (ls.class_name == "InputLayer" || prev.empty()) {
                if (ls.class_name != "InputLayer") {
                    // Sequential without an explicit InputLayer: synthesise one.
                    LayerSpec input;
                    input.name = ls.name + "_input";
                    input.class_name = "InputLayer";
                    input.config = {{"batch_input_shape", ls.config.value("batch_input_shape", nlohmann::json())}};
                    g.layers.push_back(input);
                    g.inputs.push_back(input.name);
                    ls.inbound.push_back({input.name, 0, 0});
                } else {
                    g.inputs.push_back(ls.name);
                }
            } else {
                ls.inbound.push_back({prev, 0, 0});
            }
            prev = ls.name;
        }
        g.layers.push_back(std::move(ls));
    }
    if (g.layers.empty()) return corrupt("model.json: the model has no layers");
    if (!sequential) {
        auto ins = parse_endpoints(*cfg_it, "input_layers");
        if (!ins) return ins.error();
        auto outs = parse_endpoints(*cfg_it, "output_layers");
        if (!outs) return outs.error();
        g.inputs = *ins;
        g.outputs = *outs;
    } else {
        g.outputs = {g.layers.back().name};
    }
    if (g.inputs.empty() || g.outputs.empty()) return corrupt("model.json: the model names no input or output layers");
    // Every reference must point at an earlier layer (Keras writes layers in topological order).
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < g.layers.size(); ++i) {
        for (const auto& r : g.layers[i].inbound)
            if (index.find(r.layer) == index.end())
                return corrupt("model.json: layer '" + g.layers[i].name + "' reads '" + r.layer +
                               "', which is not an earlier layer");
        if (!index.emplace(g.layers[i].name, i).second)
            return corrupt("model.json: two layers are named '" + g.layers[i].name + "'");
    }
    for (const auto& n : g.inputs)
        if (!index.count(n)) return corrupt("model.json: input layer '" + n + "' does not exist");
    for (const auto& n : g.outputs)
        if (!index.count(n)) return corrupt("model.json: output layer '" + n + "' does not exist");
    return g;
}

Result<std::vector<WeightGroup>> parse_weights_manifest(const nlohmann::json& manifest) {
    if (!manifest.is_array()) return corrupt("model.json: \"weightsManifest\" must be a list");
    std::vector<WeightGroup> groups;
    for (const auto& gj : manifest) {
        if (!gj.is_object() || !gj.contains("paths") || !gj["paths"].is_array() || !gj.contains("weights") ||
            !gj["weights"].is_array())
            return corrupt("model.json: each weights group needs \"paths\" and \"weights\"");
        WeightGroup g;
        for (const auto& p : gj["paths"]) {
            if (!p.is_string()) return corrupt("model.json: shard paths must be strings");
            auto s = p.get<std::string>();
            if (s.empty() || s.find("..") != std::string::npos || s.front() == '/')
                return corrupt("model.json: shard path '" + s + "' must stay inside the model folder");
            g.paths.push_back(std::move(s));
        }
        for (const auto& wj : gj["weights"]) {
            if (!wj.is_object() || !wj.contains("name") || !wj["name"].is_string() || !wj.contains("shape") ||
                !wj["shape"].is_array())
                return corrupt("model.json: each weight needs \"name\" and \"shape\"");
            WeightSpec w;
            w.name = wj["name"].get<std::string>();
            w.group = groups.size();
            std::int64_t n = 1;
            for (const auto& d : wj["shape"]) {
                if (!d.is_number_integer() || d.get<std::int64_t>() < 0 || d.get<std::int64_t>() > (1 << 24))
                    return corrupt("model.json: weight '" + w.name + "' has a bad shape");
                w.shape.push_back(d.get<std::int64_t>());
                n *= w.shape.back();
                if (n > (std::int64_t{1} << 31)) return corrupt("model.json: weight '" + w.name + "' is too large");
            }
            w.dtype = wj.value("dtype", "float32");
            if (w.dtype != "float32" && w.dtype != "int32")
                return fail(Errc::unsupported, "model.json: weight '" + w.name + "' has dtype '" + w.dtype +
                                                   "' (float32 or int32 expected)");
            if (auto q = wj.find("quantization"); q != wj.end() && q->is_object()) {
                w.quant_dtype = q->value("dtype", "");
                if (w.quant_dtype != "uint8" && w.quant_dtype != "uint16" && w.quant_dtype != "float16")
                    return fail(Errc::unsupported,
                                "model.json: weight '" + w.name + "' uses quantisation '" + w.quant_dtype + "'");
                if (w.quant_dtype != "float16") {
                    if (!q->contains("scale") || !(*q)["scale"].is_number())
                        return corrupt("model.json: quantised weight '" + w.name + "' has no scale");
                    w.quant_scale = (*q)["scale"].get<double>();
                    w.quant_min = q->value("min", 0.0);
                }
            }
            g.weights.push_back(std::move(w));
        }
        groups.push_back(std::move(g));
    }
    return groups;
}

namespace {

float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = (h & 0x8000u) << 16;
    std::uint32_t exp = (h >> 10) & 0x1f;
    std::uint32_t mant = h & 0x3ff;
    std::uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal
            exp = 127 - 15 + 1;
            while ((mant & 0x400) == 0) {
                mant <<= 1;
                --exp;
            }
            mant &= 0x3ff;
            bits = sign | (exp << 23) | (mant << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

}  // namespace

Result<std::map<std::string, TensorF32>> decode_weights(const std::vector<WeightGroup>& groups,
                                                        const std::vector<std::vector<std::uint8_t>>& group_bytes) {
    if (group_bytes.size() != groups.size()) return fail(Errc::internal, "decode_weights: group count mismatch");
    std::map<std::string, TensorF32> out;
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
        const auto& bytes = group_bytes[gi];
        std::size_t off = 0;
        for (const auto& w : groups[gi].weights) {
            const std::size_t need = w.stored_bytes();
            if (off + need > bytes.size())
                return corrupt("weight '" + w.name + "' runs past the end of its shards (the shards hold " +
                               std::to_string(bytes.size()) +
                               " bytes); a shard is missing or short; reinstall the model");
            TensorF32 t(w.shape);
            const std::uint8_t* p = bytes.data() + off;
            const auto n = static_cast<std::size_t>(t.numel());
            if (w.quant_dtype == "uint8") {
                for (std::size_t i = 0; i < n; ++i)
                    t.data[i] = static_cast<float>(w.quant_min + w.quant_scale * p[i]);
            } else if (w.quant_dtype == "uint16") {
                for (std::size_t i = 0; i < n; ++i) {
                    std::uint16_t q;
                    std::memcpy(&q, p + 2 * i, 2);
                    t.data[i] = static_cast<float>(w.quant_min + w.quant_scale * q);
                }
            } else if (w.quant_dtype == "float16") {
                for (std::size_t i = 0; i < n; ++i) {
                    std::uint16_t q;
                    std::memcpy(&q, p + 2 * i, 2);
                    t.data[i] = half_to_float(q);
                }
            } else if (w.dtype == "int32") {
                for (std::size_t i = 0; i < n; ++i) {
                    std::int32_t q;
                    std::memcpy(&q, p + 4 * i, 4);
                    t.data[i] = static_cast<float>(q);
                }
            } else {
                if (n) std::memcpy(t.data.data(), p, n * 4);
            }
            off += need;
            if (!out.emplace(w.name, std::move(t)).second)
                return corrupt("model.json: weight '" + w.name + "' is listed twice");
        }
        if (off != bytes.size())
            return corrupt("the weight shards hold " + std::to_string(bytes.size()) + " bytes but the manifest needs " +
                           std::to_string(off) + "; the shards do not belong to this model.json");
    }
    return out;
}

Result<LayersGraph> parse_model_json_text(std::string_view text) {
    auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded()) return corrupt("model.json is not valid JSON (truncated or damaged); reinstall the model");
    auto g = parse_layers_graph(j);
    if (!g) return g;
    if (j.contains("weightsManifest")) {
        auto w = parse_weights_manifest(j["weightsManifest"]);
        if (!w) return w.error();
    }
    return g;
}

Result<LayersModel> read_layers_model(const fs::path& model_json) {
    auto text = read_text(model_json);
    if (!text) return text.error();
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded())
        return corrupt("'" + model_json.string() + "' is not valid JSON (truncated or damaged); reinstall the model");
    auto graph = parse_layers_graph(j);
    if (!graph) return graph.error().with_context(model_json.string());
    if (!j.contains("weightsManifest")) return corrupt("'" + model_json.string() + "' has no \"weightsManifest\"");
    auto groups = parse_weights_manifest(j["weightsManifest"]);
    if (!groups) return groups.error().with_context(model_json.string());
    std::vector<std::vector<std::uint8_t>> bytes(groups->size());
    for (std::size_t gi = 0; gi < groups->size(); ++gi) {
        const auto& g = (*groups)[gi];
        std::size_t need = 0;
        for (const auto& w : g.weights)
            need += w.stored_bytes();
        auto& buf = bytes[gi];
        for (const auto& rel : g.paths) {
            const auto p = model_json.parent_path() / rel;
            std::error_code ec;
            const auto size = fs::file_size(p, ec);
            if (ec) return fail(Errc::not_found, "weight shard '" + p.string() + "' is missing; reinstall the model");
            std::ifstream in(p, std::ios::binary);
            if (!in) return fail(Errc::io_error, "cannot read weight shard '" + p.string() + "'");
            const auto at = buf.size();
            buf.resize(at + size);
            in.read(reinterpret_cast<char*>(buf.data() + at), static_cast<std::streamsize>(size));
            if (static_cast<std::size_t>(in.gcount()) != size)
                return fail(Errc::io_error, "short read on weight shard '" + p.string() + "'");
        }
        if (buf.size() != need)
            return corrupt("the weight shards of '" + model_json.string() + "' hold " + std::to_string(buf.size()) +
                           " bytes but its weights need " + std::to_string(need) +
                           "; a shard is missing, short or from another model; reinstall the model");
    }
    auto weights = decode_weights(*groups, bytes);
    if (!weights) return weights.error().with_context(model_json.string());
    return LayersModel{std::move(graph).value(), std::move(weights).value()};
}

Result<std::string> js_literal_to_json(std::string_view js) {
    std::string out;
    out.reserve(js.size() + js.size() / 8);
    std::size_t i = 0;
    auto is_ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; };
    char last_sig = 0;  // last significant output character
    while (i < js.size()) {
        const char c = js[i];
        if (c == '"' || c == '\'') {
            const char q = c;
            out += '"';
            ++i;
            bool closed = false;
            while (i < js.size()) {
                char d = js[i];
                if (d == '\\' && i + 1 < js.size()) {
                    if (js[i + 1] == '\'')
                        out += '\'';
                    else {
                        out += d;
                        out += js[i + 1];
                    }
                    i += 2;
                    continue;
                }
                if (d == q) {
                    closed = true;
                    ++i;
                    break;
                }
                if (d == '"') out += '\\';
                out += d;
                ++i;
            }
            if (!closed) return corrupt("unterminated string in the JavaScript model file");
            out += '"';
            last_sig = '"';
            continue;
        }
        if (c == '!' && i + 1 < js.size() && (js[i + 1] == '0' || js[i + 1] == '1')) {
            out += js[i + 1] == '0' ? "true" : "false";
            i += 2;
            last_sig = 'e';
            continue;
        }
        if (c == '.' && i + 1 < js.size() && std::isdigit(static_cast<unsigned char>(js[i + 1])) &&
            !std::isdigit(static_cast<unsigned char>(last_sig))) {
            out += "0.";
            ++i;
            last_sig = '.';
            continue;
        }
        if (is_ident(c) && !std::isdigit(static_cast<unsigned char>(c)) && c != '-') {
            std::size_t j = i;
            while (j < js.size() && is_ident(js[j]))
                ++j;
            std::string_view word = js.substr(i, j - i);
            std::size_t k = j;
            while (k < js.size() && std::isspace(static_cast<unsigned char>(js[k])))
                ++k;
            const bool key = k < js.size() && js[k] == ':' && (last_sig == '{' || last_sig == ',');
            if (key) {
                out += '"';
                out += word;
                out += '"';
            } else if (word == "true" || word == "false" || word == "null") {
                out += word;
            } else if (word == "undefined") {
                out += "null";
            } else if (word == "Infinity" || word == "NaN") {
                return fail(Errc::unsupported, "the JavaScript model file holds " + std::string(word));
            } else {
                // exponent parts of numbers (1e-5) are handled here too
                if (std::isdigit(static_cast<unsigned char>(last_sig)) || last_sig == '.')
                    out += word;
                else
                    return corrupt("unexpected identifier '" + std::string(word) + "' in the JavaScript model literal");
            }
            last_sig = out.back();
            i = j;
            continue;
        }
        if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+') {
            out += c == '+' ? "" : std::string(1, c);
            ++i;
            // "-.5" → "-0.5"; but "1.5" stays "1.5" (only a sign can precede a bare dot)
            if ((c == '-' || c == '+') && i < js.size() && js[i] == '.') out += '0';
            // a number like 5e-4: copy letters and signs that follow digits
            while (i < js.size() &&
                   (std::isdigit(static_cast<unsigned char>(js[i])) || js[i] == '.' || js[i] == 'e' || js[i] == 'E' ||
                    ((js[i] == '-' || js[i] == '+') && (out.back() == 'e' || out.back() == 'E')))) {
                if (js[i] == '.' && (i + 1 >= js.size() || !std::isdigit(static_cast<unsigned char>(js[i + 1])))) {
                    ++i;  // "5." → "5"
                    continue;
                }
                out += js[i];
                ++i;
            }
            last_sig = '0';
            continue;
        }
        if (!std::isspace(static_cast<unsigned char>(c))) last_sig = c;
        out += c;
        ++i;
    }
    return out;
}

Result<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
    static const auto table = [] {
        std::array<int, 256> t{};
        t.fill(-1);
        const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < 64; ++i)
            t[static_cast<unsigned char>(a[i])] = i;
        return t;
    }();
    std::vector<std::uint8_t> out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    bool pad = false;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) continue;
        if (c == '=') {
            pad = true;
            continue;
        }
        const int v = table[static_cast<unsigned char>(c)];
        if (v < 0 || pad) return corrupt("invalid base64 data");
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
        }
    }
    return out;
}

namespace {

/// The text between `exports=` and the matching end of the object literal or string.
Result<std::string_view> exported_value(std::string_view js, const std::string& file) {
    std::size_t pos = std::string_view::npos;
    for (std::string_view marker : {".exports={", ".exports=\"", ".exports='"}) {
        auto p = js.find(marker);
        // the UMD prologue mentions "module.exports=e()" — take the marker that starts a literal
        if (p != std::string_view::npos && (pos == std::string_view::npos || p < pos)) pos = p;
    }
    if (pos == std::string_view::npos)
        return corrupt("'" + file + "' is not an nsfwjs model module (no exported literal found)");
    pos += std::string_view(".exports=").size();
    const char open = js[pos];
    if (open == '"' || open == '\'') {
        const auto end = js.find(open, pos + 1);
        if (end == std::string_view::npos) return corrupt("'" + file + "' is truncated (unterminated string)");
        return js.substr(pos + 1, end - pos - 1);
    }
    int depth = 0;
    char quote = 0;
    for (std::size_t i = pos; i < js.size(); ++i) {
        const char c = js[i];
        if (quote) {
            if (c == '\\')
                ++i;
            else if (c == quote)
                quote = 0;
            continue;
        }
        if (c == '"' || c == '\'')
            quote = c;
        else if (c == '{' || c == '[')
            ++depth;
        else if (c == '}' || c == ']') {
            if (--depth == 0) return js.substr(pos, i - pos + 1);
        }
    }
    return corrupt("'" + file + "' is truncated (unbalanced object literal)");
}

}  // namespace

Result<LayersModel> read_nsfwjs_model(const fs::path& model_js, const fs::path& shard_js) {
    auto mtext = read_text(model_js);
    if (!mtext) return mtext.error();
    auto lit = exported_value(*mtext, model_js.string());
    if (!lit) return lit.error();
    auto json_text = js_literal_to_json(*lit);
    if (!json_text) return json_text.error().with_context(model_js.string());
    auto j = nlohmann::json::parse(*json_text, nullptr, false);
    if (j.is_discarded()) return corrupt("'" + model_js.string() + "' does not hold a valid model literal");
    auto graph = parse_layers_graph(j);
    if (!graph) return graph.error().with_context(model_js.string());
    if (!j.contains("weightsManifest")) return corrupt("'" + model_js.string() + "' has no weightsManifest");
    auto groups = parse_weights_manifest(j["weightsManifest"]);
    if (!groups) return groups.error().with_context(model_js.string());
    auto stext = read_text(shard_js);
    if (!stext) return stext.error();
    auto b64 = exported_value(*stext, shard_js.string());
    if (!b64) return b64.error();
    auto bytes = base64_decode(*b64);
    if (!bytes) return bytes.error().with_context(shard_js.string());
    if (groups->size() != 1)
        return fail(Errc::unsupported,
                    "'" + model_js.string() + "' has several weight groups; one shard module expected");
    std::size_t need = 0;
    for (const auto& w : (*groups)[0].weights)
        need += w.stored_bytes();
    if (bytes->size() != need)
        return corrupt("'" + shard_js.string() + "' holds " + std::to_string(bytes->size()) +
                       " bytes of weights but '" + model_js.filename().string() + "' needs " + std::to_string(need) +
                       "; reinstall the model");
    std::vector<std::vector<std::uint8_t>> gb{std::move(bytes).value()};
    auto weights = decode_weights(*groups, gb);
    if (!weights) return weights.error();
    return LayersModel{std::move(graph).value(), std::move(weights).value()};
}

}  // namespace atelier::ml

// SPDX-License-Identifier: MIT
#pragma once

/// \file tfjs.h
/// Reading Keras / TensorFlow.js layers-models without LibTorch: the graph
/// (`model.json`'s `modelTopology`) and the weights (`weightsManifest` plus
/// binary shards), and the nsfwjs packaging where the same JSON and the
/// weights (base64) are wrapped in JavaScript modules. The interpreter that
/// runs the graph lives in the runtime (runtime.h); these parsers are kept
/// separate so they can be fuzzed and tested on their own.
///
/// Weights are read by name (the manifest is sorted by layer name, not graph
/// order); each shard's size must equal the sum of its weights' sizes.
/// Supported weight encodings: float32, int32, float16, and the converter's
/// uint8/uint16 affine quantisation (value = min + scale * q), all widened
/// to float. All functions are thread-safe and never throw.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/base/result.h"
#include "atelier/ml/tensor.h"

namespace atelier::ml {

/// One input of a layer: the producing layer, its node and tensor index.
struct InboundRef {
    std::string layer;
    int node = 0;
    int tensor = 0;
};

struct LayerSpec {
    std::string name;
    std::string class_name;
    nlohmann::json config;            ///< the layer's Keras config
    std::vector<InboundRef> inbound;  ///< first inbound node only (shared layers unsupported)
};

/// The graph of a Keras Functional (or Sequential) model.
struct LayersGraph {
    std::string name;
    std::vector<LayerSpec> layers;  ///< in file order (a valid topological order for Keras)
    std::vector<std::string> inputs;
    std::vector<std::string> outputs;
};

struct WeightSpec {
    std::string name;
    std::vector<std::int64_t> shape;
    std::string dtype;        ///< "float32", "int32"
    std::string quant_dtype;  ///< "", "uint8", "uint16", "float16"
    double quant_min = 0, quant_scale = 1;
    std::size_t group = 0;  ///< index into the manifest's groups
    [[nodiscard]] std::size_t stored_bytes() const;
};

struct WeightGroup {
    std::vector<std::string> paths;  ///< shard files, relative to model.json
    std::vector<WeightSpec> weights;
};

/// A layers-model with its weights loaded.
struct LayersModel {
    LayersGraph graph;
    std::map<std::string, TensorF32> weights;  ///< "layer/kernel" → tensor
};

/// Parses the graph from a model.json document (or its `modelTopology`).
/// Errors (corrupt_data) name the missing or malformed field.
Result<LayersGraph> parse_layers_graph(const nlohmann::json& model_json);
/// Parses `weightsManifest`.
Result<std::vector<WeightGroup>> parse_weights_manifest(const nlohmann::json& manifest);

/// Decodes the weights of all groups from their concatenated shard bytes
/// (`group_bytes[i]` = shards of group i in order). Sizes are checked.
Result<std::map<std::string, TensorF32>> decode_weights(const std::vector<WeightGroup>& groups,
                                                        const std::vector<std::vector<std::uint8_t>>& group_bytes);

/// Reads `model.json` and its shards from disk. Each shard's size must be
/// the bytes its weights need; a missing or short shard is an error naming it.
Result<LayersModel> read_layers_model(const std::filesystem::path& model_json);

/// Parses model.json text (for fuzzing); weights are not read.
Result<LayersGraph> parse_model_json_text(std::string_view text);

/// nsfwjs packaging: `model_js` wraps the model.json object literal,
/// `shard_js` the weights as one base64 string.
Result<LayersModel> read_nsfwjs_model(const std::filesystem::path& model_js, const std::filesystem::path& shard_js);

/// Converts a JavaScript object literal as minifiers write it (unquoted
/// keys, `!0`/`!1`, `.5`, single-quoted strings) into JSON text.
Result<std::string> js_literal_to_json(std::string_view js);
/// Standard base64 (with or without padding; whitespace ignored).
Result<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace atelier::ml

// SPDX-License-Identifier: MIT
#pragma once

/// \file runtime.h
/// The inference runtime (target `atelier::ml`, LibTorch inside, none of its
/// types here). A `Runtime` owns the device and precision policy and loads
/// models; a `Model` runs them on `TensorF32` buffers (images as NHWC float).
///
/// Device policy: CUDA when this build's LibTorch has it, a GPU is present
/// and `device` allows it; otherwise the CPU. CPU threads (LibTorch defaults
/// to one here): `threads` > 0 is taken as given; 0 is adaptive — one per
/// core the other processes leave free, from the 1-minute load average
/// (cores − load, rounded, at least 1), because OpenMP barriers on a busy
/// machine make two threads slower than one (docs/PERFORMANCE.md). The
/// choice and the reasons are in `DeviceInfo` (shown by `atelier info`).
/// Precision policy: fp32; bf16 (CPU with AVX-512/AMX bf16 through oneDNN, or
/// CUDA); fp16 (CUDA only); `automatic` drops to the cheaper precision when
/// more than `auto_queue_high` jobs are waiting and returns to fp32 only once
/// at most `auto_queue_low` are left (hysteresis, so that a queue hovering at
/// the threshold does not flip every job). The depth comes from
/// `set_queue_depth` or, pulled each time a precision is chosen, from
/// `set_queue_source` (e.g. `follow_queue` on a `JobQueue`); each switch is
/// logged and counted (`auto_state`). A reduced-precision output with NaN/Inf
/// or that comes out black for a non-black input is recomputed in fp32
/// (`RunStats::retried_fp32`).
/// Memory budget: per device (automatic: half the available memory, at most
/// 3 GiB on the CPU; 80% of free memory on a GPU); tiled operations size
/// their tiles from it with `Model::bytes_per_pixel`.
///
/// Formats: "tfjs-layers" (model.json + shards, one per scale), "nsfwjs-layers"
/// (JavaScript-wrapped layers-model), "safetensors" (RRDBNet / SRVGGNetCompact
/// recognised from the state-dict keys), "torchscript" (contract in the manifest).
///
/// Thread safety: a Runtime and its Models may be shared across threads;
/// `Model::run` serialises calls on one model internally.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/base/cancel.h"
#include "atelier/base/job_queue.h"
#include "atelier/base/result.h"
#include "atelier/ml/registry.h"
#include "atelier/ml/tensor.h"
#include "atelier/ml/tfjs.h"

namespace atelier::ml {

enum class DeviceKind : std::uint8_t { cpu, cuda };
enum class Precision : std::uint8_t { fp32, bf16, fp16, automatic };

/// "fp32", "bf16", "fp16", "auto".
Result<Precision> parse_precision(std::string_view name);
std::string_view precision_name(Precision p) noexcept;

struct DeviceInfo {
    DeviceKind kind = DeviceKind::cpu;
    int index = 0;
    std::string name;            ///< "cpu" or "cuda:0"
    std::string reason;          ///< why this device was chosen
    int threads = 1;             ///< CPU intra-op threads
    std::string threads_reason;  ///< how `threads` was chosen (adaptive policy, configured, ...)
    double load_average = -1;    ///< 1-minute load average when probed (-1 if unknown)
    std::uint64_t memory_budget = 0;
    bool bf16 = false;  ///< reduced precisions this device runs
    bool fp16 = false;
    bool cuda_in_build = false;  ///< whether the linked LibTorch has CUDA
    std::string torch_version;
};

struct RuntimeOptions {
    std::string device = "auto";  ///< auto, cpu, cuda
    Precision precision = Precision::fp32;
    std::uint64_t memory_budget = 0;  ///< bytes; 0 = automatic
    int threads = 0;                  ///< CPU threads; 0 = adaptive (cores the load leaves free)
    std::size_t auto_queue_high = 4;  ///< `automatic`: cheaper precision when more jobs than this wait
    std::size_t auto_queue_low = 1;   ///< `automatic`: back to fp32 when at most this many are left
};

/// The `automatic` precision policy's state (for reports and tests).
struct AutoPrecisionState {
    Precision current = Precision::fp32;  ///< what a run started now uses
    bool reduced = false;                 ///< the hysteresis state: dropped to the cheaper precision
    std::size_t queue_depth = 0;          ///< the depth last seen
    std::size_t switches = 0;             ///< drops and returns so far
};

struct ModelInfo {
    std::string id;            ///< manifest id (or file name)
    std::string format;        ///< tfjs-layers, nsfwjs-layers, safetensors, torchscript
    std::string architecture;  ///< "keras:<graph name>", "RRDBNet", "SRVGGNetCompact", "torchscript"
    int scale = 1;             ///< output size / input size (1 for classifiers)
    int in_channels = 3;
    int out_channels = 3;
    float input_range[2] = {0.0F, 1.0F};   ///< what the model expects for black..white
    float output_range[2] = {0.0F, 1.0F};  ///< what it produces for black..white
    int fixed_height = 0;                  ///< non-zero when the model only takes one input size
    int fixed_width = 0;
    std::vector<std::string> layer_names;  ///< interpreter models: every layer, in graph order
    std::vector<std::string> details;      ///< e.g. "num_block=23", "num_feat=64"
};

struct RunOptions {
    std::optional<Precision> precision;  ///< overrides the runtime's policy
    CancelToken cancel;
    /// Interpreter models: names of intermediate layers whose outputs are
    /// returned after the model outputs (e.g. the penultimate embedding).
    std::vector<std::string> extra_outputs;
};

struct RunStats {
    Precision precision = Precision::fp32;  ///< precision actually used
    bool retried_fp32 = false;              ///< reduced precision gave NaN/black and was recomputed
    double milliseconds = 0;
};

class Model {
public:
    virtual ~Model() = default;
    [[nodiscard]] virtual const ModelInfo& info() const noexcept = 0;

    /// Runs on one NHWC float batch (N, H, W, C) in the model's input range.
    /// Returns the model outputs (NHWC for images, (N, K) for vectors), then
    /// `extra_outputs` in the order asked. Errors: invalid_argument (shape),
    /// cancelled, limit_exceeded (out of memory), unsupported (precision).
    virtual Result<std::vector<TensorF32>> run(const TensorF32& input, const RunOptions& options = {},
                                               RunStats* stats = nullptr) = 0;

    /// Estimated peak working memory per input pixel in bytes (activations of
    /// one batch item) at `precision`; used to size tiles from the budget.
    [[nodiscard]] virtual double bytes_per_pixel(Precision precision) const = 0;
    /// Multiply-adds × 2 per input pixel (0 when unknown).
    [[nodiscard]] virtual double flops_per_pixel() const = 0;
    /// How many batch items a run works on at once: on the CPU one worker
    /// per runtime thread, each on its own items with one thread (no
    /// per-layer synchronisation); 1 on CUDA and for graphs that take the
    /// batch whole. A caller that cuts its work into this many equal pieces
    /// (e.g. image tiles) and runs them as one batch keeps every core busy.
    [[nodiscard]] virtual int batch_parallelism() const noexcept { return 1; }
};

struct LoadOptions {
    int scale = 0;  ///< upscalers with several scales: which one (0 = 4 if present, else the largest)
};

class Runtime {
public:
    /// Applies the device policy (sets LibTorch's thread count). Errors:
    /// invalid_argument (unknown device), unsupported (cuda asked but absent,
    /// precision the device lacks).
    static Result<std::shared_ptr<Runtime>> create(const RuntimeOptions& options = {});
    /// The device `create` would choose, without creating a runtime.
    static DeviceInfo probe(std::string_view device = "auto");

    virtual ~Runtime() = default;
    [[nodiscard]] virtual const DeviceInfo& device() const noexcept = 0;
    /// The configured precision (may be `automatic`).
    [[nodiscard]] virtual Precision precision() const noexcept = 0;
    /// The precision a run started now uses (for `automatic`: reads the queue
    /// source if one is set and applies the hysteresis, which may switch).
    [[nodiscard]] virtual Precision effective_precision() const noexcept = 0;
    /// Tells the `automatic` policy how many jobs are waiting (queued and
    /// running); applies the hysteresis at once.
    virtual void set_queue_depth(std::size_t depth) noexcept = 0;
    /// Makes the `automatic` policy pull the depth from `source` each time a
    /// precision is chosen (an empty function detaches). `source` must stay
    /// callable until detached or the runtime and its models are gone; it is
    /// called from whichever thread runs a model.
    virtual void set_queue_source(std::function<std::size_t()> source) = 0;
    /// The `automatic` policy's state (also meaningful for fixed precisions:
    /// `current` is then that precision and nothing switches).
    [[nodiscard]] virtual AutoPrecisionState auto_state() const = 0;

    /// Loads a registered model (verify it with the registry first). Errors
    /// name the model and file: corrupt or truncated files, unknown layers
    /// (with name and class), a scale the model does not have.
    virtual Result<std::shared_ptr<Model>> load(const ModelManifest& manifest, const LoadOptions& options = {}) = 0;
    /// An in-memory layers-model (tests, tools).
    virtual Result<std::shared_ptr<Model>> load_layers(LayersModel model, const ModelInfo& info) = 0;
    /// A safetensors file, architecture recognised from its keys.
    virtual Result<std::shared_ptr<Model>> load_safetensors(const std::filesystem::path& path) = 0;
    /// A TorchScript module with the contract in `info` (NCHW inside, NHWC outside).
    virtual Result<std::shared_ptr<Model>> load_torchscript(const std::filesystem::path& path,
                                                            const ModelInfo& info) = 0;

    /// Compiles TorchScript source (methods of a module, e.g. `def forward(self, x): ...`)
    /// and saves it as a `.pt` file — for tests and tools that wrap a small
    /// function as a model. Errors carry the TorchScript compiler's message.
    static Result<void> compile_torchscript(const std::string& source, const std::filesystem::path& path);
};

/// The adaptive CPU thread policy: `cores` minus the 1-minute `load`
/// average (other processes' runnable threads), rounded, within 1..cores;
/// all cores when the load is unknown (< 0).
int adaptive_threads(int cores, double load);

/// Feeds `runtime`'s `automatic` policy from `queue` (queued + running jobs).
/// Detach with `runtime.set_queue_source({})` before `queue` is destroyed.
void follow_queue(Runtime& runtime, const JobQueue& queue);

}  // namespace atelier::ml

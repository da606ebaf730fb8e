// SPDX-License-Identifier: MIT
// The LibTorch side of the runtime: device and precision policy, the Keras
// layers-model interpreter, the ESRGAN family from safetensors, TorchScript.
// The one translation unit of core/ml that includes Torch (see PLATFORM.md:
// each such TU costs ~20 s and 1.5 GB to compile).

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <omp.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "atelier/base/sysinfo.h"
#include "atelier/ml/runtime.h"
#include "atelier/ml/safetensors.h"
#include "runtime_module_p.h"

namespace atelier::ml {

namespace fs = std::filesystem;
using torch::Tensor;

namespace {

/// Thrown inside this TU only; turned into Errc::cancelled at the API.
struct Cancelled {};
/// A model-definition problem found while building or running a graph.
struct ModelError {
    Errc code;
    std::string message;
};

torch::Dtype dtype_of(Precision p) {
    return p == Precision::bf16 ? torch::kBFloat16 : p == Precision::fp16 ? torch::kHalf : torch::kFloat;
}

Tensor to_torch(const TensorF32& t) {
    return torch::from_blob(const_cast<float*>(t.data.data()), t.shape, torch::kFloat);
}

TensorF32 from_torch(const Tensor& t0) {
    Tensor t = t0.to(torch::kCPU, torch::kFloat).contiguous();
    TensorF32 out(std::vector<std::int64_t>(t.sizes().begin(), t.sizes().end()));
    if (out.numel() > 0) std::memcpy(out.data.data(), t.data_ptr<float>(), out.data.size() * 4);
    return out;
}

/// The CPU allocator the runtime installs (c10::SetCPUAllocator): blocks of
/// 1 MiB and more are kept when freed and handed out again for a request of
/// the same or a somewhat smaller size. glibc serves such sizes (above its 32
/// MiB mmap threshold always) with a fresh mmap, so every layer output was
/// page-faulted and zeroed by the kernel again: a 64 MB activation cost ~60 ms
/// to allocate and first touch against ~30 ms to write (measured on dev-2c).
/// Cached bytes are capped (kCap) and trimmed to kKeep when no run is active,
/// so an idle app does not hold a run's peak. Thread-safe (one mutex).
class CachingCpuAllocator final : public c10::Allocator {
public:
    static CachingCpuAllocator& instance() {
        static auto* a = new CachingCpuAllocator;  // never destroyed: tensors may be freed during exit
        return *a;
    }
    c10::DataPtr allocate(std::size_t n) const override {
        void* p = n >= kMin ? instance().take(n) : (n ? c10::alloc_cpu(n) : nullptr);
        return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
    }
    c10::DeleterFnPtr raw_deleter() const override { return &release; }
    static void release(void* p) {
        if (p) instance().give(p);
    }
    /// Frees cached blocks until at most `keep` bytes stay cached.
    void trim(std::size_t keep) {
        std::lock_guard lk(m_mu);
        while (m_cached > keep && !m_free.empty()) {
            auto it = std::prev(m_free.end());  // largest first
            m_cached -= it->first;
            m_size.erase(it->second);
            c10::free_cpu(it->second);
            m_free.erase(it);
        }
    }
    static constexpr std::size_t kMin = 1u << 20, kCap = std::size_t{2} << 30, kKeep = std::size_t{256} << 20;

private:
    void* take(std::size_t n) {
        {
            std::lock_guard lk(m_mu);
            auto it = m_free.lower_bound(n);  // smallest cached block that fits, if not much larger
            if (it != m_free.end() && it->first <= n + n / 4) {
                void* p = it->second;
                m_cached -= it->first;
                m_free.erase(it);
                return p;
            }
        }
        const std::size_t sz = (n + 4095) & ~std::size_t{4095};
        void* p = c10::alloc_cpu(sz);
        std::lock_guard lk(m_mu);
        m_size[p] = sz;
        return p;
    }
    void give(void* p) {
        std::unique_lock lk(m_mu);
        auto it = m_size.find(p);
        if (it == m_size.end()) {  // a small block
            lk.unlock();
            c10::free_cpu(p);
            return;
        }
        if (m_cached + it->second > kCap) {
            m_size.erase(it);
            lk.unlock();
            c10::free_cpu(p);
            return;
        }
        m_cached += it->second;
        m_free.emplace(it->second, p);
    }
    std::mutex m_mu;
    std::multimap<std::size_t, void*> m_free;       ///< cached blocks by size
    std::unordered_map<void*, std::size_t> m_size;  ///< every large block, cached or in use
    std::size_t m_cached = 0;
};

/// Counts runs in flight; the last one out trims the allocator's cache.
std::atomic<int> g_active_runs{0};
struct ActiveRun {
    ActiveRun() { ++g_active_runs; }
    ~ActiveRun() {
        if (--g_active_runs == 0) CachingCpuAllocator::instance().trim(CachingCpuAllocator::kKeep);
    }
    ActiveRun(const ActiveRun&) = delete;
    ActiveRun& operator=(const ActiveRun&) = delete;
};

bool cpu_has(const sysinfo::CpuInfo& cpu, std::string_view flag) {
    return std::find(cpu.flags.begin(), cpu.flags.end(), flag) != cpu.flags.end();
}

// ---------------------------------------------------------------------------
// Base model: shape checks, layout, precision, NaN/black retry, statistics.

class TorchModel : public Model {
public:
    TorchModel(ModelInfo info, torch::Device device, Precision default_precision)
        : m_info(std::move(info)), m_device(device), m_default(default_precision) {}

    const ModelInfo& info() const noexcept override { return m_info; }
    void set_info(ModelInfo info) { m_info = std::move(info); }
    /// CPU threads a run may use (the runtime's intra-op thread count).
    void set_threads(int threads) { m_threads = std::max(1, threads); }
    double bytes_per_pixel(Precision p) const override {
        const double scale = (p == Precision::fp32 || p == Precision::automatic) ? 1.0 : 0.5;
        return m_peak_floats_per_pixel * 4.0 * scale * 1.25 + 64.0;  // + conv workspace margin
    }
    double flops_per_pixel() const override { return m_flops_per_pixel; }
    int batch_parallelism() const noexcept override { return m_device.is_cpu() && splittable() ? m_threads : 1; }

    /// Set by the runtime for `automatic`.
    std::function<Precision()> policy;

    Result<std::vector<TensorF32>> run(const TensorF32& input, const RunOptions& options, RunStats* stats) override {
        const auto t0 = std::chrono::steady_clock::now();
        if (input.shape.size() != 4 || input.dim(0) < 1 || input.dim(1) < 1 || input.dim(2) < 1 ||
            static_cast<std::size_t>(input.numel()) != input.data.size())
            return fail(Errc::invalid_argument,
                        "model " + m_info.id + " takes an NHWC batch; got shape " + input.shape_string());
        if (input.dim(3) != m_info.in_channels)
            return fail(Errc::invalid_argument, "model " + m_info.id + " takes " + std::to_string(m_info.in_channels) +
                                                    " channels; got " + std::to_string(input.dim(3)));
        if (m_info.fixed_height && (input.dim(1) != m_info.fixed_height || input.dim(2) != m_info.fixed_width))
            return fail(Errc::invalid_argument, "model " + m_info.id + " takes " + std::to_string(m_info.fixed_width) +
                                                    "x" + std::to_string(m_info.fixed_height) + " input; got " +
                                                    std::to_string(input.dim(2)) + "x" + std::to_string(input.dim(1)));
        Precision p = options.precision.value_or(policy ? policy() : m_default);
        if (p == Precision::automatic) p = policy ? policy() : Precision::fp32;
        if (p == Precision::fp16 && m_device.is_cpu())
            return fail(Errc::unsupported, "fp16 inference needs a CUDA device; use fp32 or bf16 on the CPU");
        std::lock_guard lk(m_mu);
        c10::InferenceMode guard;
        ActiveRun active;
        try {
            auto outs = forward_checked(input, options, p);
            bool retried = false;
            if (p != Precision::fp32 && bad_output(outs, input)) {
                spdlog::warn("model {}: {} output has NaN/Inf or is black; recomputing in fp32", m_info.id,
                             precision_name(p));
                outs = forward_checked(input, options, Precision::fp32);
                retried = true;
            }
            std::vector<TensorF32> result;
            result.reserve(outs.size());
            for (auto& o : outs)
                result.push_back(from_torch(o.dim() == 4 ? o.permute({0, 2, 3, 1}) : o));
            if (stats) {
                stats->precision = retried ? Precision::fp32 : p;
                stats->retried_fp32 = retried;
                stats->milliseconds =
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            }
            return result;
        } catch (const Cancelled&) {
            return fail(Errc::cancelled, "cancelled");
        } catch (const ModelError& e) {
            return fail(e.code, "model " + m_info.id + ": " + e.message);
        } catch (const std::bad_alloc&) {
            return fail(
                Errc::limit_exceeded,
                "model " + m_info.id + ": out of memory; use smaller tiles (--tile) or a smaller memory budget");
        } catch (const c10::Error& e) {
            std::string msg = e.what_without_backtrace();
            if (msg.find("out of memory") != std::string::npos || msg.find("alloc") != std::string::npos)
                return fail(
                    Errc::limit_exceeded,
                    "model " + m_info.id + ": out of memory; use smaller tiles (--tile): " + msg.substr(0, 200));
            return fail(Errc::internal, "model " + m_info.id + ": inference failed: " + msg.substr(0, 400));
        }
    }

protected:
    /// NCHW input in `dtype` on the device → outputs (NCHW or 2D), then extras.
    virtual std::vector<Tensor> forward(const Tensor& x, const RunOptions& options, torch::Dtype dtype) = 0;
    /// Converts parameters to `dtype` (cached) — implementations call `param()`.
    virtual void prepare(torch::Dtype dtype) = 0;

    std::vector<Tensor> forward_checked(const TensorF32& input, const RunOptions& options, Precision p) {
        const auto dtype = dtype_of(p);
        prepare(dtype);
        Tensor x = to_torch(input).permute({0, 3, 1, 2});  // channels_last-strided NCHW view
        x = x.to(m_device, dtype).contiguous(at::MemoryFormat::ChannelsLast);
        const std::int64_t n = x.size(0);
        if (!m_device.is_cpu() || n < 2 || (m_threads < 2 && n <= kMaxChunk) || !splittable())
            return forward(x, options, dtype);
        return forward_split(x, options, dtype);
    }

    /// The largest batch one CPU worker runs at once (MobileNetV2, 1 thread:
    /// batch 32 in one pass cost 19 ms CPU per image, chunks of 4 about 13).
    static constexpr std::int64_t kMaxChunk = 4;

    /// Whether forward() may run on several threads at once (parameters
    /// already prepared, no shared mutable state).
    virtual bool splittable() const { return true; }

    /// A batch on the CPU: the images are shared out in chunks of at most
    /// kMaxChunk to one worker per thread, each running the graph with one
    /// OpenMP thread, instead of every layer being split across threads.
    /// Chunks keep activations closer to cache size, and no layer waits at
    /// an OpenMP barrier for a thread the OS has descheduled (on a busy
    /// machine two intra-op threads were measured several times slower than
    /// one). With one thread the chunks run in the calling thread. Outputs
    /// are concatenated in batch order.
    std::vector<Tensor> forward_split(const Tensor& x, const RunOptions& options, torch::Dtype dtype) {
        const std::int64_t n = x.size(0);
        const int workers = static_cast<int>(std::min<std::int64_t>(m_threads, n));
        const std::int64_t chunk = std::clamp<std::int64_t>((n + 2 * workers - 1) / (2 * workers), 1, kMaxChunk);
        const std::int64_t chunks = (n + chunk - 1) / chunk;
        if (workers == 1) {
            std::vector<std::vector<Tensor>> parts;
            for (std::int64_t b = 0; b < n; b += chunk)
                parts.push_back(forward(x.slice(0, b, std::min(n, b + chunk)), options, dtype));
            return concat_parts(parts);
        }
        std::vector<std::vector<Tensor>> parts(static_cast<std::size_t>(chunks));
        std::atomic<std::int64_t> next{0};
        std::atomic<bool> failed{false};
        std::exception_ptr error;
        std::mutex error_mu;
        auto work = [&] {
            at::get_num_threads();  // ATen's per-thread lazy init first, so that it does not undo the next line
            omp_set_num_threads(1);
            c10::InferenceMode guard;
            for (std::int64_t c = next++; c < chunks && !failed; c = next++) {
                try {
                    const std::int64_t b = c * chunk, e = std::min(n, b + chunk);
                    parts[static_cast<std::size_t>(c)] = forward(x.slice(0, b, e), options, dtype);
                } catch (...) {
                    std::lock_guard lk(error_mu);
                    if (!error) error = std::current_exception();
                    failed = true;
                }
            }
        };
        std::vector<std::thread> pool;
        for (int w = 0; w < workers; ++w)
            pool.emplace_back(work);
        for (auto& t : pool)
            t.join();
        if (error) std::rethrow_exception(error);
        return concat_parts(parts);
    }

    static std::vector<Tensor> concat_parts(const std::vector<std::vector<Tensor>>& parts) {
        std::vector<Tensor> outs;
        for (std::size_t k = 0; k < parts[0].size(); ++k) {
            std::vector<Tensor> pieces;
            for (const auto& p : parts)
                pieces.push_back(p[k]);
            outs.push_back(torch::cat(pieces, 0));
        }
        return outs;
    }

    bool bad_output(const std::vector<Tensor>& outs, const TensorF32& input) const {
        for (const auto& o : outs)
            if (!torch::isfinite(o).all().item<bool>()) return true;
        if (outs.empty() || outs[0].dim() != 4) return false;
        const float in_lo = m_info.input_range[0], in_span = m_info.input_range[1] - m_info.input_range[0];
        const float out_lo = m_info.output_range[0], out_span = m_info.output_range[1] - m_info.output_range[0];
        const float in_max = *std::max_element(input.data.begin(), input.data.end());
        const float out_max = outs[0].max().item<float>();
        return in_max > in_lo + 0.02F * in_span && out_max < out_lo + 0.002F * out_span;
    }

    ModelInfo m_info;
    torch::Device m_device;
    Precision m_default;
    std::mutex m_mu;
    double m_peak_floats_per_pixel = 0;
    double m_flops_per_pixel = 0;
    int m_threads = 1;
};

/// Parameters kept in fp32 on the device, with a cached copy per reduced dtype.
class ParamStore {
public:
    void add(const std::string& name, Tensor t) { m_fp32[name] = std::move(t); }
    bool has(const std::string& name) const { return m_fp32.count(name) != 0; }
    const Tensor& get(const std::string& name) const { return m_cur.at(name); }
    const Tensor* find(const std::string& name) const {
        auto it = m_cur.find(name);
        return it == m_cur.end() ? nullptr : &it->second;
    }
    void prepare(torch::Dtype dtype) {
        if (m_dtype == dtype && !m_cur.empty()) return;
        m_cur.clear();
        for (const auto& [k, v] : m_fp32)
            m_cur[k] = v.to(dtype);
        m_dtype = dtype;
    }
    std::map<std::string, Tensor>& fp32() { return m_fp32; }

private:
    std::map<std::string, Tensor> m_fp32;
    std::map<std::string, Tensor> m_cur;
    torch::Dtype m_dtype = torch::kFloat;
};

/// torch::conv2d, except for fp32 1×1 convolutions on the CPU: LibTorch 1.13
/// sends those to its native path when it runs single-threaded (a heuristic
/// from before channels-last), which copies channels-last tensors around and
/// was measured several times slower than oneDNN; they go to oneDNN directly.
Tensor conv2d_cpu_aware(const Tensor& x, const Tensor& w, const Tensor& b, at::IntArrayRef stride,
                        at::IntArrayRef padding, at::IntArrayRef dilation, std::int64_t groups) {
    if (x.device().is_cpu() && x.scalar_type() == torch::kFloat && w.dim() == 4 && w.size(2) == 1 && w.size(3) == 1 &&
        groups == 1)
        return at::mkldnn_convolution(x, w, b.defined() ? c10::optional<Tensor>(b) : c10::nullopt, padding, stride,
                                      dilation, groups);
    return torch::conv2d(x, w, b, stride, padding, dilation, groups);
}

Tensor conv_weight_cl(const Tensor& w) {
    return w.dim() == 4 ? w.contiguous(at::MemoryFormat::ChannelsLast) : w;
}

/// TF "SAME" padding for one spatial dimension: {before, after}.
std::pair<std::int64_t, std::int64_t> same_pad(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t d) {
    const std::int64_t eff = (k - 1) * d + 1;
    const std::int64_t out = (in + s - 1) / s;
    const std::int64_t total = std::max<std::int64_t>((out - 1) * s + eff - in, 0);
    return {total / 2, total - total / 2};
}

// ---------------------------------------------------------------------------
// The Keras layers-model interpreter.

enum class Op {
    input,
    conv,
    depthwise,
    dense,
    batchnorm,
    activation,
    relu,
    leaky_relu,
    add,
    multiply,
    concat,
    upsample,
    zeropad,
    avgpool,
    maxpool,
    global_avg,
    global_max,
    flatten,
    identity,
    softmax,
    multiply_const,
    pixel_shuffle
};

enum class Act {
    linear,
    relu,
    relu6,
    sigmoid,
    tanh,
    softmax,
    elu,
    selu,
    softplus,
    swish,
    gelu,
    hard_sigmoid,
    exponential
};

Act parse_activation(const nlohmann::json& cfg, const LayerSpec& l) {
    std::string a = "linear";
    if (auto it = cfg.find("activation"); it != cfg.end() && it->is_string()) a = it->get<std::string>();
    static const std::map<std::string, Act> names = {{"linear", Act::linear},
                                                     {"relu", Act::relu},
                                                     {"relu6", Act::relu6},
                                                     {"sigmoid", Act::sigmoid},
                                                     {"tanh", Act::tanh},
                                                     {"softmax", Act::softmax},
                                                     {"elu", Act::elu},
                                                     {"selu", Act::selu},
                                                     {"softplus", Act::softplus},
                                                     {"swish", Act::swish},
                                                     {"silu", Act::swish},
                                                     {"gelu", Act::gelu},
                                                     {"hard_sigmoid", Act::hard_sigmoid},
                                                     {"exponential", Act::exponential}};
    auto it = names.find(a);
    if (it == names.end())
        throw ModelError{Errc::unsupported, "layer '" + l.name + "' (" + l.class_name + ") uses activation '" + a +
                                                "', which is not supported"};
    return it->second;
}

Tensor apply_act(const Tensor& x, Act a) {
    switch (a) {
        case Act::linear:
            return x;
        case Act::relu:
            return torch::relu(x);
        case Act::relu6:
            return torch::clamp(x, 0.0, 6.0);
        case Act::sigmoid:
            return torch::sigmoid(x);
        case Act::tanh:
            return torch::tanh(x);
        case Act::softmax:
            return torch::softmax(x, 1);
        case Act::elu:
            return torch::elu(x);
        case Act::selu:
            return torch::selu(x);
        case Act::softplus:
            return torch::softplus(x);
        case Act::swish:
            return torch::silu(x);
        case Act::gelu:
            return torch::gelu(x);
        case Act::hard_sigmoid:
            return torch::clamp(x * 0.2 + 0.5, 0.0, 1.0);
        case Act::exponential:
            return torch::exp(x);
    }
    return x;
}

struct Node {
    Op op = Op::identity;
    std::string name, cls;
    std::vector<int> inputs;
    Act act = Act::linear;
    // conv / pool
    std::int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, groups = 1;
    bool same = false;
    // generic numbers
    double a = 0, b = 0, c = 0;  // relu: max_value(a, <0 none), slope(b), threshold(c); eps; const factor
    bool has_max = false;
    int axis = 1;
    std::int64_t pad[4] = {0, 0, 0, 0};  // left, right, top, bottom
    bool bilinear = false;
    bool fused = false;  ///< upsample folded into the next convolution (its value here is the low-res input)
    std::int64_t scale = 1;
    std::string w, bias, gamma, beta, mean, var;  // parameter keys
    int last_use = -1;
    // Load-time fusion (see fold_batchnorm_activation), used by the fused
    // forward only; the unfused forward (trace hook, extra outputs of
    // intermediate values) ignores these fields.
    std::string fw, fb;                   ///< conv: weight and bias with a following BatchNormalization folded in
    int fact = 0;                         ///< conv: fused activation 0 none, 1 relu, 2 relu clipped at fmax
    double fmax = 0;                      ///< conv: the clip of fact 2
    std::int64_t fpad[4] = {0, 0, 0, 0};  ///< conv: a ZeroPadding2D folded in (left, right, top, bottom)
    int fscaled = -1;                     ///< add: index of the input whose MultiplyBeta was folded in (factor fscale)
    double fscale = 1;
    bool alias = false;  ///< fused: this node's value is its input's (folded into the producer)
    bool exact = true;   ///< fused: this node's value is its own (false when a successor was folded in)
};

int keras_axis_to_nchw(int axis, int rank) {
    if (axis < 0) axis += rank;
    if (rank == 4) {
        static const int map[4] = {0, 2, 3, 1};
        return map[axis];
    }
    return axis;
}

std::pair<std::int64_t, std::int64_t> pair_of(const nlohmann::json& cfg, const char* key, std::int64_t dflt) {
    auto it = cfg.find(key);
    if (it == cfg.end() || it->is_null()) return {dflt, dflt};
    if (it->is_number_integer()) return {it->get<std::int64_t>(), it->get<std::int64_t>()};
    if (it->is_array() && it->size() == 2 && (*it)[0].is_number_integer() && (*it)[1].is_number_integer())
        return {(*it)[0].get<std::int64_t>(), (*it)[1].get<std::int64_t>()};
    throw ModelError{Errc::corrupt_data, std::string("malformed \"") + key + "\""};
}

/// Per-layer wall time of the interpreter, on when ATELIER_ML_PROFILE is set
/// (a developer aid): printed to stderr, by layer class and the slowest
/// layers, when the model is destroyed.
class LayerProfile {
public:
    static std::unique_ptr<LayerProfile> from_env() {
        const char* e = std::getenv("ATELIER_ML_PROFILE");
        return e && *e && std::string_view(e) != "0" ? std::make_unique<LayerProfile>() : nullptr;
    }
    void add(const Node& n, std::chrono::steady_clock::duration d, bool fused) {
        std::lock_guard lk(m_mu);
        const double ms = std::chrono::duration<double, std::milli>(d).count();
        const std::string cls = n.alias && fused ? n.cls + " (folded)" : n.cls;
        auto& c = m_by_class[cls];
        c.first += ms;
        ++c.second;
        m_by_layer[n.name] += ms;
        m_total += ms;
    }
    ~LayerProfile() {
        std::fprintf(stderr, "layer profile: %.1f ms in total\n", m_total);
        std::vector<std::pair<double, std::string>> v;
        for (const auto& [k, c] : m_by_class)
            v.emplace_back(c.first, k + " x" + std::to_string(c.second));
        std::sort(v.rbegin(), v.rend());
        for (const auto& [ms, k] : v)
            std::fprintf(stderr, "  %8.1f ms %5.1f%%  %s\n", ms, 100 * ms / m_total, k.c_str());
        v.clear();
        for (const auto& [k, ms] : m_by_layer)
            v.emplace_back(ms, k);
        std::sort(v.rbegin(), v.rend());
        for (std::size_t i = 0; i < std::min<std::size_t>(15, v.size()); ++i)
            std::fprintf(stderr, "  %8.1f ms %5.1f%%  layer %s\n", v[i].first, 100 * v[i].first / m_total,
                         v[i].second.c_str());
    }

private:
    std::map<std::string, std::pair<double, int>> m_by_class;
    std::map<std::string, double> m_by_layer;
    double m_total = 0;
    std::mutex m_mu;
};

class KerasModel final : public TorchModel {
public:
    KerasModel(ModelInfo info, torch::Device device, Precision p) : TorchModel(std::move(info), device, p) {}

    void build(LayersModel& lm) {
        std::map<std::string, int> index;
        std::set<std::string> used;
        auto weight = [&](const std::string& layer, const std::string& what, bool required) -> std::string {
            std::string key = layer + "/" + what;
            auto it = lm.weights.find(key);
            if (it == lm.weights.end()) {
                for (auto& [k, v] : lm.weights)  // nested prefixes ("model/layer/kernel")
                    if (k.size() > key.size() && k.compare(k.size() - key.size() - 1, key.size() + 1, "/" + key) == 0) {
                        key = k;
                        it = lm.weights.find(k);
                        break;
                    }
            }
            if (it == lm.weights.end()) {
                if (required)
                    throw ModelError{Errc::corrupt_data, "the weights have no '" + layer + "/" + what +
                                                             "'; model.json and its shards do not match"};
                return {};
            }
            used.insert(key);
            if (!m_params.has(key)) m_params.add(key, to_torch(it->second).clone().to(m_device));
            return key;
        };
        for (const auto& l : lm.graph.layers) {
            Node n;
            n.name = l.name;
            n.cls = l.class_name;
            for (const auto& r : l.inbound) {
                if (r.tensor != 0)
                    throw ModelError{Errc::unsupported, "layer '" + l.name + "' reads output " +
                                                            std::to_string(r.tensor) + " of '" + r.layer +
                                                            "'; multi-output layers are not supported"};
                n.inputs.push_back(index.at(r.layer));
            }
            const auto& cfg = l.config;
            const std::string& c = l.class_name;
            auto need_inputs = [&](std::size_t k) {
                if (n.inputs.size() < k)
                    throw ModelError{Errc::corrupt_data, "layer '" + l.name + "' (" + c + ") has too few inputs"};
            };
            try {
                if (c == "InputLayer") {
                    n.op = Op::input;
                } else if (c == "Conv2D" || c == "DepthwiseConv2D") {
                    need_inputs(1);
                    n.op = c == "Conv2D" ? Op::conv : Op::depthwise;
                    std::tie(n.kh, n.kw) = pair_of(cfg, "kernel_size", 1);
                    std::tie(n.sh, n.sw) = pair_of(cfg, "strides", 1);
                    std::tie(n.dh, n.dw) = pair_of(cfg, "dilation_rate", 1);
                    n.same = cfg.value("padding", "valid") == "same";
                    if (cfg.value("data_format", "channels_last") != "channels_last")
                        throw ModelError{Errc::unsupported, "layer '" + l.name + "' uses channels_first"};
                    n.groups = cfg.value("groups", 1);
                    n.act = parse_activation(cfg, l);
                    if (n.op == Op::conv) {
                        auto key = weight(l.name, "kernel", true);
                        auto& w = m_params.fp32()[key];  // HWIO → OIHW
                        if (w.dim() != 4) throw ModelError{Errc::corrupt_data, "kernel is not 4-D"};
                        w = conv_weight_cl(w.permute({3, 2, 0, 1}).contiguous());
                        n.w = key;
                    } else {
                        auto key = weight(l.name, "depthwise_kernel", true);
                        auto& w = m_params.fp32()[key];  // H W C M → (C*M) 1 H W
                        if (w.dim() != 4) throw ModelError{Errc::corrupt_data, "depthwise kernel is not 4-D"};
                        n.groups = w.size(2);
                        w = conv_weight_cl(w.permute({2, 3, 0, 1})
                                               .reshape({w.size(2) * w.size(3), 1, w.size(0), w.size(1)})
                                               .contiguous());
                        n.w = key;
                    }
                    if (cfg.value("use_bias", true)) n.bias = weight(l.name, c == "Conv2D" ? "bias" : "bias", true);
                } else if (c == "Dense") {
                    need_inputs(1);
                    n.op = Op::dense;
                    n.act = parse_activation(cfg, l);
                    auto key = weight(l.name, "kernel", true);
                    auto& w = m_params.fp32()[key];
                    if (w.dim() != 2) throw ModelError{Errc::corrupt_data, "Dense kernel is not 2-D"};
                    w = w.t().contiguous();
                    n.w = key;
                    if (cfg.value("use_bias", true)) n.bias = weight(l.name, "bias", true);
                } else if (c == "BatchNormalization") {
                    need_inputs(1);
                    n.op = Op::batchnorm;
                    n.a = cfg.value("epsilon", 1e-3);
                    int axis = -1;
                    if (auto ax = cfg.find("axis"); ax != cfg.end()) {
                        if (ax->is_number_integer())
                            axis = ax->get<int>();
                        else if (ax->is_array() && ax->size() == 1)
                            axis = (*ax)[0].get<int>();
                    }
                    if (axis != -1 && axis != 3)
                        throw ModelError{Errc::unsupported, "BatchNormalization over axis " + std::to_string(axis)};
                    if (cfg.value("scale", true)) n.gamma = weight(l.name, "gamma", true);
                    if (cfg.value("center", true)) n.beta = weight(l.name, "beta", true);
                    n.mean = weight(l.name, "moving_mean", true);
                    n.var = weight(l.name, "moving_variance", true);
                } else if (c == "Activation") {
                    need_inputs(1);
                    n.op = Op::activation;
                    n.act = parse_activation(cfg, l);
                } else if (c == "ReLU") {
                    need_inputs(1);
                    n.op = Op::relu;
                    n.has_max = cfg.contains("max_value") && cfg["max_value"].is_number();
                    n.a = n.has_max ? cfg["max_value"].get<double>() : 0.0;
                    n.b = cfg.value("negative_slope", 0.0);
                    n.c = cfg.value("threshold", 0.0);
                } else if (c == "LeakyReLU") {
                    need_inputs(1);
                    n.op = Op::leaky_relu;
                    n.b = cfg.value("alpha", 0.3);
                } else if (c == "Add" || c == "Multiply") {
                    need_inputs(2);
                    n.op = c == "Add" ? Op::add : Op::multiply;
                } else if (c == "Concatenate") {
                    need_inputs(1);
                    n.op = Op::concat;
                    n.axis = cfg.value("axis", -1);
                } else if (c == "UpSampling2D") {
                    need_inputs(1);
                    n.op = Op::upsample;
                    std::tie(n.sh, n.sw) = pair_of(cfg, "size", 2);
                    const auto interp = cfg.value("interpolation", "nearest");
                    if (interp != "nearest" && interp != "bilinear")
                        throw ModelError{Errc::unsupported, "UpSampling2D interpolation '" + interp + "'"};
                    n.bilinear = interp == "bilinear";
                } else if (c == "ZeroPadding2D") {
                    need_inputs(1);
                    n.op = Op::zeropad;
                    const auto& p = cfg.at("padding");
                    if (p.is_number_integer()) {
                        n.pad[0] = n.pad[1] = n.pad[2] = n.pad[3] = p.get<std::int64_t>();
                    } else if (p.is_array() && p.size() == 2 && p[0].is_array()) {
                        n.pad[2] = p[0][0].get<std::int64_t>();
                        n.pad[3] = p[0][1].get<std::int64_t>();
                        n.pad[0] = p[1][0].get<std::int64_t>();
                        n.pad[1] = p[1][1].get<std::int64_t>();
                    } else if (p.is_array() && p.size() == 2) {
                        n.pad[2] = n.pad[3] = p[0].get<std::int64_t>();
                        n.pad[0] = n.pad[1] = p[1].get<std::int64_t>();
                    } else {
                        throw ModelError{Errc::corrupt_data, "malformed padding"};
                    }
                } else if (c == "AveragePooling2D" || c == "MaxPooling2D") {
                    need_inputs(1);
                    n.op = c == "AveragePooling2D" ? Op::avgpool : Op::maxpool;
                    std::tie(n.kh, n.kw) = pair_of(cfg, "pool_size", 2);
                    auto st = cfg.find("strides");
                    if (st == cfg.end() || st->is_null())
                        std::tie(n.sh, n.sw) = std::make_pair(n.kh, n.kw);
                    else
                        std::tie(n.sh, n.sw) = pair_of(cfg, "strides", 1);
                    n.same = cfg.value("padding", "valid") == "same";
                } else if (c == "GlobalAveragePooling2D" || c == "GlobalMaxPooling2D") {
                    need_inputs(1);
                    n.op = c == "GlobalAveragePooling2D" ? Op::global_avg : Op::global_max;
                    n.has_max = cfg.value("keepdims", false);
                } else if (c == "Flatten") {
                    need_inputs(1);
                    n.op = Op::flatten;
                } else if (c == "Dropout" || c == "SpatialDropout2D" || c == "GaussianNoise" ||
                           c == "GaussianDropout") {
                    need_inputs(1);
                    n.op = Op::identity;
                } else if (c == "Softmax") {
                    need_inputs(1);
                    n.op = Op::softmax;
                    n.axis = cfg.value("axis", -1);
                } else if (c == "MultiplyBeta") {
                    need_inputs(1);
                    n.op = Op::multiply_const;
                    n.a = cfg.value("beta", 0.2);
                } else if (c.rfind("PixelShuffle", 0) == 0 && c.size() > 13 && c.back() == 'x') {
                    need_inputs(1);
                    n.op = Op::pixel_shuffle;
                    n.scale = std::stoi(c.substr(12, c.size() - 13));
                    if (n.scale != 2 && n.scale != 3 && n.scale != 4 && n.scale != 8)
                        throw ModelError{Errc::unsupported, "unknown layer"};
                    if (cfg.contains("scale") && cfg["scale"].is_number_integer() && cfg["scale"].get<int>() != n.scale)
                        throw ModelError{Errc::corrupt_data, "its scale does not match its class"};
                } else {
                    throw ModelError{Errc::unsupported, "unknown layer"};
                }
            } catch (const ModelError& e) {
                if (e.message == "unknown layer")
                    throw ModelError{Errc::unsupported, "layer '" + l.name + "' has class '" + c +
                                                            "', which this interpreter does not know; the model "
                                                            "cannot be run"};
                if (e.message.find(l.name) != std::string::npos) throw;
                throw ModelError{e.code, "layer '" + l.name + "' (" + c + "): " + e.message};
            } catch (const nlohmann::json::exception& e) {
                throw ModelError{Errc::corrupt_data,
                                 "layer '" + l.name + "' (" + c + ") has a malformed config: " + e.what()};
            }
            index[l.name] = static_cast<int>(m_nodes.size());
            m_nodes.push_back(std::move(n));
        }
        for (const auto& i : lm.graph.inputs)
            m_inputs.push_back(index.at(i));
        for (const auto& o : lm.graph.outputs)
            m_outputs.push_back(index.at(o));
        if (m_inputs.size() != 1)
            throw ModelError{Errc::unsupported,
                             "models with " + std::to_string(m_inputs.size()) + " inputs are not supported"};
        fuse_upsample_conv();
        fold_batchnorm_activation();
        for (std::size_t i = 0; i < m_nodes.size(); ++i)
            for (int in : m_nodes[i].inputs)
                m_nodes[static_cast<std::size_t>(in)].last_use = static_cast<int>(i);
        for (int o : m_outputs)
            m_nodes[static_cast<std::size_t>(o)].last_use = static_cast<int>(m_nodes.size());
        m_index = std::move(index);
        for (const auto& [k, v] : lm.weights)
            if (!used.count(k)) spdlog::debug("model {}: weight '{}' is not used by any layer", m_info.id, k);
        m_info.layer_names.clear();
        for (const auto& n : m_nodes)
            m_info.layer_names.push_back(n.name);
        lm.weights.clear();
        estimate();
    }

protected:
    void prepare(torch::Dtype dtype) override { m_params.prepare(dtype); }

    std::vector<Tensor> forward(const Tensor& x, const RunOptions& options, torch::Dtype) override {
        std::vector<int> extra;
        for (const auto& name : options.extra_outputs) {
            auto it = m_index.find(name);
            if (it == m_index.end()) throw ModelError{Errc::not_found, "has no layer '" + name + "'"};
            extra.push_back(it->second);
        }
        // The fused program (BatchNormalization, ReLU and ZeroPadding2D folded
        // into convolutions) unless a caller wants a value it does not compute.
        bool fused = m_fused && !m_trace;
        for (int e : extra)
            if (!m_nodes[static_cast<std::size_t>(e)].exact) fused = false;
        std::vector<Tensor> vals(m_nodes.size());
        std::vector<int> keep(m_nodes.size(), 0);
        for (int e : extra)
            keep[static_cast<std::size_t>(e)] = 1;
        for (std::size_t i = 0; i < m_nodes.size(); ++i) {
            if (options.cancel.cancelled()) throw Cancelled{};
            const auto& n = m_nodes[i];
            const auto t0 = m_profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
            try {
                if (fused && n.alias)
                    vals[i] = vals[static_cast<std::size_t>(n.inputs[0])];
                else
                    vals[i] = fused ? eval_fused(n, vals, x) : eval(n, vals, x);
            } catch (const c10::Error& e) {
                throw ModelError{Errc::invalid_argument, "layer '" + n.name + "' (" + n.cls + ") failed: " +
                                                             std::string(e.what_without_backtrace()).substr(0, 300)};
            }
            if (m_profile) m_profile->add(n, std::chrono::steady_clock::now() - t0, fused);
            if (m_trace) m_trace(i, vals[i]);
            for (int in : n.inputs) {
                auto& node = m_nodes[static_cast<std::size_t>(in)];
                if (node.last_use == static_cast<int>(i) && !keep[static_cast<std::size_t>(in)])
                    vals[static_cast<std::size_t>(in)] = Tensor();
            }
        }
        std::vector<Tensor> outs;
        for (int o : m_outputs)
            outs.push_back(vals[static_cast<std::size_t>(o)]);
        for (int e : extra) {
            const auto& n = m_nodes[static_cast<std::size_t>(e)];
            const Tensor& v = vals[static_cast<std::size_t>(e)];
            outs.push_back(n.fused ? torch::upsample_nearest2d(v, {v.size(2) * n.sh, v.size(3) * n.sw}) : v);
        }
        return outs;
    }

private:
    Tensor p(const std::string& k) const { return k.empty() ? Tensor() : m_params.get(k); }

    /// A convolution with the fused parts: folded BatchNormalization weights,
    /// a folded ZeroPadding2D and the activation applied in place.
    Tensor eval_fused(const Node& n, const std::vector<Tensor>& v, const Tensor& input) const {
        if (n.op == Op::add && n.fscaled >= 0) {  // a + β·b in one pass
            const Tensor& scaled = v[static_cast<std::size_t>(n.inputs[static_cast<std::size_t>(n.fscaled)])];
            const Tensor& other = v[static_cast<std::size_t>(n.inputs[static_cast<std::size_t>(1 - n.fscaled)])];
            return torch::add(other, scaled, n.fscale);
        }
        if ((n.op != Op::conv && n.op != Op::depthwise) || n.scale > 1 ||
            (n.fw.empty() && n.fact == 0 && !n.fpad[0] && !n.fpad[1] && !n.fpad[2] && !n.fpad[3]))
            return eval(n, v, input);
        Tensor x = v[static_cast<std::size_t>(n.inputs[0])];
        std::vector<std::int64_t> padding{0, 0};
        if (n.same) {
            x = pad_same(x, n, padding);
        } else if (n.fpad[0] || n.fpad[1] || n.fpad[2] || n.fpad[3]) {
            if (n.fpad[0] == n.fpad[1] && n.fpad[2] == n.fpad[3])
                padding = {n.fpad[2], n.fpad[0]};
            else
                x = torch::constant_pad_nd(x, {n.fpad[0], n.fpad[1], n.fpad[2], n.fpad[3]}, 0);
        }
        Tensor y = conv2d_cpu_aware(x, p(n.fw.empty() ? n.w : n.fw), p(n.fw.empty() ? n.bias : n.fb), {n.sh, n.sw},
                                    padding, {n.dh, n.dw}, n.groups);
        y = apply_act(y, n.act);
        if (n.fact == 1) y.relu_();
        if (n.fact == 2) y.clamp_(0.0, n.fmax);
        return y;
    }

    /// Keras "same" padding for `n`: symmetric padding goes to the convolution
    /// (`padding`), asymmetric padding is applied to `x`, which is returned.
    static Tensor pad_same(Tensor x, const Node& n, std::vector<std::int64_t>& padding) {
        auto [t, b] = same_pad(x.size(2), n.kh, n.sh, n.dh);
        auto [l, r] = same_pad(x.size(3), n.kw, n.sw, n.dw);
        if (t == b && l == r) {
            padding = {t, l};
            return x;
        }
        return torch::constant_pad_nd(x, {l, r, t, b}, 0);
    }

    Tensor eval(const Node& n, const std::vector<Tensor>& v, const Tensor& input) const {
        auto in = [&](std::size_t k) -> const Tensor& { return v[static_cast<std::size_t>(n.inputs[k])]; };
        switch (n.op) {
            case Op::input:
                return input;
            case Op::conv:
            case Op::depthwise: {
                Tensor x = in(0);
                std::vector<std::int64_t> padding{0, 0};
                if (n.same) x = pad_same(x, n, padding);
                if (n.scale > 1) {  // nearest upsampling folded in: low-res conv, then depth-to-space
                    if (n.pad[0] != n.pad[1] || n.pad[2] != n.pad[3]) {
                        x = torch::constant_pad_nd(x, {n.pad[0], n.pad[1], n.pad[2], n.pad[3]}, 0);
                        padding = {0, 0};
                    } else {
                        padding = {n.pad[2], n.pad[0]};
                    }
                    Tensor y = conv2d_cpu_aware(x, p(n.w), p(n.bias), {1, 1}, padding, {1, 1}, 1);
                    return apply_act(torch::pixel_shuffle(y, n.scale), n.act);
                }
                Tensor y = conv2d_cpu_aware(x, p(n.w), p(n.bias), {n.sh, n.sw}, padding, {n.dh, n.dw}, n.groups);
                return apply_act(y, n.act);
            }
            case Op::dense: {
                const Tensor& x = in(0);
                if (x.dim() == 2) return apply_act(torch::linear(x, p(n.w), p(n.bias)), n.act);
                const Tensor w = p(n.w);
                return apply_act(torch::conv2d(x, w.view({w.size(0), w.size(1), 1, 1}), p(n.bias)), n.act);
            }
            case Op::batchnorm:
                return torch::batch_norm(in(0), p(n.gamma), p(n.beta), p(n.mean), p(n.var), false, 0.0, n.a, false);
            case Op::activation:
                return apply_act(in(0), n.act);
            case Op::relu: {
                const Tensor& x = in(0);
                Tensor y = n.b == 0.0 && n.c == 0.0 ? torch::relu(x) : torch::where(x >= n.c, x, (x - n.c) * n.b);
                if (n.has_max) y = torch::clamp_max(y, n.a);
                return y;
            }
            case Op::leaky_relu:
                return torch::leaky_relu(in(0), n.b);
            case Op::add: {
                Tensor y = in(0);
                for (std::size_t k = 1; k < n.inputs.size(); ++k)
                    y = y + in(k);
                return y;
            }
            case Op::multiply: {
                Tensor y = in(0);
                for (std::size_t k = 1; k < n.inputs.size(); ++k)
                    y = y * in(k);
                return y;
            }
            case Op::concat: {
                std::vector<Tensor> xs;
                for (std::size_t k = 0; k < n.inputs.size(); ++k)
                    xs.push_back(in(k));
                return torch::cat(xs, keras_axis_to_nchw(n.axis, static_cast<int>(xs[0].dim())));
            }
            case Op::upsample: {
                const Tensor& x = in(0);
                if (n.fused) return x;  // the consuming convolution upsamples (see fuse_upsample_conv)
                if (n.bilinear) {
                    // TF.js' resizeBilinear (what tfjs-layers' UpSampling2D calls): no half-pixel
                    // centres, source = destination / scale, the last row and column repeated.
                    // = align-corners resize of the input with one replicated row and column.
                    const std::int64_t H = x.size(2), W = x.size(3);
                    Tensor xp = torch::cat({x, x.narrow(2, H - 1, 1)}, 2);
                    xp = torch::cat({xp, xp.narrow(3, W - 1, 1)}, 3);
                    return torch::upsample_bilinear2d(xp, {H * n.sh + 1, W * n.sw + 1}, true)
                        .narrow(2, 0, H * n.sh)
                        .narrow(3, 0, W * n.sw);
                }
                return torch::upsample_nearest2d(x, {x.size(2) * n.sh, x.size(3) * n.sw});
            }
            case Op::zeropad:
                return torch::constant_pad_nd(in(0), {n.pad[0], n.pad[1], n.pad[2], n.pad[3]}, 0);
            case Op::avgpool:
            case Op::maxpool: {
                Tensor x = in(0);
                if (!n.same) {
                    return n.op == Op::avgpool ? torch::avg_pool2d(x, {n.kh, n.kw}, {n.sh, n.sw})
                                               : torch::max_pool2d(x, {n.kh, n.kw}, {n.sh, n.sw});
                }
                auto [t, b] = same_pad(x.size(2), n.kh, n.sh, 1);
                auto [l, r] = same_pad(x.size(3), n.kw, n.sw, 1);
                if (n.op == Op::maxpool)
                    return torch::max_pool2d(torch::constant_pad_nd(x, {l, r, t, b}, -INFINITY), {n.kh, n.kw},
                                             {n.sh, n.sw});
                // TF excludes the padding from the average.
                Tensor ones = torch::ones({1, 1, x.size(2), x.size(3)}, x.options());
                Tensor num = torch::avg_pool2d(torch::constant_pad_nd(x, {l, r, t, b}, 0), {n.kh, n.kw}, {n.sh, n.sw});
                Tensor den =
                    torch::avg_pool2d(torch::constant_pad_nd(ones, {l, r, t, b}, 0), {n.kh, n.kw}, {n.sh, n.sw});
                return num / den;
            }
            case Op::global_avg: {
                Tensor y = in(0).mean({2, 3}, n.has_max);
                return y;
            }
            case Op::global_max:
                return std::get<0>(in(0).flatten(2).max(2));
            case Op::flatten: {
                const Tensor& x = in(0);
                if (x.dim() == 4) return x.permute({0, 2, 3, 1}).reshape({x.size(0), -1});  // Keras flattens NHWC
                return x.reshape({x.size(0), -1});
            }
            case Op::identity:
                return in(0);
            case Op::softmax:
                return torch::softmax(in(0), keras_axis_to_nchw(n.axis, static_cast<int>(in(0).dim())));
            case Op::multiply_const:
                return in(0) * n.a;
            case Op::pixel_shuffle: {
                // depth_to_space (NHWC, DCR): out[h*s+i, w*s+j, c] = in[h, w, (i*s+j)*C + c]
                const Tensor& x = in(0);
                const std::int64_t s = n.scale, N = x.size(0), H = x.size(2), W = x.size(3);
                const std::int64_t C = x.size(1) / (s * s);
                return x.reshape({N, s, s, C, H, W}).permute({0, 3, 4, 1, 5, 2}).reshape({N, C, H * s, W * s});
            }
        }
        return in(0);
    }

    /// Folds UpSampling2D(nearest, s×s) followed by its only consumer, a
    /// stride-1 undilated "same" Conv2D with an odd square kernel, into one
    /// convolution on the low-resolution input with s² times the output
    /// channels, followed by depth-to-space. Output pixel (h·s+i, w·s+j) of
    /// the original reads upsampled rows h·s+i+d (|d| ≤ p), i.e. input rows
    /// floor((i+d)/s) relative to h: the kernel taps that land on the same
    /// input pixel are summed into the sub-position (i, j)'s kernel. Same
    /// result (zero padding maps to zero padding), s² fewer activations at the
    /// output size and a wide convolution instead of a 3-channel one.
    void fuse_upsample_conv() {
        std::vector<int> consumers(m_nodes.size(), 0);
        for (const auto& n : m_nodes)
            for (int in : n.inputs)
                ++consumers[static_cast<std::size_t>(in)];
        for (int o : m_outputs)
            ++consumers[static_cast<std::size_t>(o)];
        for (std::size_t j = 0; j < m_nodes.size(); ++j) {
            Node& c = m_nodes[j];
            if (c.op != Op::conv || c.inputs.size() != 1 || !c.same || c.sh != 1 || c.sw != 1 || c.dh != 1 ||
                c.dw != 1 || c.groups != 1 || c.kh != c.kw || c.kh % 2 == 0 || c.scale != 1)
                continue;
            Node& u = m_nodes[static_cast<std::size_t>(c.inputs[0])];
            if (u.op != Op::upsample || u.bilinear || u.fused || u.sh != u.sw || u.sh < 2 ||
                consumers[static_cast<std::size_t>(c.inputs[0])] != 1)
                continue;
            const std::int64_t s = u.sh, pad = (c.kh - 1) / 2;
            auto floor_div = [](std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
            const std::int64_t lo = floor_div(-pad, s), hi = floor_div(s - 1 + pad, s), kl = hi - lo + 1;
            const Tensor w = m_params.fp32()[c.w].contiguous();  // O I k k
            const std::int64_t O = w.size(0), I = w.size(1);
            Tensor wf = torch::zeros({O * s * s, I, kl, kl}, w.options());
            using torch::indexing::Slice;
            for (std::int64_t i = 0; i < s; ++i)
                for (std::int64_t jj = 0; jj < s; ++jj)
                    for (std::int64_t dy = -pad; dy <= pad; ++dy)
                        for (std::int64_t dx = -pad; dx <= pad; ++dx) {
                            const std::int64_t ly = floor_div(i + dy, s) - lo, lx = floor_div(jj + dx, s) - lo;
                            auto dst = wf.index({Slice(i * s + jj, torch::indexing::None, s * s), Slice(), ly, lx});
                            dst += w.index({Slice(), Slice(), dy + pad, dx + pad});
                        }
            const std::string key = c.w + "#upsample" + std::to_string(s);
            m_params.add(key, conv_weight_cl(wf));
            m_params.fp32().erase(c.w);
            c.w = key;
            if (!c.bias.empty()) {
                const std::string bkey = c.bias + "#upsample" + std::to_string(s);
                m_params.add(bkey, m_params.fp32()[c.bias].repeat_interleave(s * s));
                m_params.fp32().erase(c.bias);
                c.bias = bkey;
            }
            c.scale = s;
            c.pad[2] = -lo;  // top
            c.pad[3] = hi;   // bottom
            c.pad[0] = -lo;  // left
            c.pad[1] = hi;   // right
            u.fused = true;
            spdlog::debug("model {}: '{}' (nearest x{}) folded into '{}'", m_info.id, u.name, s, c.name);
        }
    }

    /// Folds, for the fused forward, each BatchNormalization into the
    /// convolution before it (the convolution's only consumer, no activation
    /// of its own): w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β, computed in
    /// fp64 and stored in fp32; then a ReLU (plain or clipped, the MobileNet
    /// ReLU6) or Activation(relu) after such a convolution is applied in place
    /// on its output; and a ZeroPadding2D whose only consumer is a "valid"
    /// convolution becomes that convolution's padding. The original weights
    /// stay for the unfused forward (trace hook, intermediate extra outputs).
    void fold_batchnorm_activation() {
        std::vector<int> consumers(m_nodes.size(), 0);
        for (const auto& n : m_nodes)
            for (int in : n.inputs)
                ++consumers[static_cast<std::size_t>(in)];
        for (int o : m_outputs)
            consumers[static_cast<std::size_t>(o)] += 1000;  // never fold a graph output away
        auto is_conv = [](const Node& n) {
            return (n.op == Op::conv || n.op == Op::depthwise) && n.scale == 1 && n.act == Act::linear;
        };
        int folded_bn = 0, folded_act = 0, folded_pad = 0;
        for (auto& n : m_nodes) {
            if (n.inputs.size() != 1) continue;
            const auto pi = static_cast<std::size_t>(n.inputs[0]);
            Node& prev = m_nodes[pi];
            if (n.op == Op::batchnorm && is_conv(prev) && consumers[pi] == 1 && prev.fw.empty() && prev.fact == 0) {
                auto d = [&](const std::string& k) { return m_params.fp32().at(k).to(torch::kDouble); };
                const Tensor w = d(prev.w);
                const std::int64_t O = w.size(0);
                const auto opts = w.options();
                const Tensor gamma = n.gamma.empty() ? torch::ones({O}, opts) : d(n.gamma).reshape({O});
                const Tensor beta = n.beta.empty() ? torch::zeros({O}, opts) : d(n.beta).reshape({O});
                const Tensor scale = gamma / torch::sqrt(d(n.var).reshape({O}) + n.a);
                const Tensor b0 = prev.bias.empty() ? torch::zeros({O}, opts) : d(prev.bias).reshape({O});
                prev.fw = prev.w + "#bnfold";
                prev.fb = prev.w + "#bnfold_bias";
                m_params.add(prev.fw, conv_weight_cl((w * scale.view({O, 1, 1, 1})).to(torch::kFloat)));
                m_params.add(prev.fb, ((b0 - d(n.mean).reshape({O})) * scale + beta).to(torch::kFloat).contiguous());
                prev.exact = false;
                n.alias = true;
                ++folded_bn;
                continue;
            }
            // The convolution a value comes from, through folded BatchNormalizations.
            std::size_t ci = pi;
            bool single = consumers[pi] == 1;
            if (m_nodes[ci].alias && m_nodes[ci].op == Op::batchnorm) {
                ci = static_cast<std::size_t>(m_nodes[ci].inputs[0]);
                single = single && consumers[ci] == 1;
            }
            Node& conv = m_nodes[ci];
            const bool relu = n.op == Op::relu && n.b == 0.0 && n.c == 0.0;
            const bool act_relu = n.op == Op::activation && (n.act == Act::relu || n.act == Act::relu6);
            if ((relu || act_relu) && single && is_conv(conv) && conv.fact == 0) {
                const bool clip = relu ? n.has_max : n.act == Act::relu6;
                conv.fact = clip ? 2 : 1;
                conv.fmax = relu ? n.a : 6.0;
                conv.exact = false;
                prev.exact = false;
                n.alias = true;
                ++folded_act;
            }
        }
        // ZeroPadding2D → the "valid" convolution that is its only consumer.
        for (std::size_t j = 0; j < m_nodes.size(); ++j) {
            Node& c = m_nodes[j];
            if (c.op != Op::conv && c.op != Op::depthwise) continue;
            if (c.same || c.scale != 1 || c.inputs.size() != 1) continue;
            const auto zi = static_cast<std::size_t>(c.inputs[0]);
            Node& z = m_nodes[zi];
            if (z.op != Op::zeropad || consumers[zi] != 1 || z.alias) continue;
            std::copy(std::begin(z.pad), std::end(z.pad), std::begin(c.fpad));
            z.alias = true;
            z.exact = false;
            ++folded_pad;
        }
        // Add(a, MultiplyBeta(b)) (the ESRGAN residual scaling) → one a + β·b.
        int folded_scale = 0;
        for (auto& n : m_nodes) {
            if (n.op != Op::add || n.inputs.size() != 2 || n.inputs[0] == n.inputs[1]) continue;
            for (int k = 0; k < 2; ++k) {
                const auto mi = static_cast<std::size_t>(n.inputs[static_cast<std::size_t>(k)]);
                Node& mul = m_nodes[mi];
                if (mul.op != Op::multiply_const || consumers[mi] != 1 || mul.alias) continue;
                mul.alias = true;
                mul.exact = false;
                n.fscaled = k;
                n.fscale = mul.a;
                ++folded_scale;
                break;
            }
        }
        m_fused = folded_bn + folded_act + folded_pad + folded_scale > 0;
        if (m_fused)
            spdlog::debug(
                "model {}: folded {} BatchNormalization, {} ReLU, {} ZeroPadding2D into convolutions, {} "
                "MultiplyBeta into additions",
                m_info.id, folded_bn, folded_act, folded_pad, folded_scale);
    }

    /// Peak live activations per input pixel from a dry run on a small input.
    void estimate() {
        const std::int64_t h = m_info.fixed_height ? m_info.fixed_height : 24;
        const std::int64_t w = m_info.fixed_width ? m_info.fixed_width : 24;
        std::vector<std::int64_t> numel(m_nodes.size(), 0);
        m_trace = [&](std::size_t i, const Tensor& t) { numel[i] = t.numel(); };
        prepare(torch::kFloat);
        c10::InferenceMode guard;
        Tensor x = torch::zeros({1, m_info.in_channels, h, w}, torch::TensorOptions().device(m_device))
                       .contiguous(at::MemoryFormat::ChannelsLast);
        try {
            forward(x, {}, torch::kFloat);
        } catch (const ModelError& e) {
            // e.g. Flatten + Dense without a declared input size: no dry run possible
            m_trace = nullptr;
            if (m_info.fixed_height) throw;
            spdlog::debug("model {}: no memory estimate ({}); assuming 256 floats per pixel", m_info.id, e.message);
            m_peak_floats_per_pixel = 256;
            return;
        }
        m_trace = nullptr;
        double live = 0, peak = 0;
        for (std::size_t i = 0; i < m_nodes.size(); ++i) {
            live += static_cast<double>(numel[i]);
            peak = std::max(peak, live);
            for (int in : m_nodes[i].inputs)
                if (m_nodes[static_cast<std::size_t>(in)].last_use == static_cast<int>(i))
                    live -= static_cast<double>(numel[static_cast<std::size_t>(in)]);
        }
        m_peak_floats_per_pixel = peak / static_cast<double>(h * w);
        // FLOPs: sum over convs of 2·|W| per output pixel of that conv, measured by the dry run's shapes.
        double flops = 0;
        for (std::size_t i = 0; i < m_nodes.size(); ++i) {
            const auto& n = m_nodes[i];
            if (n.op != Op::conv && n.op != Op::depthwise && n.op != Op::dense) continue;
            const double wnum = static_cast<double>(m_params.get(n.w).numel());
            const auto out_c = m_params.get(n.w).size(0);
            flops += 2.0 * wnum * static_cast<double>(numel[i]) / static_cast<double>(out_c);
        }
        m_flops_per_pixel = flops / static_cast<double>(h * w);
    }

    ParamStore m_params;
    std::vector<Node> m_nodes;
    std::vector<int> m_inputs, m_outputs;
    std::map<std::string, int> m_index;
    std::function<void(std::size_t, const Tensor&)> m_trace;
    bool m_fused = false;
    std::unique_ptr<LayerProfile> m_profile = LayerProfile::from_env();

protected:
    bool splittable() const override { return !m_trace; }
};

// ---------------------------------------------------------------------------
// The ESRGAN family from state dicts.

class StateDictModel : public TorchModel {
public:
    using TorchModel::TorchModel;
    ParamStore params;

protected:
    void prepare(torch::Dtype dtype) override { params.prepare(dtype); }
    Tensor conv(const Tensor& x, const std::string& name) const {
        const Tensor& w = params.get(name + ".weight");
        const Tensor* b = params.find(name + ".bias");
        const std::int64_t pad = w.size(2) / 2;
        return conv2d_cpu_aware(x, w, b ? *b : Tensor(), {1, 1}, {pad, pad}, {1, 1}, 1);
    }

public:
    void finish_estimate(double peak_channels_per_pixel, double flops) {
        m_peak_floats_per_pixel = peak_channels_per_pixel;
        m_flops_per_pixel = flops;
    }
};

class RrdbNet final : public StateDictModel {
public:
    using StateDictModel::StateDictModel;
    int num_block = 0, num_feat = 0, num_grow = 0, unshuffle = 1;

protected:
    std::vector<Tensor> forward(const Tensor& x0, const RunOptions& options, torch::Dtype) override {
        auto lrelu = [](const Tensor& t) { return torch::leaky_relu(t, 0.2); };
        Tensor x = unshuffle > 1 ? torch::pixel_unshuffle(x0, unshuffle) : x0;
        Tensor feat = conv(x, "conv_first");
        Tensor body = feat;
        for (int b = 0; b < num_block; ++b) {
            if (options.cancel.cancelled()) throw Cancelled{};
            Tensor rin = body;
            Tensor r = body;
            for (int k = 1; k <= 3; ++k) {
                const std::string pre = "body." + std::to_string(b) + ".rdb" + std::to_string(k) + ".";
                Tensor x1 = lrelu(conv(r, pre + "conv1"));
                Tensor x2 = lrelu(conv(torch::cat({r, x1}, 1), pre + "conv2"));
                Tensor x3 = lrelu(conv(torch::cat({r, x1, x2}, 1), pre + "conv3"));
                Tensor x4 = lrelu(conv(torch::cat({r, x1, x2, x3}, 1), pre + "conv4"));
                Tensor x5 = conv(torch::cat({r, x1, x2, x3, x4}, 1), pre + "conv5");
                r = x5 * 0.2 + r;
            }
            body = r * 0.2 + rin;
        }
        feat = feat + conv(body, "conv_body");
        feat = lrelu(conv(torch::upsample_nearest2d(feat, {feat.size(2) * 2, feat.size(3) * 2}), "conv_up1"));
        feat = lrelu(conv(torch::upsample_nearest2d(feat, {feat.size(2) * 2, feat.size(3) * 2}), "conv_up2"));
        return {conv(lrelu(conv(feat, "conv_hr")), "conv_last")};
    }
};

class SrvggNet final : public StateDictModel {
public:
    using StateDictModel::StateDictModel;
    int num_conv = 0, upscale = 4;
    bool prelu = true;

protected:
    std::vector<Tensor> forward(const Tensor& x, const RunOptions& options, torch::Dtype) override {
        Tensor out = x;
        const int last = 2 * (num_conv + 1);
        for (int i = 0; i <= last; i += 2) {
            if (options.cancel.cancelled()) throw Cancelled{};
            out = conv(out, "body." + std::to_string(i));
            if (i == last) break;
            if (prelu)
                out = torch::prelu(out, params.get("body." + std::to_string(i + 1) + ".weight"));
            else
                out = torch::leaky_relu(out, 0.1);
        }
        out = torch::pixel_shuffle(out, upscale);
        return {out + torch::upsample_nearest2d(x, {x.size(2) * upscale, x.size(3) * upscale})};
    }
};

/// Old ESRGAN key names ("model.1.sub.0.RDB1.conv1.0.weight") → basicsr names.
std::string modernise_key(const std::string& k) {
    static const std::regex rdb(R"(model\.1\.sub\.(\d+)\.RDB(\d)\.conv(\d)\.0\.(weight|bias))");
    std::smatch m;
    if (std::regex_match(k, m, rdb))
        return "body." + m[1].str() + ".rdb" + m[2].str() + ".conv" + m[3].str() + "." + m[4].str();
    static const std::regex trunk(R"(model\.1\.sub\.(\d+)\.(weight|bias))");
    if (std::regex_match(k, m, trunk)) return "conv_body." + m[2].str();
    static const std::map<std::string, std::string> simple = {{"model.0", "conv_first"},
                                                              {"model.3", "conv_up1"},
                                                              {"model.6", "conv_up2"},
                                                              {"model.8", "conv_hr"},
                                                              {"model.10", "conv_last"}};
    for (const auto& [a, b] : simple)
        if (k.rfind(a + ".", 0) == 0) return b + k.substr(a.size());
    return k;
}

Result<std::shared_ptr<Model>> load_state_dict(const SafetensorsFile& f, ModelInfo info, torch::Device device,
                                               Precision p) {
    std::map<std::string, Tensor> sd;
    for (const auto& [name, ti] : f.header().tensors) {
        auto t = f.to_f32(name);
        if (!t) return t.error();
        std::string key = name;
        for (const char* prefix : {"params_ema.", "params.", "module."})
            if (key.rfind(prefix, 0) == 0) key = key.substr(std::strlen(prefix));
        sd[modernise_key(key)] = to_torch(*t).clone();
    }
    auto shape = [&](const std::string& k) -> std::vector<std::int64_t> {
        auto it = sd.find(k);
        if (it == sd.end()) return {};
        return std::vector<std::int64_t>(it->second.sizes().begin(), it->second.sizes().end());
    };
    auto missing = [&](const std::string& k) {
        return fail(Errc::corrupt_data, "safetensors file looks like " + info.architecture + " but has no '" + k + "'");
    };
    std::shared_ptr<StateDictModel> model;
    if (sd.count("conv_first.weight") && sd.count("body.0.rdb1.conv1.weight")) {
        info.architecture = "RRDBNet";
        auto m = std::make_shared<RrdbNet>(info, device, p);
        const auto cf = shape("conv_first.weight");
        const auto cl = shape("conv_last.weight");
        if (cf.size() != 4 || cl.size() != 4) return missing("conv_last.weight");
        m->num_feat = static_cast<int>(cf[0]);
        m->num_grow = static_cast<int>(shape("body.0.rdb1.conv1.weight")[0]);
        while (sd.count("body." + std::to_string(m->num_block) + ".rdb1.conv1.weight"))
            ++m->num_block;
        const auto out_ch = cl[0];
        const auto in_ch = cf[1];
        if (in_ch == out_ch) {
            m->unshuffle = 1;
            info.scale = 4;
        } else if (in_ch == out_ch * 4) {
            m->unshuffle = 2;
            info.scale = 2;
        } else if (in_ch == out_ch * 16) {
            m->unshuffle = 4;
            info.scale = 1;
        } else {
            return fail(Errc::unsupported, "RRDBNet with conv_first taking " + std::to_string(in_ch) +
                                               " channels for " + std::to_string(out_ch) +
                                               " output channels is not supported");
        }
        if (sd.count("conv_up3.weight")) return fail(Errc::unsupported, "RRDBNet x8 (conv_up3) is not supported");
        for (const char* k : {"conv_body.weight", "conv_up1.weight", "conv_up2.weight", "conv_hr.weight"})
            if (!sd.count(k)) return missing(k);
        for (int b = 0; b < m->num_block; ++b)
            for (int r = 1; r <= 3; ++r)
                for (int c = 1; c <= 5; ++c) {
                    const auto k = "body." + std::to_string(b) + ".rdb" + std::to_string(r) + ".conv" +
                                   std::to_string(c) + ".weight";
                    if (!sd.count(k)) return missing(k);
                }
        info.in_channels = static_cast<int>(out_ch);
        info.out_channels = static_cast<int>(out_ch);
        info.details = {"num_block=" + std::to_string(m->num_block), "num_feat=" + std::to_string(m->num_feat),
                        "num_grow_ch=" + std::to_string(m->num_grow), "scale=" + std::to_string(info.scale)};
        const double F = m->num_feat, G = m->num_grow;
        const double lr = 1.0 / (m->unshuffle * m->unshuffle);  // feature pixels per input pixel
        double flops = 0;
        for (const auto& [k, t] : sd)
            if (t.dim() == 4) {
                double px = lr;
                if (k.rfind("conv_up1", 0) == 0) px = lr * 4;
                if (k.rfind("conv_up2", 0) == 0 || k.rfind("conv_hr", 0) == 0 || k.rfind("conv_last", 0) == 0)
                    px = lr * 16;
                flops += 2.0 * static_cast<double>(t.numel()) * px;
            }
        m->finish_estimate(std::max(4 * F + 12 * G, 2 * F * 16) * lr, flops);
        m->set_info(info);
        model = m;
    } else if (sd.count("body.0.weight") && shape("body.0.weight").size() == 4) {
        info.architecture = "SRVGGNetCompact";
        auto m = std::make_shared<SrvggNet>(info, device, p);
        int last = 0;
        while (sd.count("body." + std::to_string(last + 2) + ".weight") &&
               shape("body." + std::to_string(last + 2) + ".weight").size() == 4)
            last += 2;
        m->num_conv = last / 2 - 1;
        if (m->num_conv < 0) return fail(Errc::corrupt_data, "SRVGGNetCompact needs at least two convolutions");
        m->prelu = sd.count("body.1.weight") != 0;
        const auto first = shape("body.0.weight");
        const auto lastw = shape("body." + std::to_string(last) + ".weight");
        const auto in_ch = first[1];
        const auto r2 = lastw[0] / in_ch;
        const int up = static_cast<int>(std::lround(std::sqrt(static_cast<double>(r2))));
        if (up * up * in_ch != lastw[0])
            return fail(Errc::unsupported, "SRVGGNetCompact: last convolution's " + std::to_string(lastw[0]) +
                                               " channels are not channels × scale²");
        m->upscale = up;
        info.scale = up;
        info.in_channels = info.out_channels = static_cast<int>(in_ch);
        info.details = {"num_conv=" + std::to_string(m->num_conv), "num_feat=" + std::to_string(first[0]),
                        "scale=" + std::to_string(up), m->prelu ? "act=prelu" : "act=leakyrelu"};
        double flops = 0;
        for (const auto& [k, t] : sd)
            if (t.dim() == 4) flops += 2.0 * static_cast<double>(t.numel());
        m->finish_estimate(3.0 * static_cast<double>(first[0]) + 2.0 * static_cast<double>(lastw[0]), flops);
        m->set_info(info);
        model = m;
    } else {
        return fail(Errc::unsupported,
                    "safetensors file is neither RRDBNet (conv_first, body.N.rdbK.convJ) nor "
                    "SRVGGNetCompact (body.N); no other architecture is recognised");
    }
    for (auto& [k, t] : sd)
        model->params.add(k, conv_weight_cl(t.to(device)));
    return std::static_pointer_cast<Model>(model);
}

// ---------------------------------------------------------------------------
// TorchScript with the contract from the manifest.

class ScriptModel final : public TorchModel {
public:
    ScriptModel(ModelInfo info, torch::Device device, Precision p, torch::jit::Module m)
        : TorchModel(std::move(info), device, p), m_module(std::move(m)) {
        m_module.eval();
        m_peak_floats_per_pixel = 64.0 * 4;  // unknown graph: a conservative guess
    }

protected:
    void prepare(torch::Dtype dtype) override {
        if (dtype != m_dtype) {
            m_module.to(dtype);
            m_dtype = dtype;
        }
    }
    // A TorchScript graph may mix batch items; it gets the batch whole.
    bool splittable() const override { return false; }
    std::vector<Tensor> forward(const Tensor& x, const RunOptions&, torch::Dtype) override {
        auto out = m_module.forward({x.contiguous()});
        if (out.isTensor()) return {out.toTensor()};
        if (out.isTuple()) {
            std::vector<Tensor> v;
            for (const auto& e : out.toTuple()->elements())
                v.push_back(e.toTensor());
            return v;
        }
        throw ModelError{Errc::unsupported, "TorchScript forward must return a tensor or a tuple of tensors"};
    }

private:
    torch::jit::Module m_module;
    torch::Dtype m_dtype = torch::kFloat;
};

// ---------------------------------------------------------------------------

/// The precision policy's state, shared by a runtime and the models it loaded
/// (a model may outlive its runtime). `automatic` drops to the cheaper
/// precision above `high` waiting jobs and returns at `low` or fewer.
struct PolicyState {
    Precision configured = Precision::fp32;
    std::size_t high = 4, low = 1;
    bool cuda = false, bf16 = false;

    Precision reduced_precision() const noexcept {
        if (cuda) return Precision::fp16;
        return bf16 ? Precision::bf16 : Precision::fp32;
    }
    /// Applies the hysteresis to `depth`; logs and counts a switch.
    void observe(std::size_t depth) noexcept {
        std::lock_guard lk(mu);
        depth_seen = depth;
        if (configured != Precision::automatic) return;
        const bool was = reduced;
        if (!reduced && depth > high)
            reduced = true;
        else if (reduced && depth <= low)
            reduced = false;
        if (reduced != was) {
            ++switches;
            if (reduced)
                spdlog::info("precision auto: {} jobs waiting (more than {}) -> {}", depth, high,
                             precision_name(reduced_precision()));
            else
                spdlog::info("precision auto: {} job(s) left (at most {}) -> fp32", depth, low);
        }
    }
    /// The precision for a run starting now (pulls the source first).
    Precision effective() noexcept {
        if (configured != Precision::automatic) return configured;
        std::function<std::size_t()> src;
        {
            std::lock_guard lk(mu);
            src = source;
        }
        if (src) observe(src());
        std::lock_guard lk(mu);
        return reduced ? reduced_precision() : Precision::fp32;
    }
    AutoPrecisionState state() {
        AutoPrecisionState st;
        st.current = effective();
        std::lock_guard lk(mu);
        st.reduced = reduced;
        st.queue_depth = depth_seen;
        st.switches = switches;
        return st;
    }

    std::mutex mu;
    bool reduced = false;
    std::size_t depth_seen = 0, switches = 0;
    std::function<std::size_t()> source;
};

class TorchRuntime final : public Runtime {
public:
    TorchRuntime(DeviceInfo d, RuntimeOptions o)
        : m_device_info(std::move(d)),
          m_options(std::move(o)),
          m_device(m_device_info.kind == DeviceKind::cuda
                       ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(m_device_info.index))
                       : torch::Device(torch::kCPU)) {
        m_policy->configured = m_options.precision;
        m_policy->high = m_options.auto_queue_high;
        m_policy->low = std::min(m_options.auto_queue_low, m_options.auto_queue_high);
        m_policy->cuda = m_device_info.kind == DeviceKind::cuda;
        m_policy->bf16 = m_device_info.bf16;
    }

    const DeviceInfo& device() const noexcept override { return m_device_info; }
    Precision precision() const noexcept override { return m_options.precision; }
    Precision effective_precision() const noexcept override { return m_policy->effective(); }
    void set_queue_depth(std::size_t depth) noexcept override { m_policy->observe(depth); }
    void set_queue_source(std::function<std::size_t()> source) override {
        std::lock_guard lk(m_policy->mu);
        m_policy->source = std::move(source);
    }
    AutoPrecisionState auto_state() const override { return m_policy->state(); }

    Result<std::shared_ptr<Model>> load(const ModelManifest& mf, const LoadOptions& options) override {
        ModelInfo info;
        info.id = mf.ref();
        info.format = mf.format;
        auto range = [&](const char* key, float* out) {
            if (auto it = mf.extra.find(key); it != mf.extra.end() && it->is_array() && it->size() == 2 &&
                                              (*it)[0].is_number() && (*it)[1].is_number()) {
                out[0] = (*it)[0].get<float>();
                out[1] = (*it)[1].get<float>();
            }
        };
        range("input_range", info.input_range);
        range("output_range", info.output_range);
        if (mf.format == "tfjs-layers") {
            std::string rel;
            int scale = options.scale;
            if (auto sc = mf.extra.find("scales"); sc != mf.extra.end() && sc->is_object()) {
                std::vector<int> have;
                for (auto it = sc->begin(); it != sc->end(); ++it)
                    have.push_back(std::atoi(it.key().c_str()));
                std::sort(have.begin(), have.end());
                if (scale == 0) scale = std::count(have.begin(), have.end(), 4) ? 4 : have.back();
                auto it = sc->find(std::to_string(scale));
                if (it == sc->end() || !it->is_string()) {
                    std::string list;
                    for (int h : have)
                        list += (list.empty() ? "" : ", ") + std::to_string(h);
                    return fail(Errc::invalid_argument, "model " + mf.ref() + " has no x" + std::to_string(scale) +
                                                            " variant; it has x" + list);
                }
                rel = it->get<std::string>();
            } else {
                for (const auto& f : mf.files)
                    if (fs::path(f.path).filename() == "model.json") rel = f.path;
                if (rel.empty()) return fail(Errc::corrupt_data, "model " + mf.ref() + " lists no model.json");
                scale = mf.extra.value("scale", 1);
                if (options.scale != 0 && options.scale != scale)
                    return fail(Errc::invalid_argument, "model " + mf.ref() + " only has x" + std::to_string(scale));
            }
            info.scale = scale;
            auto lm = read_layers_model(mf.file_path(rel));
            if (!lm) return lm.error().with_context("loading model " + mf.ref());
            return load_layers(std::move(lm).value(), info);
        }
        if (mf.format == "nsfwjs-layers") {
            fs::path model_js, shard_js;
            for (const auto& f : mf.files) {
                const auto name = fs::path(f.path).filename().string();
                if (name.rfind("model", 0) == 0)
                    model_js = mf.file_path(f.path);
                else if (name.rfind("group1-shard", 0) == 0)
                    shard_js = mf.file_path(f.path);
            }
            if (model_js.empty() || shard_js.empty())
                return fail(Errc::corrupt_data, "model " + mf.ref() + " lists no model.min.js / group1-shard module");
            auto lm = read_nsfwjs_model(model_js, shard_js);
            if (!lm) return lm.error().with_context("loading model " + mf.ref());
            info.scale = 1;
            if (auto is = mf.extra.find("input_size"); is != mf.extra.end() && is->is_array() && is->size() == 2) {
                info.fixed_width = (*is)[0].get<int>();
                info.fixed_height = (*is)[1].get<int>();
            }
            return load_layers(std::move(lm).value(), info);
        }
        if (mf.format == "safetensors" || mf.format == "torchscript") {
            std::string rel = mf.extra.value("weights", "");
            if (rel.empty()) rel = mf.files.front().path;
            if (mf.format == "safetensors") {
                auto m = load_safetensors(mf.file_path(rel));
                if (!m) return m.error().with_context("loading model " + mf.ref());
                return m;
            }
            auto c = mf.extra.find("contract");
            if (c == mf.extra.end() || !c->is_object())
                return fail(Errc::corrupt_data,
                            "TorchScript model " + mf.ref() +
                                " needs a \"contract\" in its manifest (scale, channels, input_range, output_range)");
            info.scale = c->value("scale", 1);
            info.in_channels = c->value("in_channels", 3);
            info.out_channels = c->value("out_channels", info.in_channels);
            if (auto r = c->find("input_range"); r != c->end() && r->is_array() && r->size() == 2) {
                info.input_range[0] = (*r)[0].get<float>();
                info.input_range[1] = (*r)[1].get<float>();
            }
            if (auto r = c->find("output_range"); r != c->end() && r->is_array() && r->size() == 2) {
                info.output_range[0] = (*r)[0].get<float>();
                info.output_range[1] = (*r)[1].get<float>();
            }
            auto m = load_torchscript(mf.file_path(rel), info);
            if (!m) return m.error().with_context("loading model " + mf.ref());
            return m;
        }
        return fail(Errc::unsupported, "model " + mf.ref() + " has format '" + mf.format +
                                           "'; supported: tfjs-layers, nsfwjs-layers, safetensors, torchscript");
    }

    Result<std::shared_ptr<Model>> load_layers(LayersModel lm, const ModelInfo& info0) override {
        ModelInfo info = info0;
        info.format = info.format.empty() ? "tfjs-layers" : info.format;
        info.architecture = "keras:" + lm.graph.name;
        // channels and fixed size from the InputLayer
        for (const auto& l : lm.graph.layers)
            if (l.class_name == "InputLayer" && !lm.graph.inputs.empty() && l.name == lm.graph.inputs[0]) {
                auto s = l.config.find("batch_input_shape");
                if (s == l.config.end()) s = l.config.find("batchInputShape");
                if (s != l.config.end() && s->is_array() && s->size() == 4) {
                    if ((*s)[3].is_number_integer()) info.in_channels = (*s)[3].get<int>();
                    if ((*s)[1].is_number_integer() && (*s)[2].is_number_integer()) {
                        info.fixed_height = (*s)[1].get<int>();
                        info.fixed_width = (*s)[2].get<int>();
                    }
                }
            }
        try {
            c10::InferenceMode guard;
            auto m = std::make_shared<KerasModel>(info, m_device, m_options.precision);
            m->build(lm);
            attach(*m);
            return std::static_pointer_cast<Model>(m);
        } catch (const ModelError& e) {
            return fail(e.code, "model " + info.id + ": " + e.message);
        } catch (const c10::Error& e) {
            return fail(Errc::corrupt_data, "model " + info.id + ": the graph does not fit its weights: " +
                                                std::string(e.what_without_backtrace()).substr(0, 300));
        } catch (const std::exception& e) {
            return fail(Errc::corrupt_data, "model " + info.id + ": " + e.what());
        }
    }

    Result<std::shared_ptr<Model>> load_safetensors(const fs::path& path) override {
        auto f = SafetensorsFile::open(path);
        if (!f) return f.error();
        ModelInfo info;
        info.id = path.filename().string();
        info.format = "safetensors";
        try {
            c10::InferenceMode guard;
            auto m = load_state_dict(**f, info, m_device, m_options.precision);
            if (m) attach(static_cast<TorchModel&>(**m));
            return m;
        } catch (const c10::Error& e) {
            return fail(Errc::corrupt_data,
                        "'" + path.string() + "': " + std::string(e.what_without_backtrace()).substr(0, 300));
        }
    }

    Result<std::shared_ptr<Model>> load_torchscript(const fs::path& path, const ModelInfo& info0) override {
        ModelInfo info = info0;
        if (info.id.empty()) info.id = path.filename().string();
        info.format = "torchscript";
        info.architecture = "torchscript";
        try {
            auto mod = torch::jit::load(path.string(), m_device);
            auto m = std::make_shared<ScriptModel>(info, m_device, m_options.precision, std::move(mod));
            attach(*m);
            // Check the contract on a small input.
            TensorF32 probe({1, 16, 16, info.in_channels});
            auto out = m->run(probe, RunOptions{}, nullptr);
            if (!out) return out.error().with_context("TorchScript model " + info.id + " fails its contract");
            const auto& o = (*out)[0];
            if (o.shape.size() != 4 || o.dim(1) != 16 * info.scale || o.dim(2) != 16 * info.scale ||
                o.dim(3) != info.out_channels)
                return fail(Errc::corrupt_data, "TorchScript model " + info.id + " returns " + o.shape_string() +
                                                    " for a 16x16 input, but its contract says scale " +
                                                    std::to_string(info.scale) + " and " +
                                                    std::to_string(info.out_channels) + " channels");
            return std::static_pointer_cast<Model>(m);
        } catch (const c10::Error& e) {
            return fail(Errc::corrupt_data, "cannot load TorchScript '" + path.string() +
                                                "': " + std::string(e.what_without_backtrace()).substr(0, 300));
        }
    }

private:
    void attach(TorchModel& m) {
        m.policy = [p = m_policy] { return p->effective(); };
        m.set_threads(m_device_info.kind == DeviceKind::cpu ? m_device_info.threads : 1);
    }

    DeviceInfo m_device_info;
    RuntimeOptions m_options;
    torch::Device m_device;
    std::shared_ptr<PolicyState> m_policy = std::make_shared<PolicyState>();
};

}  // namespace

namespace {

Result<void> compile_torchscript_impl(const std::string& source, const fs::path& path) {
    try {
        torch::jit::Module m("atelier_scripted");
        m.define(source);
        m.save(path.string());
        return ok();
    } catch (const c10::Error& e) {
        return fail(Errc::invalid_argument, "TorchScript: " + std::string(e.what_without_backtrace()).substr(0, 400));
    } catch (const std::exception& e) {
        return fail(Errc::invalid_argument, std::string("TorchScript: ") + e.what());
    }
}

/// The 1-minute load average from /proc/loadavg; -1 when unreadable.
double load_average() {
    std::FILE* f = std::fopen("/proc/loadavg", "r");
    if (!f) return -1;
    double v = -1;
    if (std::fscanf(f, "%lf", &v) != 1) v = -1;
    std::fclose(f);
    return v;
}

DeviceInfo probe_impl(std::string_view device) {
    DeviceInfo d;
    d.torch_version = TORCH_VERSION;
    d.cuda_in_build = torch::cuda::is_available() || at::hasCUDA();
    const auto cpu = sysinfo::cpu();
    const bool cuda_ok = torch::cuda::is_available() && torch::cuda::device_count() > 0;
    if (device != "cpu" && cuda_ok) {
        d.kind = DeviceKind::cuda;
        d.index = 0;
        d.name = "cuda:0";
        d.reason = "a CUDA device is available to LibTorch" + std::string(device == "cuda" ? " (asked for)" : "");
        d.bf16 = true;
        d.fp16 = true;
        const auto g = sysinfo::gpus();
        d.memory_budget = g.devices.empty() ? (8ull << 30) : g.devices[0].memory_bytes * 8 / 10;
        d.threads = 1;
        d.threads_reason = "one CPU thread feeds the GPU";
        return d;
    }
    d.kind = DeviceKind::cpu;
    d.name = "cpu";
    const int cores =
        static_cast<int>(std::max(1u, cpu.logical_cores ? cpu.logical_cores : std::thread::hardware_concurrency()));
    d.load_average = load_average();
    d.threads = adaptive_threads(cores, d.load_average);
    char why[160];
    if (d.load_average < 0)
        std::snprintf(why, sizeof why, "one per core (%d; load average unknown)", cores);
    else
        std::snprintf(why, sizeof why, "adaptive: %d core%s, load average %.2f leaves %d free", cores,
                      cores == 1 ? "" : "s", d.load_average, d.threads);
    d.threads_reason = why;
    if (device == "cpu")
        d.reason = "the CPU was asked for";
    else if (!at::hasCUDA())
        d.reason = "this build's LibTorch has no CUDA (Debian's LibTorch is CPU-only)";
    else
        d.reason = "LibTorch has CUDA but no usable GPU was found";
    d.bf16 = cpu_has(cpu, "avx512_bf16") || cpu_has(cpu, "amx_bf16") || cpu_has(cpu, "avx512f");
    d.fp16 = false;
    const std::uint64_t avail = cpu.available_bytes ? cpu.available_bytes : (4ull << 30);
    d.memory_budget = std::min<std::uint64_t>(avail / 2, 3ull << 30);
    return d;
}

Result<std::shared_ptr<Runtime>> create_impl(const RuntimeOptions& options) {
    if (options.device != "auto" && options.device != "cpu" && options.device != "cuda")
        return fail(Errc::invalid_argument, "device '" + options.device + "' is not one of auto, cpu, cuda");
    DeviceInfo d = probe_impl(options.device);
    if (options.device == "cuda" && d.kind != DeviceKind::cuda)
        return fail(Errc::unsupported, "--device cuda was asked for but " + d.reason + "; use --device cpu");
    if (options.threads > 0 && d.kind == DeviceKind::cpu) {
        d.threads = options.threads;
        d.threads_reason = "configured (ml.threads = " + std::to_string(options.threads) + ")";
    }
    if (options.memory_budget > 0) d.memory_budget = options.memory_budget;
    if (options.precision == Precision::fp16 && !d.fp16)
        return fail(Errc::unsupported, "fp16 needs a CUDA device; on the CPU use fp32 or bf16");
    if (options.precision == Precision::bf16 && !d.bf16)
        return fail(Errc::unsupported, "this CPU has no AVX-512 for bf16 inference; use fp32");
    if (d.kind == DeviceKind::cpu) at::set_num_threads(d.threads);
    static std::once_flag allocator_once;
    std::call_once(allocator_once, [] { c10::SetCPUAllocator(&CachingCpuAllocator::instance(), 1); });
    return std::shared_ptr<Runtime>(std::make_shared<TorchRuntime>(std::move(d), options));
}

}  // namespace

}  // namespace atelier::ml

extern "C" __attribute__((visibility("default"))) const atelier::ml::detail::RuntimeModuleV1* atelier_ml_runtime_v1() {
    static const atelier::ml::detail::RuntimeModuleV1 table{
        atelier::ml::detail::kRuntimeAbi,       TORCH_VERSION, &atelier::ml::create_impl, &atelier::ml::probe_impl,
        &atelier::ml::compile_torchscript_impl,
    };
    return &table;
}

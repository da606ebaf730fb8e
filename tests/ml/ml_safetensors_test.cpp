// SPDX-License-Identifier: MIT
// safetensors: header validation, and the ESRGAN family recognised from the
// state-dict keys. Small random-weight RRDBNet / SRVGGNetCompact networks are
// built here, saved as safetensors, loaded by the runtime and compared with
// a naive implementation of the same architecture (basicsr's definitions).

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "atelier/ml/runtime.h"
#include "atelier/ml/safetensors.h"
#include "ml_reference.h"

using namespace atelier;
using namespace atelier::ml;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<Runtime> runtime() {
    static auto rt = Runtime::create().value();
    return rt;
}

struct ScratchDir {
    fs::path dir = fs::temp_directory_path() / ("atelier-st-" + std::to_string(::getpid()));
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

fs::path scratch(const std::string& name) {
    static ScratchDir d;
    fs::create_directories(d.dir);
    return d.dir / name;
}

/// Writes a file: 8-byte length, header text, `data_bytes` zero bytes.
fs::path raw_file(const std::string& name, const std::string& header, std::size_t data_bytes) {
    const auto p = scratch(name);
    std::ofstream f(p, std::ios::binary);
    std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i)
        f.put(static_cast<char>((n >> (8 * i)) & 0xff));
    f << header;
    f << std::string(data_bytes, '\0');
    return p;
}

using StateDict = std::map<std::string, TensorF32>;

void conv(StateDict& sd, const std::string& name, int in, int out, std::uint32_t& seed, float scale = 0.3F) {
    sd[name + ".weight"] = ref::random({out, in, 3, 3}, seed++, -scale, scale);
    sd[name + ".bias"] = ref::random({out}, seed++, -0.05F, 0.05F);
}

TensorF32 rconv(const StateDict& sd, const TensorF32& x, const std::string& n) {
    return ref::conv3x3_nchw(x, sd.at(n + ".weight"), sd.at(n + ".bias"));
}

float lrelu02(float v) {
    return v > 0 ? v : 0.2F * v;
}

/// basicsr RRDBNet (scale 4 or, with pixel_unshuffle, 2).
StateDict make_rrdb(int feat, int grow, int blocks, int unshuffle, std::uint32_t seed) {
    StateDict sd;
    conv(sd, "conv_first", 3 * unshuffle * unshuffle, feat, seed);
    for (int b = 0; b < blocks; ++b)
        for (int r = 1; r <= 3; ++r)
            for (int c = 1; c <= 5; ++c) {
                const std::string n =
                    "body." + std::to_string(b) + ".rdb" + std::to_string(r) + ".conv" + std::to_string(c);
                conv(sd, n, feat + (c - 1) * grow, c == 5 ? feat : grow, seed);
            }
    conv(sd, "conv_body", feat, feat, seed);
    conv(sd, "conv_up1", feat, feat, seed);
    conv(sd, "conv_up2", feat, feat, seed);
    conv(sd, "conv_hr", feat, feat, seed);
    conv(sd, "conv_last", feat, 3, seed);
    return sd;
}

TensorF32 rrdb_forward(const StateDict& sd, int blocks, int unshuffle, const TensorF32& x_nchw) {
    TensorF32 x = unshuffle > 1 ? ref::pixel_unshuffle_nchw(x_nchw, unshuffle) : x_nchw;
    TensorF32 feat = rconv(sd, x, "conv_first");
    TensorF32 body = feat;
    for (int b = 0; b < blocks; ++b) {
        TensorF32 r = body;
        for (int k = 1; k <= 3; ++k) {
            const std::string p = "body." + std::to_string(b) + ".rdb" + std::to_string(k) + ".conv";
            auto x1 = ref::map(rconv(sd, r, p + "1"), lrelu02);
            auto x2 = ref::map(rconv(sd, ref::cat_c({&r, &x1}), p + "2"), lrelu02);
            auto x3 = ref::map(rconv(sd, ref::cat_c({&r, &x1, &x2}), p + "3"), lrelu02);
            auto x4 = ref::map(rconv(sd, ref::cat_c({&r, &x1, &x2, &x3}), p + "4"), lrelu02);
            auto x5 = rconv(sd, ref::cat_c({&r, &x1, &x2, &x3, &x4}), p + "5");
            r = ref::axpy(x5, 0.2F, r);
        }
        body = ref::axpy(r, 0.2F, body);
    }
    feat = ref::axpy(rconv(sd, body, "conv_body"), 1.0F, feat);
    feat = ref::map(rconv(sd, ref::up_nearest_nchw(feat, 2), "conv_up1"), lrelu02);
    feat = ref::map(rconv(sd, ref::up_nearest_nchw(feat, 2), "conv_up2"), lrelu02);
    return rconv(sd, ref::map(rconv(sd, feat, "conv_hr"), lrelu02), "conv_last");
}

/// basicsr SRVGGNetCompact with PReLU.
StateDict make_srvgg(int feat, int num_conv, int up, std::uint32_t seed) {
    StateDict sd;
    conv(sd, "body.0", 3, feat, seed);
    sd["body.1.weight"] = ref::random({feat}, seed++, 0.0F, 0.3F);
    for (int i = 0; i < num_conv; ++i) {
        conv(sd, "body." + std::to_string(2 + 2 * i), feat, feat, seed);
        sd["body." + std::to_string(3 + 2 * i) + ".weight"] = ref::random({feat}, seed++, 0.0F, 0.3F);
    }
    conv(sd, "body." + std::to_string(2 + 2 * num_conv), feat, 3 * up * up, seed);
    return sd;
}

TensorF32 srvgg_forward(const StateDict& sd, int num_conv, int up, const TensorF32& x) {
    TensorF32 out = x;
    for (int i = 0; i <= 2 * (num_conv + 1); i += 2) {
        out = rconv(sd, out, "body." + std::to_string(i));
        if (i == 2 * (num_conv + 1)) break;
        const auto& a = sd.at("body." + std::to_string(i + 1) + ".weight");
        const auto HW = out.dim(2) * out.dim(3);
        for (std::size_t k = 0; k < out.data.size(); ++k) {
            const float v = out.data[k];
            out.data[k] = v > 0 ? v : a.data[k / static_cast<std::size_t>(HW)] * v;
        }
    }
    out = ref::pixel_shuffle_nchw(out, up);
    return ref::axpy(ref::up_nearest_nchw(x, up), 1.0F, out);
}

TensorF32 run_nhwc(Model& m, const TensorF32& x_nchw) {
    auto r = m.run(ref::nchw_to_nhwc(x_nchw));
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r ? ref::nhwc_to_nchw((*r)[0]) : TensorF32{};
}

}  // namespace

TEST(Safetensors, HeaderValidation) {
    auto ok = raw_file("ok.safetensors",
                       R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}})", 8);
    auto f = SafetensorsFile::open(ok);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ((*f)->header().metadata.at("k"), "v");
    EXPECT_EQ((*f)->to_f32("a")->shape, (std::vector<std::int64_t>{2}));

    struct Bad {
        const char* header;
        std::size_t data;
        const char* says;
    } cases[] = {
        {R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8, "past the end"},
        {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
         16, "overlap"},
        {R"({"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", 8, "I64"},
        {R"({"a":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}})", 8, "shape needs"},
        {R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8, "negative"},
        {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8, "ends before"},
        {R"([1,2,3])", 0, "JSON object"},
    };
    int i = 0;
    for (const auto& c : cases) {
        auto p = raw_file("bad" + std::to_string(i++) + ".safetensors", c.header, c.data);
        auto r = SafetensorsFile::open(p);
        ASSERT_FALSE(r.ok()) << c.header;
        EXPECT_NE(r.error().message.find(c.says), std::string::npos) << r.error().message;
    }
    // header length running past the file
    std::vector<std::uint8_t> bytes{0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}'};
    auto h = parse_safetensors_header(bytes, bytes.size());
    ASSERT_FALSE(h.ok());
    EXPECT_NE(h.error().message.find("truncated"), std::string::npos);
}

TEST(Safetensors, RrdbNetIsRecognisedAndReproducedExactly) {
    for (int unshuffle : {1, 2}) {
        const int feat = 8, grow = 4, blocks = 2;
        auto sd = make_rrdb(feat, grow, blocks, unshuffle, 100 + static_cast<std::uint32_t>(unshuffle));
        const auto path = scratch("rrdb" + std::to_string(unshuffle) + ".safetensors");
        // Real-ESRGAN releases nest the weights under "params_ema"
        StateDict prefixed;
        for (auto& [k, v] : sd)
            prefixed["params_ema." + k] = v;
        ASSERT_TRUE(write_safetensors(path, prefixed).ok());
        auto m = runtime()->load_safetensors(path);
        ASSERT_TRUE(m.ok()) << m.error().message;
        const auto& info = (*m)->info();
        EXPECT_EQ(info.architecture, "RRDBNet");
        EXPECT_EQ(info.scale, unshuffle == 1 ? 4 : 2);
        EXPECT_NE(std::find(info.details.begin(), info.details.end(), "num_block=2"), info.details.end());
        const auto x = ref::random({1, 3, 8, 6}, 7, 0.0F, 1.0F);
        const auto want = rrdb_forward(sd, blocks, unshuffle, x);
        const auto got = run_nhwc(**m, x);
        ASSERT_EQ(got.shape, want.shape);
        EXPECT_LT(ref::max_abs_diff(got, want), 1e-4);
    }
}

TEST(Safetensors, OldEsrganKeyNamesAreUnderstood) {
    auto sd = make_rrdb(8, 4, 1, 1, 300);
    StateDict old;
    for (auto& [k, v] : sd) {
        std::string n = k;
        auto swap = [&](const std::string& a, const std::string& b) {
            if (n.rfind(a, 0) == 0) n = b + n.substr(a.size());
        };
        swap("conv_first", "model.0");
        swap("conv_body", "model.1.sub.1");
        swap("conv_up1", "model.3");
        swap("conv_up2", "model.6");
        swap("conv_hr", "model.8");
        swap("conv_last", "model.10");
        if (n.rfind("body.", 0) == 0) {  // body.0.rdb1.conv1.weight -> model.1.sub.0.RDB1.conv1.0.weight
            const auto rdb = n.find(".rdb");
            const auto conv_pos = n.find(".conv");
            const auto dot = n.rfind('.');
            n = "model.1.sub." + n.substr(5, rdb - 5) + ".RDB" + n.substr(rdb + 4, 1) + ".conv" +
                n.substr(conv_pos + 5, 1) + ".0" + n.substr(dot);
        }
        old[n] = v;
    }
    const auto path = scratch("old.safetensors");
    ASSERT_TRUE(write_safetensors(path, old).ok());
    auto m = runtime()->load_safetensors(path);
    ASSERT_TRUE(m.ok()) << m.error().message;
    const auto x = ref::random({1, 3, 6, 6}, 8, 0.0F, 1.0F);
    EXPECT_LT(ref::max_abs_diff(run_nhwc(**m, x), rrdb_forward(sd, 1, 1, x)), 1e-4);
}

TEST(Safetensors, SrvggNetCompactIsRecognisedAndReproducedExactly) {
    const int feat = 8, num_conv = 3, up = 4;
    auto sd = make_srvgg(feat, num_conv, up, 500);
    const auto path = scratch("srvgg.safetensors");
    ASSERT_TRUE(write_safetensors(path, sd).ok());
    auto m = runtime()->load_safetensors(path);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ((*m)->info().architecture, "SRVGGNetCompact");
    EXPECT_EQ((*m)->info().scale, 4);
    const auto x = ref::random({1, 3, 7, 9}, 9, 0.0F, 1.0F);
    const auto want = srvgg_forward(sd, num_conv, up, x);
    EXPECT_LT(ref::max_abs_diff(run_nhwc(**m, x), want), 1e-4);
}

TEST(Safetensors, UnknownArchitectureAndMissingKeysAreRefused) {
    StateDict sd{{"encoder.weight", ref::random({4, 3, 3, 3}, 1)}};
    const auto p = scratch("unknown.safetensors");
    ASSERT_TRUE(write_safetensors(p, sd).ok());
    auto m = runtime()->load_safetensors(p);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, Errc::unsupported);
    auto rr = make_rrdb(8, 4, 1, 1, 3);
    rr.erase("conv_hr.weight");
    const auto q = scratch("broken-rrdb.safetensors");
    ASSERT_TRUE(write_safetensors(q, rr).ok());
    auto b = runtime()->load_safetensors(q);
    ASSERT_FALSE(b.ok());
    EXPECT_NE(b.error().message.find("conv_hr.weight"), std::string::npos) << b.error().message;
}

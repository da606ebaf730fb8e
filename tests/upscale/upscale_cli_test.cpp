// SPDX-License-Identifier: MIT
// `atelier upscale` run as a user would: single file, folder batch, seamless,
// --compare, bad input, Ctrl-C, and `atelier info`'s inference device.

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "atelier/base/paths.h"
#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"
#include "atelier/test/process.h"

using namespace atelier;
namespace fs = std::filesystem;

namespace {

using CliRun = atelier::test::ProcessResult;

class UpscaleCli : public ::testing::Test {
protected:
    void SetUp() override {
        home = fs::temp_directory_path() /
               ("atelier-upcli-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(home);
        fs::create_directories(home / "in");
        for (const auto& d : paths::model_dirs())
            if (fs::exists(d / "esrgan-slim")) models = d;
    }
    void TearDown() override { fs::remove_all(home); }

    std::string env() const {
        return "env -u XDG_CONFIG_HOME -u XDG_DATA_HOME HOME='" + home.string() + "' ATELIER_MODELS_DIR='" +
               models.string() + "' ";
    }
    CliRun run(const std::string& args) const {
        return atelier::test::run_shell(std::string(ATELIER_CLI) + " " + args,
                                        atelier::test::isolated_home(home, models));
    }
    std::string in(const std::string& name, int size) const {
        const auto p = home / "in" / name;
        EXPECT_TRUE(imageio::save(procedural::noise_texture(size, size, 3).value(), p).ok());
        return p.string();
    }

    fs::path home, models;
};

}  // namespace

TEST_F(UpscaleCli, SingleFileBatchAndSeamless) {
    const auto a = in("a.png", 24);
    in("b.tif", 16);
    auto r = run("--json upscale " + a + " " + (home / "a4.png").string() + " --model esrgan-slim --scale 2");
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["width"], 48);
    EXPECT_EQ(j["model"], "esrgan-slim@1.0.0");
    EXPECT_EQ(imageio::probe(home / "a4.png")->width, 48);

    auto b = run("--json upscale " + (home / "in").string() + " " + (home / "out").string() +
                 " --model esrgan-slim@1.0.0 --scale 2");
    ASSERT_EQ(b.code, 0) << b.err;
    auto bj = nlohmann::json::parse(b.out);
    EXPECT_EQ(bj["results"].size(), 2U);
    EXPECT_EQ(imageio::probe(home / "out/b.tif")->width, 32);

    auto s = run("--json upscale " + a + " " + (home / "s.png").string() +
                 " --model esrgan-slim --scale 2 --seamless --tile 16");
    ASSERT_EQ(s.code, 0) << s.err;
    auto sj = nlohmann::json::parse(s.out);
    EXPECT_TRUE(sj.contains("seam_error"));
    EXPECT_LT(sj["seam_error"].get<double>(), 0.01);
    EXPECT_EQ(sj["tiles"], 4);
}

TEST_F(UpscaleCli, AutoPrecisionFollowsTheBatchQueueAndReturnsWhenItDrains) {
    // Seven files on the command's job queue: file k starts with 8-k jobs
    // waiting. high 3 / low 1: files 1-4 (7..4 waiting) drop to bf16, 5-6
    // (3, 2) keep it (hysteresis), the last (1 left) is back in fp32.
    for (int k = 0; k < 7; ++k)
        in("f" + std::to_string(k) + ".png", 12);
    auto r =
        run("--json --log-level info --set ml.auto_queue_high=3 --set ml.auto_queue_low=1 upscale " +
            (home / "in").string() + " " + (home / "out").string() + " --model esrgan-slim --scale 2 --precision auto");
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["results"].size(), 7U);
    auto info = nlohmann::json::parse(run("--json info").out);
    const std::string cheap = info["inference"]["bf16"].get<bool>() ? "bf16" : "fp32";
    for (std::size_t k = 0; k < 7; ++k) {
        const auto& f = j["results"][k];
        EXPECT_EQ(f["queue_depth"].get<std::size_t>(), 7 - k) << f.dump();
        EXPECT_EQ(f["precision"], k < 6 ? cheap : "fp32") << f.dump();
        EXPECT_TRUE(fs::exists(f["output"].get<std::string>()));
    }
    // The switches are logged (at info level).
    if (cheap == "bf16") {
        EXPECT_NE(r.err.find("-> bf16"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("-> fp32"), std::string::npos) << r.err;
    }
    // A fixed precision is what every job uses.
    auto f = run("--json upscale " + (home / "in").string() + " " + (home / "out32").string() +
                 " --model esrgan-slim --scale 2 --precision fp32");
    ASSERT_EQ(f.code, 0) << f.err;
    for (const auto& res : nlohmann::json::parse(f.out)["results"])
        EXPECT_EQ(res["precision"], "fp32");
    // The text report says which precision each file got and the queue it saw.
    auto t = run("--set ml.auto_queue_high=3 upscale " + (home / "in").string() + " " + (home / "outt").string() +
                 " --model esrgan-slim --scale 2 --precision auto");
    ASSERT_EQ(t.code, 0) << t.err;
    EXPECT_NE(t.out.find(cheap + " auto, 7 in queue"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("fp32 auto, 1 in queue"), std::string::npos) << t.out;
}

TEST_F(UpscaleCli, CompareWritesBothAndASideBySide) {
    const auto a = in("t.png", 20);
    auto r =
        run("--json upscale --compare esrgan-slim,esrgan-medium " + a + " " + (home / "cmp").string() + " --scale 2");
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["metrics"].size(), 2U);
    EXPECT_GT(j["metrics"][0]["psnr_db"].get<double>(), 20.0);
    EXPECT_TRUE(fs::exists(home / "cmp/t.esrgan-slim.png"));
    EXPECT_TRUE(fs::exists(home / "cmp/t.esrgan-medium.png"));
    EXPECT_EQ(imageio::probe(home / "cmp/t.side-by-side.png")->width, 40 + 8 + 40);
}

TEST_F(UpscaleCli, BadInputGivesOneLineReasonsAndWritesNothing) {
    const auto a = in("a.png", 16);
    struct Case {
        std::string args, says;
    } cases[] = {
        {"upscale " + a + " OUT --model esrgan-slim --scale 5", "no x5 variant"},
        {"upscale " + a + " OUT --model nope", "not installed"},
        {"upscale " + a + " OUT --model nsfwjs-mobilenetv2", "not an upscaler"},
        {"--set image.max_pixels=1000 upscale " + a + " OUT --model esrgan-slim", "over the limit"},
    };
    for (const auto& c : cases) {
        std::string args = c.args;
        args.replace(args.find("OUT"), 3, (home / "o.png").string());
        auto r = run(args);
        EXPECT_NE(r.code, 0) << args;
        EXPECT_NE(r.err.find(c.says), std::string::npos) << args << ": " << r.err;
        EXPECT_FALSE(fs::exists(home / "o.png")) << args;
    }
    for (const auto& e : fs::directory_iterator(home))
        EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST_F(UpscaleCli, CtrlCCancelsCleanly) {
    const auto a = in("big.png", 160);
    const auto out = home / "big4.png";
    const std::string cmd = env() + ATELIER_CLI + " upscale " + a + " " + out.string() +
                            " --model esrgan-medium --tile 16 2>'" + (home / "err.txt").string() + "' & echo $!";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    int pid = 0;
    ASSERT_EQ(fscanf(p, "%d", &pid), 1);
    pclose(p);
    // Wait until tiles are being processed (the handler is installed by then).
    for (int i = 0; i < 600; ++i) {
        std::ifstream e(home / "err.txt");
        std::string text((std::istreambuf_iterator<char>(e)), {});
        if (text.find("upscale:") != std::string::npos) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid, SIGINT);
    for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_NE(::kill(pid, 0), 0) << "still running after Ctrl-C";
    std::ifstream e(home / "err.txt");
    std::string err((std::istreambuf_iterator<char>(e)), {});
    EXPECT_NE(err.find("cancelled"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(out));
}

TEST_F(UpscaleCli, InfoShowsTheRuntimesDeviceChoice) {
    auto r = run("--json info");
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    ASSERT_TRUE(j.contains("inference"));
    EXPECT_EQ(j["inference"]["device"], j["device"]);
    EXPECT_FALSE(j["inference"]["reason"].get<std::string>().empty());
    EXPECT_GE(j["inference"]["threads"].get<int>(), 1);
    EXPECT_NE(j["inference"]["threads_reason"].get<std::string>().find("load average"), std::string::npos);
    auto pinned = nlohmann::json::parse(run("--json --set ml.threads=1 info").out);
    EXPECT_EQ(pinned["inference"]["threads"], 1);
    EXPECT_NE(pinned["inference"]["threads_reason"].get<std::string>().find("configured"), std::string::npos);
    bool slim = false;
    for (const auto& m : j["models"])
        if (m["id"] == "esrgan-slim") slim = m["scales"].size() == 4;
    EXPECT_TRUE(slim);
}

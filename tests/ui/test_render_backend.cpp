// SPDX-License-Identifier: MIT
// The scene graph backend decision (render_backend.h): software exactly when
// OpenGL would run on the CPU, and never against the user's own setting.
#include <gtest/gtest.h>

#include "render_backend.h"

using atelier::ui::choose_render_backend;
using atelier::ui::RenderProbe;

namespace {
RenderProbe gpu_desktop(const char* platform) {
    RenderProbe p;
    p.platform = QString::fromLatin1(platform);
    p.server_direct_rendering = true;
    p.gpu_device_nodes = true;
    return p;
}
}  // namespace

TEST(RenderBackend, HardwareDesktopKeepsTheGpu) {
    EXPECT_FALSE(choose_render_backend(gpu_desktop("xcb")).software);
    EXPECT_FALSE(choose_render_backend(gpu_desktop("wayland")).software);
    EXPECT_FALSE(choose_render_backend(gpu_desktop("wayland-egl")).software);
}

TEST(RenderBackend, XServerWithoutDirectRenderingDrawsInSoftware) {
    auto p = gpu_desktop("xcb");
    p.server_direct_rendering = false;  // Xvfb, ssh -X: GLX would be llvmpipe or indirect
    const auto c = choose_render_backend(p);
    EXPECT_TRUE(c.software);
    EXPECT_TRUE(c.reason.contains("DRI3")) << c.reason.toStdString();
}

TEST(RenderBackend, NoGraphicsDeviceDrawsInSoftware) {
    auto p = gpu_desktop("wayland");
    p.gpu_device_nodes = false;
    EXPECT_TRUE(choose_render_backend(p).software);
    auto x = gpu_desktop("xcb");
    x.gpu_device_nodes = false;
    EXPECT_TRUE(choose_render_backend(x).software);
}

TEST(RenderBackend, ForcedSoftwareOpenGlDrawsInSoftware) {
    auto p = gpu_desktop("xcb");
    p.forced_software_gl = true;
    EXPECT_TRUE(choose_render_backend(p).software);
}

TEST(RenderBackend, TheUsersSettingWins) {
    RenderProbe p;
    p.platform = "xcb";
    p.user_override = true;  // e.g. QT_QUICK_BACKEND=rhi on a machine without DRI
    const auto c = choose_render_backend(p);
    EXPECT_FALSE(c.software);
    EXPECT_TRUE(c.reason.contains("QT_QUICK_BACKEND"));
}

TEST(RenderBackend, OtherPlatformsKeepQtsDefault) {
    RenderProbe p;
    p.platform = "offscreen";  // the tests, screenshots of components
    EXPECT_FALSE(choose_render_backend(p).software);
    p.platform = "eglfs";
    EXPECT_FALSE(choose_render_backend(p).software);
}

TEST(RenderBackend, TheSettingsChoiceWinsOverTheProbe) {
    auto p = gpu_desktop("xcb");
    p.preference = "software";
    EXPECT_TRUE(choose_render_backend(p).software);
    RenderProbe xvfb;
    xvfb.platform = "xcb";  // no direct rendering, no devices
    xvfb.preference = "gpu";
    EXPECT_FALSE(choose_render_backend(xvfb).software);
    xvfb.preference = "auto";
    EXPECT_TRUE(choose_render_backend(xvfb).software);
    xvfb.user_override = true;  // the environment wins over Settings
    xvfb.preference = "software";
    EXPECT_FALSE(choose_render_backend(xvfb).software);
}

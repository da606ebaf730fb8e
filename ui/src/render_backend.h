// SPDX-License-Identifier: MIT
#pragma once

/// \file render_backend.h
/// Which Qt Quick scene graph backend the app draws with. On a machine
/// without a hardware OpenGL/Vulkan driver (an X server with no direct
/// rendering, e.g. Xvfb, X forwarding, a VM; or LIBGL_ALWAYS_SOFTWARE) the
/// default backend runs on Mesa's llvmpipe: every frame rasterises the whole
/// window on the CPU and copies it to the X server. Qt Quick's software
/// adaptation (QPainter) repaints only the damaged region instead and does
/// not load Mesa/LLVM at start-up, so there it is both faster per frame and
/// faster to the first frame (figures in docs/PERFORMANCE.md, "Desktop app").
///
/// A user's own `QT_QUICK_BACKEND` or `QSG_RHI_BACKEND` always wins, then the
/// Settings choice (StudioState::drawing: "gpu" or "software"); "auto" (the
/// default) decides only for the xcb and wayland platforms.
///
/// Thread safety: `apply_render_backend` must run on the GUI thread after the
/// QGuiApplication exists and before the first QQuickWindow is created.

#include <QString>

namespace atelier::ui {

/// What the probe found (plain data so the decision can be tested).
struct RenderProbe {
    QString platform;                             ///< QGuiApplication::platformName()
    bool user_override = false;                   ///< QT_QUICK_BACKEND or QSG_RHI_BACKEND set
    QString preference = QStringLiteral("auto");  ///< StudioState::drawing: auto, gpu or software
    bool forced_software_gl = false;              ///< LIBGL_ALWAYS_SOFTWARE / GALLIUM_DRIVER=llvmpipe|softpipe
    bool server_direct_rendering = false;         ///< xcb: the X server offers DRI3, DRI2 or NV-GLX (NVIDIA's driver)
    bool gpu_device_nodes = false;                ///< /dev/dri/renderD* or card* exist
};

struct RenderChoice {
    bool software = false;  ///< use the Qt Quick software adaptation
    QString reason;         ///< one line for logs and the Settings screen
};

/// The decision, from a probe (pure).
RenderChoice choose_render_backend(const RenderProbe& probe);

/// Probes this process's environment and display connection (cheap: one X
/// round trip, no OpenGL loaded).
RenderProbe probe_render_backend();

/// Probes, decides and applies (QQuickWindow::setGraphicsApi). Returns the
/// choice; `active_render_backend()` returns it later.
RenderChoice apply_render_backend();
RenderChoice active_render_backend();

}  // namespace atelier::ui

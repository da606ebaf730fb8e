// SPDX-License-Identifier: MIT
#include "render_backend.h"

#include "studio_state.h"

#include <QDir>
#include <QGuiApplication>
#include <QQuickWindow>
#include <QSGRendererInterface>
#include <cstdlib>
#include <cstring>
#include <memory>

#if ATELIER_HAVE_XCB && QT_CONFIG(xcb)
#include <QtGui/qguiapplication_platform.h>
#include <xcb/xcb.h>
#define ATELIER_PROBE_XCB 1
#endif

namespace atelier::ui {

namespace {

RenderChoice g_active{false, QStringLiteral("Qt's default (not chosen by the app)")};

bool env_set(const char* name) {
    const char* v = std::getenv(name);
    return v && *v;
}

#ifdef ATELIER_PROBE_XCB
bool has_extension(xcb_connection_t* c, const char* name) {
    const auto cookie = xcb_query_extension(c, static_cast<std::uint16_t>(std::strlen(name)), name);
    std::unique_ptr<xcb_query_extension_reply_t, decltype(&std::free)> reply(
        xcb_query_extension_reply(c, cookie, nullptr), &std::free);
    return reply && reply->present;
}
#endif

}  // namespace

RenderChoice choose_render_backend(const RenderProbe& p) {
    if (p.user_override) return {false, QStringLiteral("as set by QT_QUICK_BACKEND / QSG_RHI_BACKEND")};
    if (p.preference == QLatin1String("gpu")) return {false, QStringLiteral("GPU, as chosen in Settings")};
    if (p.preference == QLatin1String("software")) return {true, QStringLiteral("software, as chosen in Settings")};
    const bool xcb = p.platform == QLatin1String("xcb");
    const bool wayland = p.platform.startsWith(QLatin1String("wayland"));
    if (!xcb && !wayland) return {false, QStringLiteral("Qt's default for the %1 platform").arg(p.platform)};
    if (p.forced_software_gl)
        return {true, QStringLiteral("software: OpenGL is forced to a software rasteriser (LIBGL_ALWAYS_SOFTWARE / "
                                     "GALLIUM_DRIVER)")};
    if (xcb && !p.server_direct_rendering)
        return {true, QStringLiteral("software: no GPU driver for this display (the X server has no DRI3, DRI2 or "
                                     "NV-GLX)")};
    if (!p.gpu_device_nodes) return {true, QStringLiteral("software: no graphics device (/dev/dri)")};
    return {false, QStringLiteral("GPU (hardware OpenGL)")};
}

RenderProbe probe_render_backend() {
    RenderProbe p;
    p.platform = QGuiApplication::platformName();
    p.user_override = env_set("QT_QUICK_BACKEND") || env_set("QSG_RHI_BACKEND");
    const QByteArray gallium = qgetenv("GALLIUM_DRIVER");
    p.forced_software_gl = (env_set("LIBGL_ALWAYS_SOFTWARE") && qgetenv("LIBGL_ALWAYS_SOFTWARE") != "0") ||
                           gallium == "llvmpipe" || gallium == "softpipe";
    const QDir dri(QStringLiteral("/dev/dri"));
    p.gpu_device_nodes =
        dri.exists() && !dri.entryList({QStringLiteral("renderD*"), QStringLiteral("card*")}, QDir::System).isEmpty();
#ifdef ATELIER_PROBE_XCB
    if (p.platform == QLatin1String("xcb")) {
        if (auto* x11 = qGuiApp->nativeInterface<QNativeInterface::QX11Application>()) {
            if (auto* c = x11->connection())
                p.server_direct_rendering =
                    has_extension(c, "DRI3") || has_extension(c, "DRI2") || has_extension(c, "NV-GLX");
        }
    }
#else
    p.server_direct_rendering = true;  // cannot tell: leave it to the device nodes
#endif
    return p;
}

RenderChoice apply_render_backend() {
    auto probe = probe_render_backend();
    probe.preference = StudioState::instance()->drawing();
    g_active = choose_render_backend(probe);
    if (g_active.software) QQuickWindow::setGraphicsApi(QSGRendererInterface::Software);
    return g_active;
}

RenderChoice active_render_backend() {
    return g_active;
}

}  // namespace atelier::ui

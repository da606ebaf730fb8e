// SPDX-License-Identifier: MIT
#pragma once

/// \file image_provider.h
/// `image://atelier/<kind>/<key>`: thumbnails and previews made off the GUI
/// thread. Each request runs on the provider's own thread pool (two threads,
/// so decoding never starves the job queue or the render thread) and is
/// cancelled when QML no longer needs it (a delegate scrolled away).
///   - `file/<percent-encoded path>`: decodes the file through
///     `atelier::imageio` (every format the CLI reads) and scales it.
///   - `<kind>/<key>` for other kinds: a resolver registered with
///     `setResolver(kind, fn)` (the library registers `thumb` and `asset`).
/// Errors produce an error response with the reason; QML shows a placeholder.
///
/// Thread safety: resolvers are called on pool threads and must be
/// thread-safe; `setResolver` may be called at any time.

#include <QImage>
#include <QQuickAsyncImageProvider>
#include <QThreadPool>
#include <functional>

#include "atelier/base/cancel.h"
#include "atelier/base/result.h"

namespace atelier::ui {

class AssetImageProvider : public QQuickAsyncImageProvider {
public:
    /// Produces an image for a key at (at most) `size`; invalid size = full.
    using Resolver = std::function<Result<QImage>(const QString& key, QSize size, const CancelToken& cancel)>;

    AssetImageProvider();
    ~AssetImageProvider() override;

    QQuickImageResponse* requestImageResponse(const QString& id, const QSize& requestedSize) override;

    static void setResolver(const QString& kind, Resolver resolver);

    /// Decodes a file and scales it to fit `size` (keeping the aspect ratio).
    static Result<QImage> loadFile(const QString& path, QSize size, const CancelToken& cancel = {});

private:
    QThreadPool m_pool;
};

}  // namespace atelier::ui

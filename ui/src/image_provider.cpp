// SPDX-License-Identifier: MIT
#include "image_provider.h"

#include <QHash>
#include <QMutex>
#include <QRunnable>
#include <QUrl>

#include "atelier/image/image.h"
#include "atelier/imageio/imageio.h"

namespace atelier::ui {

namespace {

QMutex g_resolverMutex;
QHash<QString, AssetImageProvider::Resolver>& resolvers() {
    static QHash<QString, AssetImageProvider::Resolver> r;
    return r;
}

class Response : public QQuickImageResponse, public QRunnable {
public:
    Response(QString id, QSize size) : m_id(std::move(id)), m_size(size) { setAutoDelete(false); }

    QQuickTextureFactory* textureFactory() const override {
        return QQuickTextureFactory::textureFactoryForImage(m_image);
    }
    QString errorString() const override { return m_error; }
    void cancel() override { m_cancel.cancel(); }

    void run() override {
        if (!m_cancel.cancelled()) {
            const auto slash = m_id.indexOf('/');
            const QString kind = slash < 0 ? m_id : m_id.left(slash);
            const QString key = slash < 0 ? QString() : m_id.mid(slash + 1);
            Result<QImage> img = fail(Errc::not_found, "no image source '" + kind.toStdString() + "'");
            if (kind == QLatin1String("file")) {
                img = AssetImageProvider::loadFile(QUrl::fromPercentEncoding(key.toUtf8()), m_size, m_cancel.token());
            } else {
                AssetImageProvider::Resolver fn;
                {
                    QMutexLocker lock(&g_resolverMutex);
                    fn = resolvers().value(kind);
                }
                if (fn) img = fn(key, m_size, m_cancel.token());
            }
            if (img)
                m_image = std::move(*img);
            else
                m_error = QString::fromStdString(img.error().message);
        }
        Q_EMIT finished();
    }

private:
    QString m_id;
    QSize m_size;
    QImage m_image;
    QString m_error;
    CancelSource m_cancel;
};

}  // namespace

AssetImageProvider::AssetImageProvider() {
    m_pool.setMaxThreadCount(2);
}

AssetImageProvider::~AssetImageProvider() {
    m_pool.waitForDone();
}

QQuickImageResponse* AssetImageProvider::requestImageResponse(const QString& id, const QSize& requestedSize) {
    auto* r = new Response(id, requestedSize);
    m_pool.start(r);
    return r;
}

void AssetImageProvider::setResolver(const QString& kind, Resolver resolver) {
    QMutexLocker lock(&g_resolverMutex);
    resolvers().insert(kind, std::move(resolver));
}

Result<QImage> AssetImageProvider::loadFile(const QString& path, QSize size, const CancelToken& cancel) {
    // Qt's own readers are fastest for the common formats; the rest go
    // through OpenImageIO like everywhere else in Atelier.
    QImage q;
    const auto lower = path.toLower();
    if (lower.endsWith(".png") || lower.endsWith(".jpg") || lower.endsWith(".jpeg")) q.load(path);
    if (q.isNull()) {
        if (cancel.cancelled()) return fail(Errc::cancelled, "cancelled");
        auto img = imageio::load(path.toStdString());
        if (!img) return img.error();
        atelier::Image src = std::move(*img);
        if (src.type() != PixelType::u8) {
            auto c = src.converted(PixelType::u8);
            if (!c) return c.error();
            src = std::move(*c);
        }
        if (src.channels() == 2) {
            auto c = src.with_channels(4);
            if (!c) return c.error();
            src = std::move(*c);
        }
        const QImage::Format fmt = src.channels() == 1   ? QImage::Format_Grayscale8
                                   : src.channels() == 3 ? QImage::Format_RGB888
                                                         : QImage::Format_RGBA8888;
        q = QImage(src.data(), src.width(), src.height(), static_cast<qsizetype>(src.row_bytes()), fmt).copy();
    }
    if (q.isNull()) return fail(Errc::corrupt_data, "cannot decode '" + path.toStdString() + "'");
    if (cancel.cancelled()) return fail(Errc::cancelled, "cancelled");
    if (size.isValid() && size.width() > 0 && size.height() > 0 &&
        (q.width() > size.width() || q.height() > size.height()))
        q = q.scaled(size, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    return q;
}

}  // namespace atelier::ui

#include "posterloader.h"

#include <QBuffer>
#include <QImageReader>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QtConcurrent>

#include <memory>

namespace {

struct Decoded {
    QImage image;
    QString error;
};

Decoded decodePoster(QByteArray bytes, int maxSide)
{
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::ReadOnly);
    QImageReader reader(&buffer);
    const QSize size = reader.size();
    if (size.isValid() && std::max(size.width(), size.height()) > maxSide)
        reader.setScaledSize(size.scaled(maxSide, maxSide, Qt::KeepAspectRatio));  // JPEG decodes at that size
    Decoded out;
    out.image = reader.read();
    if (out.image.isNull())
        out.error = QObject::tr("The poster is not an image this app can read (%1).").arg(reader.errorString());
    return out;
}

} // namespace

PosterLoader::PosterLoader(QObject *parent) : QObject(parent), m_nam(new QNetworkAccessManager(this)), m_cache(kCachePixels)
{
    m_pool.setMaxThreadCount(1);
}

PosterLoader::~PosterLoader()
{
    m_pool.clear();
    m_pool.waitForDone();
}

void PosterLoader::request(const QString &id, const QUrl &url, int maxSide)
{
    const QString key = url.toString() + QLatin1Char('#') + QString::number(maxSide);
    if (const QImage *cached = m_cache.object(key)) {
        const QImage poster = *cached;
        QMetaObject::invokeMethod(this, [this, id, url, poster] { emit ready(id, url, poster); }, Qt::QueuedConnection);
        return;
    }
    ++m_downloads;
    QNetworkReply *reply = m_nam->get(QNetworkRequest(url));
    auto body = std::make_shared<QByteArray>();
    connect(reply, &QNetworkReply::readyRead, this, [reply, body] {
        if (body->size() + reply->bytesAvailable() > kMaxPosterBytes) {
            reply->setProperty("tooLarge", true);
            reply->abort();
            return;
        }
        body->append(reply->readAll());
    });
    connect(reply, &QNetworkReply::finished, this, [this, reply, body, id, url, key, maxSide] {
        reply->deleteLater();
        if (reply->property("tooLarge").toBool()) {
            emit failed(id, url, tr("The poster at %1 is larger than %2 MiB.").arg(url.toString()).arg(kMaxPosterBytes >> 20));
            return;
        }
        if (reply->error() != QNetworkReply::NoError) {
            emit failed(id, url, tr("The poster could not be fetched from %1: %2").arg(url.toString(), reply->errorString()));
            return;
        }
        body->append(reply->readAll());
        QPointer<PosterLoader> self(this);
        QtConcurrent::run(&m_pool, decodePoster, *body, maxSide).then(this, [self, id, url, key](const Decoded &decoded) {
            if (!self)
                return;
            if (decoded.image.isNull()) {
                emit self->failed(id, url, decoded.error);
                return;
            }
            self->m_cache.insert(key, new QImage(decoded.image), std::max(1, int(decoded.image.width() * decoded.image.height())));
            emit self->ready(id, url, decoded.image);
        });
    });
}

#include "thumbnailloader.h"

#include "image/thumbnailer.h"

#include <QFuture>
#include <QImageReader>
#include <QPointer>
#include <QtConcurrent>

ThumbnailLoader::ThumbnailLoader(QObject *parent) : QObject(parent)
{
    m_pool.setMaxThreadCount(2);
}

ThumbnailLoader::~ThumbnailLoader()
{
    m_pool.clear();
    m_pool.waitForDone();
}

ThumbnailLoader::Loaded ThumbnailLoader::load(const QString &path, int maxSide)
{
    Loaded out;
    // The header gives the size and format without decoding pixels.
    QImageReader reader(path);
    reader.setAutoTransform(true);
    out.original = reader.size();
    out.format = QString::fromLatin1(reader.format());
    if (out.original.isValid() && (reader.transformation() & QImageIOHandler::TransformationRotate90))
        out.original.transpose();  // EXIF-rotated, as shown
    // core/image decodes at reduced size with bounded memory and refuses truncated files.
    auto thumb = deso::image::makeThumbnail(path, QSize(maxSide, maxSide));
    if (!thumb) {
        out.error = thumb.error().message;
        return out;
    }
    out.image = thumb.value();
    if (!out.original.isValid())
        out.original = out.image.size();
    return out;
}

void ThumbnailLoader::request(const QString &id, const QString &path, int maxSide, int tag)
{
    QPointer<ThumbnailLoader> self(this);
    QtConcurrent::run(&m_pool, [path, maxSide] { return load(path, maxSide); })
        .then(this, [self, id, tag](const Loaded &loaded) {
            if (!self)
                return;
            if (loaded.image.isNull())
                emit self->failed(id, tag, loaded.error);
            else
                emit self->ready(id, tag, loaded.image, loaded.original, loaded.format);
        });
}

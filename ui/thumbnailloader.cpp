#include "thumbnailloader.h"

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
    QImageReader reader(path);
    reader.setAutoTransform(true);
    out.original = reader.size();
    out.format = QString::fromLatin1(reader.format());
    if (!out.original.isValid()) {
        out.error = reader.errorString();
        return out;
    }
    // Honour EXIF orientation in the reported size, as the decoded image will be rotated.
    QSize shown = out.original;
    if (reader.transformation() & QImageIOHandler::TransformationRotate90)
        shown.transpose();
    if (shown.width() > maxSide || shown.height() > maxSide) {
        QSize scaled = out.original.scaled(maxSide, maxSide, Qt::KeepAspectRatio);
        reader.setScaledSize(scaled.expandedTo(QSize(1, 1)));
    }
    out.original = shown;
    // JPEG decodes at the reduced size; other formats decode at full size first and
    // stay under QImageReader's default 128 MB allocation cap (bigger ones get no preview).
    if (!reader.read(&out.image)) {
        out.error = reader.errorString();
        return out;
    }
    if (out.image.width() > maxSide || out.image.height() > maxSide)
        out.image = out.image.scaled(maxSide, maxSide, Qt::KeepAspectRatio, Qt::SmoothTransformation);
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

#include "upload/uploadfile.h"

#include "image/acceptablefile.h"

#include <QFileInfo>
#include <QLocale>
#include <QMimeDatabase>
#include <QtConcurrent/QtConcurrentRun>

namespace deso::upload {

namespace {

const QStringList kImageTypes = {QStringLiteral("image/jpeg"), QStringLiteral("image/png"),
                                 QStringLiteral("image/webp"), QStringLiteral("image/gif")};
const QStringList kVideoTypes = {QStringLiteral("video/mp4"), QStringLiteral("video/quicktime"),
                                 QStringLiteral("video/webm"), QStringLiteral("video/x-matroska")};

QString humanSize(qint64 bytes)
{
    return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

Error refused(const char *code, const QString &sentence)
{
    return Error(QString::fromLatin1(code), sentence);
}

} // namespace

UploadFile inspectFile(const QString &path)
{
    UploadFile f;
    const QFileInfo info(path);
    f.path = info.absoluteFilePath();
    f.name = info.fileName();
    f.size = info.size();
    if (!info.exists()) {
        f.refusal = refused("upload.missing", QStringLiteral("The file does not exist."));
        return f;
    }
    if (!info.isFile() || !info.isReadable()) {
        f.refusal = info.isDir() ? refused("upload.folder", QStringLiteral("Folders cannot be uploaded; drop the files inside it."))
                                 : refused("upload.unreadable", QStringLiteral("The file cannot be read."));
        return f;
    }
    f.mimeType = QMimeDatabase().mimeTypeForFile(info, QMimeDatabase::MatchContent).name();
    if (kImageTypes.contains(f.mimeType)) {
        f.kind = MediaKind::Image;
        if (f.size > kMaxShrinkableImageBytes)
            f.refusal = refused("upload.too_large",
                                QStringLiteral("Too large: the node takes images up to 10 MB, and this one (%1) is too big "
                                               "to shrink here (64 MB at most).").arg(humanSize(f.size)));
        else
            f.needsSmallerCopy = f.size > image::kMaxUploadBytes;
    } else if (kVideoTypes.contains(f.mimeType)) {
        f.kind = MediaKind::Video;
        if (f.size > kMaxVideoBytes)
            f.refusal = refused("upload.too_large", QStringLiteral("Too large: the node takes videos up to 250 MB and this one is %1.")
                                                        .arg(humanSize(f.size)));
    } else {
        f.refusal = refused("upload.unsupported_type",
                            QStringLiteral("Unsupported type %1: the node takes JPEG, PNG, WebP and GIF images and MP4, "
                                           "QuickTime and WebM videos.").arg(f.mimeType));
    }
    if (f.size == 0 && !f.refusal)
        f.refusal = refused("upload.empty", QStringLiteral("The file is empty."));
    return f;
}

Result<node::ImagePart> prepareImage(const QString &path, bool makeAcceptable)
{
    node::ImagePart part;
    part.sourcePath = path;
    if (!makeAcceptable) {
        const QFileInfo info(path);
        if (!info.isFile() || !info.isReadable())
            return Error(QStringLiteral("image.unreadable"), QStringLiteral("Cannot read the image %1.").arg(path));
        // As is: typed from the bytes (the node trusts the part's type), size unchecked.
        part.fileName = info.fileName();
        part.contentType = QMimeDatabase().mimeTypeForFile(path, QMimeDatabase::MatchContent).name();
        part.size = info.size();
        part.preparation = QStringLiteral("Sent as is (%1, %2 bytes).").arg(part.contentType).arg(part.size);
        return part;
    }
    Result<image::AcceptableFile> acceptable = image::makeAcceptable(path);
    if (!acceptable)  // nothing crossed HTTP: a local refusal, whatever status the pipeline suggests
        return Error(acceptable.error().code, acceptable.error().message);
    part.fileName = acceptable->fileName;
    part.contentType = acceptable->mimeType;
    part.size = acceptable->bytes.size();
    part.changed = !acceptable->unchanged;
    part.preparation = acceptable->description;
    part.bytes = std::move(acceptable.value().bytes);
    return part;
}

QFuture<Result<node::ImagePart>> prepareImageAsync(const QString &path, bool makeAcceptable)
{
    // Decoding and re-encoding a large photo takes a while: off the calling thread.
    return QtConcurrent::run([path, makeAcceptable] { return prepareImage(path, makeAcceptable); });
}

} // namespace deso::upload

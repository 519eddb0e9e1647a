#include "upload/uploadfile.h"

#include "common/datasize.h"
#include "image/acceptablefile.h"
#include "video/compresstofit.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QSet>
#include <QMimeDatabase>
#include <QPromise>
#include <QStandardPaths>
#include <QtConcurrent/QtConcurrentRun>

namespace deso::upload {

namespace {

const QStringList kImageTypes = {QStringLiteral("image/jpeg"), QStringLiteral("image/png"),
                                 QStringLiteral("image/webp"), QStringLiteral("image/gif")};
const QStringList kVideoTypes = {QStringLiteral("video/mp4"), QStringLiteral("video/quicktime"),
                                 QStringLiteral("video/webm"), QStringLiteral("video/x-matroska")};

Error refused(const char *code, const QString &sentence)
{
    return Error(QString::fromLatin1(code), sentence);
}

} // namespace

VideoLimit videoLimit(bool toMediaServer, qint64 mediaServerLimitBytes)
{
    if (!toMediaServer)
        return VideoLimit{kMaxVideoBytes, false};
    return VideoLimit{mediaServerLimitBytes > 0 ? mediaServerLimitBytes : kDefaultMediaServerVideoBytes, true};
}

Error videoTooLarge(qint64 size, const VideoLimit &limit)
{
    return refused("upload.too_large", QStringLiteral("Too large: %1 takes videos up to %2 and this one is %3.")
                                           .arg(limit.holder(), humanSize(limit.bytes), humanSize(size)));
}

UploadFile inspectFile(const QString &path, const VideoLimit &limit)
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
        f.videoLimit = limit;
        if (limit.bytes > 0 && f.size > limit.bytes) {
            f.refusal = videoTooLarge(f.size, limit);
            f.smallerCopyCanFit = true;
        }
    } else {
        f.refusal = refused("upload.unsupported_type",
                            QStringLiteral("Unsupported type %1: the node takes JPEG, PNG, WebP and GIF images and MP4, "
                                           "QuickTime and WebM videos.").arg(f.mimeType));
    }
    if (f.size == 0 && !f.refusal)
        f.refusal = refused("upload.empty", QStringLiteral("The file is empty."));
    return f;
}

bool containsFolder(const QStringList &paths)
{
    return std::any_of(paths.begin(), paths.end(), [](const QString &p) { return QFileInfo(p).isDir(); });
}

MediaCollection collectMedia(const QStringList &paths, const VideoLimit &limit, int maxFiles)
{
    MediaCollection c;
    c.maxFiles = maxFiles;
    const qsizetype maxLookedAt = qsizetype(maxFiles) * 20;
    qsizetype lookedAt = 0;
    QSet<QString> seenFolders, seenFiles; // canonical paths: links that loop, or lead to the same place
    const auto takeFile = [&](const QString &path, bool named) {
        const QString canonical = QFileInfo(path).canonicalFilePath();
        if (!canonical.isEmpty()) { // empty: missing, and inspectFile says so
            if (seenFiles.contains(canonical))
                return;
            seenFiles.insert(canonical);
        }
        UploadFile f = inspectFile(path, limit);
        if (named || f.kind != MediaKind::Unsupported)
            c.files.append(std::move(f));
        else
            c.skipped.append(f.name);
    };
    // Depth first, in name order, so the queue reads like the folder.
    const auto walk = [&](const QString &root) {
        QStringList stack{root};
        while (!stack.isEmpty() && !c.capped && !c.stoppedLooking) {
            const QString folder = stack.takeLast();
            const QString canonical = QFileInfo(folder).canonicalFilePath();
            if (canonical.isEmpty() || seenFolders.contains(canonical))
                continue;
            seenFolders.insert(canonical);
            const QFileInfoList entries = QDir(folder).entryInfoList(
                QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::Readable, QDir::Name | QDir::DirsLast);
            QStringList subfolders;
            for (const QFileInfo &entry : entries) {
                if (entry.isDir()) {
                    subfolders.prepend(entry.filePath()); // popped from the back: name order
                    continue;
                }
                if (c.files.size() >= maxFiles) {
                    c.capped = true;
                    return;
                }
                if (++lookedAt > maxLookedAt) {
                    c.stoppedLooking = true;
                    return;
                }
                takeFile(entry.filePath(), false);
            }
            stack.append(subfolders);
        }
    };
    for (const QString &path : paths) {
        if (QFileInfo(path).isDir())
            walk(path);
        else
            takeFile(path, true);
    }
    return c;
}

QString MediaCollection::leftOutSentence() const
{
    QStringList parts;
    if (!skipped.isEmpty()) {
        constexpr int kNamed = 3;
        QString names = skipped.mid(0, kNamed).join(QStringLiteral(", "));
        if (skipped.size() > kNamed)
            names += QStringLiteral(" and %1 more").arg(skipped.size() - kNamed);
        parts << (skipped.size() == 1 ? QStringLiteral("Skipped 1 file that is not an image or a video: %1.").arg(names)
                                      : QStringLiteral("Skipped %1 files that are not images or videos: %2.")
                                            .arg(skipped.size()).arg(names));
    }
    if (capped)
        parts << QStringLiteral("Only the first %1 images and videos found were added; drop the rest in smaller folders.").arg(maxFiles);
    else if (stoppedLooking)
        parts << QStringLiteral("Stopped looking after %1 files; drop the folders that hold your media instead.").arg(qsizetype(maxFiles) * 20);
    return parts.join(QLatin1Char(' '));
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

Result<PreparedVideo> prepareVideo(const QString &path, qint64 limitBytes, const std::atomic<bool> *cancel,
                                   const std::function<void(double)> &progress)
{
    const QFileInfo info(path);
    if (!info.isFile() || !info.isReadable())
        return Error(QStringLiteral("video.unreadable"), QStringLiteral("Cannot read the video %1.").arg(path));
    PreparedVideo prepared;
    prepared.path = info.absoluteFilePath();
    prepared.size = info.size();
    if (limitBytes <= 0 || info.size() <= limitBytes) {
        prepared.preparation = QStringLiteral("Sent as is (%1).").arg(humanSize(info.size()));
        return prepared;
    }
    // Named by what it is a copy of (file, size, time, target), so the same video
    // and limit find the same copy: no second encode, and a tus resume sees one file.
    const QByteArray key = QCryptographicHash::hash(
        (prepared.path + QLatin1Char('\n') + QString::number(info.size()) + QLatin1Char('\n')
         + QString::number(info.lastModified().toMSecsSinceEpoch()) + QLatin1Char('\n') + QString::number(limitBytes)).toUtf8(),
        QCryptographicHash::Sha256).toHex().left(32);
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + QStringLiteral("/fitted-videos");
    if (!QDir().mkpath(dir))
        return Error(QStringLiteral("video.fit_store"), QStringLiteral("Cannot create %1 for the smaller copy.").arg(dir));
    const QString copy = dir + QLatin1Char('/') + QString::fromLatin1(key) + QStringLiteral(".mp4");
    std::optional<video::VideoInfo> made; // by an earlier run (compressToFit renames a copy only once it fits)
    if (QFileInfo(copy).isFile() && QFileInfo(copy).size() <= limitBytes) {
        if (auto earlier = video::VideoProbe::probe(copy); earlier.ok())
            made = earlier.value();
    }
    if (!made) {
        auto fitted = video::compressToFit(prepared.path, copy, limitBytes, cancel, progress);
        if (!fitted.ok())
            return fitted.error();
        made = fitted->result;
    }
    prepared.path = copy;
    prepared.size = QFileInfo(copy).size();
    prepared.changed = true;
    prepared.width = made->width;
    prepared.height = made->height;
    prepared.preparation = QStringLiteral("Sent as a %1×%2 copy of %3 (was %4), made to fit %5.")
                               .arg(made->width).arg(made->height)
                               .arg(humanSize(prepared.size), humanSize(info.size()), humanSize(limitBytes));
    return prepared;
}

QFuture<Result<PreparedVideo>> prepareVideoAsync(const QString &path, qint64 limitBytes,
                                                 std::shared_ptr<std::atomic<bool>> cancel)
{
    // Minutes of decoding and encoding: off the calling thread, one pool thread.
    return QtConcurrent::run([path, limitBytes, cancel](QPromise<Result<PreparedVideo>> &promise) {
        promise.setProgressRange(0, 1000);
        promise.addResult(prepareVideo(path, limitBytes, cancel.get(),
                                       [&promise](double p) { promise.setProgressValue(int(p * 1000)); }));
    });
}

void discardPreparedVideo(const PreparedVideo &video)
{
    if (video.changed)
        QFile::remove(video.path);
}

} // namespace deso::upload

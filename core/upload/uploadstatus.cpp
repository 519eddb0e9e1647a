#include "upload/uploadstatus.h"

#include "common/datasize.h"

#include <QJsonValue>
#include <QMetaEnum>

namespace deso::upload {

namespace {

template <typename E>
QString enumKey(E value)
{
    return QString::fromLatin1(QMetaEnum::fromType<E>().valueToKey(int(value))).toLower();
}

template <typename E>
E enumFromKey(const QString &key, E fallback)
{
    const QMetaEnum meta = QMetaEnum::fromType<E>();
    for (int i = 0; i < meta.keyCount(); ++i)
        if (key.compare(QLatin1String(meta.key(i)), Qt::CaseInsensitive) == 0)
            return E(meta.value(i));
    return fallback;
}

} // namespace

QString describe(const node::VideoStatus &video)
{
    if (video.readyToStream)
        return QObject::tr("ready to stream (%1 s, %2×%3)").arg(video.duration, 0, 'f', 1).arg(video.width).arg(video.height);
    if (video.isError()) {
        const QString why = !video.errorMessage.isEmpty() ? video.errorMessage
                            : !video.errorCode.isEmpty()  ? video.errorCode
                                                          : QObject::tr("failed");
        return QObject::tr("error: %1").arg(why);
    }
    // The media server's phases (a Livepeer-style asset).
    if (video.phase == QLatin1String("waiting"))
        return QObject::tr("waiting to be processed");
    if (video.phase == QLatin1String("uploading"))
        return QObject::tr("receiving the upload");
    if (video.phase == QLatin1String("processing"))
        return QObject::tr("processing");
    if (video.state.isEmpty())
        return QObject::tr("processing");
    const QJsonValue pct = video.raw.value(QStringLiteral("pctComplete"));
    const QString percent = pct.isDouble() ? QString::number(pct.toDouble()) : pct.toString();
    return percent.isEmpty() ? QObject::tr("processing (%1)").arg(video.state)
                             : QObject::tr("processing (%1, %2 %)").arg(video.state, percent);
}

QString VideoLimit::holder() const
{
    return mediaServer ? QObject::tr("the media server") : QObject::tr("the node");
}

namespace {

QString overLimit(const UploadStatus &s)
{
    if (s.videoLimit.bytes <= 0)
        return QObject::tr("Over the size limit");
    return QObject::tr("Over %1's %2 limit (this is %3)")
        .arg(s.videoLimit.holder(), humanSize(s.videoLimit.bytes), humanSize(s.bytesTotal));
}

} // namespace

QString stateKey(UploadState state)
{
    return enumKey(state);
}

UploadState stateFromKey(const QString &key)
{
    return enumFromKey(key, UploadState::Waiting);
}

QString describe(const UploadStatus &s)
{
    switch (s.state) {
    case UploadState::Refused:
        return s.error.message;
    case UploadState::Failed:
        if (s.note == StatusNote::NodeProcessing)
            return QObject::tr("The node could not process the video: %1").arg(s.error.message);
        if (s.note == StatusNote::MediaServerProcessing)
            return QObject::tr("The media server could not process the video: %1").arg(s.error.message);
        return s.error.message;
    case UploadState::Waiting:
        switch (s.note) {
        case StatusNote::Queued: return QObject::tr("Queued; starts when a slot is free");
        case StatusNote::Cancelled: return QObject::tr("Cancelled");
        case StatusNote::Resuming: return QObject::tr("Resuming");
        case StatusNote::SmallerCopyPlanned:
            return QObject::tr("Over the node's 10 MB limit: a smaller copy will be sent.");
        case StatusNote::SmallerVideoPlanned:
            return QObject::tr("%1: a smaller copy that fits will be made and sent; the original stays as it is.").arg(overLimit(s));
        case StatusNote::SmallerVideoOffered:
            if (s.hasError())
                return QObject::tr("The copy that fits could not be made: %1 Try again, or keep the video as it is.")
                    .arg(s.error.message);
            return QObject::tr("%1: make a smaller copy that fits (the original stays as it is), or keep it as it is and it "
                               "is refused.").arg(overLimit(s));
        case StatusNote::SmallerVideoReady:
            return QObject::tr("A copy that fits is ready: %1×%2, %3 (the original is %4). Preview it, then upload it or "
                               "discard it.").arg(s.copyWidth).arg(s.copyHeight)
                .arg(humanSize(s.copyBytes), humanSize(s.bytesTotal));
        case StatusNote::NoPreviewFrame:
            return QObject::tr("No preview frame (%1); the node will judge the file.").arg(s.error.message);
        default: return QObject::tr("Waiting to upload");
        }
    case UploadState::Processing:
        if (s.note == StatusNote::MakingSmallerCopy)
            return QObject::tr("Making a copy under 10 MB…");
        if (s.note == StatusNote::MakingSmallerVideo)
            return s.videoLimit.bytes > 0
                       ? QObject::tr("Making a copy that fits %1's %2 limit (%3 %)…")
                             .arg(s.videoLimit.holder(), humanSize(s.videoLimit.bytes)).arg(int(s.preparedFraction * 100))
                       : QObject::tr("Making a smaller copy that fits (%1 %)…").arg(int(s.preparedFraction * 100));
        if (s.note == StatusNote::NodeProcessing)
            return s.video ? QObject::tr("Uploaded; the node says: %1").arg(describe(*s.video))
                           : QObject::tr("Uploaded; the node is processing it");
        if (s.note == StatusNote::MediaServerProcessing)
            return s.video ? QObject::tr("Uploaded; the media server says: %1").arg(describe(*s.video))
                           : QObject::tr("Uploaded; the media server is processing it");
        return QObject::tr("Preparing…");
    case UploadState::Uploading:
        if (s.note == StatusNote::Retrying)
            return s.hasError() ? QObject::tr("Connection trouble; retrying (%1)").arg(s.error.message)
                                : QObject::tr("Connection trouble; retrying");
        return s.bytesTotal > 0 ? QObject::tr("Uploading (%1 %)").arg(s.bytesSent * 100 / s.bytesTotal)
                                : QObject::tr("Uploading");
    case UploadState::Paused:
        if (s.note == StatusNote::Resuming)
            return QObject::tr("paused; resumes where it stopped");
        return s.bytesTotal > 0 ? QObject::tr("paused at %1 %; resume to continue").arg(s.bytesSent * 100 / s.bytesTotal)
                                : QObject::tr("paused");
    case UploadState::Done:
        if (s.video)
            return describe(*s.video);
        return s.resultUrl.isEmpty() ? QObject::tr("Uploaded") : QObject::tr("Uploaded: %1").arg(s.resultUrl);
    }
    return {};
}

QJsonObject UploadStatus::toJson() const
{
    QJsonObject o{{QStringLiteral("state"), stateKey(state)},
                  {QStringLiteral("note"), enumKey(note)},
                  {QStringLiteral("bytesSent"), double(bytesSent)},
                  {QStringLiteral("bytesTotal"), double(bytesTotal)}};
    if (hasError())
        o.insert(QStringLiteral("error"), QJsonObject{{QStringLiteral("code"), error.code},
                                                      {QStringLiteral("message"), error.message},
                                                      {QStringLiteral("httpStatus"), error.httpStatus}});
    if (videoLimit.bytes > 0)
        o.insert(QStringLiteral("videoLimit"), QJsonObject{{QStringLiteral("bytes"), double(videoLimit.bytes)},
                                                           {QStringLiteral("mediaServer"), videoLimit.mediaServer}});
    if (copyBytes > 0)
        o.insert(QStringLiteral("copy"), QJsonObject{{QStringLiteral("bytes"), double(copyBytes)},
                                                     {QStringLiteral("width"), copyWidth},
                                                     {QStringLiteral("height"), copyHeight}});
    // The node's own answer: read back with the same parser as a fresh one.
    if (video)
        o.insert(QStringLiteral("video"), video->raw);
    for (const auto &[key, value] : {std::pair{"resultUrl", &resultUrl}, std::pair{"videoId", &videoId},
                                     std::pair{"uploadUrl", &uploadUrl}})
        if (!value->isEmpty())
            o.insert(QLatin1String(key), *value);
    return o;
}

UploadStatus UploadStatus::fromJson(const QJsonObject &o)
{
    UploadStatus s;
    s.state = stateFromKey(o.value(QStringLiteral("state")).toString());
    s.note = enumFromKey(o.value(QStringLiteral("note")).toString(), StatusNote::None);
    s.bytesSent = qint64(o.value(QStringLiteral("bytesSent")).toDouble());
    s.bytesTotal = qint64(o.value(QStringLiteral("bytesTotal")).toDouble());
    const QJsonObject error = o.value(QStringLiteral("error")).toObject();
    s.error = Error(error.value(QStringLiteral("code")).toString(), error.value(QStringLiteral("message")).toString(),
                    error.value(QStringLiteral("httpStatus")).toInt());
    const QJsonObject limit = o.value(QStringLiteral("videoLimit")).toObject();
    s.videoLimit = VideoLimit{qint64(limit.value(QStringLiteral("bytes")).toDouble()),
                              limit.value(QStringLiteral("mediaServer")).toBool()};
    const QJsonObject copy = o.value(QStringLiteral("copy")).toObject();
    s.copyBytes = qint64(copy.value(QStringLiteral("bytes")).toDouble());
    s.copyWidth = copy.value(QStringLiteral("width")).toInt();
    s.copyHeight = copy.value(QStringLiteral("height")).toInt();
    s.resultUrl = o.value(QStringLiteral("resultUrl")).toString();
    s.videoId = o.value(QStringLiteral("videoId")).toString();
    s.uploadUrl = o.value(QStringLiteral("uploadUrl")).toString();
    if (o.value(QStringLiteral("video")).isObject())
        s.video = node::VideoStatus::fromJson(s.videoId, o.value(QStringLiteral("video")).toObject());
    return s;
}

} // namespace deso::upload

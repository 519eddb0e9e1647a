#include "host/controllers/videoasset.h"

#include "host/controllers/playbackcontroller.h"

#include <QJsonArray>

namespace deso::host {

QString videoAssetPhase(const UploadRecord &record)
{
    if (!record.complete())
        return QStringLiteral("uploading");
    switch (record.state) {
    case VideoState::PendingUpload:
    case VideoState::Queued: return QStringLiteral("waiting");
    case VideoState::InProgress: return QStringLiteral("processing");
    case VideoState::Ready: return QStringLiteral("ready");
    case VideoState::Error: return QStringLiteral("failed");
    }
    return QStringLiteral("failed");
}

QString videoPlaybackId(const UploadRecord &record)
{
    return record.playbackId.isEmpty() ? record.id : record.playbackId;
}

QByteArray videoPlaybackUrl(const UploadRecord &record, const QByteArray &baseUrl)
{
    return baseUrl + PlaybackController::masterPlaylistPath(videoPlaybackId(record));
}

QByteArray videoDownloadUrl(const UploadRecord &record, const QByteArray &baseUrl)
{
    return baseUrl + PlaybackController::downloadPath(videoPlaybackId(record));
}

QJsonObject videoAssetJson(const UploadRecord &record, const QByteArray &baseUrl)
{
    const QString phase = videoAssetPhase(record);
    QJsonObject status{{QStringLiteral("phase"), phase}};
    if (phase == QLatin1String("uploading"))
        status.insert(QStringLiteral("progress"), record.length > 0 ? double(record.offset) / double(record.length) : 0.0);
    else if (phase == QLatin1String("processing"))
        status.insert(QStringLiteral("progress"), record.processingProgress);
    if (record.state == VideoState::Error)
        status.insert(QStringLiteral("errorMessage"), record.errorMessage);
    QJsonObject asset{
        {QStringLiteral("id"), record.id},
        {QStringLiteral("playbackID"), videoPlaybackId(record)},
        {QStringLiteral("name"), QString::fromUtf8(record.metadata.value(QStringLiteral("filename")))},
        {QStringLiteral("size"), record.length},
        {QStringLiteral("createdAt"), record.createdAt.toMSecsSinceEpoch()},
        {QStringLiteral("status"), status},
    };
    if (record.state == VideoState::Ready) {
        QJsonObject track{{QStringLiteral("type"), QStringLiteral("video")},
                          {QStringLiteral("width"), record.width},
                          {QStringLiteral("height"), record.height}};
        asset.insert(QStringLiteral("videoSpec"),
                     QJsonObject{{QStringLiteral("format"), record.mimeType.section(QLatin1Char('/'), 1)},
                                 {QStringLiteral("duration"), record.durationSeconds},
                                 {QStringLiteral("tracks"), QJsonArray{track}}});
        asset.insert(QStringLiteral("playbackURL"), QString::fromLatin1(videoPlaybackUrl(record, baseUrl)));
        asset.insert(QStringLiteral("downloadURL"), QString::fromLatin1(videoDownloadUrl(record, baseUrl)));
    }
    return asset;
}

} // namespace deso::host

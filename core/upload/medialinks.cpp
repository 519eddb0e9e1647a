#include "upload/medialinks.h"

#include <QJsonValue>

namespace deso::upload {

namespace {

QString rawString(const node::VideoStatus &video, std::initializer_list<const char *> keys)
{
    for (const char *key : keys) {
        const QString value = video.raw.value(QLatin1String(key)).toString();
        if (!value.isEmpty())
            return value;
    }
    return {};
}

// Livepeer's delivery hosts (livepeercdn.studio, *.lp-playback.studio, ...): such a stream
// is embedded through Livepeer's player, as the DeSo frontend does.
bool isLivepeerStream(const QUrl &url)
{
    const QString host = url.host().toLower();
    return host.contains(QLatin1String("livepeer")) || host.contains(QLatin1String("lp-playback"))
           || host == QLatin1String("lvpr.tv");
}

} // namespace

QString linkCaption(LinkKind kind)
{
    switch (kind) {
    case LinkKind::Playback: return QObject::tr("Playback URL");
    case LinkKind::Embed: return QObject::tr("Embed URL");
    case LinkKind::Download: return QObject::tr("Download URL");
    case LinkKind::Image: return QObject::tr("Image URL");
    }
    return {};
}

QString linkKey(LinkKind kind)
{
    switch (kind) {
    case LinkKind::Playback: return QStringLiteral("PlaybackURL");
    case LinkKind::Embed: return QStringLiteral("EmbedURL");
    case LinkKind::Download: return QStringLiteral("DownloadURL");
    case LinkKind::Image: return QStringLiteral("ImageURL");
    }
    return {};
}

QString videoPlaybackId(const node::VideoStatus &video)
{
    const QString id = rawString(video, {"playbackID", "playbackId", "PlaybackId"});
    return id.isEmpty() ? video.videoId : id;
}

QUrl videoPosterUrl(const node::VideoStatus &video)
{
    return QUrl(rawString(video, {"ThumbnailURL", "thumbnailURL", "thumbnailUrl"}));
}

QList<MediaLink> videoLinks(const node::VideoStatus &video)
{
    QList<MediaLink> links;
    const QUrl playback(!video.playbackUrl.isEmpty() ? video.playbackUrl : rawString(video, {"PlaybackUrl", "StreamURL"}));
    const bool mediaServer = !video.phase.isEmpty();
    const QString playbackId = videoPlaybackId(video);
    if (!playback.isEmpty()) {
        links.append({LinkKind::Playback, playback});
        if (isLivepeerStream(playback) && !playbackId.isEmpty())
            links.append({LinkKind::Embed, QUrl(QStringLiteral("https://lvpr.tv/?v=%1").arg(playbackId))});
        else
            links.append({LinkKind::Embed, playback});
    } else if (mediaServer && !playbackId.isEmpty()) {
        // A media server that names no stream: its assets play through Livepeer's player.
        links.append({LinkKind::Embed, QUrl(QStringLiteral("https://lvpr.tv/?v=%1").arg(playbackId))});
    } else if (!video.videoId.isEmpty()) {
        // The node's videos live at Cloudflare Stream, keyed by the id.
        links.append({LinkKind::Playback,
                      QUrl(QStringLiteral("https://videodelivery.net/%1/manifest/video.m3u8").arg(video.videoId))});
        links.append({LinkKind::Embed, QUrl(QStringLiteral("https://iframe.videodelivery.net/%1").arg(video.videoId))});
    }
    if (!video.downloadUrl.isEmpty())
        links.append({LinkKind::Download, QUrl(video.downloadUrl)});
    return links;
}

QList<MediaLink> mediaLinks(const UploadStatus &status)
{
    if (status.state != UploadState::Done)
        return {};
    if (status.video)
        return videoLinks(*status.video);
    // An image (or a video sent without following it): the one URL the server answered.
    if (!status.resultUrl.isEmpty() && status.videoId.isEmpty())
        return {{LinkKind::Image, QUrl(status.resultUrl)}};
    return {};
}

QUrl linkUrl(const QList<MediaLink> &links, LinkKind kind)
{
    for (const MediaLink &link : links)
        if (link.kind == kind)
            return link.url;
    return {};
}

} // namespace deso::upload

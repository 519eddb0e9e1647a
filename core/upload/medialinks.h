#pragma once
// The URLs a finished upload gives a creator to paste into a post, and their words: the one
// place that decides which URLs a video or an image has and what they are called, for the
// window (Copy / Open) and the command line (upload-video --wait) alike.
//
// - Playback: what a player streams (the HLS master playlist a host or Livepeer serves; for
//   a node's Cloudflare video, its manifest).
// - Embed: what a DeSo post's video field takes. Livepeer-processed videos (DeSo's media
//   server) embed as https://lvpr.tv/?v=<playbackId> (what the DeSo frontend writes); the
//   node's Cloudflare videos as https://iframe.videodelivery.net/<id>; a host that streams
//   its own videos (this app's host) has no player page, so its stream URL is the embed.
// - Download: the MP4 (downloadURL), when the server offers one.
// - Image: upload-image's ImageURL.
// - Poster: the still a server shows before playback (ThumbnailURL in the host's status), when it says.

#include "node/nodeclient.h"
#include "upload/uploadstatus.h"

#include <QList>
#include <QUrl>

namespace deso::upload {

enum class LinkKind { Playback, Embed, Download, Image };

struct MediaLink {
    LinkKind kind = LinkKind::Playback;
    QUrl url;
};

// The caption a person reads, e.g. "Embed URL".
QString linkCaption(LinkKind kind);
// The key the command line prints (and --json uses), e.g. "EmbedURL".
QString linkKey(LinkKind kind);

// The links of a finished upload, in the order above; empty until it is done.
QList<MediaLink> mediaLinks(const UploadStatus &status);
// The links of a video the server calls ready (or whose stream it names).
QList<MediaLink> videoLinks(const node::VideoStatus &video);
// Each link's own URL, or an empty one.
QUrl linkUrl(const QList<MediaLink> &links, LinkKind kind);

// The playback id players take: the asset's playbackID, else the video id.
QString videoPlaybackId(const node::VideoStatus &video);
// The poster image's URL, when the server gives one (the host's ThumbnailURL); empty otherwise.
QUrl videoPosterUrl(const node::VideoStatus &video);

} // namespace deso::upload

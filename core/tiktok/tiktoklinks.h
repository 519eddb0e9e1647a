#pragma once
// TikTok URL rules shared by the host (get-full-tiktok-url) and the client:
// the node's two regular expressions, short-id extraction from what a user
// pastes, and the embeddable URL built from the numeric video id.

#include <QRegularExpression>
#include <QString>
#include <QUrl>

#include <optional>

namespace deso::tiktok {

// The node's TikTokShortURLRegex: ^.*(vm\.tiktok\.com/)([A-Za-z0-9]{6,12}).*
const QRegularExpression &shortUrlRegex();
// The node's TikTokFullURLRegex:
// ^.*((tiktok\.com/)(v/)|(@[A-Za-z0-9_-]{2,24}/video/)|(embed/v2/))(\d{0,30}).*
const QRegularExpression &fullUrlRegex();

// "https://vm.tiktok.com/<id>", the URL the node builds from TikTokShortVideoID.
QString shortUrlForId(const QString &shortId);

// The short id from a pasted link ("https://vm.tiktok.com/TTPd2Eobq3/",
// "vm.tiktok.com/TTPd2Eobq3") or a bare id ("TTPd2Eobq3"); nothing if neither.
std::optional<QString> shortIdFromText(const QString &text);

bool matchesShortUrl(const QString &url);
bool matchesFullUrl(const QString &url);

// The numeric video id in a full URL (".../@user/video/<id>", "/v/<id>",
// "/embed/v2/<id>"); nothing when there is none.
std::optional<QString> videoIdFromFullUrl(const QString &url);

// "https://www.tiktok.com/embed/v2/<videoId>".
QString embedUrl(const QString &videoId);

// tiktok.com and its subdomains (www., m., vm., vt.).
bool isTikTokHost(const QString &host);

} // namespace deso::tiktok

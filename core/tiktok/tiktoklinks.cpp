#include "tiktok/tiktoklinks.h"

namespace deso::tiktok {

const QRegularExpression &shortUrlRegex()
{
    static const QRegularExpression re(QStringLiteral("^.*(vm\\.tiktok\\.com/)([A-Za-z0-9]{6,12}).*"));
    return re;
}

const QRegularExpression &fullUrlRegex()
{
    static const QRegularExpression re(QStringLiteral(
        "^.*((tiktok\\.com/)(v/)|(@[A-Za-z0-9_-]{2,24}/video/)|(embed/v2/))(\\d{0,30}).*"));
    return re;
}

QString shortUrlForId(const QString &shortId)
{
    return QStringLiteral("https://vm.tiktok.com/") + shortId;
}

std::optional<QString> shortIdFromText(const QString &text)
{
    const QString t = text.trimmed();
    static const QRegularExpression bare(QStringLiteral("^[A-Za-z0-9]{6,12}$"));
    if (bare.match(t).hasMatch())
        return t;
    static const QRegularExpression link(
        QStringLiteral("^(?:https?://)?vm\\.tiktok\\.com/([A-Za-z0-9]{6,12})/?(?:[?#].*)?$"));
    const auto m = link.match(t);
    if (m.hasMatch())
        return m.captured(1);
    return std::nullopt;
}

bool matchesShortUrl(const QString &url)
{
    return shortUrlRegex().match(url).hasMatch();
}

bool matchesFullUrl(const QString &url)
{
    return fullUrlRegex().match(url).hasMatch();
}

std::optional<QString> videoIdFromFullUrl(const QString &url)
{
    static const QRegularExpression re(
        QStringLiteral("tiktok\\.com/(?:v/|@[A-Za-z0-9_.-]{2,24}/video/|embed/v2/|embed/)(\\d{1,30})"));
    const auto m = re.match(url);
    if (!m.hasMatch())
        return std::nullopt;
    return m.captured(1);
}

QString embedUrl(const QString &videoId)
{
    return QStringLiteral("https://www.tiktok.com/embed/v2/") + videoId;
}

bool isTikTokHost(const QString &host)
{
    const QString h = host.toLower();
    return h == QLatin1String("tiktok.com") || h.endsWith(QLatin1String(".tiktok.com"));
}

} // namespace deso::tiktok

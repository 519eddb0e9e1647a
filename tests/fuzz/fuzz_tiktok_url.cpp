// TikTok link rules on outside text: the TikTokShortVideoID field of
// get-full-tiktok-url, what a user pastes into the app, and the Location URLs a
// redirect chain hands the resolver. Properties: an extracted short id is 6-12
// alphanumerics whose node URL matches the node's rule and captures that id; a
// video id is 1-30 digits; a TikTok host is tiktok.com or below it; an address the
// resolver would fetch is one Qt also calls global and never loopback, private or
// link-local.
#include "fuzzcheck.h"
#include "tiktok/tiktoklinks.h"
#include "tiktok/tiktokresolver.h"

#include <QHostAddress>
#include <QRegularExpression>

#include <cstdint>

using namespace deso::tiktok;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString text = QString::fromUtf8(bytes);

    static const QRegularExpression idRule(QStringLiteral("^[A-Za-z0-9]{6,12}$"));
    if (const auto id = shortIdFromText(text)) {
        FUZZ_CHECK(idRule.match(*id).hasMatch());
        const auto m = shortUrlRegex().match(shortUrlForId(*id));
        FUZZ_CHECK(m.hasMatch());
        FUZZ_CHECK(m.captured(2) == *id);
    }
    // The node's check on the field as the host runs it.
    const auto node = shortUrlRegex().match(shortUrlForId(text));
    if (node.hasMatch())
        FUZZ_CHECK(idRule.match(node.captured(2)).hasMatch());

    (void)matchesShortUrl(text);
    // Not implied by a video id: the node's full-URL rule is stricter (no '.' in
    // user names, no newlines before the match); the resolver requires both.
    (void)matchesFullUrl(text);
    static const QRegularExpression digits(QStringLiteral("^\\d{1,30}$"));
    if (const auto video = videoIdFromFullUrl(text)) {
        FUZZ_CHECK(digits.match(*video).hasMatch());
        FUZZ_CHECK(matchesFullUrl(embedUrl(*video)));
    }

    // A redirect's Location, resolved against the short link as the resolver does.
    const QUrl next = QUrl(QStringLiteral("https://vm.tiktok.com/TTPd2Eobq3")).resolved(QUrl(text));
    if (isTikTokHost(next.host())) {
        const QString h = next.host().toLower();
        FUZZ_CHECK(h == QLatin1String("tiktok.com") || h.endsWith(QLatin1String(".tiktok.com")));
        FUZZ_CHECK(QHostAddress(h).isNull()); // an IP literal is never a TikTok host
    }

    for (const QString &candidate : {text, next.host()}) {
        const QHostAddress address(candidate);
        if (address.isNull() || !isPublicAddress(address))
            continue;
        FUZZ_CHECK(!address.isLoopback() && !address.isLinkLocal() && !address.isSiteLocal()
                   && !address.isUniqueLocalUnicast() && !address.isMulticast());
        FUZZ_CHECK(address.isGlobal());
        bool v4 = false;
        const quint32 ip = address.toIPv4Address(&v4);
        if (v4) {
            const quint8 a = quint8(ip >> 24), b = quint8(ip >> 16);
            FUZZ_CHECK(a != 0 && a != 10 && a != 127 && !(a == 169 && b == 254) && !(a == 172 && (b & 0xf0) == 16)
                       && !(a == 192 && b == 168) && a < 224);
        }
    }
    return 0;
}

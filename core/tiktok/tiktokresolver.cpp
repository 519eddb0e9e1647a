#include "tiktok/tiktokresolver.h"

#include "tiktok/tiktoklinks.h"

#include <QHostAddress>
#include <QHostInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QTimer>

namespace deso::tiktok {

bool isPublicAddress(const QHostAddress &a)
{
    if (a.isNull() || a.isLoopback() || a.isMulticast() || a.isLinkLocal() || a.isBroadcast()
        || a.isUniqueLocalUnicast() || a.isSiteLocal() || a == QHostAddress(QHostAddress::AnyIPv4)
        || a == QHostAddress(QHostAddress::AnyIPv6) || !a.isGlobal())
        return false; // !isGlobal: also reserved ranges such as fe00::/9 (fuzz_tiktok_url)
    bool isV4 = false;
    const quint32 v4 = a.toIPv4Address(&isV4); // also unwraps ::ffff:a.b.c.d
    if (isV4) {
        const auto in = [v4](quint32 net, int bits) { return (v4 >> (32 - bits)) == (net >> (32 - bits)); };
        if (in(0x00000000, 8) || in(0x0A000000, 8) || in(0x7F000000, 8) || in(0xA9FE0000, 16)
            || in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10) || in(0xC0000000, 24)
            || in(0xC6120000, 15) || v4 >= 0xE0000000)
            return false;
    }
    return true;
}

static Error nodeError(const QString &message)
{
    return Error(QStringLiteral("tiktok.resolve"), message, 400);
}

// One resolution: a chain of manual GETs, each preceded by a DNS check.
class TikTokResolver::Job : public QObject {
public:
    Job(TikTokResolver *owner, Callback done) : QObject(owner), m_owner(owner), m_done(std::move(done))
    {
        m_deadline.setSingleShot(true);
        connect(&m_deadline, &QTimer::timeout, this, [this] {
            finish(nodeError(QStringLiteral("GetFullTikTokURL: error performing GET request: timed out after %1 s")
                                 .arg(m_owner->m_options.timeoutMs / 1000)));
        });
        m_deadline.start(m_owner->m_options.timeoutMs);
    }

    void fetch(const QUrl &url, bool isBase)
    {
        const auto &o = m_owner->m_options;
        const bool loopbackBase = isBase && o.allowLoopbackBaseForTests;
        if (url.scheme() != QLatin1String("https") && !(loopbackBase && url.scheme() == QLatin1String("http"))) {
            finish(nodeError(QStringLiteral("GetFullTikTokURL: refusing to follow a redirect that is not https: %1")
                                 .arg(url.toString())));
            return;
        }
        if (!isBase && !isTikTokHost(url.host())) {
            finish(nodeError(QStringLiteral("GetFullTikTokURL: refusing to follow a redirect to a host that is not TikTok's: %1")
                                 .arg(url.host())));
            return;
        }
        if (loopbackBase) {
            QHostAddress a(url.host());
            if (!a.isLoopback()) {
                finish(nodeError(QStringLiteral("GetFullTikTokURL: the test short-link base must be on loopback.")));
                return;
            }
            get(url);
            return;
        }
        // Resolve first and refuse non-public addresses (no fetching of this
        // machine or its network through a crafted redirect).
        const QString host = url.host();
        QHostAddress literal(host);
        if (!literal.isNull()) {
            if (!isPublicAddress(literal)) {
                finish(nodeError(QStringLiteral("GetFullTikTokURL: refusing to fetch a non-public address: %1").arg(host)));
                return;
            }
            get(url);
            return;
        }
        QPointer<Job> self(this);
        QHostInfo::lookupHost(host, this, [self, url](const QHostInfo &info) {
            if (!self)
                return;
            if (info.error() != QHostInfo::NoError || info.addresses().isEmpty()) {
                self->finish(nodeError(QStringLiteral("GetFullTikTokURL: error performing GET request: cannot resolve %1")
                                           .arg(url.host())));
                return;
            }
            for (const QHostAddress &a : info.addresses()) {
                if (!isPublicAddress(a)) {
                    self->finish(nodeError(QStringLiteral("GetFullTikTokURL: refusing to fetch %1, which resolves to a non-public address")
                                               .arg(url.host())));
                    return;
                }
            }
            self->get(url);
        });
    }

private:
    void get(const QUrl &url)
    {
        QNetworkRequest request(url);
        request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        request.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("deso-media-host"));
        m_reply = m_owner->m_network->get(request);
        // Only the status and headers matter; never buffer a large page.
        connect(m_reply, &QNetworkReply::metaDataChanged, this, [this] { onHead(); });
        connect(m_reply, &QNetworkReply::finished, this, [this] { onHead(); });
        m_current = url;
    }

    void onHead()
    {
        QNetworkReply *reply = m_reply;
        if (!reply || m_handled)
            return;
        const QVariant statusVar = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        if (!statusVar.isValid()) {
            if (reply->isFinished()) {
                m_handled = true;
                finish(nodeError(QStringLiteral("GetFullTikTokURL: error performing GET request: %1").arg(reply->errorString())));
            }
            return;
        }
        m_handled = true;
        const int status = statusVar.toInt();
        const QUrl location = reply->header(QNetworkRequest::LocationHeader).toUrl();
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
        m_reply = nullptr;

        if (status >= 300 && status < 400 && location.isValid() && !location.isEmpty()) {
            const QUrl next = m_current.resolved(location);
            // A redirect to a full video URL is the answer; fetching TikTok's page
            // adds nothing but a request to a site that walls off bots.
            if (next.scheme() == QLatin1String("https") && isTikTokHost(next.host())
                && matchesFullUrl(next.toString()) && videoIdFromFullUrl(next.toString())) {
                finish(next.toString());
                return;
            }
            if (++m_redirects > m_owner->m_options.maxRedirects) {
                finish(nodeError(QStringLiteral("GetFullTikTokURL: error performing GET request: stopped after %1 redirects")
                                     .arg(m_owner->m_options.maxRedirects)));
                return;
            }
            m_handled = false;
            fetch(next, false);
            return;
        }
        if (status != 200 && status != 302) {
            finish(nodeError(QStringLiteral("GetFullTikTokURL: GET request did not return 200 or 302 status code but instead a status code of %1")
                                 .arg(status)));
            return;
        }
        const QString full = m_current.toString();
        if (!matchesFullUrl(full)) {
            finish(nodeError(QStringLiteral("GetFullTikTokURL: destination url did not conform to tiktok full URL format: %1").arg(full)));
            return;
        }
        finish(full);
    }

public:
    void finish(Result<QString> result)
    {
        if (m_finished)
            return;
        m_finished = true;
        m_deadline.stop();
        if (m_reply) {
            m_reply->disconnect(this);
            m_reply->abort();
            m_reply->deleteLater();
            m_reply = nullptr;
        }
        auto done = std::move(m_done);
        deleteLater();
        done(std::move(result));
    }

private:
    TikTokResolver *m_owner;
    Callback m_done;
    QTimer m_deadline;
    QNetworkReply *m_reply = nullptr;
    QUrl m_current;
    int m_redirects = 0;
    bool m_handled = false;
    bool m_finished = false;
};

TikTokResolver::TikTokResolver(TikTokResolverOptions options, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_network(new QNetworkAccessManager(this))
{
}

TikTokResolver::~TikTokResolver() = default;

void TikTokResolver::resolve(const QString &shortVideoId, Callback done)
{
    const QString nodeUrl = shortUrlForId(shortVideoId);
    const auto match = shortUrlRegex().match(nodeUrl);
    if (!match.hasMatch()) {
        done(nodeError(QStringLiteral("GetFullTikTokURL: TikTokShortVideoURL does not conform to regex: %1").arg(nodeUrl)));
        return;
    }
    // Fetch only the validated id, never whatever trails it in the request.
    const QString id = match.captured(2);
    QUrl base = m_options.shortLinkBase;
    QString path = base.path();
    if (!path.endsWith(QLatin1Char('/')))
        path += QLatin1Char('/');
    base.setPath(path + id);
    auto *job = new Job(this, std::move(done));
    job->fetch(base, true);
}

} // namespace deso::tiktok

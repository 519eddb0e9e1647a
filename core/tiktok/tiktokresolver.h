#pragma once
// Resolves a TikTok short id to the full video URL the way the node does (GET
// the short link, follow redirects, check the final URL against the node's
// regex), but safer: redirects are followed by hand, at most 5, within 10 s,
// only over https and only to TikTok's hosts, and never to a host whose
// addresses are loopback, private, link-local or otherwise not public.

#include "common/result.h"

#include <QHostAddress>
#include <QObject>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;

namespace deso::tiktok {

struct TikTokResolverOptions {
    // Where short links live. Tests point this at a local fake redirector.
    QUrl shortLinkBase = QUrl(QStringLiteral("https://vm.tiktok.com/"));
    // Test-only: lets the first request go to shortLinkBase over http on
    // loopback. Redirect targets are still held to https + TikTok hosts.
    bool allowLoopbackBaseForTests = false;
    int maxRedirects = 5;
    int timeoutMs = 10000;
};

// Checks an address is one a server may fetch from for a client: not
// loopback, private, link-local, CGNAT, multicast or unspecified.
bool isPublicAddress(const QHostAddress &address);

class TikTokResolver : public QObject {
    Q_OBJECT
public:
    explicit TikTokResolver(TikTokResolverOptions options, QObject *parent = nullptr);
    ~TikTokResolver() override;

    using Callback = std::function<void(Result<QString> fullUrl)>;
    // Validates `shortVideoId` with the node's rule, then resolves it. `done`
    // runs once, on this object's thread; errors carry the node's sentences.
    void resolve(const QString &shortVideoId, Callback done);

private:
    class Job;
    TikTokResolverOptions m_options;
    QNetworkAccessManager *m_network;
};

} // namespace deso::tiktok

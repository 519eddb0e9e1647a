#include "host/browserpolicy.h"

#include <QHostAddress>
#include <QUrl>

namespace deso::host {

namespace {

QByteArray normalizedOrigin(const QString &origin)
{
    QByteArray o = origin.trimmed().toLower().toLatin1();
    while (o.endsWith('/'))
        o.chop(1);
    return o;
}

bool unsafeMethod(const QByteArray &method)
{
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

} // namespace

BrowserPolicy::BrowserPolicy(const HostConfig &config)
{
    for (const QString &o : config.allowedOrigins) {
        if (o.trimmed() == QLatin1String("*"))
            m_anyOrigin = true;
        else if (!o.trimmed().isEmpty())
            m_origins.append(normalizedOrigin(o));
    }
    for (const QString &h : config.allowedHosts) {
        if (h.trimmed() == QLatin1String("*"))
            m_anyHost = true;
        else if (!h.trimmed().isEmpty())
            m_hosts.append(hostName(h.trimmed().toLatin1()));
    }
    // Bound to the network (--allow-remote), the host is reached by names it
    // cannot know; the Host check then only applies to listed names.
    m_checkHost = config.bindAddress.isLoopback() || !m_hosts.isEmpty();
}

QByteArray BrowserPolicy::hostName(const QByteArray &hostHeader)
{
    QByteArray h = hostHeader.trimmed().toLower();
    if (h.startsWith('[')) {
        const qsizetype close = h.indexOf(']');
        return close < 0 ? QByteArray() : h.mid(1, close - 1);
    }
    if (const qsizetype colon = h.indexOf(':'); colon >= 0)
        h.truncate(colon);
    while (h.endsWith('.'))
        h.chop(1); // "localhost." is the same name
    return h;
}

bool BrowserPolicy::isLoopbackName(const QByteArray &name)
{
    if (name == "localhost" || name == "127.0.0.1" || name == "::1" || name.endsWith(".localhost")) // RFC 6761: always loopback
        return true; // (the two addresses checked first: nearly every request names one)
    QHostAddress address;
    return address.setAddress(QString::fromLatin1(name)) && address.isLoopback();
}

bool BrowserPolicy::isLoopbackOrigin(const QByteArray &origin)
{
    const QUrl url(QString::fromLatin1(origin), QUrl::StrictMode);
    if (!url.isValid() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
        return false;
    if (!url.path().isEmpty() || url.hasQuery() || url.hasFragment() || !url.userInfo().isEmpty())
        return false;
    return isLoopbackName(url.host().toLower().toLatin1());
}

bool BrowserPolicy::originAllowed(const QByteArray &origin) const
{
    if (origin.isEmpty() || origin.contains('\r') || origin.contains('\n'))
        return false;
    return m_anyOrigin || isLoopbackOrigin(origin) || m_origins.contains(normalizedOrigin(QString::fromLatin1(origin)));
}

bool BrowserPolicy::hostAllowed(const QByteArray &hostHeader) const
{
    if (!m_checkHost || m_anyHost || hostHeader.isNull())
        return true; // HTTP/1.0 without Host: not a browser
    // What nearly every request names, recognised without parsing (the port is not checked).
    for (const QByteArrayView plain : {QByteArrayView("127.0.0.1"), QByteArrayView("localhost"), QByteArrayView("[::1]")})
        if (hostHeader.startsWith(plain) && (hostHeader.size() == plain.size() || hostHeader.at(plain.size()) == ':'))
            return true;
    const QByteArray name = hostName(hostHeader);
    return isLoopbackName(name) || m_hosts.contains(name);
}

std::optional<HttpResponse> BrowserPolicy::refusal(const HttpRequest &request) const
{
    if (!hostAllowed(request.header("host"))) {
        return HttpResponse::error(421, QStringLiteral("This host answers only to loopback names (localhost, 127.0.0.1); "
                                                       "%1 is not one. Start it with --allow-host %1 to serve that name.")
                                            .arg(QString::fromLatin1(hostName(request.header("host")).left(100))));
    }
    const QByteArray origin = request.header("origin");
    if (!origin.isNull() && unsafeMethod(request.method) && !originAllowed(origin)) {
        return HttpResponse::error(403, QStringLiteral("Web pages from %1 may not use this host. "
                                                       "Start it with --allow-origin %1 to allow that site.")
                                            .arg(QString::fromLatin1(origin.left(100))));
    }
    return std::nullopt;
}

HeaderList BrowserPolicy::corsFor(const QByteArray &origin, bool extended) const
{
    if (origin.isEmpty())
        return corsHeaders(QByteArray(), extended); // not a browser's cross-origin request
    if (!originAllowed(origin)) {
        HeaderList h;
        h.emplaceBack("Vary", "Origin");
        return h;
    }
    return corsHeaders(origin, extended);
}

} // namespace deso::host

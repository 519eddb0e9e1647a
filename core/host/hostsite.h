#pragma once
// What every endpoint controller needs to know about the running host: its
// configuration, where it listens, and how a client reached it (for the URLs
// handed out in answers: Location, ImageURL, PlaybackURL).

#include "host/endpointhost.h"
#include "host/http/httpmessage.h"
#include "host/storagequota.h"

namespace deso::host {

struct HostSite {
    HostConfig config;
    quint16 port = 0;
    StorageQuota quota; // the data dir's bound, decided at start

    // http://<bind address>:<port>, 127.0.0.1 when bound to "any".
    QByteArray fallbackAuthority() const
    {
        QHostAddress a = config.bindAddress;
        if (a == QHostAddress::Any || a == QHostAddress::AnyIPv4 || a == QHostAddress::AnyIPv6 || a.isNull())
            a = QHostAddress::LocalHost;
        const QString host = a.protocol() == QAbstractSocket::IPv6Protocol ? QLatin1Char('[') + a.toString() + QLatin1Char(']')
                                                                           : a.toString();
        return (host + QLatin1Char(':') + QString::number(port)).toLatin1();
    }

    QByteArray baseUrlFor(const HttpRequest &request) const
    {
        return publicBaseUrl(request.header("host"), request.header("x-forwarded-host"),
                             request.header("x-forwarded-proto"), config.trustForwardedHeaders, fallbackAuthority());
    }

    // Where stored images are read from: the configured public base URL (a CDN or
    // the bucket's public address, as the node's images.deso.org), else this host.
    QByteArray mediaBaseUrlFor(const HttpRequest &request) const
    {
        if (!config.publicBaseUrl.isEmpty())
            return config.publicBaseUrl.toString(QUrl::StripTrailingSlash).toUtf8();
        return baseUrlFor(request);
    }
};

} // namespace deso::host

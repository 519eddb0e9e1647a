#pragma once
// What web pages in the user's browser may do with a host on this machine
// (issue 17). A page on any site can send requests to 127.0.0.1, and a page
// whose name an attacker re-points at 127.0.0.1 (DNS rebinding) is even
// same-origin with the host. So:
// - Host: when bound to loopback, only loopback names and addresses (and the
//   names configured in HostConfig::allowedHosts) are served; anything else is
//   421, the defence local dev servers use against rebinding.
// - CORS: only allowed origins (loopback origins plus HostConfig::allowedOrigins;
//   "*" = every origin, the node's behaviour) get Access-Control-Allow-Origin.
// - Unsafe requests (POST, PUT, PATCH, DELETE) that carry an Origin which is not
//   allowed are refused with 403 before anything is created or written.
//   Browsers always send Origin on such requests; the CLI, the GUI and curl
//   send none and are not affected (they run as the user anyway).

#include "host/endpointhost.h"
#include "host/http/httpmessage.h"

#include <optional>

namespace deso::host {

class BrowserPolicy {
public:
    explicit BrowserPolicy(const HostConfig &config);

    // An answer refusing the request (421 or 403), or nothing when it may proceed.
    std::optional<HttpResponse> refusal(const HttpRequest &request) const;
    // The CORS headers for an answer to a request with this Origin (none for a
    // disallowed origin, so the page cannot read the answer).
    HeaderList corsFor(const QByteArray &origin, bool extended) const;

    bool originAllowed(const QByteArray &origin) const;
    bool hostAllowed(const QByteArray &hostHeader) const;

    // http(s)://localhost, *.localhost, 127.0.0.0/8 or [::1], any port.
    static bool isLoopbackOrigin(const QByteArray &origin);
    // The name part of a Host header value ("[::1]:8089" -> "::1"), lower case.
    static QByteArray hostName(const QByteArray &hostHeader);
    static bool isLoopbackName(const QByteArray &name);

private:
    bool m_anyOrigin = false;
    bool m_anyHost = false;
    bool m_checkHost = true;
    QList<QByteArray> m_origins; // lower case, no trailing slash
    QList<QByteArray> m_hosts;   // lower case names
};

} // namespace deso::host

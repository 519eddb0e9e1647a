#pragma once
// The small HTTP/1.1 vocabulary shared by the host's two request paths: the
// bounded raw path (tus, /videos) and the QHttpServer path (JSON endpoints).

#include "common/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QPair>
#include <QString>

namespace deso::host {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// Largest request head (request line + headers) the raw path accepts; more is 431.
inline constexpr qsizetype kMaxRequestHeadBytes = 16 * 1024;

struct RawRequestHead {
    QByteArray method;
    QByteArray target;   // as sent: path plus optional query
    QByteArray version;  // "HTTP/1.1" or "HTTP/1.0"
    HeaderList headers;  // names lower-cased, values trimmed

    QByteArray path() const;
    // First value of a header (name in lower case), or a null QByteArray.
    QByteArray header(const QByteArray &lowerName) const;
    bool hasHeader(const QByteArray &lowerName) const;
    // HTTP/1.1 keeps the connection unless "Connection: close"; 1.0 only with keep-alive.
    bool wantsKeepAlive() const;
};

// Parses a complete head (ending with CRLF CRLF). Errors carry 400.
Result<RawRequestHead> parseRequestHead(const QByteArray &head);

// The request line's method and path, from the first line of a peeked buffer.
bool parseRequestLine(const QByteArray &line, QByteArray *method, QByteArray *path);

QByteArray reasonPhrase(int status);

// {"error": "<message>"} as compact JSON.
QByteArray jsonErrorBody(const QString &message);

// Where the client reached us, for URLs we hand out (Location, ImageURL).
// Built from Host (and X-Forwarded-Host/-Proto when trusted); falls back to
// `fallbackAuthority` when Host is missing or not a plausible authority.
QByteArray publicBaseUrl(const QByteArray &host, const QByteArray &forwardedHost,
                         const QByteArray &forwardedProto, bool trustForwarded,
                         const QByteArray &fallbackAuthority);

// CORS headers as the node sends them. `extended` adds what a browser tus client
// needs on the tus URL (PATCH/HEAD and the tus response headers exposed).
HeaderList corsHeaders(const QByteArray &origin, bool extended);

// RFC 7231 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
QByteArray httpDate(const QDateTime &at);

} // namespace deso::host

#pragma once
// The HTTP/1.1 vocabulary of the host's front door: the request head and how
// its body is framed, the response, byte ranges, and the small rules (CORS,
// dates, public URLs) every endpoint shares. Pure functions over outside bytes,
// so tests/fuzz can drive them without a socket.

#include "common/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>

#include <memory>
#include <utility>

namespace deso::host {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// How the request's body is delimited (RFC 9112 §6.3), decided once from the head.
enum class BodyFraming { None, Length, Chunked };

struct HttpRequest {
    QByteArray method;
    QByteArray target;   // as sent: path plus optional query
    QByteArray version;  // "HTTP/1.1" or "HTTP/1.0"
    HeaderList headers;  // names lower-cased, values trimmed
    BodyFraming framing = BodyFraming::None;
    qint64 contentLength = 0; // with BodyFraming::Length
    QByteArray peerAddress;   // the client's IP address as text, set by the connection

    QByteArray path() const;
    QByteArray query() const; // after '?', without it
    // First value of a header (name in lower case), or a null QByteArray. A view, so
    // that asking with a literal costs no allocation (several are asked per request).
    QByteArray header(QByteArrayView lowerName) const;
    bool hasHeader(QByteArrayView lowerName) const;
    // HTTP/1.1 keeps the connection unless "Connection: close"; 1.0 only with keep-alive.
    bool wantsKeepAlive() const;
    bool hasBody() const { return framing == BodyFraming::Chunked || contentLength > 0; }
};

// Parses a complete head (ending with CRLF CRLF) and decides its body framing:
// one Content-Length of plain digits, or Transfer-Encoding: chunked alone. A
// Content-Length sent twice or as a list, both headers at once, or an unknown
// transfer coding is an error (400 / 501): one reading of a body's length, so
// nothing in front of us can read it differently.
Result<HttpRequest> parseRequestHead(const QByteArray &head);

// A literal ("OK", "Not Found"): answers write it without a copy.
QByteArrayView reasonPhrase(int status);

// {"error": "<message>"} as compact JSON: the node's error shape.
QByteArray jsonErrorBody(const QString &message);

// Compact JSON written straight into bytes, for answers built per request
// (get-video-status is polled several times a second by every client). Keys are
// written in the order given: give them in QJsonObject's order (sorted by UTF-16
// code unit, so upper case first: "Duration" < "id" < "playbackID" < "playbackId"
// < "playbackURL") and the bytes equal QJsonDocument's compact writer; the tests
// hold every answer built with it to that.
class JsonWriter {
public:
    JsonWriter() { m_out.reserve(1024); }
    JsonWriter &beginObject();
    JsonWriter &endObject();
    JsonWriter &beginArray();
    JsonWriter &endArray();
    JsonWriter &key(QByteArrayView name); // plain ASCII names
    JsonWriter &value(bool b);
    JsonWriter &value(int i) { return value(qint64(i)); }
    JsonWriter &value(qint64 i);
    JsonWriter &value(double d); // integral values without a fraction, as Qt writes them
    JsonWriter &value(const QString &text);
    JsonWriter &latin1(QByteArrayView text); // bytes of a QString::fromLatin1 (URLs)
    QByteArray take() { return std::move(m_out); }

private:
    void element();
    QByteArray m_out;
    bool m_needComma = false;
};

// A body made elsewhere while it is sent (an object read from S3): the door
// reads it from `fd`, its end of a local socket pair, as the bytes come, and a
// producer on another thread writes the other end (blocking: it waits while the
// client reads, so nothing piles up in RAM). Fewer bytes than announced, and the
// door cuts the connection; a client gone, and the producer's writes fail.
class StreamedBody {
public:
    // The door's end (non-blocking) and the producer's end (blocking, to close when done).
    static Result<std::pair<std::shared_ptr<StreamedBody>, int>> create();
    ~StreamedBody();
    int fd() const { return m_fd; }

private:
    explicit StreamedBody(int fd) : m_fd(fd) {}
    int m_fd;
};

// Writes the whole of [data, data + size) to a producer's end; false when the
// door's end is gone (the client left) or the socket failed.
bool writeStreamedBytes(int producerFd, const char *data, qint64 size);

struct HttpResponse {
    int status = 200;
    HeaderList headers;
    QByteArray body;
    // When set, the body is this byte range of a file, streamed from disk.
    QString filePath;
    qint64 fileOffset = 0;
    qint64 fileLength = 0;
    // When set (and filePath empty), the body is fileLength bytes of this stream.
    std::shared_ptr<StreamedBody> streamed;
    bool closeConnection = false;

    void setHeader(const QByteArray &name, const QByteArray &value);
    QByteArray header(const QByteArray &name) const;

    static HttpResponse json(int status, const QJsonObject &object);
    // A body already written as compact JSON (JsonWriter, or kept from an earlier answer).
    static HttpResponse json(int status, QByteArray body);
    // The node's {"error": "..."} shape.
    static HttpResponse error(int status, const QString &message);
    static HttpResponse noContent();
    // GET/HEAD of a whole file or of the one byte range `rangeHeader` asks for:
    // 200, 206 with Content-Range, or 416. Multi-range or malformed Range
    // headers get the whole file (RFC 9110 §14.2).
    static HttpResponse file(const QString &path, qint64 size, const QByteArray &contentType,
                             const QByteArray &rangeHeader);
};

// One byte range of a representation of `size` bytes (RFC 9110 §14.1.2).
struct ByteRange {
    enum class Kind { Whole, Partial, Unsatisfiable };
    Kind kind = Kind::Whole;
    qint64 first = 0;
    qint64 last = -1; // inclusive
};
ByteRange parseByteRange(const QByteArray &rangeHeader, qint64 size);

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

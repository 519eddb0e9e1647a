#pragma once
// What the bounded raw request path needs from a handler: either an immediate
// response, or a sink that takes the request body as it streams in (never
// buffered whole), and responses that may stream a byte range of a file.

#include "common/result.h"
#include "host/httpmessage.h"

#include <memory>

namespace deso::host {

struct RawResponse {
    int status = 200;
    HeaderList headers;
    QByteArray body;
    // When set, the body is this byte range of a file, streamed from disk.
    QString filePath;
    qint64 fileOffset = 0;
    qint64 fileLength = 0;
    bool closeConnection = false;

    void setHeader(const QByteArray &name, const QByteArray &value);
    static RawResponse jsonError(int status, const QString &message);
};

class RequestBodySink {
public:
    virtual ~RequestBodySink() = default;
    // Takes the next piece of the body. An error stops reading; the sink has
    // already undone whatever it must.
    virtual Status write(const char *data, qint64 size) = 0;
    // Called once: `bodyComplete` is false when the peer went away mid-body.
    virtual RawResponse finish(bool bodyComplete) = 0;
};

struct RawPlan {
    RawResponse response;                  // used when sink is null
    std::unique_ptr<RequestBodySink> sink; // receives exactly bodyLength bytes
    qint64 bodyLength = 0;
};

} // namespace deso::host

#pragma once
// The host's one listening socket. QHttpServer 6.4 reads a whole request body
// into memory before any handler runs (no limit, ~2x the body in RAM), which a
// 250 MB video upload must never hit. So every connection first meets a
// RequestSniffer that peeks (MSG_PEEK) at the request head without consuming
// it: tus and /videos requests go to RawConnection, a bounded HTTP/1.1 reader
// that streams bodies to disk and files from disk; everything else is handed,
// bytes untouched, to QHttpServer (addPendingConnection). After each raw
// request on a kept-alive connection the next request head is sniffed again.
// Requests for QHttpServer with a Content-Length over their endpoint's bound
// (or a chunked body) are kept on the raw path too and refused there (413/411),
// so QHttpServer only ever buffers small bodies.

#include "host/rawexchange.h"

#include <QDateTime>
#include <QTcpServer>

namespace deso::host {

struct RawLogEntry {
    QByteArray method;
    QByteArray path;
    int status = 0;
    qint64 bytes = 0;
    qint64 durationMs = 0;
};

class RawRouter {
public:
    virtual ~RawRouter() = default;
    // Decided from the complete request head, peeked but not consumed.
    virtual bool isRawRoute(const RawRequestHead &head) const = 0;
    virtual RawPlan route(const RawRequestHead &head) = 0;
    // CORS and other headers every raw response carries.
    virtual void decorate(const RawRequestHead &head, RawResponse &response) = 0;
    virtual void logged(const RawLogEntry &entry) = 0;
};

class HostListener : public QTcpServer {
    Q_OBJECT
public:
    HostListener(RawRouter *router, QObject *parent = nullptr);
    ~HostListener() override;

    // Looks at the next request on `fd` and passes the connection on.
    void dispatch(qintptr fd);

protected:
    void incomingConnection(qintptr fd) override;

private:
    friend class RequestSniffer;
    void toHttpServer(qintptr fd);
    void toRaw(qintptr fd);

    RawRouter *m_router;
};

} // namespace deso::host

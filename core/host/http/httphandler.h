#pragma once
// What an endpoint gives the front door for one request, and how it answers.
//
// The door parses the head and decides the body's framing; the router then
// *admits* the request: either an answer at once, or a RequestHandler that takes
// the body as it streams in (never whole in RAM unless the handler chooses to
// keep a bounded body) together with the largest body it accepts. A body over
// that bound is refused with 413 from the head, before a byte of it is read.
// When the body has arrived the handler answers through a Responder, at once or
// later (after work on another thread); answers on a connection leave in the
// order the requests came.

#include "common/result.h"
#include "host/http/httpmessage.h"

#include <QPointer>

#include <functional>
#include <memory>

namespace deso::host {

class HttpConnection;

// The answer slot of one request. Copyable; must be used on the server's thread.
// Answering a request whose connection has gone does nothing.
class Responder {
public:
    Responder() = default;
    void send(HttpResponse response) const;
    bool connected() const;

private:
    friend class HttpConnection;
    Responder(HttpConnection *connection, quint64 sequence);
    QPointer<HttpConnection> m_connection;
    quint64 m_sequence = 0;
};

// Lets a handler hold its request's body back while it works elsewhere (the
// bytes wait in the kernel, so a slow store never means a body in RAM), and
// answer before reading it. Copyable; server thread only; does nothing once the
// request is over or its connection gone.
class BodyValve {
public:
    BodyValve() = default;
    // No body() calls until resume(); the body-stall deadline waits too.
    void pause() const;
    void resume() const;
    // Answers now, with the rest of the body unread (the connection closes after
    // the answer). The handler is not abandoned: it chose this.
    void answerNow(HttpResponse response) const;

private:
    friend class HttpConnection;
    BodyValve(HttpConnection *connection, quint64 sequence);
    QPointer<HttpConnection> m_connection;
    quint64 m_sequence = 0;
};

class RequestHandler {
public:
    virtual ~RequestHandler() = default;
    // Called once, before any body(): the request's valve.
    virtual void attach(BodyValve valve) { Q_UNUSED(valve); }
    // The next piece of the body (already de-chunked). An error refuses the rest:
    // the door answers with it and closes the connection; the handler has undone
    // whatever it must.
    virtual Status body(const char *data, qint64 size)
    {
        Q_UNUSED(data);
        Q_UNUSED(size);
        return {};
    }
    // The whole body has arrived: answer now or later.
    virtual void end(Responder responder) = 0;
    // The body will not complete (the peer went away or stalled, or the host is
    // stopping): keep or undo what arrived; there is no one to answer.
    virtual void abandon() {}
};

// A handler for small bodies: collects up to the admission's bound (the door
// enforces it), then calls `done` with the whole body.
class BufferedBody final : public RequestHandler {
public:
    using Done = std::function<void(const QByteArray &body, Responder responder)>;
    explicit BufferedBody(Done done) : m_done(std::move(done)) {}
    Status body(const char *data, qint64 size) override
    {
        m_body.append(data, size);
        return {};
    }
    void end(Responder responder) override { m_done(m_body, std::move(responder)); }

private:
    Done m_done;
    QByteArray m_body;
};

struct Admission {
    // Bodies of requests whose endpoints take none, and small JSON bodies.
    static constexpr qint64 kSmallBodyBytes = 64 * 1024;

    HttpResponse response;                    // the answer when handler is null
    std::unique_ptr<RequestHandler> handler;  // receives the body, then answers
    // Over this: 413 before reading the body. An answer given from the head alone
    // leaves a body unread (the connection closes after it); by default it still
    // refuses bodies over a small bound with 413, as nothing here takes them.
    qint64 maxBodyBytes = kSmallBodyBytes;
    bool chunkedAllowed = false;              // else a chunked body gets 411

    static Admission answer(HttpResponse response)
    {
        Admission a;
        a.response = std::move(response);
        return a;
    }
    static Admission stream(std::unique_ptr<RequestHandler> handler, qint64 maxBodyBytes, bool chunkedAllowed = false)
    {
        Admission a;
        a.handler = std::move(handler);
        a.maxBodyBytes = maxBodyBytes;
        a.chunkedAllowed = chunkedAllowed;
        return a;
    }
    // A small body, collected whole (chunked allowed), then `done`.
    static Admission buffered(qint64 maxBodyBytes, BufferedBody::Done done)
    {
        return stream(std::make_unique<BufferedBody>(std::move(done)), maxBodyBytes, true);
    }
};

struct HttpLogEntry {
    QByteArray method;
    QByteArray path;
    int status = 0;
    qint64 bytes = 0;      // body bytes received plus body bytes sent
    qint64 durationMs = 0;
};

class HttpRouter {
public:
    virtual ~HttpRouter() = default;
    // Decides what happens to a request from its parsed head (framing decided).
    virtual Admission admit(const HttpRequest &request) = 0;
    // Headers every answer carries (CORS); called for every response, errors too.
    virtual void decorate(const HttpRequest *request, HttpResponse &response) = 0;
    virtual void logged(const HttpLogEntry &entry) = 0;
};

} // namespace deso::host

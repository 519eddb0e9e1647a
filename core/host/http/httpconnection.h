#pragma once
// One client connection of the front door: reads request heads (bounded),
// frames bodies (Content-Length or chunked) and streams them into the admitted
// handler, writes answers (file bodies with sendfile), keeps the connection
// alive for the next request, and serves pipelined requests one after another,
// in order. Non-blocking sockets driven by two QSocketNotifiers on the server's
// thread; deadlines are checked by the server's sweep.

#include "host/http/httphandler.h"

#include <QObject>

#include <list>
#include <vector>

class QSocketNotifier;

namespace deso::host {

class HttpServer;

class HttpConnection : public QObject {
public:
    HttpConnection(int fd, HttpServer *server, HttpRouter *router);
    ~HttpConnection() override;

    // For the server: deadlines, and who may be closed to make room.
    void checkDeadline(qint64 now);
    bool betweenRequests() const; // waiting for a head
    bool idle() const;            // waiting for a head, no byte of it yet
    qint64 lastActivity() const { return m_lastActivity; }
    qint64 headStarted() const { return m_headStarted; } // -1: no byte of a head yet
    bool lingering() const { return m_state == State::Drain; } // answered, closing
    void closeNow();

    std::list<HttpConnection *>::iterator position; // in the server's list

private:
    friend class Responder;
    friend class BodyValve;
    enum class State { Head, Body, Answer, Write, Drain, Closed };
    enum class Chunk { Size, Data, DataEnd, Trailer };

    void pump();
    bool readInput();
    bool takeHead();
    void startRequest(HttpRequest request);
    bool feedBody();
    bool feedLengthBody();
    bool feedChunkedBody();
    Status deliver(const char *data, qint64 size);
    void bodyComplete();
    void bodyFailed(HttpResponse response);
    void refuse(int status, const QString &message);
    void answer(quint64 sequence, HttpResponse response);
    void pauseBody(quint64 sequence, bool paused);
    void answerDuringBody(quint64 sequence, HttpResponse response);
    void respond(HttpResponse response);
    bool writeOut();
    void finishResponse();
    void drain();
    void log();
    void wantRead(bool on);
    void wantWrite(bool on);
    qsizetype available() const { return m_in.size() - m_inPos; }
    void consume(qsizetype n);

    int m_fd;
    QByteArray m_peerAddress; // HttpRequest::peerAddress of every request on it
    HttpServer *m_server;
    HttpRouter *m_router;
    State m_state = State::Head;
    QSocketNotifier *m_read;
    QSocketNotifier *m_write;
    bool m_reading = false;
    bool m_writing = false;
    bool m_inPump = false;
    bool m_blockedOnWrite = false; // the last send found the socket full

    QByteArray m_in;             // received, not yet consumed (heads, chunked bodies)
    qsizetype m_inPos = 0;
    qint64 m_lastActivity = 0;
    qint64 m_headStarted = -1;   // when the first byte of the pending head came
    qint64 m_requestStarted = 0;

    HttpRequest m_request;
    bool m_haveRequest = false;
    quint64 m_sequence = 0;
    std::unique_ptr<RequestHandler> m_handler;
    bool m_bodyPaused = false;   // the handler holds the body back (BodyValve)
    qint64 m_bodyLimit = 0;
    qint64 m_bodyRemaining = 0;  // Content-Length bytes still to come, or of the current chunk
    qint64 m_bodyBytes = 0;      // body bytes received (decoded)
    Chunk m_chunk = Chunk::Size;
    qsizetype m_trailerBytes = 0;
    std::vector<char> m_bodyBuffer;

    QByteArray m_out;
    qsizetype m_outPos = 0;
    void waitForStream();
    void endStream();

    std::shared_ptr<StreamedBody> m_streamed; // the answer's body comes from here (HttpResponse::streamed)
    QSocketNotifier *m_streamReady = nullptr;
    std::vector<char> m_streamBuffer;
    qsizetype m_streamPos = 0;
    qsizetype m_streamEnd = 0;
    int m_fileFd = -1;
    qint64 m_filePos = 0;
    qint64 m_fileRemaining = 0;
    qint64 m_sentBodyBytes = 0;
    int m_status = 0;
    bool m_close = false;
};

} // namespace deso::host

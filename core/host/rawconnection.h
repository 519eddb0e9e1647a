#pragma once
// One request on the bounded raw path: reads the head exactly (peek, then
// consume up to CRLF CRLF; more than kMaxRequestHeadBytes is 431), streams the
// body in 1 MiB pieces into the handler's sink, writes the response (streaming
// file ranges from disk), then either hands the kept-alive connection back to
// the listener for the next request or closes it (lingering so the peer reads
// the answer).

#include "host/hostlistener.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <vector>

class QSocketNotifier;

namespace deso::host {

class RawConnection : public QObject {
public:
    RawConnection(qintptr fd, HostListener *listener, RawRouter *router);
    ~RawConnection() override;

private:
    enum class State { Head, Body, Respond, Drain };

    void onReadable();
    void onWritable();
    void readHead();
    void readBody();
    void startResponse(RawResponse response);
    bool fillOutput();
    void finishResponse();
    void logRequest();
    void closeNow();
    void fail(int status, const QString &message);

    int m_fd;
    HostListener *m_listener;
    RawRouter *m_router;
    State m_state = State::Head;
    QSocketNotifier *m_read;
    QSocketNotifier *m_write;
    QTimer m_idle;
    QElapsedTimer m_clock;

    QByteArray m_headBytes;
    RawRequestHead m_head;
    bool m_headParsed = false;
    RawPlan m_plan;
    qint64 m_bodyRemaining = 0;
    qint64 m_bodyBytes = 0;
    std::vector<char> m_buffer;

    QByteArray m_out;
    qsizetype m_outPos = 0;
    int m_fileFd = -1;
    qint64 m_filePos = 0;
    qint64 m_fileRemaining = 0;
    qint64 m_sentBodyBytes = 0;
    int m_status = 0;
    bool m_close = false;
};

} // namespace deso::host

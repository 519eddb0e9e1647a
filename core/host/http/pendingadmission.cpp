#include "host/http/pendingadmission.h"

#include <limits>
#include <optional>

namespace deso::host {

struct PendingAdmission::State {
    bool hasBody = false;
    bool chunked = false;
    qint64 contentLength = 0;
    BodyValve valve;
    bool gone = false;                      // abandoned before the decision
    bool decided = false;
    std::unique_ptr<RequestHandler> inner;  // the decision's handler
    std::optional<Responder> ended;         // the body ended before the decision

    void decide(Admission a)
    {
        if (decided)
            return;
        decided = true;
        if (gone) {
            if (a.handler)
                a.handler->abandon();
            return;
        }
        if (!a.handler) {
            if (ended)
                return ended->send(std::move(a.response));
            return valve.answerNow(std::move(a.response)); // the body stays unread
        }
        if (!chunked && contentLength > a.maxBodyBytes)
            return refuse(a, 413, QStringLiteral("The request body is larger than this endpoint accepts (%1 bytes).").arg(a.maxBodyBytes));
        if (chunked && !a.chunkedAllowed)
            return refuse(a, 411, QStringLiteral("Send this body with a Content-Length; chunked transfer encoding is not accepted here."));
        inner = std::move(a.handler);
        valve.resume();
        inner->attach(valve); // it may hold the body back again
        if (ended)
            inner->end(*ended);
    }

    void refuse(Admission &a, int status, const QString &message)
    {
        a.handler->abandon();
        HttpResponse r = HttpResponse::error(status, message);
        if (ended)
            return ended->send(std::move(r));
        valve.answerNow(std::move(r));
    }
};

PendingAdmission::PendingAdmission(const HttpRequest &request, std::function<void(Decide)> start)
    : m_state(std::make_shared<State>()), m_start(std::move(start))
{
    m_state->hasBody = request.hasBody();
    m_state->chunked = request.framing == BodyFraming::Chunked;
    m_state->contentLength = request.contentLength;
}

// The state goes with the request: a decision arriving later finds it gone and
// abandons its handler; a decided handler's destructor keeps or undoes its work.
PendingAdmission::~PendingAdmission() = default;

void PendingAdmission::attach(BodyValve valve)
{
    m_state->valve = valve;
    valve.pause();
    std::weak_ptr<State> state = m_state;
    auto start = std::move(m_start);
    start([state](Admission a) {
        if (auto s = state.lock())
            s->decide(std::move(a));
        else if (a.handler)
            a.handler->abandon();
    });
}

Status PendingAdmission::body(const char *data, qint64 size)
{
    if (!m_state->inner) // the valve holds the body until the decision: never here
        return Error(QStringLiteral("http.internal"), QStringLiteral("The request body came before the host decided on it."), 500);
    return m_state->inner->body(data, size);
}

void PendingAdmission::end(Responder responder)
{
    if (m_state->inner)
        return m_state->inner->end(std::move(responder));
    m_state->ended = std::move(responder);
}

void PendingAdmission::abandon()
{
    if (m_state->inner)
        return m_state->inner->abandon();
    m_state->gone = true;
}

Admission PendingAdmission::admission(const HttpRequest &request, std::function<void(Decide)> start)
{
    return Admission::stream(std::make_unique<PendingAdmission>(request, std::move(start)),
                             std::numeric_limits<qint64>::max(), true);
}

} // namespace deso::host

#pragma once
// An admission decided later: the router cannot tell from the head alone what
// a request gets (the upload record lives in a bucket), so the decision is
// made off the server thread and comes back as an ordinary Admission. Until
// then the body is held back (BodyValve); then the decision's answer goes out
// (the body unread, as an answer from the head), or its handler takes the body.
// The decision's own bounds (maxBodyBytes, chunkedAllowed) are applied then.

#include "host/http/httphandler.h"

#include <functional>
#include <memory>

namespace deso::host {

class PendingAdmission final : public RequestHandler {
public:
    // Server thread only; does nothing once the request is gone (its handler is
    // then abandoned, so it can undo what it took, e.g. a lease).
    using Decide = std::function<void(Admission)>;
    // `start` is called once the request is attached, with the function that
    // takes the decision.
    PendingAdmission(const HttpRequest &request, std::function<void(Decide)> start);
    ~PendingAdmission() override;

    void attach(BodyValve valve) override;
    Status body(const char *data, qint64 size) override;
    void end(Responder responder) override;
    void abandon() override;

    // The admission the door takes for it: any body size and framing, decided later.
    static Admission admission(const HttpRequest &request, std::function<void(Decide)> start);

private:
    struct State;
    std::shared_ptr<State> m_state;
    std::function<void(Decide)> m_start;
};

} // namespace deso::host

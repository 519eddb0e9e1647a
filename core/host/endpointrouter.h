#pragma once
// The host's endpoint table: which controller admits which request, the body
// bound of every endpoint (decided here, once), CORS on every answer, and the
// request log.

#include "host/controllers/imagecontroller.h"
#include "host/controllers/playbackcontroller.h"
#include "host/controllers/mediaservercontroller.h"
#include "host/controllers/tiktokcontroller.h"
#include "host/controllers/videocontroller.h"
#include "host/browserpolicy.h"
#include "host/http/httphandler.h"
#include "host/tusserver.h"

#include <functional>

namespace deso::host {

class EndpointRouter final : public HttpRouter {
public:
    // JSON bodies (get-full-tiktok-url); upload-image has ImageController::kUploadBodyLimit,
    // tus bodies the rest of their upload.
    static constexpr qint64 kSmallBodyLimit = Admission::kSmallBodyBytes;

    struct Controllers {
        ImageController *images;
        TusServer *tus;
        VideoController *videos;
        TikTokController *tiktok;
        PlaybackController *playback;
        MediaServerController *media;
        // Where records live; when its calls block (object storage), requests that
        // read them are decided off the server thread, on `context`'s thread after.
        HostStorage *storage = nullptr;
        QObject *context = nullptr;
    };
    using LogSink = std::function<void(const RequestLogEntry &)>;

    EndpointRouter(const HostSite &site, Controllers controllers, LogSink log);

    Admission admit(const HttpRequest &request) override;
    void decorate(const HttpRequest *request, HttpResponse &response) override;
    void logged(const HttpLogEntry &entry) override;

    static QByteArray uploadVideoPath() { return "/api/v0/upload-video"; }

private:
    // `decide` as it is, or (storage whose calls block) run off the server thread
    // with the body held until it has decided. It must only read shared state.
    using Decision = std::function<Admission(const HttpRequest &)>;
    Admission decided(const HttpRequest &request, Decision decide);
    Admission answered(const HttpRequest &request, std::function<HttpResponse(const HttpRequest &)> answer);

    const HostSite &m_site;
    BrowserPolicy m_browsers;
    Controllers m_c;
    LogSink m_log;
};

} // namespace deso::host

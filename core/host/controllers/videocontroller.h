#pragma once
// GET /api/v0/get-video-status/<id>, GET /api/v0/get-video-dimensions/<id> and
// GET|HEAD /videos/<id>: what the host knows of an uploaded video, in the node's
// shapes, and the video itself (with Range) once it is ready.

#include "host/hostsite.h"
#include "host/hoststorage.h"
#include "host/http/httphandler.h"
#include "host/uploadstore.h"

namespace deso::host {

class VideoController {
public:
    VideoController(const HostSite &site, HostStorage &storage);

    HttpResponse status(const HttpRequest &request, const QString &id) const;
    HttpResponse dimensions(const QString &id) const;
    Admission video(const HttpRequest &request, const QString &id) const;

    static QByteArray videosPrefix() { return "/videos/"; }
    // The node's video id rule.
    static bool isVideoId(const QString &id);
    // pctComplete as 0..1.
    static double completion(const UploadRecord &record);

private:
    const HostSite &m_site;
    HostStorage &m_storage;
    UploadStore &m_store;
};

} // namespace deso::host

#pragma once
// GET /api/v0/get-video-status/<id>, GET /api/v0/get-video-dimensions/<id> and
// GET|HEAD /videos/<id>: what the host knows of an uploaded video, in the node's
// shapes, and the video itself (with Range) once it is ready.

#include "host/controllers/videoasset.h"
#include "host/hostsite.h"
#include "host/hoststorage.h"
#include "host/http/httphandler.h"
#include "host/uploadstore.h"

#include <QHash>
#include <functional>
#include <QMutex>

namespace deso::host {

class VideoController {
public:
    VideoController(const HostSite &site, HostStorage &storage);

    HttpResponse status(const HttpRequest &request, const QString &id) const;
    HttpResponse dimensions(const QString &id) const;
    Admission video(const HttpRequest &request, const QString &id) const;

    // Object storage: told the id of a queued or running video whose processing
    // nobody holds (its instance died), found while answering its status. Called
    // off the server thread.
    void onAbandonedJob(std::function<void(const QString &id)> found) { m_abandonedJob = std::move(found); }

    static QByteArray videosPrefix() { return "/videos/"; }
    // The node's video id rule.
    static bool isVideoId(const QString &id);

private:
    const HostSite &m_site;
    HostStorage &m_storage;
    UploadStore &m_store;
    std::function<void(const QString &id)> m_abandonedJob;
    // Status bodies as last answered, by video id: pollers ask far more often than a
    // record changes, so a body is rebuilt only when what it shows has changed.
    struct KeptStatus {
        VideoStatusInputs inputs;
        QByteArray body;
    };
    mutable QMutex m_keptStatusMutex; // status() runs off the server thread with object storage
    mutable QHash<QString, KeptStatus> m_keptStatus;
};

} // namespace deso::host

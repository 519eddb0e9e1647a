#pragma once
// What happens to a video once its last byte is stored: today a libavformat
// probe (off the server thread) that makes it ready, with duration and size,
// or an error with the node's reason code. Unfinished work is picked up again
// when the host starts.

#include "host/uploadstore.h"

#include <QObject>

#include <memory>

namespace deso::host {

class VideoProcessing {
public:
    VideoProcessing(UploadStore &store, QObject *context);
    ~VideoProcessing();

    void uploadComplete(const std::shared_ptr<UploadRecord> &record);
    // Probes cut short by a stop, and uploads whose last byte was recorded just before it.
    void resumeUnfinished();

private:
    void probe(const QString &id);
    void save(const UploadRecord &record);

    UploadStore &m_store;
    QObject *m_context;
    // Results of probes still running when this object goes are dropped.
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

} // namespace deso::host

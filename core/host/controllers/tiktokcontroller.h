#pragma once
// POST /api/v0/get-full-tiktok-url: {"TikTokShortVideoID"} → {"FullTikTokURL"},
// resolved by core/tiktok without blocking the server thread.

#include "host/http/httphandler.h"

namespace deso::tiktok {
class TikTokResolver;
}

namespace deso::host {

class TikTokController {
public:
    explicit TikTokController(tiktok::TikTokResolver *resolver) : m_resolver(resolver) {}
    Admission resolve(qint64 maxBodyBytes);

private:
    tiktok::TikTokResolver *m_resolver;
};

} // namespace deso::host

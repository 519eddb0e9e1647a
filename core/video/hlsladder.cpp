// The HLS ladder: pure arithmetic, built into core (for callers that plan) and into the
// video engine module (for the transcoder), which cannot reach each other's symbols.
#include "video/hlstranscoder.h"

#include <algorithm>
#include <cmath>

namespace deso::video {

namespace {

int even(double v)
{
    const int i = int(std::lround(v));
    return std::max(2, i - (i % 2));
}

} // namespace

QList<HlsRung> ladderFor(int sourceWidth, int sourceHeight, int topLines)
{
    QList<HlsRung> ladder;
    if (sourceWidth <= 0 || sourceHeight <= 0)
        return ladder;
    // Rungs are named by the short side, so a portrait 720x1280 clip is "720p".
    const bool portrait = sourceHeight > sourceWidth;
    const int shortSide = std::min(sourceWidth, sourceHeight);
    const double longPerShort = double(std::max(sourceWidth, sourceHeight)) / shortSide;
    auto rung = [&](int lines) {
        HlsRung r;
        const int s = even(lines), l = even(lines * longPerShort);
        r.width = portrait ? s : l;
        r.height = portrait ? l : s;
        // About 0.1 bit per pixel per frame at 30 fps, within sane bounds.
        r.videoBitrate = int(std::clamp(double(r.width) * r.height * 2.9, 200000.0, 6000000.0));
        r.name = QStringLiteral("%1p").arg(s);
        return r;
    };
    const int top = std::min(shortSide, std::max(2, topLines));
    for (int lines : {360, 720}) {
        if (lines < top - 8) // a rung within a few lines of the top one adds nothing
            ladder.append(rung(lines));
    }
    ladder.append(rung(top));
    return ladder;
}

} // namespace deso::video

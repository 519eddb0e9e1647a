#pragma once
// The bundled sample clip (2 s, 320x180 H.264, 13 KB) as a real file: tus uploads
// and video probes need a path, not a resource.

#include "common/result.h"

#include <QString>

namespace deso::nodetest {

// Writes the clip to `path` (replacing it, owner-only permissions). With
// `paddingBytes` > 0 a top-level MP4 "free" box of that size follows the clip:
// readers skip such boxes by definition, so the file stays a valid, streamable
// video while spanning several tus chunks (demos, pause/resume tests). The padding
// is written in 1 MiB pieces, never held whole. paddingBytes must be 0 or 8..4 GiB-1.
Status writeSampleClip(const QString &path, qint64 paddingBytes = 0);

} // namespace deso::nodetest

#pragma once
// What a file is for a node, judged by its content, and how it is prepared to be sent:
// the node's limits decide what is refused before any upload, and images over its size
// limit are sent as a smaller copy made by core/image.

#include "common/result.h"
#include "node/nodeclient.h"
#include "upload/uploadstatus.h"

#include <QFuture>
#include <QString>

#include <optional>

namespace deso::upload {

// The node's limits, so that a file that cannot succeed is refused before any upload.
inline constexpr qint64 kMaxVideoBytes = 262'144'000;
// Images over the node's 10,000,000 bytes are sent as a smaller copy; past this even that
// is refused, to keep the memory it takes bounded.
inline constexpr qint64 kMaxShrinkableImageBytes = 64 * 1024 * 1024;

struct UploadFile {
    QString path;      // absolute
    QString name;
    QString mimeType;  // from the content, never the name
    qint64 size = 0;
    MediaKind kind = MediaKind::Unsupported;
    bool needsSmallerCopy = false;  // an image over the node's size limit
    std::optional<Error> refusal;   // why the node would refuse it; nothing is sent then
};

UploadFile inspectFile(const QString &path);

// The image part to send. makeAcceptable: at most 10,000,000 bytes and 4000 px a side
// (a file that fits is sent untouched), else the bytes as they are, typed from their
// content, so that a tester sees the node's own refusals. Blocking; see prepareImageAsync.
Result<node::ImagePart> prepareImage(const QString &path, bool makeAcceptable);
QFuture<Result<node::ImagePart>> prepareImageAsync(const QString &path, bool makeAcceptable);

} // namespace deso::upload

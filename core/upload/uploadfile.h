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

// What the user dropped or named, expanded: files to queue, and what was left out.
struct MediaCollection {
    // Named files as they are (a refused one stays, with its reason: nothing the user
    // named disappears silently), then the images and videos found in folders.
    QList<UploadFile> files;
    QStringList skipped;       // files in folders that are not images or videos
    bool capped = false;       // the walk stopped at the cap of media files
    bool stoppedLooking = false; // the walk stopped at the cap of files looked at
    int maxFiles = 0;

    // One sentence on what was left out ("Skipped 12 files that are not images or
    // videos: a.txt, b.doc, c.zip and 9 more."); empty when nothing was.
    QString leftOutSentence() const;
};

// At most this many media files from one drop's folders: a queue of thousands helps
// nobody, and every row costs a thumbnail.
inline constexpr int kMaxCollectedFiles = 500;

bool containsFolder(const QStringList &paths);

// Expands `paths`: a file is inspected as is; a folder is walked recursively, in
// name order, taking its images and videos (judged by content) and skipping other
// files. Hidden files and folders are not looked at. Symbolic links are followed,
// but each real folder and file is taken once, so links that loop end. The walk stops
// at `maxFiles` media files, or after looking at 20 times as many files. Blocking,
// and a large tree takes a while: run it off the UI thread when paths hold a folder.
MediaCollection collectMedia(const QStringList &paths, int maxFiles = kMaxCollectedFiles);

// The image part to send. makeAcceptable: at most 10,000,000 bytes and 4000 px a side
// (a file that fits is sent untouched), else the bytes as they are, typed from their
// content, so that a tester sees the node's own refusals. Blocking; see prepareImageAsync.
Result<node::ImagePart> prepareImage(const QString &path, bool makeAcceptable);
QFuture<Result<node::ImagePart>> prepareImageAsync(const QString &path, bool makeAcceptable);

} // namespace deso::upload

#pragma once
// What a file is for a node, judged by its content, and how it is prepared to be sent:
// the node's limits decide what is refused before any upload, images over its size
// limit are sent as a smaller copy made by core/image, and videos over the chosen
// server's limit, when asked, as a smaller copy made by core/video (compress-to-fit).

#include "common/result.h"
#include "node/nodeclient.h"
#include "upload/uploadstatus.h"

#include <QFuture>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

namespace deso::upload {

// The node's limits, so that a file that cannot succeed is refused before any upload.
inline constexpr qint64 kMaxVideoBytes = 262'144'000;
// A media server's video limit unless the creator sets another: DeSo's web app refuses
// videos over 65 MB before sending them to media.deso.org.
inline constexpr qint64 kDefaultMediaServerVideoBytes = 65 * 1024 * 1024;

// The one rule for where a video's size limit comes from, for the window and the command
// line: the node's kMaxVideoBytes when videos go to the node over tus, the media server's
// limit (mediaServerLimitBytes; <= 0: kDefaultMediaServerVideoBytes) when they go to one.
VideoLimit videoLimit(bool toMediaServer, qint64 mediaServerLimitBytes = 0);
// "Too large: the node takes videos up to 250.0 MB and this one is 300.0 MB."
Error videoTooLarge(qint64 size, const VideoLimit &limit);
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
    // A video over the limit it was judged by: refused as it is (`refusal` says so), but a
    // smaller copy that fits can be made (prepareVideo): the window offers it (or makes it
    // unasked, by setting), the command line's `upload-video --fit` makes it.
    bool smallerCopyCanFit = false;
    VideoLimit videoLimit;          // what a video was judged by
    std::optional<Error> refusal;   // why the server would refuse it; nothing is sent then
};

// What `path` is and whether it can go as it is; videos are judged by `limit`
// (default: the node's).
UploadFile inspectFile(const QString &path, const VideoLimit &limit = videoLimit(false));

// The video file to send within `limitBytes`.
struct PreparedVideo {
    QString path;         // the file itself when it fits, else the smaller copy
    qint64 size = 0;
    bool changed = false; // a copy was made
    QString preparation;  // one sentence, e.g. "Sent as a 1280×720 copy of 24.0 MB (was 31.5 MB)."
    int width = 0, height = 0; // of the copy (0 when sent as it is)
};

// The one rule for GUI and CLI: a video at most `limitBytes` goes as it is; a larger
// one as an H.264/AAC copy that fits (core/video's compressToFit), made in the
// cache folder and kept there until sent (a later run reuses it, so a resumed
// upload finds the same file). The original is never changed. Blocking; progress
// 0..1 while a copy is being made.
Result<PreparedVideo> prepareVideo(const QString &path, qint64 limitBytes, const std::atomic<bool> *cancel,
                                   const std::function<void(double)> &progress);
// The same on a pool thread; progress as the future's progress value 0..1000.
QFuture<Result<PreparedVideo>> prepareVideoAsync(const QString &path, qint64 limitBytes,
                                                 std::shared_ptr<std::atomic<bool>> cancel);
// Removes a copy prepareVideo made (after it was sent); nothing for an original.
void discardPreparedVideo(const PreparedVideo &video);

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
// limit: as for inspectFile.
MediaCollection collectMedia(const QStringList &paths, const VideoLimit &limit = videoLimit(false),
                             int maxFiles = kMaxCollectedFiles);

// The image part to send. makeAcceptable: at most 10,000,000 bytes and 4000 px a side
// (a file that fits is sent untouched), else the bytes as they are, typed from their
// content, so that a tester sees the node's own refusals. Blocking; see prepareImageAsync.
Result<node::ImagePart> prepareImage(const QString &path, bool makeAcceptable);
QFuture<Result<node::ImagePart>> prepareImageAsync(const QString &path, bool makeAcceptable);

} // namespace deso::upload

// Compress-to-fit as a creator meets it in the window (issue 14, item 4), offscreen, with
// the window's own host as the media server and its video limit set small in isolated
// settings: a real clip made in the test with FFmpeg's libraries is held with an offer
// (not sent, not refused); the copy that fits is made off the UI thread with progress in
// the row; Cancel stops it and leaves no partial file; the copy is at most the limit and
// plays (probed), the preview switches to it beside the original; keep-as-is refuses with
// the limit's sentence; discarding or removing takes the copy away; and the copy, not the
// original, is what the real host stores. The original's bytes never change.
#include "testsettings.h"
#include "windowonownhost.h"
#include "testfiles.h"
#include "hostpanel.h"
#include "mainwindow.h"
#include "mediaqueuemodel.h"
#include "nodesettingspanel.h"
#include "nodetest/sampleclip.h"
#include "nodetesterpanel.h"
#include "noticebar.h"
#include "syntheticclip.h"
#include "video/videoprobe.h"
#include "videopreview.h"

#include <QAction>
#include <QDirIterator>
#include <QLabel>
#include <QListView>
#include <QMediaPlayer>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest>

extern "C" {
#include <libavutil/log.h>
}

using State = MediaQueueModel::State;
using deso::upload::StatusNote;

class TestFitOffer : public QObject {
    Q_OBJECT

    static constexpr qint64 kLimit = 2 * 1024 * 1024; // the media server's limit in this test

    QTemporaryDir m_home;
    QTemporaryDir m_data;
    std::unique_ptr<MainWindow> m_window;
    QString m_clip;      // 1280×720, 6 s, H.264 + AAC, over kLimit
    QByteArray m_clipHash;
    double m_clipSeconds = 0;
    QString m_rowId;     // the clip's row, through the tests

    MainWindow &w() { return *m_window; }
    MediaQueueModel &q() { return *w().queue(); }
    const MediaQueueModel::Item &item(const QString &id) { return *q().find(id); }

    // Where core keeps copies that fit: the app's cache folder.
    static QString copiesDir()
    {
        return QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + QStringLiteral("/fitted-videos");
    }
    static QStringList copiesOnDisk() { return QDir(copiesDir()).entryList(QDir::Files); }

    void select(const QString &id) { w().selectRow(q().rowOf(id)); }
    QString addOne(const QString &path)
    {
        const int before = q().rowCount();
        w().addFiles({path});
        return q().rowCount() == before + 1 ? q().item(before).id : QString();
    }
    QToolButton *offerButton(const char *action)
    {
        return w().fitOffer()->findChild<QToolButton *>(QStringLiteral("fitOffer-%1").arg(QLatin1String(action)));
    }

private slots:
    void initTestCase()
    {
        testcommon::isolateAppSettings(m_home.path());
        av_log_set_level(AV_LOG_QUIET);
        QVERIFY(QDir(copiesDir()).removeRecursively());

        m_window = std::make_unique<MainWindow>();
        MainWindow &win = w();
        QVERIFY(uitest::startWindowOnOwnHost(win, m_data.path()));
        win.nodeSettings()->setMediaServerChoice(QStringLiteral("local"));
        // The default is the offer, and the media server's limit is a setting (whole MiB).
        QVERIFY(!win.nodeSettings()->makesFitCopiesUnasked());
        QCOMPARE(win.nodeSettings()->mediaServerVideoLimit(), deso::upload::kDefaultMediaServerVideoBytes);
        win.nodeSettings()->setMediaServerVideoLimit(kLimit);
        QCOMPARE(q().videoLimit().bytes, kLimit);
        QVERIFY(q().videoLimit().mediaServer);
        win.resize(1200, 760);
        win.show();

        m_clip = m_data.filePath(QStringLiteral("holiday.mp4"));
        SyntheticClip clip;
        clip.width = 1280;
        clip.height = 720;
        clip.seconds = 6.0;
        const deso::Status written = writeSyntheticClip(m_clip, clip);
        QVERIFY2(written.ok(), written.ok() ? "" : qPrintable(written.error().message));
        QVERIFY2(QFileInfo(m_clip).size() > kLimit, qPrintable(QString::number(QFileInfo(m_clip).size())));
        m_clipHash = testcommon::sha256Of(m_clip);
        auto probed = deso::video::VideoProbe::probe(m_clip);
        QVERIFY(probed.ok());
        m_clipSeconds = probed->durationSeconds;
    }

    void cleanupTestCase()
    {
        w().nodeSettings()->setMediaServerChoice(QStringLiteral("auto")); // settings outlive the test
        m_window.reset();
        QCOMPARE(testcommon::sha256Of(m_clip), m_clipHash); // the original was only ever read
    }

    void anOversizedVideoIsHeldWithAnOffer()
    {
        m_rowId = addOne(m_clip);
        QVERIFY(!m_rowId.isEmpty());
        select(m_rowId);
        const auto &it = item(m_rowId);
        QCOMPARE(it.status.state, State::Waiting);
        QCOMPARE(it.status.note, StatusNote::SmallerVideoOffered);
        QVERIFY(it.smallerCopyCanFit);
        QCOMPARE(it.status.videoLimit.bytes, kLimit);
        // Said when added, in the row, and above the preview, with the choices.
        QVERIFY2(w().notice()->message().contains(QStringLiteral("holiday.mp4 is over the media server's 2.0 MB limit")),
                 qPrintable(w().notice()->message()));
        const QString sentence = q().index(q().rowOf(m_rowId)).data(MediaQueueModel::ProgressTextRole).toString();
        QVERIFY2(sentence.startsWith(QStringLiteral("Over the media server's 2.0 MB limit (this is ")), qPrintable(sentence));
        QVERIFY2(sentence.contains(QStringLiteral("make a smaller copy that fits")), qPrintable(sentence));
        QVERIFY(w().fitOffer()->isVisible());
        QCOMPARE(w().fitOfferText(), sentence);
        QVERIFY(offerButton("makeFitCopy")->isVisible() && offerButton("keepAsIs")->isVisible());
        QVERIFY(!offerButton("uploadCopy")->isVisible() && !offerButton("discardCopy")->isVisible());
        // Held: Start does nothing to it, Start all skips it, nothing reaches the server.
        QVERIFY(!q().canStart(m_rowId));
        QVERIFY(!w().action(QStringLiteral("start"))->isEnabled());
        q().start(m_rowId);
        q().startAll();
        QCOMPARE(item(m_rowId).status.state, State::Waiting);
        QCOMPARE(q().activeCount(), 0);
        QVERIFY(copiesOnDisk().isEmpty());
    }

    void cancellingStopsTheCopyAndRemovesThePartialFile()
    {
        select(m_rowId);
        w().action(QStringLiteral("makeFitCopy"))->trigger();
        QCOMPARE(item(m_rowId).status.state, State::Processing);
        QCOMPARE(item(m_rowId).status.note, StatusNote::MakingSmallerVideo);
        QVERIFY(q().isMakingFitCopy(m_rowId));
        QVERIFY(offerButton("cancel")->isVisible());
        QVERIFY(!offerButton("makeFitCopy")->isVisible());
        // Under way: progress in the row, a .partial file being written in the cache folder.
        QTRY_VERIFY_WITH_TIMEOUT(item(m_rowId).status.preparedFraction > 0
                                     && copiesOnDisk().filter(QStringLiteral(".partial")).size() == 1, 60000);
        QVERIFY(q().index(q().rowOf(m_rowId)).data(MediaQueueModel::ProgressRole).toInt() > 0);
        offerButton("cancel")->click();
        QTRY_VERIFY_WITH_TIMEOUT(!q().isMakingFitCopy(m_rowId), 30000);
        QCOMPARE(item(m_rowId).status.state, State::Waiting);
        QCOMPARE(item(m_rowId).status.note, StatusNote::SmallerVideoOffered);
        QVERIFY(!item(m_rowId).status.hasError()); // a cancel is not a failure
        QVERIFY(item(m_rowId).copyPath.isEmpty());
        QCOMPARE(copiesOnDisk(), QStringList());
        QVERIFY(q().canMakeFitCopy(m_rowId));
    }

    void theCopyIsMadeWithProgressFitsAndIsPreviewed()
    {
        select(m_rowId);
        QList<double> progress;
        QObject guard;
        connect(&q(), &QAbstractItemModel::dataChanged, &guard, [&] {
            if (const auto *it = q().find(m_rowId); it && it->status.note == StatusNote::MakingSmallerVideo)
                progress << it->status.preparedFraction;
        });
        offerButton("makeFitCopy")->click();
        QTRY_VERIFY_WITH_TIMEOUT(!q().isMakingFitCopy(m_rowId), 240000);
        const auto &it = item(m_rowId);
        QVERIFY2(it.status.note == StatusNote::SmallerVideoReady, qPrintable(it.reason()));
        QCOMPARE(it.status.state, State::Waiting);
        const QSet<double> distinct(progress.begin(), progress.end());
        QVERIFY2(distinct.size() >= 3, qPrintable(QString::number(distinct.size())));

        // The copy: in the cache folder, at most the limit, an H.264 video of the same length.
        QCOMPARE(QFileInfo(it.copyPath).absolutePath(), QFileInfo(copiesDir()).absoluteFilePath());
        const qint64 copyBytes = QFileInfo(it.copyPath).size();
        QVERIFY2(copyBytes > 0 && copyBytes <= kLimit, qPrintable(QString::number(copyBytes)));
        QCOMPARE(it.status.copyBytes, copyBytes);
        auto copy = deso::video::VideoProbe::probe(it.copyPath);
        QVERIFY2(copy.ok(), copy.ok() ? "" : qPrintable(copy.error().message));
        QCOMPARE(copy->videoCodec, QStringLiteral("h264"));
        QVERIFY2(std::abs(copy->durationSeconds - m_clipSeconds) <= 0.5, qPrintable(QString::number(copy->durationSeconds)));
        QCOMPARE(QSize(copy->width, copy->height), QSize(it.status.copyWidth, it.status.copyHeight));
        QCOMPARE(copiesOnDisk(), QStringList{QFileInfo(it.copyPath).fileName()}); // no .partial left
        QCOMPARE(testcommon::sha256Of(m_clip), m_clipHash);

        // The row sets the copy beside the original; the offer asks to upload or discard it.
        const QModelIndex row = q().index(q().rowOf(m_rowId));
        const QString detail = row.data(MediaQueueModel::DetailRole).toString();
        QVERIFY2(detail.contains(QStringLiteral(" → copy %1 · %2×%3").arg(MediaQueueModel::humanSize(copyBytes))
                                     .arg(copy->width).arg(copy->height)), qPrintable(detail));
        QCOMPARE(row.data(MediaQueueModel::CopyPathRole).toString(), it.copyPath);
        QVERIFY2(w().fitOfferText().startsWith(QStringLiteral("A copy that fits is ready: %1×%2")
                                                   .arg(copy->width).arg(copy->height)), qPrintable(w().fitOfferText()));
        QVERIFY(offerButton("uploadCopy")->isVisible() && offerButton("discardCopy")->isVisible());
        QVERIFY(!offerButton("makeFitCopy")->isVisible() && !offerButton("keepAsIs")->isVisible());
        QVERIFY(q().canStart(m_rowId));

        // The preview switched to the copy and plays it; the original is one click away.
        VideoPreview &preview = *w().videoPreview();
        QTRY_VERIFY_WITH_TIMEOUT(preview.isShowingCopy(), 5000);
        QVERIFY(preview.copyButton()->isVisible() && preview.copyButton()->isChecked());
        QCOMPARE(preview.player()->source(), QUrl::fromLocalFile(it.copyPath));
        preview.player()->play();
        QTRY_VERIFY_WITH_TIMEOUT(!preview.currentFrame().isNull(), 20000);
        QCOMPARE(preview.currentFrame().size(), QSize(copy->width, copy->height));
        preview.player()->pause();
        preview.localButton()->click();
        QVERIFY(!preview.isShowingCopy());
        QCOMPARE(preview.player()->source(), QUrl::fromLocalFile(m_clip));
        preview.copyButton()->click();
        QCOMPARE(preview.player()->source(), QUrl::fromLocalFile(it.copyPath));

        // A restart finds the copy again (the saved queue names it): no second encode.
        MediaQueueModel restored;
        restored.setMediaServerUrl(q().mediaServerUrl());
        restored.setMediaServerVideoLimit(kLimit);
        QCOMPARE(restored.restore(q().toJson()), q().rowCount());
        const auto *back = restored.find(m_rowId);
        QVERIFY(back);
        QCOMPARE(back->status.note, StatusNote::SmallerVideoReady);
        QCOMPARE(back->copyPath, it.copyPath);
        QCOMPARE(back->status.copyBytes, copyBytes);
        QVERIFY(restored.canStart(m_rowId));
    }

    void keepingItAsItIsRefusesItWithTheLimitsSentence()
    {
        const QString id = addOne(m_clip); // the same file again: a row of its own
        QVERIFY(!id.isEmpty());
        select(id);
        QVERIFY(q().canKeepAsIs(id));
        offerButton("keepAsIs")->click();
        QCOMPARE(item(id).status.state, State::Refused);
        QVERIFY2(item(id).reason().startsWith(QStringLiteral("Too large: the media server takes videos up to 2.0 MB and this one is ")),
                 qPrintable(item(id).reason()));
        // Still a choice: the offer stays open on the refused row.
        QVERIFY(q().canMakeFitCopy(id));
        QVERIFY(w().fitOffer()->isVisible() && offerButton("makeFitCopy")->isVisible());
        // Made after all: the same file and limit find the copy already made (no second
        // encode), and removing this row leaves the first row's copy in place.
        offerButton("makeFitCopy")->click();
        QTRY_VERIFY_WITH_TIMEOUT(!q().isMakingFitCopy(id), 30000);
        QCOMPARE(item(id).status.note, StatusNote::SmallerVideoReady);
        QCOMPARE(item(id).copyPath, item(m_rowId).copyPath);
        q().removeRow(q().rowOf(id));
        QVERIFY(QFileInfo::exists(item(m_rowId).copyPath));
    }

    // The limit is where videos go now: rows not acted on follow a change of route or limit.
    void theOfferFollowsWhereVideosGo()
    {
        const QString padded = m_data.filePath(QStringLiteral("route.mp4"));
        QVERIFY(deso::nodetest::writeSampleClip(padded, 3 * 1024 * 1024).ok());
        const QString offered = addOne(padded);
        const QString kept = addOne(padded);
        select(kept);
        q().keepAsIs(kept);
        QCOMPARE(item(offered).status.note, StatusNote::SmallerVideoOffered);
        QCOMPARE(item(kept).status.state, State::Refused);
        // To the node over tus: its 250 MB take both as they are.
        w().nodeSettings()->setMediaServerChoice(QStringLiteral("legacy"));
        QVERIFY(q().mediaServerUrl().isEmpty());
        QCOMPARE(q().videoLimit().bytes, deso::upload::kMaxVideoBytes);
        for (const QString &id : {offered, kept}) {
            QCOMPARE(item(id).status.state, State::Waiting);
            QCOMPARE(item(id).status.note, StatusNote::None);
            QVERIFY(q().canStart(id) && !q().canMakeFitCopy(id));
        }
        QVERIFY(!w().fitOffer()->isVisible());
        // Back to the media server: held again, with its limit.
        w().nodeSettings()->setMediaServerChoice(QStringLiteral("local"));
        for (const QString &id : {offered, kept}) {
            QCOMPARE(item(id).status.note, StatusNote::SmallerVideoOffered);
            QCOMPARE(item(id).status.videoLimit.bytes, kLimit);
            QVERIFY(!q().canStart(id));
        }
        // A larger limit in the settings frees them; the smaller one holds them again.
        w().nodeSettings()->setMediaServerVideoLimit(4 * 1024 * 1024);
        QVERIFY(q().canStart(offered));
        w().nodeSettings()->setMediaServerVideoLimit(kLimit);
        QCOMPARE(item(offered).status.note, StatusNote::SmallerVideoOffered);
        // The copy already made was left alone throughout.
        QCOMPARE(item(m_rowId).status.note, StatusNote::SmallerVideoReady);
        QVERIFY(QFileInfo::exists(item(m_rowId).copyPath));
        q().removeRow(q().rowOf(offered));
        q().removeRow(q().rowOf(kept));
    }

    // A copy that cannot be made is said in one sentence, in the row and in the window's
    // notice bar; the offer stays, and nothing is left in the cache.
    void aCopyThatCannotBeMadeIsSaidInOneSentence()
    {
        // Two minutes cannot fit in 1 MiB at a bitrate anyone could watch.
        const QString longClip = m_data.filePath(QStringLiteral("two-minutes.mp4"));
        SyntheticClip clip;
        clip.width = 160;
        clip.height = 90;
        clip.seconds = 120;
        clip.fps = 10;
        const deso::Status written = writeSyntheticClip(longClip, clip);
        QVERIFY2(written.ok(), written.ok() ? "" : qPrintable(written.error().message));
        w().nodeSettings()->setMediaServerVideoLimit(1024 * 1024);
        QVERIFY2(QFileInfo(longClip).size() > 1024 * 1024, qPrintable(QString::number(QFileInfo(longClip).size())));
        const QString id = addOne(longClip);
        QCOMPARE(item(id).status.note, StatusNote::SmallerVideoOffered);
        select(id);
        QSignalSpy failed(&q(), &MediaQueueModel::fitCopyFailed);
        offerButton("makeFitCopy")->click();
        QTRY_VERIFY_WITH_TIMEOUT(!q().isMakingFitCopy(id), 60000);
        QCOMPARE(failed.size(), 1);
        QCOMPARE(item(id).status.state, State::Waiting);
        QCOMPARE(item(id).status.note, StatusNote::SmallerVideoOffered);
        const QString sentence = item(id).reason();
        QVERIFY2(sentence.startsWith(QStringLiteral("The copy that fits could not be made: A 120-second video cannot fit in 1.0 MB"))
                     && sentence.endsWith(QStringLiteral("Try again, or keep the video as it is.")), qPrintable(sentence));
        QVERIFY2(w().notice()->message().contains(sentence), qPrintable(w().notice()->message()));
        QCOMPARE(w().fitOfferText(), sentence);
        QVERIFY(q().canMakeFitCopy(id) && q().canKeepAsIs(id));
        QCOMPARE(copiesOnDisk().filter(QStringLiteral(".partial")), QStringList());
        q().removeRow(q().rowOf(id));
        w().nodeSettings()->setMediaServerVideoLimit(kLimit);
    }

    void discardingOrRemovingTheRowTakesTheCopyAway()
    {
        // A short 320×180 clip padded past the limit: its copy is quick to make.
        const QString padded = m_data.filePath(QStringLiteral("padded.mp4"));
        QVERIFY(deso::nodetest::writeSampleClip(padded, 3 * 1024 * 1024).ok());
        const QByteArray paddedHash = testcommon::sha256Of(padded);
        const QString id = addOne(padded);
        QCOMPARE(item(id).status.note, StatusNote::SmallerVideoOffered);
        q().makeFitCopy(id);
        QTRY_VERIFY_WITH_TIMEOUT(!q().isMakingFitCopy(id), 60000);
        QVERIFY2(item(id).status.note == StatusNote::SmallerVideoReady, qPrintable(item(id).reason()));
        const QString copy = item(id).copyPath;
        QVERIFY(QFileInfo::exists(copy));
        select(id);
        QTRY_VERIFY_WITH_TIMEOUT(w().videoPreview()->isShowingCopy(), 5000);
        offerButton("discardCopy")->click();
        QVERIFY(!QFileInfo::exists(copy));
        QCOMPARE(item(id).status.note, StatusNote::SmallerVideoOffered);
        QCOMPARE(item(id).status.copyBytes, 0);
        QVERIFY(!w().videoPreview()->isShowingCopy());
        QVERIFY(!w().videoPreview()->copyButton()->isVisible());
        QCOMPARE(w().videoPreview()->player()->source(), QUrl::fromLocalFile(padded));

        q().makeFitCopy(id);
        QTRY_VERIFY_WITH_TIMEOUT(!q().isMakingFitCopy(id), 60000);
        QVERIFY(QFileInfo::exists(item(id).copyPath));
        q().removeRow(q().rowOf(id));
        QVERIFY(!QFileInfo::exists(copy));

        // Removed while the copy is being made: nothing of it stays either.
        const QString again = addOne(padded);
        q().makeFitCopy(again);
        QVERIFY(q().isMakingFitCopy(again));
        q().removeRow(q().rowOf(again));
        QTRY_VERIFY_WITH_TIMEOUT(QThreadPool::globalInstance()->activeThreadCount() == 0, 60000);
        QTRY_COMPARE_WITH_TIMEOUT(copiesOnDisk().size(), 1, 5000); // the first clip's copy only
        QCOMPARE(testcommon::sha256Of(padded), paddedHash);
    }

    // By setting, no offer: the copy is made when the upload starts and sent, unasked.
    void unaskedTheCopyIsMadeWhenTheUploadStarts()
    {
        w().nodeSettings()->setMakeFitCopiesUnasked(true);
        QVERIFY(q().makesFitCopiesUnasked());
        const QString padded = m_data.filePath(QStringLiteral("unasked.mp4"));
        QVERIFY(deso::nodetest::writeSampleClip(padded, 3 * 1024 * 1024).ok());
        const QByteArray paddedHash = testcommon::sha256Of(padded);
        const QString id = addOne(padded);
        w().nodeSettings()->setMakeFitCopiesUnasked(false); // the rows added from now on get the offer again
        QCOMPARE(item(id).status.note, StatusNote::SmallerVideoPlanned);
        QVERIFY(q().canStart(id));
        QVERIFY(!q().canMakeFitCopy(id));
        q().start(id);
        QTRY_VERIFY_WITH_TIMEOUT(item(id).status.state == State::Done || item(id).status.state == State::Failed, 120000);
        QVERIFY2(item(id).status.state == State::Done, qPrintable(item(id).reason()));
        QVERIFY2(item(id).status.bytesTotal > 0 && item(id).status.bytesTotal <= kLimit,
                 qPrintable(QString::number(item(id).status.bytesTotal)));
        QCOMPARE(testcommon::sha256Of(padded), paddedHash);
        QVERIFY(copiesOnDisk().size() == 1); // only the first clip's copy, still waiting
        q().removeRow(q().rowOf(id));
    }

    void theCopyIsWhatTheServerGets()
    {
        select(m_rowId);
        const QString copy = item(m_rowId).copyPath;
        const QByteArray copyHash = testcommon::sha256Of(copy);
        QVERIFY(w().action(QStringLiteral("uploadCopy"))->isEnabled());
        offerButton("uploadCopy")->click();
        QTRY_VERIFY_WITH_TIMEOUT(item(m_rowId).status.state == State::Done || item(m_rowId).status.state == State::Failed, 120000);
        QVERIFY2(item(m_rowId).status.state == State::Done, qPrintable(item(m_rowId).reason()));
        // The host keeps exactly the copy's bytes (never the original's).
        bool storedCopy = false, storedOriginal = false;
        QDirIterator files(m_data.filePath(QStringLiteral("host")), QDir::Files, QDirIterator::Subdirectories);
        while (files.hasNext()) {
            const QString path = files.next();
            const qint64 size = QFileInfo(path).size();
            if (size == item(m_rowId).status.copyBytes && testcommon::sha256Of(path) == copyHash)
                storedCopy = true;
            if (size == QFileInfo(m_clip).size() && testcommon::sha256Of(path) == m_clipHash)
                storedOriginal = true;
        }
        QVERIFY(storedCopy);
        QVERIFY(!storedOriginal);
        // Sent: the cache keeps no copy; the row still says what was sent; the original is as it was.
        QVERIFY(!QFileInfo::exists(copy));
        QVERIFY(item(m_rowId).copyPath.isEmpty());
        QCOMPARE(copiesOnDisk(), QStringList());
        QVERIFY(q().index(q().rowOf(m_rowId)).data(MediaQueueModel::DetailRole).toString().contains(QStringLiteral("→ copy")));
        QVERIFY(!w().fitOffer()->isVisible());
        QCOMPARE(testcommon::sha256Of(m_clip), m_clipHash);
        QVERIFY(item(m_rowId).status.video && item(m_rowId).status.video->readyToStream);
    }
};

QTEST_MAIN(TestFitOffer)
#include "tst_fitoffer.moc"

// A finished upload as a creator and a tester see it, offscreen, against the window's own
// host used as the media server (real multipart upload, real processing into HLS, real
// poster): the queue row gets the server's poster, the preview switches from the local
// file to the processed stream and plays it, and the URLs to paste into a post (playback,
// embed, download; ImageURL for images) are copied to the clipboard and opened through
// QDesktopServices with exactly the URLs core/upload/medialinks gives.
#include "testsettings.h"
#include "windowonownhost.h"
#include "mainwindow.h"
#include "hostpanel.h"
#include "mediaqueuemodel.h"
#include "nodesettingspanel.h"
#include "nodetesterpanel.h"
#include "nodetest/sampleclip.h"
#include "posterloader.h"
#include "upload/medialinks.h"
#include "urlfield.h"
#include "videopreview.h"

#include <QAction>
#include <QClipboard>
#include <QDesktopServices>
#include <QGuiApplication>
#include <QListView>
#include <QMediaPlayer>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPainter>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest>

using State = MediaQueueModel::State;
using deso::upload::LinkKind;

// Receives what QDesktopServices::openUrl would hand to the desktop (a browser).
class OpenedUrls : public QObject {
    Q_OBJECT
public:
    QList<QUrl> urls;
public slots:
    void open(const QUrl &url) { urls << url; }
};

class TestMediaResults : public QObject {
    Q_OBJECT

    QTemporaryDir m_home;
    QTemporaryDir m_data;
    std::unique_ptr<MainWindow> m_window;
    OpenedUrls m_opened;

    MainWindow &w() { return *m_window; }

    // Waits until row `row` is done (or failed, then says why).
    bool finishes(int row, int ms)
    {
        return QTest::qWaitFor([&] {
            const State s = w().queue()->item(row).status.state;
            return s == State::Done || s == State::Failed;
        }, ms) && w().queue()->item(row).status.state == State::Done;
    }

private slots:
    void initTestCase()
    {
        testcommon::isolateAppSettings(m_home.path());
        QDesktopServices::setUrlHandler(QStringLiteral("http"), &m_opened, "open");
        QDesktopServices::setUrlHandler(QStringLiteral("https"), &m_opened, "open");

        m_window = std::make_unique<MainWindow>();
        MainWindow &win = w();
        QVERIFY(uitest::startWindowOnOwnHost(win, m_data.path()));
        win.nodeSettings()->setMediaServerChoice(QStringLiteral("local"));
        QCOMPARE(win.queue()->mediaServerUrl(), win.hostPanel()->baseUrl());
        win.resize(1200, 760);
        win.show();

        // A real clip, uploaded to the media server and processed by the host.
        const QString clip = m_data.filePath(QStringLiteral("clip.mp4"));
        QVERIFY(deso::nodetest::writeSampleClip(clip, 256 * 1024).ok());
        win.addFiles({clip});
        win.selectRow(0);
        QVERIFY(!win.videoPreview()->isShowingStream());
        QCOMPARE(win.videoPreview()->player()->source(), QUrl::fromLocalFile(clip));
        win.action(QStringLiteral("start"))->trigger();
        QVERIFY2(finishes(0, 60000), qPrintable(win.queue()->item(0).reason()));
    }

    void cleanupTestCase()
    {
        w().nodeSettings()->setMediaServerChoice(QStringLiteral("auto")); // settings outlive the test
        m_window.reset();
    }

    void theRowShowsTheServersPoster()
    {
        const QModelIndex row = w().queue()->index(0);
        const QUrl posterUrl = row.data(MediaQueueModel::PosterUrlRole).toUrl();
        QVERIFY2(posterUrl.toString().startsWith(w().hostPanel()->baseUrl().toString() + QStringLiteral("/thumbnails/")),
                 qPrintable(posterUrl.toString()));
        QTRY_VERIFY_WITH_TIMEOUT(!row.data(MediaQueueModel::PosterRole).value<QImage>().isNull(), 15000);
        const QImage poster = row.data(MediaQueueModel::PosterRole).value<QImage>();
        // The sample clip is 320×180: the poster keeps its aspect, scaled to the row's size.
        QCOMPARE(poster.width(), 128);
        QCOMPARE(poster.height(), 72);
        // The poster is a frame of the clip, not a blank: its pixels vary.
        QSet<QRgb> colours;
        for (int y = 0; y < poster.height(); y += 4)
            for (int x = 0; x < poster.width(); x += 4)
                colours.insert(poster.pixel(x, y));
        QVERIFY2(colours.size() > 8, qPrintable(QString::number(colours.size())));
        // Asked again (e.g. a restored queue), it comes from the bounded cache, not the network.
        PosterLoader &loader = *w().posterLoader();
        const int downloads = loader.downloads();
        QSignalSpy ready(&loader, &PosterLoader::ready);
        loader.request(QStringLiteral("again"), posterUrl, 128);
        QVERIFY(ready.wait(5000));
        QCOMPARE(loader.downloads(), downloads);
        QCOMPARE(ready.first().at(2).value<QImage>().size(), poster.size());
        // The row paints it: the delegate draws the poster where the placeholder would be.
        QImage painted(w().queueView()->viewport()->size(), QImage::Format_ARGB32);
        painted.fill(Qt::white);
        QPainter p(&painted);
        w().queueView()->viewport()->render(&p);
        p.end();
        const QRect cell = w().queueView()->visualRect(row);
        QVERIFY(painted.pixel(cell.left() + 8 + 64, cell.center().y()) != qRgb(0x2b, 0x30, 0x3a));
    }

    void thePreviewSwitchesToTheStreamAndPlaysIt()
    {
        VideoPreview &preview = *w().videoPreview();
        const auto &item = w().queue()->item(0);
        const QList<deso::upload::MediaLink> links = deso::upload::mediaLinks(item.status);
        const QUrl playback = deso::upload::linkUrl(links, LinkKind::Playback);
        QVERIFY2(playback.path().endsWith(QStringLiteral("/master.m3u8")), qPrintable(playback.toString()));
        // Ready: the preview shows what viewers will get, the HLS stream the host serves.
        QTRY_VERIFY_WITH_TIMEOUT(preview.isShowingStream(), 5000);
        QCOMPARE(preview.streamUrl(), playback);
        QCOMPARE(preview.player()->source(), playback);
        QVERIFY(preview.streamButton()->isChecked());
        preview.player()->play();
        // Qt's FFmpeg backend opens the master playlist and decodes the 320×180 rung.
        QTRY_VERIFY_WITH_TIMEOUT(!preview.currentFrame().isNull(), 20000);
        QCOMPARE(preview.currentFrame().size(), QSize(320, 180));
        // Back to the local file, and to the stream again, by the buttons.
        preview.localButton()->click();
        QVERIFY(!preview.isShowingStream());
        QCOMPARE(preview.player()->source(), QUrl::fromLocalFile(item.path));
        preview.streamButton()->click();
        QCOMPARE(preview.player()->source(), playback);
    }

    void videoUrlsAreCopiedAndOpened()
    {
        VideoPreview &preview = *w().videoPreview();
        const QList<deso::upload::MediaLink> links = deso::upload::mediaLinks(w().queue()->item(0).status);
        const QString base = w().hostPanel()->baseUrl().toString();
        QCOMPARE(links.size(), 3);
        // This host streams its own videos and has no player page: a post embeds the stream.
        QVERIFY(deso::upload::linkUrl(links, LinkKind::Embed).toString().startsWith(base + QStringLiteral("/hls/")));
        QVERIFY(deso::upload::linkUrl(links, LinkKind::Download).toString().startsWith(base + QStringLiteral("/download/")));
        for (LinkKind kind : {LinkKind::Playback, LinkKind::Embed, LinkKind::Download}) {
            UrlField *field = preview.linkField(kind);
            QVERIFY(field && field->isVisible());
            const QString expected = deso::upload::linkUrl(links, kind).toString();
            QCOMPARE(field->url(), expected);
            QGuiApplication::clipboard()->clear();
            QVERIFY(field->copyButton()->isEnabled());
            field->copyButton()->click();
            QCOMPARE(QGuiApplication::clipboard()->text(), expected);
            m_opened.urls.clear();
            field->openButton()->click();
            QCOMPARE(m_opened.urls, QList<QUrl>{QUrl(expected)});
        }
        // The download URL serves the MP4 (the host's contract, fetched as a viewer would).
        QNetworkAccessManager nam;
        QNetworkReply *reply = nam.get(QNetworkRequest(deso::upload::linkUrl(links, LinkKind::Download)));
        QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QCOMPARE(reply->header(QNetworkRequest::ContentTypeHeader).toString(), QStringLiteral("video/mp4"));
        reply->deleteLater();
    }

    void theImageUrlIsCopiedAndOpened()
    {
        QImage image(640, 360, QImage::Format_RGB32);
        image.fill(QColor(40, 120, 200));
        const QString path = m_data.filePath(QStringLiteral("photo.png"));
        QVERIFY(image.save(path));
        w().addFiles({path});
        const int row = w().queue()->rowCount() - 1;
        w().queue()->start(w().queue()->item(row).id);
        QVERIFY2(finishes(row, 30000), qPrintable(w().queue()->item(row).reason()));
        w().selectRow(row);
        UrlField &field = *w().resultField();
        const QString url = w().queue()->item(row).status.resultUrl;
        QVERIFY2(url.startsWith(w().hostPanel()->baseUrl().toString()) && url.endsWith(QStringLiteral(".webp")), qPrintable(url));
        QCOMPARE(deso::upload::mediaLinks(w().queue()->item(row).status).size(), 1);
        QCOMPARE(field.url(), url);
        QGuiApplication::clipboard()->clear();
        field.copyButton()->click();
        QCOMPARE(QGuiApplication::clipboard()->text(), url);
        m_opened.urls.clear();
        field.openButton()->click();
        QCOMPARE(m_opened.urls, QList<QUrl>{QUrl(url)});
    }
};

QTEST_MAIN(TestMediaResults)
#include "tst_mediaresults.moc"

#include "mainwindow.h"

#include "common/version.h"
#include "dropzone.h"
#include "hostpanel.h"
#include "image/imagepipeline.h"
#include "image/thumbnailer.h"
#include "imagepreview.h"
#include "nodesettingspanel.h"
#include "nodetesterpanel.h"
#include "tiktokpanel.h"
#include "mediaqueuemodel.h"
#include "noticebar.h"
#include "posterloader.h"
#include "queueitemdelegate.h"
#include "thumbnailloader.h"
#include "urlfield.h"
#include "videopreview.h"
#include "videothumbnailer.h"
#include "upload/uploadfile.h"

#include <QAction>
#include <QClipboard>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QMimeData>
#include <QSaveFile>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace {
enum ThumbTag { ThumbForQueue = 1, ThumbForPreview = 2 };
constexpr int kQueueThumbSide = 128;
constexpr int kPreviewSide = 1200;

QString appDataDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
}
} // namespace

void MainWindow::showPanel(QWidget *panel)
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        QWidget *tab = m_tabs->widget(i);
        if (tab == panel || tab->isAncestorOf(panel)) {
            m_tabs->setCurrentIndex(i);
            return;
        }
    }
}

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent),
      m_queue(new MediaQueueModel(this)),
      m_thumbnails(new ThumbnailLoader(this)),
      m_videoThumbnails(new VideoThumbnailer(this)),
      m_posters(new PosterLoader(this)),
      m_settings(new NodeSettingsPanel),
      m_hostPanel(new HostPanel),
      m_tiktok(new TikTokPanel),
      m_tester(new NodeTesterPanel),
      m_notice(new NoticeBar),
      m_tabs(new QTabWidget),
      m_dropZone(new DropZone),
      m_queueView(new QListView),
      m_summary(new QLabel),
      m_sessionFile(QDir(appDataDir()).filePath(QStringLiteral("queue.json"))),
      m_sessionSave(new QTimer(this))
{
    setWindowTitle(QStringLiteral(DESO_MEDIA_DISPLAY_NAME));
    setObjectName(QStringLiteral("mainWindow"));
    setAcceptDrops(true);
    m_tabs->setObjectName(QStringLiteral("mainTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(buildUploadTab(), tr("Upload"));
    m_tabs->addTab(m_tiktok, tr("TikTok"));
    m_tabs->addTab(m_tester, tr("Node tester"));
    // The host panel's form outgrows small screens (storage, limits, log): it scrolls
    // rather than raising the window's minimum height.
    auto *hostScroll = new QScrollArea;
    hostScroll->setWidget(m_hostPanel);
    hostScroll->setWidgetResizable(true);
    hostScroll->setFrameShape(QFrame::NoFrame);
    m_tabs->addTab(hostScroll, tr("Local host"));
    m_tabs->addTab(m_settings, tr("Node && identity"));
    for (int i = 0; i < m_tabs->count(); ++i)
        m_tabs->setTabToolTip(i, tr("Alt+%1").arg(i + 1));

    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(8, 8, 8, 4);
    layout->addWidget(m_notice);
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);
    buildActions();

    // Drops go straight to the queue, which says itself what it refused or left out.
    connect(m_dropZone, &DropZone::filesDropped, m_queue, &MediaQueueModel::addFiles);
    connect(m_queue, &MediaQueueModel::collectingChanged, this, [this](bool collecting) {
        if (collecting)
            statusBar()->showMessage(tr("Looking for images and videos in the dropped folders…"));
        else
            statusBar()->clearMessage();
    });
    connect(m_queue, &MediaQueueModel::notice, this, [this](const QString &sentence) {
        m_notice->show(NoticeBar::Level::Warning, sentence);
    });
    connect(m_queue, &MediaQueueModel::filesAdded, this, [this](int first, int count) {
        if (count > 0 && !m_queueView->currentIndex().isValid())
            selectRow(first);
    });
    connect(m_dropZone, &DropZone::addFilesRequested, action(QStringLiteral("addFiles")), &QAction::trigger);
    connect(m_queue, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &, int first, int last) {
        requestThumbnails(first, last);
    });
    // Processed previews are cached per item; they go with their rows.
    connect(m_queue, &QAbstractItemModel::rowsAboutToBeRemoved, this, [this](const QModelIndex &, int first, int last) {
        for (int row = first; row <= last; ++row)
            m_processed.remove(m_queue->item(row).id);
    });
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_queue, signal, this, [this] {
            updateSummary();
            updateActions();
            m_sessionSave->start();
        });
    connect(m_queue, &QAbstractItemModel::dataChanged, this, [this](const QModelIndex &tl, const QModelIndex &br) {
        updateSummary();
        updateActions();
        m_sessionSave->start();
        const QModelIndex cur = m_queueView->currentIndex();
        if (cur.isValid() && cur.row() >= tl.row() && cur.row() <= br.row())
            showCurrent();
    });
    connect(m_queueView->selectionModel(), &QItemSelectionModel::currentChanged, this, [this] {
        showCurrent();
        updateActions();
    });
    connect(m_thumbnails, &ThumbnailLoader::ready, this,
            [this](const QString &id, int tag, const QImage &image, const QSize &original, const QString &format) {
                if (tag == ThumbForQueue) {
                    m_queue->setThumbnail(id, image, original);
                } else if (tag == ThumbForPreview && id == m_previewedId) {
                    const auto *it = m_queue->find(id);
                    if (it)
                        m_imagePreview->setOriginal(image, {original, it->size, format});
                }
            });
    connect(m_thumbnails, &ThumbnailLoader::failed, this, [this](const QString &id, int tag, const QString &reason) {
        if (tag == ThumbForPreview && id == m_previewedId)
            m_imagePreview->setOriginal({}, {{}, m_queue->find(id) ? m_queue->find(id)->size : 0, {}});
        if (tag == ThumbForQueue) {
            const auto *it = m_queue->find(id);
            if (it && it->status.state == MediaQueueModel::State::Waiting) {
                deso::upload::UploadStatus status = it->status;
                status.state = MediaQueueModel::State::Refused;
                status.error = deso::Error(QStringLiteral("image.undecodable"), tr("The image cannot be decoded: %1").arg(reason));
                m_queue->setStatus(id, status);
            }
        }
    });
    connect(m_videoThumbnails, &VideoThumbnailer::ready, this,
            [this](const QString &id, const QImage &image, const QSize &resolution, qint64) {
                m_queue->setThumbnail(id, image, resolution);
            });
    // A processed video's row shows the server's poster once the server says where it is.
    connect(m_posters, &PosterLoader::ready, this, [this](const QString &id, const QUrl &, const QImage &poster) {
        m_queue->setPoster(id, poster);
    });
    connect(m_posters, &PosterLoader::failed, this, [this](const QString &id, const QUrl &, const QString &reason) {
        const auto *it = m_queue->find(id);
        statusBar()->showMessage(tr("%1: %2").arg(it ? it->name : tr("A video"), reason), 8000);
    });
    connect(m_queue, &MediaQueueModel::uploadFinished, this, [this](const QString &id) { requestPoster(id); });
    connect(m_videoThumbnails, &VideoThumbnailer::failed, this, [this](const QString &id, const QString &reason) {
        const auto *it = m_queue->find(id);
        // A row held with an offer keeps it: the offer's sentence says more.
        if (it && it->status.state == MediaQueueModel::State::Waiting && it->status.note == deso::upload::StatusNote::None) {
            deso::upload::UploadStatus status = it->status;
            status.note = deso::upload::StatusNote::NoPreviewFrame;
            status.error = deso::Error(QStringLiteral("video.no_preview"), reason);
            m_queue->setStatus(id, status);
        }
    });
    connect(m_videoPreview, &VideoPreview::mediaInfo, this, [this](const QSize &resolution, qint64) {
        if (!m_previewedId.isEmpty())
            m_queue->setDimensions(m_previewedId, resolution);
    });

    // One node URL for every client part: the settings panel decides, the host panel
    // feeds it the local host's address, and "use this host" is the same switch in both.
    auto credentials = [this] { return m_settings->credentials(); };
    m_queue->setCredentialsSource(credentials);
    m_tester->setCredentialsSource(credentials);
    connect(m_settings, &NodeSettingsPanel::nodeUrlChanged, this, &MainWindow::applyNodeUrl);
    m_queue->setMediaServerVideoLimit(m_settings->mediaServerVideoLimit());
    m_queue->setMakeFitCopiesUnasked(m_settings->makesFitCopiesUnasked());
    connect(m_settings, &NodeSettingsPanel::mediaServerVideoLimitChanged, m_queue, &MediaQueueModel::setMediaServerVideoLimit);
    connect(m_settings, &NodeSettingsPanel::makeFitCopiesUnaskedChanged, m_queue, &MediaQueueModel::setMakeFitCopiesUnasked);
    connect(m_queue, &MediaQueueModel::fitCopyFailed, this, [this](const QString &id, const QString &message) {
        const auto *it = m_queue->find(id);
        showError(tr("%1: %2").arg(it ? it->name : tr("A video"), message));
    });
    connect(m_settings, &NodeSettingsPanel::mediaServerUrlChanged, this, [this](const QUrl &url) {
        m_queue->setMediaServerUrl(url);
        m_tester->setMediaServerUrl(url);
    });
    connect(m_hostPanel, &HostPanel::runningChanged, this, [this](bool, const QUrl &url) {
        m_settings->setLocalHostUrl(url);
    });
    connect(m_hostPanel, &HostPanel::useForClientChanged, m_settings, &NodeSettingsPanel::setUseLocalHost);
    connect(m_settings, &NodeSettingsPanel::useLocalHostChanged, m_hostPanel, &HostPanel::setUseForClient);
    m_hostPanel->setUseForClient(m_settings->usesLocalHost());
    connect(m_settings, &NodeSettingsPanel::message, this, [this](const QString &text, bool isError) {
        m_notice->show(isError ? NoticeBar::Level::Error : NoticeBar::Level::Warning, text);
    });
    connect(m_hostPanel, &HostPanel::message, this, [this](const QString &text, bool isError) {
        m_notice->show(isError ? NoticeBar::Level::Error : NoticeBar::Level::Info, text);
    });
    connect(m_settings, &NodeSettingsPanel::identityChanged, this, &MainWindow::updateActions);
    connect(m_queue, &MediaQueueModel::uploadFailed, this, [this](const QString &id, const QString &message) {
        const auto *it = m_queue->find(id);
        showError(tr("%1 failed: %2").arg(it ? it->name : tr("An upload"), message));
    });
    connect(m_queue, &MediaQueueModel::uploadWarning, this, [this](const QString &id, const QString &message) {
        const auto *it = m_queue->find(id);
        m_notice->show(NoticeBar::Level::Warning, tr("%1: %2").arg(it ? it->name : tr("An upload"), message));
    });
    connect(m_queue, &MediaQueueModel::uploadFinished, this, [this](const QString &id, const QString &url) {
        const auto *it = m_queue->find(id);
        statusBar()->showMessage(tr("%1 is up: %2").arg(it ? it->name : QString(), url), 8000);
    });
    applyNodeUrl();

    // The queue is saved shortly after it changes, so a crash loses at most a second.
    m_sessionSave->setSingleShot(true);
    m_sessionSave->setInterval(1000);
    connect(m_sessionSave, &QTimer::timeout, this, &MainWindow::saveSession);

    updateSummary();
    updateActions();
    resize(1180, 760);
    restoreWindowSettings();
}

MainWindow::~MainWindow() = default;

QWidget *MainWindow::buildUploadTab()
{
    m_queueView->setObjectName(QStringLiteral("queueView"));
    m_queueView->setModel(m_queue);
    m_queueView->setItemDelegate(new QueueItemDelegate(m_queueView));
    m_queueView->setUniformItemSizes(true);
    m_queueView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_queueView->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_queueView->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    // Rows are painted to the viewport's width (text elides), so never scroll sideways.
    m_queueView->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_queueView->setResizeMode(QListView::Adjust);
    m_summary->setObjectName(QStringLiteral("totalLine"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *left = new QWidget;
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(m_dropZone);
    auto *toolbar = new QToolBar;
    toolbar->setObjectName(QStringLiteral("queueToolbar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    leftLayout->addWidget(toolbar);
    leftLayout->addWidget(m_queueView, 1);
    leftLayout->addWidget(m_summary);

    m_imagePreview = new ImagePreview;
    m_videoPreview = new VideoPreview;
    m_previewHint = new QLabel(tr("Select a file in the queue to preview it here."));
    m_previewHint->setAlignment(Qt::AlignCenter);
    m_previewHint->setWordWrap(true);
    m_previewStack = new QStackedWidget;
    m_previewStack->setObjectName(QStringLiteral("previewStack"));
    m_previewStack->addWidget(m_previewHint);
    m_previewStack->addWidget(m_imagePreview);
    m_previewStack->addWidget(m_videoPreview);
    m_resultUrl = new UrlField(deso::upload::linkCaption(deso::upload::LinkKind::Image), true);
    m_resultUrl->setObjectName(QStringLiteral("resultUrl"));
    connect(m_resultUrl, &UrlField::copied, this, [this](const QString &url) {
        statusBar()->showMessage(tr("Copied %1").arg(url), 4000);
    });

    auto *right = new QWidget;
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    m_fitOffer = new QFrame;
    rightLayout->addWidget(m_fitOffer);
    rightLayout->addWidget(m_previewStack, 1);
    rightLayout->addWidget(m_resultUrl);

    m_uploadSplitter = new QSplitter(Qt::Horizontal);
    m_uploadSplitter->setObjectName(QStringLiteral("uploadSplitter"));
    m_uploadSplitter->addWidget(left);
    m_uploadSplitter->addWidget(right);
    m_uploadSplitter->setStretchFactor(0, 4);
    m_uploadSplitter->setStretchFactor(1, 5);
    m_uploadSplitter->setSizes({560, 700});
    m_uploadSplitter->setChildrenCollapsible(false);
    return m_uploadSplitter;
}

void MainWindow::buildActions()
{
    auto *toolbar = findChild<QToolBar *>(QStringLiteral("queueToolbar"));
    auto make = [this](const QString &name, const QString &text, const QKeySequence &key, auto slot) {
        auto *a = new QAction(text, this);
        a->setObjectName(name);
        if (!key.isEmpty()) {
            a->setShortcut(key);
            a->setToolTip(QStringLiteral("%1 (%2)").arg(QString(text).remove(QLatin1Char('&')),
                                                         key.toString(QKeySequence::NativeText)));
        }
        connect(a, &QAction::triggered, this, slot);
        m_actions << a;
        addAction(a);
        return a;
    };

    QAction *add = make(QStringLiteral("addFiles"), tr("Add files…"), QKeySequence::Open, [this] {
        const QStringList paths = QFileDialog::getOpenFileNames(
            this, tr("Add media"), QSettings().value(QStringLiteral("ui/lastDir")).toString(),
            tr("Media (*.jpg *.jpeg *.png *.webp *.gif *.mp4 *.mov *.webm *.mkv);;All files (*)"));
        if (!paths.isEmpty()) {
            QSettings().setValue(QStringLiteral("ui/lastDir"), QFileInfo(paths.first()).absolutePath());
            addFiles(paths);
        }
    });
    QAction *paste = make(QStringLiteral("paste"), tr("Paste"), QKeySequence::Paste, &MainWindow::pasteFromClipboard);
    // Paste into the queue only while the upload tab has focus; text fields elsewhere keep Ctrl+V.
    paste->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_uploadSplitter->addAction(paste);
    removeAction(paste);
    QAction *remove = make(QStringLiteral("remove"), tr("Remove"), QKeySequence::Delete, [this] {
        QList<int> rows;
        for (const QModelIndex &i : m_queueView->selectionModel()->selectedRows())
            rows << i.row();
        std::sort(rows.begin(), rows.end(), std::greater<int>());
        for (int r : rows)
            if (!MediaQueueModel::isActive(m_queue->item(r).status.state))
                m_queue->removeRow(r);
    });
    remove->setShortcutContext(Qt::WidgetShortcut);
    m_queueView->addAction(remove);
    removeAction(remove);
    QAction *clear = make(QStringLiteral("clearFinished"), tr("Clear done"), QKeySequence(Qt::CTRL | Qt::Key_L),
                          [this] { m_queue->clearFinished(); });
    QAction *start = make(QStringLiteral("start"), tr("Start"), QKeySequence(Qt::CTRL | Qt::Key_Return),
                          [this] { forSelected(&MediaQueueModel::start); });
    QAction *startAll = make(QStringLiteral("startAll"), tr("Start all"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Return),
                             [this] { m_queue->startAll(); });
    QAction *pause = make(QStringLiteral("pause"), tr("Pause"), QKeySequence(Qt::CTRL | Qt::Key_P),
                          [this] { forSelected(&MediaQueueModel::pause); });
    QAction *resume = make(QStringLiteral("resume"), tr("Resume"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P),
                           [this] { forSelected(&MediaQueueModel::resume); });
    QAction *cancel = make(QStringLiteral("cancel"), tr("Cancel"), QKeySequence(Qt::CTRL | Qt::Key_Period),
                           [this] { forSelected(&MediaQueueModel::cancel); });
    QAction *retry = make(QStringLiteral("retry"), tr("Retry"), QKeySequence(Qt::CTRL | Qt::Key_R),
                          [this] { forSelected(&MediaQueueModel::retry); });
    // Compress-to-fit's offer: in the row's context menu and above its preview.
    QAction *makeCopy = make(QStringLiteral("makeFitCopy"), tr("Make a copy that fits"), QKeySequence(),
                             [this] { forSelected(&MediaQueueModel::makeFitCopy); });
    QAction *keepAsIs = make(QStringLiteral("keepAsIs"), tr("Keep as is"), QKeySequence(),
                             [this] { forSelected(&MediaQueueModel::keepAsIs); });
    QAction *uploadCopy = make(QStringLiteral("uploadCopy"), tr("Upload the copy"), QKeySequence(),
                               [this] { forSelected(&MediaQueueModel::start); });
    QAction *discardCopy = make(QStringLiteral("discardCopy"), tr("Discard the copy"), QKeySequence(),
                                [this] { forSelected(&MediaQueueModel::discardCopy); });
    for (QAction *a : {start, pause, resume, cancel, retry, makeCopy, keepAsIs, uploadCopy, discardCopy})
        m_queueView->addAction(a);
    buildFitOffer();

    for (int i = 0; i < 9; ++i) {
        auto *tab = new QAction(this);
        tab->setShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + i)));
        connect(tab, &QAction::triggered, this, [this, i] {
            if (i < m_tabs->count())
                m_tabs->setCurrentIndex(i);
        });
        addAction(tab);
    }
    auto *quit = new QAction(tr("Quit"), this);
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);
    addAction(quit);

    Q_UNUSED(add);  // the drop zone's own button triggers it
    toolbar->addAction(startAll);
    toolbar->addAction(start);
    toolbar->addAction(pause);
    toolbar->addAction(resume);
    toolbar->addAction(cancel);
    toolbar->addAction(retry);
    toolbar->addSeparator();
    toolbar->addAction(remove);
    toolbar->addAction(clear);
}

QAction *MainWindow::action(const QString &name) const
{
    for (QAction *a : m_actions)
        if (a->objectName() == name)
            return a;
    return nullptr;
}

void MainWindow::addFiles(const QStringList &paths)
{
    m_queue->addFiles(paths);
}

void MainWindow::pasteFromClipboard()
{
    const QMimeData *mime = QGuiApplication::clipboard()->mimeData();
    if (!mime) {
        showError(tr("The clipboard is empty."));
        return;
    }
    QStringList paths = DropZone::localFiles(mime);
    if (paths.isEmpty() && mime->hasText()) {
        for (const QString &line : mime->text().split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
            const QString t = line.trimmed();
            const QString local = t.startsWith(QLatin1String("file://")) ? QUrl(t).toLocalFile() : t;
            if (QFileInfo(local).isAbsolute() && QFileInfo::exists(local))
                paths << local;
        }
    }
    if (!paths.isEmpty()) {
        addFiles(paths);
        return;
    }
    if (!mime->hasImage()) {
        showError(tr("The clipboard holds neither an image nor files to add."));
        return;
    }
    // A pasted image becomes a PNG file so it can be queued, previewed and resumed like
    // any other; encoding a large screenshot takes a moment, so it runs off the UI thread.
    const QImage image = qvariant_cast<QImage>(mime->imageData());
    const QString dir = QDir(appDataDir()).filePath(QStringLiteral("pasted"));
    const QString path = QDir(dir).filePath(
        QStringLiteral("pasted-%1.png").arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss-zzz"))));
    statusBar()->showMessage(tr("Saving the pasted image…"));
    QtConcurrent::run([image, dir, path]() -> QString {
        if (!QDir().mkpath(dir))
            return QStringLiteral("Cannot create %1.").arg(dir);
        QSaveFile f(path);
        if (!f.open(QIODevice::WriteOnly) || !image.save(&f, "PNG") || !f.commit())
            return QStringLiteral("Cannot save the pasted image to %1.").arg(path);
        return {};
    }).then(this, [this, path](const QString &error) {
        statusBar()->clearMessage();
        if (error.isEmpty())
            addFiles({path});
        else
            showError(error);
    });
}

void MainWindow::showError(const QString &message)
{
    m_notice->show(NoticeBar::Level::Error, message);
}

void MainWindow::showInfo(const QString &message)
{
    m_notice->show(NoticeBar::Level::Info, message);
}

void MainWindow::selectRow(int row)
{
    const QModelIndex idx = m_queue->index(row);
    m_queueView->selectionModel()->setCurrentIndex(idx, QItemSelectionModel::ClearAndSelect);
}

QString MainWindow::currentId() const
{
    const QModelIndex cur = m_queueView->currentIndex();
    return cur.isValid() ? cur.data(MediaQueueModel::IdRole).toString() : QString();
}

void MainWindow::showCurrent()
{
    const QString id = currentId();
    const auto *it = m_queue->find(id);
    if (!it) {
        m_previewedId.clear();
        m_previewStack->setCurrentWidget(m_previewHint);
        m_videoPreview->clear();
        m_resultUrl->setUrl({});
        return;
    }
    const bool fresh = id != m_previewedId;
    m_previewedId = id;
    if (it->kind == MediaQueueModel::Kind::Image) {
        if (fresh) {
            m_videoPreview->clear();
            m_imagePreview->clear();
            m_imagePreview->setOriginal({}, {it->dimensions, it->size, {}});
            m_thumbnails->request(id, it->path, kPreviewSide, ThumbForPreview);
            showProcessed(id);
        }
        m_previewStack->setCurrentWidget(m_imagePreview);
    } else if (it->kind == MediaQueueModel::Kind::Video) {
        if (fresh)
            m_videoPreview->setSource(it->path);
        m_videoPreview->setCopy(it->copyPath);
        const bool started = it->status.state != MediaQueueModel::State::Waiting;
        m_videoPreview->setRemoteStatus(started ? deso::upload::describe(it->status) : QString());
        m_videoPreview->setLinks(deso::upload::mediaLinks(it->status));
        m_previewStack->setCurrentWidget(m_videoPreview);
    } else {
        m_videoPreview->clear();
        m_previewHint->setText(tr("%1 cannot be uploaded: %2").arg(it->name, it->reason()));
        m_previewStack->setCurrentWidget(m_previewHint);
    }
    m_resultUrl->setUrl(it->kind == MediaQueueModel::Kind::Image
                            ? deso::upload::linkUrl(deso::upload::mediaLinks(it->status), deso::upload::LinkKind::Image).toString()
                            : QString());
    m_resultUrl->setVisible(it->kind != MediaQueueModel::Kind::Video);
}

void MainWindow::requestThumbnails(int first, int last)
{
    for (int row = first; row <= last; ++row) {
        const auto &it = m_queue->item(row);
        if (it.status.state == MediaQueueModel::State::Refused)
            continue;
        if (it.kind == MediaQueueModel::Kind::Image)
            m_thumbnails->request(it.id, it.path, kQueueThumbSide, ThumbForQueue);
        else if (it.kind == MediaQueueModel::Kind::Video)
            m_videoThumbnails->request(it.id, it.path, kQueueThumbSide);
        requestPoster(it.id);  // restored rows of processed videos
    }
}

void MainWindow::requestPoster(const QString &id)
{
    const int row = m_queue->rowOf(id);
    if (row < 0)
        return;
    const QModelIndex index = m_queue->index(row);
    const QUrl url = index.data(MediaQueueModel::PosterUrlRole).toUrl();
    if (!url.isEmpty() && index.data(MediaQueueModel::PosterRole).value<QImage>().isNull())
        m_posters->request(id, url, kQueueThumbSide);
}

void MainWindow::updateSummary()
{
    m_summary->setText(m_queue->totalsText());
}

QStringList MainWindow::selectedIds() const
{
    QStringList ids;
    for (const QModelIndex &i : m_queueView->selectionModel()->selectedRows())
        ids << i.data(MediaQueueModel::IdRole).toString();
    if (ids.isEmpty() && m_queueView->currentIndex().isValid())
        ids << currentId();
    return ids;
}

void MainWindow::forSelected(void (MediaQueueModel::*op)(const QString &))
{
    for (const QString &id : selectedIds())
        (m_queue->*op)(id);
    updateActions();
}

void MainWindow::applyNodeUrl()
{
    const QUrl url = m_settings->nodeUrl();
    m_queue->setNodeUrl(url);
    m_queue->setMediaServerUrl(m_settings->mediaServerUrl()); // "automatic" follows the node
    m_tester->setMediaServerUrl(m_settings->mediaServerUrl());
    m_tiktok->setNodeUrl(url);
    m_tester->setNodeUrl(url);
    m_resultUrl->setToolTip(url.toString());
}

bool MainWindow::startLocalHost()
{
    deso::Status st = m_hostPanel->startHost();
    if (!st && m_hostPanel->isRunning() == false) {
        // The remembered port may be taken by another program: any free port still
        // gives a working flow, and the notice says what happened.
        const QString first = st.error().message;
        m_hostPanel->setPort(0);
        st = m_hostPanel->startHost();
        if (st)
            showInfo(tr("The local host could not use its usual port (%1), so it runs on %2.")
                         .arg(first, m_hostPanel->baseUrl().toString()));
    }
    if (!st) {
        showError(tr("The local host did not start: %1").arg(st.error().message));
        return false;
    }
    return true;
}

void MainWindow::updateActions()
{
    const QStringList ids = selectedIds();
    auto any = [&](bool (MediaQueueModel::*can)(const QString &) const) {
        return std::any_of(ids.cbegin(), ids.cend(), [&](const QString &id) { return (m_queue->*can)(id); });
    };
    if (auto *a = action(QStringLiteral("start")))
        a->setEnabled(any(&MediaQueueModel::canStart));
    if (auto *a = action(QStringLiteral("pause")))
        a->setEnabled(any(&MediaQueueModel::canPause));
    if (auto *a = action(QStringLiteral("resume")))
        a->setEnabled(any(&MediaQueueModel::canResume));
    if (auto *a = action(QStringLiteral("cancel")))
        a->setEnabled(any(&MediaQueueModel::canCancel));
    if (auto *a = action(QStringLiteral("retry")))
        a->setEnabled(any(&MediaQueueModel::canRetry));
    if (auto *a = action(QStringLiteral("startAll"))) {
        bool startable = false;
        for (int row = 0; row < m_queue->rowCount() && !startable; ++row)
            startable = m_queue->canStart(m_queue->item(row).id) || m_queue->canResume(m_queue->item(row).id);
        a->setEnabled(startable);
    }
    if (auto *clear = action(QStringLiteral("clearFinished"))) {
        const auto t = m_queue->totals();
        clear->setEnabled(t.done + t.refused > 0);
    }
    if (auto *remove = action(QStringLiteral("remove")))
        remove->setEnabled(m_queueView->currentIndex().isValid());
    if (auto *a = action(QStringLiteral("makeFitCopy")))
        a->setEnabled(any(&MediaQueueModel::canMakeFitCopy));
    if (auto *a = action(QStringLiteral("keepAsIs")))
        a->setEnabled(any(&MediaQueueModel::canKeepAsIs));
    if (auto *a = action(QStringLiteral("discardCopy")))
        a->setEnabled(any(&MediaQueueModel::canDiscardCopy));
    if (auto *a = action(QStringLiteral("uploadCopy")))
        a->setEnabled(std::any_of(ids.cbegin(), ids.cend(), [&](const QString &id) {
            const auto *it = m_queue->find(id);
            return it && !it->copyPath.isEmpty() && m_queue->canStart(id);
        }));
    updateFitOffer();
}

QWidget *MainWindow::buildFitOffer()
{
    m_fitOffer->setObjectName(QStringLiteral("fitOffer"));
    auto *frame = static_cast<QFrame *>(m_fitOffer);
    frame->setFrameShape(QFrame::StyledPanel);
    m_fitOfferText = new QLabel;
    m_fitOfferText->setObjectName(QStringLiteral("fitOfferText"));
    m_fitOfferText->setWordWrap(true);
    auto *buttons = new QHBoxLayout;
    for (const char *name : {"makeFitCopy", "cancel", "uploadCopy", "discardCopy", "keepAsIs"}) {
        auto *button = new QToolButton;
        button->setDefaultAction(action(QString::fromLatin1(name)));
        button->setToolButtonStyle(Qt::ToolButtonTextOnly);
        button->setObjectName(QStringLiteral("fitOffer-%1").arg(QString::fromLatin1(name)));
        buttons->addWidget(button);
        m_fitOfferButtons << button;
    }
    buttons->addStretch();
    auto *layout = new QVBoxLayout(m_fitOffer);
    layout->setContentsMargins(8, 6, 8, 6);
    layout->addWidget(m_fitOfferText);
    layout->addLayout(buttons);
    m_fitOffer->setVisible(false);
    return m_fitOffer;
}

QString MainWindow::fitOfferText() const
{
    return m_fitOfferText ? m_fitOfferText->text() : QString();
}

void MainWindow::updateFitOffer()
{
    if (!m_fitOffer)
        return;
    using deso::upload::StatusNote;
    const auto *it = m_queue->find(currentId());
    const bool shown = it && it->kind == MediaQueueModel::Kind::Video && it->smallerCopyCanFit
                       && (it->status.note == StatusNote::SmallerVideoOffered || it->status.note == StatusNote::MakingSmallerVideo
                           || it->status.note == StatusNote::SmallerVideoReady
                           || (it->status.state == MediaQueueModel::State::Refused && m_queue->canMakeFitCopy(it->id)));
    m_fitOffer->setVisible(shown);
    if (!shown)
        return;
    m_fitOfferText->setText(deso::upload::describe(it->status));
    // Only the choices there are now.
    for (QToolButton *button : m_fitOfferButtons)
        button->setVisible(button->defaultAction()->isEnabled());
}

// What the node will store for an image: core/image's pipeline, run off the UI thread
// on the file's bytes (made acceptable first when they exceed the node's upload limit).
struct MainWindow::ProcessedPreview {
    bool ready = false;
    QImage preview;
    ImagePreview::Facts facts;
    QString note;
    QString error;
};

void MainWindow::showProcessed(const QString &id)
{
    const auto *it = m_queue->find(id);
    if (!it)
        return;
    if (auto cached = m_processed.value(id); cached && cached->ready) {
        if (cached->error.isEmpty())
            m_imagePreview->setProcessed(cached->preview, cached->facts, cached->note);
        else
            m_imagePreview->setProcessedError(cached->error);
        return;
    }
    if (m_processed.contains(id)) {
        m_imagePreview->setProcessing(tr("Processing as the node would…"));
        return;  // already running; the result shows when it lands
    }
    auto state = std::make_shared<ProcessedPreview>();
    m_processed.insert(id, state);
    m_imagePreview->setProcessing(tr("Processing as the node would…"));
    const QString path = it->path;
    QtConcurrent::run([path]() {
        ProcessedPreview out;
        if (QFileInfo(path).size() > deso::upload::kMaxShrinkableImageBytes) {
            out.error = tr("The file is too large to process here.");
            return out;
        }
        // Exactly what the upload sends: the file, or the smaller copy made of it.
        auto part = deso::upload::prepareImage(path, true);
        if (!part) {
            out.error = QFileInfo(path).size() > deso::image::kMaxUploadBytes
                            ? tr("Too large for the node, and it cannot be made smaller: %1").arg(part.error().message)
                            : tr("The node would refuse it: %1").arg(part.error().message);
            return out;
        }
        const QString prepared = part->changed ? part->preparation : QString();
        const QByteArray bytes = part->bytes;
        auto processed = deso::image::ImagePipeline::process(bytes);
        if (!processed) {
            out.error = tr("The node would refuse it: %1").arg(processed.error().message);
            return out;
        }
        auto thumb = deso::image::makeThumbnail(processed->bytes, QSize(kPreviewSide, kPreviewSide));
        if (thumb)
            out.preview = thumb.value();
        out.facts = {processed->outputSize, qint64(processed->bytes.size()),
                     processed->passedThrough ? QStringLiteral("GIF") : QStringLiteral("WebP")};
        // Names are 64 hex digits: shortened here, whole in the tooltip-free result URL later.
        const QString shortName = processed->name.size() > 24
                                      ? processed->name.left(12) + QStringLiteral("…") + processed->name.right(12)
                                      : processed->name;
        out.note = processed->passedThrough ? tr("Stored unchanged as %1").arg(shortName)
                                            : tr("Stored as %1").arg(shortName);
        if (!prepared.isEmpty())
            out.note = tr("Sent as a smaller copy: %1").arg(prepared) + QLatin1Char('\n') + out.note;
        return out;
    }).then(this, [this, id, state](const ProcessedPreview &out) {
        *state = out;
        state->ready = true;
        if (id == m_previewedId)
            showProcessed(id);
    });
}

bool MainWindow::saveSession()
{
    if (m_sessionFile.isEmpty())
        return false;
    QDir().mkpath(QFileInfo(m_sessionFile).absolutePath());
    QSaveFile f(m_sessionFile);
    if (!f.open(QIODevice::WriteOnly)) {
        statusBar()->showMessage(tr("Cannot save the queue to %1: %2").arg(m_sessionFile, f.errorString()));
        return false;
    }
    f.write(QJsonDocument(m_queue->toJson()).toJson(QJsonDocument::Indented));
    return f.commit();
}

int MainWindow::restoreSession()
{
    QFile f(m_sessionFile);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (!doc.isArray()) {
        showError(tr("The saved queue in %1 is damaged (%2); starting with an empty queue.")
                      .arg(m_sessionFile, err.errorString()));
        return 0;
    }
    const int n = m_queue->restore(doc.array());
    int resumable = 0;
    for (int row = 0; row < m_queue->rowCount(); ++row)
        resumable += m_queue->item(row).resumable ? 1 : 0;
    if (resumable > 0)
        showInfo(resumable == 1 ? tr("1 upload from the last session can resume where it stopped.")
                                : tr("%1 uploads from the last session can resume where they stopped.").arg(resumable));
    return n;
}

void MainWindow::restoreWindowSettings()
{
    QSettings s;
    if (s.contains(QStringLiteral("window/geometry")))
        restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    if (s.contains(QStringLiteral("window/state")))
        restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    if (s.contains(QStringLiteral("window/uploadSplitter")))
        m_uploadSplitter->restoreState(s.value(QStringLiteral("window/uploadSplitter")).toByteArray());
    m_tabs->setCurrentIndex(s.value(QStringLiteral("window/tab"), 0).toInt());
}

void MainWindow::saveWindowSettings()
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("window/uploadSplitter"), m_uploadSplitter->saveState());
    s.setValue(QStringLiteral("window/tab"), m_tabs->currentIndex());
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (!DropZone::localFiles(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QStringList paths = DropZone::localFiles(event->mimeData());
    if (paths.isEmpty())
        return;
    event->acceptProposedAction();
    m_tabs->setCurrentIndex(0);
    addFiles(paths);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveWindowSettings();
    saveSession();
    QMainWindow::closeEvent(event);
}

#pragma once
// The companion window: a drop zone and upload queue with previews, plus panels for
// TikTok links, node testing, the local endpoint host and node/identity settings.

#include <QHash>
#include <QMainWindow>

#include <memory>

class DropZone;
class HostPanel;
class ImagePreview;
class NodeSettingsPanel;
class NodeTesterPanel;
class TikTokPanel;
class MediaQueueModel;
class NoticeBar;
class PosterLoader;
class QAction;
class QLabel;
class QListView;
class QSplitter;
class QStackedWidget;
class QTabWidget;
class ThumbnailLoader;
class UrlField;
class VideoPreview;
class VideoThumbnailer;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    MediaQueueModel *queue() const { return m_queue; }
    DropZone *dropZone() const { return m_dropZone; }
    QListView *queueView() const { return m_queueView; }
    QTabWidget *tabs() const { return m_tabs; }
    // Brings forward the tab holding `panel` (a tab may wrap its panel, e.g. in a scroll area).
    void showPanel(QWidget *panel);
    NoticeBar *notice() const { return m_notice; }
    ImagePreview *imagePreview() const { return m_imagePreview; }
    VideoPreview *videoPreview() const { return m_videoPreview; }
    UrlField *resultField() const { return m_resultUrl; }
    QLabel *totalLine() const { return m_summary; }
    QAction *action(const QString &name) const;
    NodeSettingsPanel *nodeSettings() const { return m_settings; }
    HostPanel *hostPanel() const { return m_hostPanel; }
    TikTokPanel *tiktokPanel() const { return m_tiktok; }
    NodeTesterPanel *testerPanel() const { return m_tester; }
    PosterLoader *posterLoader() const { return m_posters; }
    // Above the preview: the offer for a video over its server's limit (one sentence and
    // its choices: make a copy that fits, cancel, keep as is, upload or discard the copy).
    QWidget *fitOffer() const { return m_fitOffer; }
    QString fitOfferText() const;

    // Starts the app's own endpoint host on 127.0.0.1 (the configured port, or any free
    // one when that is taken) and, when "use this host" is on, points the client at it.
    bool startLocalHost();

    // Where the queue is kept between runs (JSON); default: the app data folder.
    void setSessionFile(const QString &path) { m_sessionFile = path; }
    QString sessionFile() const { return m_sessionFile; }
    bool saveSession();
    int restoreSession();

    // Selects a queue row and shows it in the preview.
    void selectRow(int row);

public slots:
    void addFiles(const QStringList &paths);
    void pasteFromClipboard();
    void showError(const QString &message);
    void showInfo(const QString &message);

protected:
    void closeEvent(QCloseEvent *event) override;
    // Files dropped anywhere on the window land in the queue, not only on the drop zone.
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    QWidget *buildUploadTab();
    void buildActions();
    void restoreWindowSettings();
    void saveWindowSettings();
    void updateSummary();
    void updateActions();
    void showCurrent();
    void requestThumbnails(int first, int last);
    QString currentId() const;
    QStringList selectedIds() const;
    void forSelected(void (MediaQueueModel::*op)(const QString &));
    void applyNodeUrl();
    void showProcessed(const QString &id);
    void requestPoster(const QString &id);  // when the row's video is processed and its poster not yet here
    QWidget *buildFitOffer();
    void updateFitOffer();

    MediaQueueModel *m_queue;
    ThumbnailLoader *m_thumbnails;
    VideoThumbnailer *m_videoThumbnails;
    PosterLoader *m_posters;
    NodeSettingsPanel *m_settings;
    HostPanel *m_hostPanel;
    TikTokPanel *m_tiktok;
    NodeTesterPanel *m_tester;
    NoticeBar *m_notice;
    QTabWidget *m_tabs;
    DropZone *m_dropZone;
    QListView *m_queueView;
    QLabel *m_summary;
    QSplitter *m_uploadSplitter = nullptr;
    QStackedWidget *m_previewStack = nullptr;
    ImagePreview *m_imagePreview = nullptr;
    VideoPreview *m_videoPreview = nullptr;
    UrlField *m_resultUrl = nullptr;
    QLabel *m_previewHint = nullptr;
    QWidget *m_fitOffer = nullptr;
    QLabel *m_fitOfferText = nullptr;
    QList<class QToolButton *> m_fitOfferButtons;
    QString m_previewedId;
    QString m_sessionFile;
    QList<QAction *> m_actions;
    class QTimer *m_sessionSave;
    struct ProcessedPreview;
    QHash<QString, std::shared_ptr<ProcessedPreview>> m_processed;  // by item id
};

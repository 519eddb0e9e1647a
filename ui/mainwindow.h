#pragma once
// The companion window: a drop zone and upload queue with previews, plus panels for
// TikTok links, node testing, the local endpoint host and node/identity settings.

#include <QMainWindow>

class DropZone;
class ImagePreview;
class MediaQueueModel;
class NoticeBar;
class QAction;
class QLabel;
class QListView;
class QSplitter;
class QStackedWidget;
class QTabWidget;
class ThumbnailLoader;
class UrlField;
class VideoPreview;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    MediaQueueModel *queue() const { return m_queue; }
    DropZone *dropZone() const { return m_dropZone; }
    QListView *queueView() const { return m_queueView; }
    QTabWidget *tabs() const { return m_tabs; }
    NoticeBar *notice() const { return m_notice; }
    ImagePreview *imagePreview() const { return m_imagePreview; }
    VideoPreview *videoPreview() const { return m_videoPreview; }
    UrlField *resultField() const { return m_resultUrl; }
    QLabel *totalLine() const { return m_summary; }
    QAction *action(const QString &name) const;

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

    MediaQueueModel *m_queue;
    ThumbnailLoader *m_thumbnails;
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
    QString m_previewedId;
    QString m_sessionFile;
    QList<QAction *> m_actions;
    class QTimer *m_sessionSave;
};

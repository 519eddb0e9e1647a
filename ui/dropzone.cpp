#include "dropzone.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QLabel>
#include <QMimeData>
#include <QPushButton>
#include <QVBoxLayout>

QStringList DropZone::localFiles(const QMimeData *mime)
{
    QStringList paths;
    if (!mime || !mime->hasUrls())
        return paths;
    for (const QUrl &url : mime->urls())
        if (url.isLocalFile())
            paths << url.toLocalFile();
    return paths;
}

DropZone::DropZone(QWidget *parent) : QFrame(parent), m_label(new QLabel(this)), m_add(new QPushButton(this))
{
    setObjectName(QStringLiteral("dropZone"));
    setAcceptDrops(true);
    setFrameShape(QFrame::StyledPanel);
    setMinimumHeight(96);
    m_label->setAlignment(Qt::AlignCenter);
    m_label->setWordWrap(true);
    m_label->setText(tr("<b>Drop images, videos or folders here</b><br>"
                        "<span style='color:#6b7280'>JPEG, PNG, WebP, GIF up to 10 MB · MP4, MOV, WebM up to 250 MB"
                        " · or paste an image with Ctrl+V</span>"));
    m_add->setText(tr("Add files…"));
    m_add->setObjectName(QStringLiteral("addFilesButton"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_label);
    layout->addWidget(m_add, 0, Qt::AlignHCenter);
    connect(m_add, &QPushButton::clicked, this, &DropZone::addFilesRequested);
    setHighlighted(false);
}

void DropZone::dragEnterEvent(QDragEnterEvent *event)
{
    if (!localFiles(event->mimeData()).isEmpty()) {
        event->acceptProposedAction();
        setHighlighted(true);
    }
}

void DropZone::dragLeaveEvent(QDragLeaveEvent *event)
{
    setHighlighted(false);
    QFrame::dragLeaveEvent(event);
}

void DropZone::dropEvent(QDropEvent *event)
{
    setHighlighted(false);
    const QStringList paths = localFiles(event->mimeData());
    if (paths.isEmpty())
        return;
    event->acceptProposedAction();
    emit filesDropped(paths);
}

void DropZone::setHighlighted(bool on)
{
    setStyleSheet(on ? QStringLiteral("#dropZone { border: 2px dashed palette(highlight); border-radius: 8px; background: palette(alternate-base); }")
                     : QStringLiteral("#dropZone { border: 2px dashed palette(mid); border-radius: 8px; }"));
}

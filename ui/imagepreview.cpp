#include "imagepreview.h"

#include "mediaqueuemodel.h"

#include <QGridLayout>
#include <QLabel>
#include <QPainter>

// Paints an image fitted to its rectangle (aspect kept) on a checkerboard, so
// transparency is visible and the widget resizes freely.
class ImageView : public QWidget {
public:
    explicit ImageView(QWidget *parent = nullptr) : QWidget(parent)
    {
        setMinimumSize(160, 120);
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    }
    void setImage(const QImage &image, const QString &placeholder = {})
    {
        m_image = image;
        m_placeholder = placeholder;
        update();
    }
    const QImage &image() const { return m_image; }

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter p(this);
        p.setRenderHint(QPainter::SmoothPixmapTransform);
        const QRect r = rect().adjusted(1, 1, -1, -1);
        p.fillRect(r, QColor(0xf4, 0xf5, 0xf7));
        p.setPen(palette().color(QPalette::Mid));
        p.drawRect(r);
        if (m_image.isNull()) {
            p.setPen(palette().color(QPalette::PlaceholderText));
            p.drawText(r.adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
            return;
        }
        const QSize fit = m_image.size().scaled(r.size() - QSize(12, 12), Qt::KeepAspectRatio)
                              .boundedTo(m_image.size() * 4);
        QRect target(QPoint(0, 0), fit);
        target.moveCenter(r.center());
        const int cell = 8;
        for (int y = target.top(); y < target.bottom(); y += cell)
            for (int x = target.left(); x < target.right(); x += cell)
                p.fillRect(QRect(x, y, cell, cell).intersected(target),
                           ((x - target.left()) / cell + (y - target.top()) / cell) % 2 ? QColor(0xe4, 0xe4, 0xe4)
                                                                                        : QColor(0xfa, 0xfa, 0xfa));
        p.drawImage(target, m_image);
    }

private:
    QImage m_image;
    QString m_placeholder;
};

ImagePreview::ImagePreview(QWidget *parent)
    : QWidget(parent), m_original(new ImageView), m_processed(new ImageView), m_originalFacts(new QLabel),
      m_processedFacts(new QLabel)
{
    auto *grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    auto *origTitle = new QLabel(tr("<b>Original</b>"));
    auto *procTitle = new QLabel(tr("<b>Processed</b> — what the node stores"));
    m_originalFacts->setObjectName(QStringLiteral("originalFacts"));
    m_processedFacts->setObjectName(QStringLiteral("processedFacts"));
    for (QLabel *l : {m_originalFacts, m_processedFacts}) {
        l->setWordWrap(true);
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
    grid->addWidget(origTitle, 0, 0);
    grid->addWidget(procTitle, 0, 1);
    grid->addWidget(m_original, 1, 0);
    grid->addWidget(m_processed, 1, 1);
    grid->addWidget(m_originalFacts, 2, 0);
    grid->addWidget(m_processedFacts, 2, 1);
    grid->setRowStretch(1, 1);
    grid->setColumnStretch(0, 1);
    grid->setColumnStretch(1, 1);
    for (QLabel *l : {m_originalFacts, m_processedFacts})
        l->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    clear();
}

void ImagePreview::clear()
{
    m_original->setImage({}, tr("Select an image in the queue"));
    m_processed->setImage({});
    m_originalFacts->clear();
    m_processedFacts->clear();
}

QString ImagePreview::factsText(const Facts &f)
{
    QStringList parts;
    if (f.dimensions.isValid())
        parts << QStringLiteral("%1 × %2 px").arg(f.dimensions.width()).arg(f.dimensions.height());
    parts << MediaQueueModel::humanSize(f.bytes);
    if (!f.format.isEmpty())
        parts << f.format.toUpper();
    return parts.join(QStringLiteral(" · "));
}

void ImagePreview::setOriginal(const QImage &preview, const Facts &facts)
{
    m_originalFactsValue = facts;
    m_original->setImage(preview, tr("No preview"));
    m_originalFacts->setText(factsText(facts));
}

void ImagePreview::setProcessing(const QString &note)
{
    m_processed->setImage({}, note);
    m_processedFacts->clear();
}

void ImagePreview::setProcessed(const QImage &preview, const Facts &facts, const QString &note)
{
    m_processed->setImage(preview, tr("No preview"));
    QString text = factsText(facts);
    if (m_originalFactsValue.bytes > 0 && facts.bytes > 0) {
        const double ratio = double(facts.bytes) / double(m_originalFactsValue.bytes);
        text += tr(" · %1 % of the original").arg(ratio * 100.0, 0, 'f', ratio < 0.1 ? 1 : 0);
    }
    if (!note.isEmpty())
        text += QStringLiteral("\n") + note;
    m_processedFacts->setText(text);
}

void ImagePreview::setProcessedError(const QString &message)
{
    m_processed->setImage({}, message);
    m_processedFacts->setText(message);
}

QString ImagePreview::originalText() const
{
    return m_originalFacts->text();
}

QString ImagePreview::processedText() const
{
    return m_processedFacts->text();
}

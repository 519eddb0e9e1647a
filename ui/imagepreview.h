#pragma once
// The original image beside what the node will store (processed by core/image):
// dimensions, bytes and format of each.

#include <QImage>
#include <QWidget>

class QLabel;
class ImageView;

class ImagePreview : public QWidget {
    Q_OBJECT
public:
    explicit ImagePreview(QWidget *parent = nullptr);

    struct Facts {
        QSize dimensions;
        qint64 bytes = 0;
        QString format;
    };

    void clear();
    void setOriginal(const QImage &preview, const Facts &facts);
    void setProcessing(const QString &note);
    void setProcessed(const QImage &preview, const Facts &facts, const QString &note = {});
    void setProcessedError(const QString &message);

    QString originalText() const;
    QString processedText() const;

private:
    static QString factsText(const Facts &facts);
    ImageView *m_original;
    ImageView *m_processed;
    QLabel *m_originalFacts;
    QLabel *m_processedFacts;
    Facts m_originalFactsValue;
};

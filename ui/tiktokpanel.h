#pragma once
// Paste a TikTok link or short id; the chosen node resolves it (get-full-tiktok-url)
// and the panel shows the full URL and the embeddable URL, both copyable.

#include <QUrl>
#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class UrlField;

namespace deso::node {
class NodeClient;
}

class TikTokPanel : public QWidget {
    Q_OBJECT
public:
    explicit TikTokPanel(QWidget *parent = nullptr);

    void setNodeUrl(const QUrl &url);
    void resolve(const QString &text);

    QLineEdit *input() const { return m_input; }
    UrlField *fullUrl() const { return m_full; }
    UrlField *embedUrl() const { return m_embed; }
    QString errorText() const;

signals:
    void resolved(const QString &fullUrl);
    void failed(const QString &message);

private:
    void showError(const QString &message);

    deso::node::NodeClient *m_client;
    QLineEdit *m_input;
    QPushButton *m_resolve;
    QLabel *m_node;
    QLabel *m_error;
    UrlField *m_full;
    UrlField *m_embed;
    QObject *m_request = nullptr;  // the request in flight; deleting it drops its answer
};

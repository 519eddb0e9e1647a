#pragma once
// A read-only URL with a caption and Copy (and optionally Open) buttons.

#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;

class UrlField : public QWidget {
    Q_OBJECT
public:
    explicit UrlField(const QString &caption, bool openable, QWidget *parent = nullptr);

    void setUrl(const QString &url);
    QString url() const;
    QPushButton *copyButton() const { return m_copy; }
    QPushButton *openButton() const { return m_open; }

signals:
    void copied(const QString &url);

private:
    QLabel *m_caption;
    QLineEdit *m_edit;
    QPushButton *m_copy;
    QPushButton *m_open;
};

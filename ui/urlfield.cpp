#include "urlfield.h"

#include <QClipboard>
#include <QDesktopServices>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QUrl>

UrlField::UrlField(const QString &caption, bool openable, QWidget *parent)
    : QWidget(parent), m_caption(new QLabel(caption)), m_edit(new QLineEdit), m_copy(new QPushButton(tr("Copy"))),
      m_open(new QPushButton(tr("Open")))
{
    m_edit->setReadOnly(true);
    m_edit->setPlaceholderText(tr("(none yet)"));
    m_caption->setMinimumWidth(90);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_caption);
    layout->addWidget(m_edit, 1);
    layout->addWidget(m_copy);
    layout->addWidget(m_open);
    m_open->setVisible(openable);
    connect(m_copy, &QPushButton::clicked, this, [this] {
        QGuiApplication::clipboard()->setText(m_edit->text());
        emit copied(m_edit->text());
    });
    connect(m_open, &QPushButton::clicked, this, [this] { QDesktopServices::openUrl(QUrl(m_edit->text())); });
    setUrl({});
}

void UrlField::setUrl(const QString &url)
{
    m_edit->setText(url);
    m_edit->setCursorPosition(0);
    m_copy->setEnabled(!url.isEmpty());
    m_open->setEnabled(!url.isEmpty());
}

QString UrlField::url() const
{
    return m_edit->text();
}

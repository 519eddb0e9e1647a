#pragma once
// A bar at the top of the window for errors and notices: visible, dismissable,
// never only in a log.

#include <QFrame>

class QLabel;
class QToolButton;

class NoticeBar : public QFrame {
    Q_OBJECT
public:
    enum class Level { Info, Warning, Error };
    explicit NoticeBar(QWidget *parent = nullptr);

    void show(Level level, const QString &message);
    QString message() const;
    Level level() const { return m_level; }

private:
    QLabel *m_text;
    QToolButton *m_close;
    Level m_level = Level::Info;
};

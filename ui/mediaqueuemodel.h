#pragma once
// The queue of files the user dropped, as a list model for the queue view.

#include <QAbstractListModel>
#include <QList>
#include <QString>

class MediaQueueModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum class Kind { Image, Video, Unsupported };
    Q_ENUM(Kind)
    enum class State { Waiting, Processing, Uploading, Paused, Done, Failed, Refused };
    Q_ENUM(State)

    struct Item {
        QString path;
        QString name;
        QString mimeType;
        qint64 size = 0;
        Kind kind = Kind::Unsupported;
        State state = State::Waiting;
        QString reason;  // why it was refused or failed; empty otherwise
    };

    enum Role {
        PathRole = Qt::UserRole + 1,
        NameRole,
        MimeTypeRole,
        SizeRole,
        KindRole,
        StateRole,
        ReasonRole,
    };

    explicit MediaQueueModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    const Item &item(int row) const { return m_items.at(row); }

    // Adds each local file; unsupported or unreadable ones are added as Refused with
    // the reason, so nothing the user dropped disappears silently. Returns rows added.
    int addFiles(const QStringList &paths);

    static Item describe(const QString &path);
    static QString humanSize(qint64 bytes);
    static QString stateName(State state);

private:
    QList<Item> m_items;
};

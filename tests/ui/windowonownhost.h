// The window set up as a creator's would be against its own local host: a test key
// `keyName` in memory, the host started on a free port and used as the node. Every file
// the window keeps goes under `dataDir`. Tests of the media-server route add
// setMediaServerChoice("local").
#pragma once

#include "hostpanel.h"
#include "mainwindow.h"
#include "mediaqueuemodel.h"
#include "nodesettingspanel.h"
#include "nodetesterpanel.h"

#include <QDir>
#include <QTest>

namespace uitest {

inline bool startWindowOnOwnHost(MainWindow &win, const QString &dataDir, const QString &keyName = QStringLiteral("creator"))
{
    const QDir data(dataDir);
    win.setSessionFile(data.filePath(QStringLiteral("queue.json")));
    win.queue()->setTusStoreFile(data.filePath(QStringLiteral("tus.json")));
    win.testerPanel()->setWorkDir(data.filePath(QStringLiteral("node-test")));
    win.hostPanel()->setPort(0);
    win.hostPanel()->setDataDir(data.filePath(QStringLiteral("host")));
    win.nodeSettings()->setIdentityMode(NodeSettingsPanel::IdentityMode::TestKey);
    win.nodeSettings()->setKeyStorage(NodeSettingsPanel::KeyStorage::Memory);
    win.nodeSettings()->createTestKey(keyName);
    if (!QTest::qWaitFor([&] { return win.nodeSettings()->hasLoadedTestKey(); }, 5000))
        return false;
    if (!win.startLocalHost())
        return false;
    win.nodeSettings()->setUseLocalHost(true);
    return true;
}

} // namespace uitest

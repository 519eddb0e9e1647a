#pragma once
// Waits for a condition while running a real event loop. QTest::qWaitFor (behind the
// QTRY_* macros) sleeps 10 ms between event batches, which starves an in-process server
// reading a large body (a 5 MiB PATCH then takes seconds); this loop never sleeps.

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QTimer>

template <typename Predicate>
bool waitUntil(Predicate predicate, int timeoutMs)
{
    if (predicate())
        return true;
    QEventLoop loop;
    QTimer check;
    check.setInterval(2);
    QDeadlineTimer deadline(timeoutMs);
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (predicate() || deadline.hasExpired())
            loop.quit();
    });
    check.start();
    loop.exec();
    return predicate();
}

// QVERIFY-style: fails the test with a message when the condition stays false.
#define DESO_WAIT_VERIFY(cond, timeoutMs) \
    QVERIFY2(waitUntil([&] { return bool(cond); }, (timeoutMs)), "timed out waiting for: " #cond)

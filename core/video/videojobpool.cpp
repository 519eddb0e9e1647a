#include "video/videojobpool.h"

#include <QHash>
#include <QMutex>
#include <QThread>

namespace deso::video {

struct Registry {
    QMutex mutex;
    QHash<QString, std::shared_ptr<std::atomic<bool>>> flags;
};

VideoJobPool::VideoJobPool(int maxConcurrentJobs) : m_registry(std::make_shared<Registry>())
{
    m_pool.setMaxThreadCount(maxConcurrentJobs > 0 ? maxConcurrentJobs : std::max(1, QThread::idealThreadCount()));
}

VideoJobPool::~VideoJobPool()
{
    cancelAll();
    m_pool.waitForDone();
}

void VideoJobPool::submit(const QString &key, Job job)
{
    auto flag = std::make_shared<std::atomic<bool>>(false);
    {
        QMutexLocker lock(&m_registry->mutex);
        if (auto old = m_registry->flags.value(key))
            old->store(true); // a resubmission replaces the earlier job
        m_registry->flags.insert(key, flag);
    }
    m_pool.start([registry = m_registry, key, flag, job = std::move(job)] {
        if (!flag->load())
            job(*flag);
        QMutexLocker lock(&registry->mutex);
        if (registry->flags.value(key) == flag)
            registry->flags.remove(key);
    });
}

void VideoJobPool::cancel(const QString &key)
{
    QMutexLocker lock(&m_registry->mutex);
    if (auto flag = m_registry->flags.take(key))
        flag->store(true);
}

void VideoJobPool::cancelAll()
{
    QMutexLocker lock(&m_registry->mutex);
    for (const auto &flag : std::as_const(m_registry->flags))
        flag->store(true);
    m_registry->flags.clear();
}

void VideoJobPool::waitForDone()
{
    m_pool.waitForDone();
}

} // namespace deso::video

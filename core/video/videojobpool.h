#pragma once
// A bounded pool for video jobs (transcodes): by default one job per core, so
// several uploads finishing at once queue instead of fighting over the CPU.
// Each job gets a cancellation flag it polls; cancel() before the job starts
// removes it from the queue.

#include <QString>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <memory>

namespace deso::video {

class VideoJobPool {
public:
    using Job = std::function<void(const std::atomic<bool> &cancelled)>;

    explicit VideoJobPool(int maxConcurrentJobs = 0); // 0 = one per core
    ~VideoJobPool();                                  // cancels and waits for every job

    // Runs `job` on a pool thread; `key` names it for cancel().
    void submit(const QString &key, Job job);
    // Asks the job to stop (it returns soon) and forgets it; no-op when unknown.
    void cancel(const QString &key);
    void cancelAll();
    // Blocks until every started job has returned.
    void waitForDone();
    int maxConcurrentJobs() const { return m_pool.maxThreadCount(); }

private:
    QThreadPool m_pool;
    std::shared_ptr<struct Registry> m_registry; // shared with running jobs
};

} // namespace deso::video

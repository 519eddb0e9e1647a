#include "image/decodememorybudget.h"

#include <QtGlobal>

#include <utility>

namespace deso::image {

DecodeMemoryBudget::DecodeMemoryBudget(qint64 totalBytes) : m_total(totalBytes) {}

DecodeMemoryBudget &DecodeMemoryBudget::instance()
{
    static DecodeMemoryBudget budget([] {
        bool ok = false;
        const qint64 mb = qEnvironmentVariable("DESO_DECODE_MEMORY_BUDGET_MB").toLongLong(&ok);
        return ok && mb > 0 ? mb * 1024 * 1024 : kDefaultDecodeMemoryBudget;
    }());
    return budget;
}

Result<DecodeMemoryBudget::Lease> DecodeMemoryBudget::admit(const ImageHeader &h, const QString &why, qint64 need)
{
    if (need <= kDecodeMemoryBound)
        return Lease();
    if (need > m_total) {
        return Error(QStringLiteral("image.memory_bound"),
                     QStringLiteral("The %1×%2 %3 image is refused: %4 would need %5 MB of memory, more than the %6 MB "
                                    "this server allows for large decodes.")
                         .arg(h.size.width()).arg(h.size.height()).arg(formatName(h.format).toUpper(), why)
                         .arg(need / (1024 * 1024)).arg(m_total / (1024 * 1024)),
                     400);
    }
    std::unique_lock lock(m_mutex);
    m_freed.wait(lock, [&] { return m_used + need <= m_total; });
    m_used += need;
    return Lease(this, need);
}

qint64 DecodeMemoryBudget::inUse() const
{
    std::lock_guard lock(m_mutex);
    return m_used;
}

void DecodeMemoryBudget::release(qint64 bytes)
{
    {
        std::lock_guard lock(m_mutex);
        m_used -= bytes;
    }
    m_freed.notify_all();
}

DecodeMemoryBudget::Lease::Lease(Lease &&other) noexcept
    : m_budget(std::exchange(other.m_budget, nullptr)), m_bytes(std::exchange(other.m_bytes, 0))
{
}

DecodeMemoryBudget::Lease &DecodeMemoryBudget::Lease::operator=(Lease &&other) noexcept
{
    if (this != &other) {
        release();
        m_budget = std::exchange(other.m_budget, nullptr);
        m_bytes = std::exchange(other.m_bytes, 0);
    }
    return *this;
}

DecodeMemoryBudget::Lease::~Lease()
{
    release();
}

void DecodeMemoryBudget::Lease::release()
{
    if (m_budget && m_bytes > 0)
        m_budget->release(m_bytes);
    m_budget = nullptr;
    m_bytes = 0;
}

} // namespace deso::image

#include "connectiontable.h"

namespace oxm {

ConnectionTable::ConnectionTable(int maxConnections)
    : m_maxConnections(std::max(0, maxConnections))
{
}

quint64 ConnectionTable::admit(qint64 nowMs, EvictFunction evict)
{
    std::lock_guard lock(m_mutex);
    if (m_entries.size() >= m_maxConnections) {
        // Make room: the connection idle the longest (not already being evicted) goes.
        auto victim = m_entries.end();
        for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
            if (!it->idle || it->evicting)
                continue;
            if (victim == m_entries.end() || it->idleSinceMs < victim->idleSinceMs)
                victim = it;
        }
        if (victim == m_entries.end())
            return 0;
        victim->evicting = true;
        ++m_evictions;
        if (victim->evict)
            victim->evict();
    }
    const quint64 id = m_nextId++;
    m_entries.insert(id, Entry{true, false, nowMs, std::move(evict)});
    return id;
}

void ConnectionTable::setIdle(quint64 id, bool idle, qint64 nowMs)
{
    std::lock_guard lock(m_mutex);
    const auto it = m_entries.find(id);
    if (it == m_entries.end())
        return;
    it->idle = idle;
    it->idleSinceMs = nowMs;
}

void ConnectionTable::remove(quint64 id)
{
    std::lock_guard lock(m_mutex);
    m_entries.remove(id);
}

int ConnectionTable::openConnections() const
{
    std::lock_guard lock(m_mutex);
    return int(m_entries.size());
}

qint64 ConnectionTable::evictions() const
{
    std::lock_guard lock(m_mutex);
    return m_evictions;
}

} // namespace oxm

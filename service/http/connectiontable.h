#pragma once

#include <QHash>
#include <QtGlobal>
#include <functional>
#include <mutex>

namespace oxm {

/// The open connections of one HttpFrontend, shared by all its server threads: the cap on open
/// connections and what to do when it is reached (issue 4: "the server keeps answering
/// `/healthz` under a slowloris of 2,000 sockets"; docs/api.md, "Front door limits").
///
/// A connection is *idle* while every request it completed has been answered (it is waiting
/// for the next request, or receiving one). A connection is *busy* while a request of its is
/// being served. When a new connection arrives at the cap, the connection that has been idle
/// the longest (since it was accepted or since its last response, whichever is later) is
/// evicted to make room: slowloris sockets, which never complete a request, are always the
/// oldest idle ones, so a client that sends its request at once is served. Only when every
/// connection is busy is the new one refused (503/1503). Evictions are asynchronous (the victim
/// closes on its own thread), so the number open can exceed the cap by the evictions in flight.
///
/// Thread-safe. Times are milliseconds of any monotonic clock (the caller's).
class ConnectionTable
{
    Q_DISABLE_COPY_MOVE(ConnectionTable)

public:
    /// `maxConnections` ≥ 0 (0 refuses every connection).
    explicit ConnectionTable(int maxConnections);

    /// Called on the victim's behalf, with the table's lock held: must only post work (e.g. a
    /// queued call to the connection's own thread), never call back into the table.
    using EvictFunction = std::function<void()>;

    /// Admits a new connection: returns its id (> 0), or 0 when the cap is reached and no
    /// connection is idle. At the cap, the longest-idle connection's EvictFunction is called
    /// (once per connection). The new connection starts idle, since `nowMs`.
    quint64 admit(qint64 nowMs, EvictFunction evict);
    /// The connection started (false) or finished (true) being served; idle since `nowMs`.
    void setIdle(quint64 id, bool idle, qint64 nowMs);
    /// The connection is gone.
    void remove(quint64 id);

    int openConnections() const;
    int maxConnections() const { return m_maxConnections; }
    /// Connections evicted so far.
    qint64 evictions() const;

private:
    struct Entry
    {
        bool idle = true;
        bool evicting = false;
        qint64 idleSinceMs = 0;
        EvictFunction evict;
    };

    const int m_maxConnections;
    mutable std::mutex m_mutex;
    QHash<quint64, Entry> m_entries;
    quint64 m_nextId = 1;
    qint64 m_evictions = 0;
};

} // namespace oxm

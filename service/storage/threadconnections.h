#pragma once

#include <QHash>
#include <QMetaObject>
#include <QString>
#include <functional>
#include <memory>
#include <mutex>

class QSqlDatabase;
class QThread;

namespace oxm {

/// One named QSqlDatabase connection per (store, thread): a Qt Sql connection may only be used by
/// the thread that opened it (qt docs, "Threads and the SQL Module"). Shared by SqliteStore (its
/// read connections) and PostgresStore (every connection).
///
/// connection() opens the calling thread's connection on first use through the Opener given at
/// construction; it is closed when that QThread finishes (adopted std::threads included), by
/// drop() (e.g. after the server went away, so the next use reconnects) and by closeAll().
/// Thread-safe. Create with std::make_shared (the finished-handlers hold weak references).
class ThreadConnections : public std::enable_shared_from_this<ThreadConnections>
{
public:
    /// Adds a connection named `name` (QSqlDatabase::addDatabase), configures and opens it.
    /// Throws StorageError when it cannot; the connection is then removed by the caller.
    using Opener = std::function<void(const QString &name)>;
    /// Builds the StorageError thrown when the set is closed (`what` names the store).
    using ClosedError = std::function<std::exception_ptr()>;

    ThreadConnections(QString prefix, Opener opener, ClosedError closedError);

    /// The calling thread's open connection, opened now if needed. Throws StorageError (the
    /// Opener's, or closedError when not open).
    QSqlDatabase connection();
    /// Closes the calling thread's connection; the next connection() opens a fresh one.
    void drop();
    /// Allows connection() (setOpen(true)) or refuses it (false).
    void setOpen(bool value);
    /// Refuses new connections and closes every thread's connection (from whichever thread calls
    /// it; no query may be running on them at that point).
    void closeAll();
    /// Connections currently open (diagnostics).
    int count() const;

private:
    struct Entry
    {
        QString name;
        QMetaObject::Connection finished;
    };
    void forget(QThread *thread);

    const QString m_prefix;
    const Opener m_opener;
    const ClosedError m_closedError;
    mutable std::mutex m_mutex;
    bool m_open = false;
    quint64 m_counter = 0;
    QHash<QThread *, Entry> m_byThread;
};

} // namespace oxm

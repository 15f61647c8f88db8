#include "storage/threadconnections.h"

#include <QObject>
#include <QSqlDatabase>
#include <QThread>

namespace oxm {

ThreadConnections::ThreadConnections(QString prefix, Opener opener, ClosedError closedError)
    : m_prefix(std::move(prefix))
    , m_opener(std::move(opener))
    , m_closedError(std::move(closedError))
{
}

QSqlDatabase ThreadConnections::connection()
{
    QThread *const thread = QThread::currentThread();
    QString name;
    {
        std::lock_guard lock(m_mutex);
        if (!m_open)
            std::rethrow_exception(m_closedError());
        const auto it = m_byThread.constFind(thread);
        if (it != m_byThread.constEnd())
            name = it->name;
    }
    if (!name.isEmpty()) {
        QSqlDatabase db = QSqlDatabase::database(name, false);
        if (db.isValid() && db.isOpen())
            return db;
        // A QThread object at a reused address whose predecessor never reported finished.
        db = QSqlDatabase();
        forget(thread);
    }

    {
        std::lock_guard lock(m_mutex);
        name = QStringLiteral("%1-t%2").arg(m_prefix).arg(++m_counter);
    }
    try {
        m_opener(name);
    } catch (...) {
        QSqlDatabase::removeDatabase(name);
        throw;
    }

    Entry entry;
    entry.name = name;
    const std::weak_ptr<ThreadConnections> weak = weak_from_this();
    entry.finished = QObject::connect(
        thread, &QThread::finished, thread,
        [weak, thread] {
            if (const auto self = weak.lock())
                self->forget(thread);
        },
        Qt::DirectConnection);
    {
        std::lock_guard lock(m_mutex);
        if (m_open) {
            m_byThread.insert(thread, entry);
            entry = Entry();
        }
    }
    if (!entry.name.isEmpty()) { // closed meanwhile
        QObject::disconnect(entry.finished);
        QSqlDatabase::removeDatabase(name);
        std::rethrow_exception(m_closedError());
    }
    return QSqlDatabase::database(name, false);
}

void ThreadConnections::drop()
{
    forget(QThread::currentThread());
}

void ThreadConnections::forget(QThread *thread)
{
    Entry entry;
    {
        std::lock_guard lock(m_mutex);
        const auto it = m_byThread.find(thread);
        if (it == m_byThread.end())
            return;
        entry = *it;
        m_byThread.erase(it);
    }
    QObject::disconnect(entry.finished);
    QSqlDatabase::removeDatabase(entry.name);
}

void ThreadConnections::setOpen(bool value)
{
    std::lock_guard lock(m_mutex);
    m_open = value;
}

void ThreadConnections::closeAll()
{
    QHash<QThread *, Entry> entries;
    {
        std::lock_guard lock(m_mutex);
        m_open = false;
        entries.swap(m_byThread);
    }
    for (const Entry &entry : std::as_const(entries)) {
        QObject::disconnect(entry.finished);
        QSqlDatabase::removeDatabase(entry.name);
    }
}

int ThreadConnections::count() const
{
    std::lock_guard lock(m_mutex);
    return int(m_byThread.size());
}

} // namespace oxm

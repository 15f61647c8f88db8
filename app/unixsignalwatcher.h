#pragma once

#include <QObject>

class QSocketNotifier;

namespace oxm {

/// Turns SIGTERM and SIGINT into a Qt signal on the thread that created the watcher (self-pipe),
/// so the server can drain in-flight requests and exit 0; SIGHUP into reloadRequested (the
/// classic daemon reload: oxm-server re-reads its log rules).
class UnixSignalWatcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UnixSignalWatcher)

public:
    explicit UnixSignalWatcher(QObject *parent = nullptr);
    ~UnixSignalWatcher() override;

Q_SIGNALS:
    void terminationRequested(int signalNumber);
    void reloadRequested();

private:
    static void handle(int signalNumber);
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace oxm

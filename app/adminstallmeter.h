#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace oxm {

/// `oxm-admin --report-stalls`: measures how responsive the GUI thread is. A 10 ms timer notes how
/// late it fires (the longest the event loop was blocked) and every `reportSeconds` prints the
/// worst stall of that period to stdout, e.g. while a load generator hammers the API.
class AdminStallMeter final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminStallMeter)

public:
    explicit AdminStallMeter(int reportSeconds, QObject *parent = nullptr);

    /// Worst lateness since start, in ms (beyond the timer's own 10 ms).
    qint64 worstOverallMs() const { return m_worstOverall; }

private:
    void tick();
    void report();

    QTimer m_tick;
    QTimer m_report;
    QElapsedTimer m_sinceTick;
    qint64 m_worstPeriod = 0;
    qint64 m_worstOverall = 0;
    qint64 m_ticks = 0;
};

} // namespace oxm

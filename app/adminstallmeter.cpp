#include "adminstallmeter.h"

#include <QTextStream>

namespace oxm {

namespace {
constexpr int TickMs = 10;
}

AdminStallMeter::AdminStallMeter(int reportSeconds, QObject *parent)
    : QObject(parent)
{
    m_tick.setTimerType(Qt::PreciseTimer);
    m_tick.setInterval(TickMs);
    connect(&m_tick, &QTimer::timeout, this, &AdminStallMeter::tick);
    m_report.setInterval(std::max(1, reportSeconds) * 1000);
    connect(&m_report, &QTimer::timeout, this, &AdminStallMeter::report);
    m_sinceTick.start();
    m_tick.start();
    m_report.start();
}

void AdminStallMeter::tick()
{
    const qint64 late = std::max<qint64>(0, m_sinceTick.restart() - TickMs);
    m_worstPeriod = std::max(m_worstPeriod, late);
    m_worstOverall = std::max(m_worstOverall, late);
    ++m_ticks;
}

void AdminStallMeter::report()
{
    QTextStream(stdout) << "oxm-admin: GUI event loop: worst stall " << m_worstPeriod << " ms in the last "
                        << m_report.interval() / 1000 << " s (" << m_ticks << " ticks), worst since start "
                        << m_worstOverall << " ms" << Qt::endl;
    m_worstPeriod = 0;
    m_ticks = 0;
}

} // namespace oxm

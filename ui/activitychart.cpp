#include "activitychart.h"

#include <QChart>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QEvent>
#include <QShowEvent>
#include <QGraphicsLayout>
#include <QLineSeries>
#include <QValueAxis>
#include <algorithm>

namespace oxm {

ActivityChart::ActivityChart(QWidget *parent)
    // Our chart goes in through the constructor: QChartView(QWidget *) makes a default chart of
    // its own that setChart() would release without deleting (a leak LeakSanitizer reports).
    : QChartView(new QChart, parent)
{
    QChart *const chart = this->chart();
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->setBackgroundRoundness(0);

    m_timeAxis = new QDateTimeAxis(chart);
    m_timeAxis->setTickCount(7);
    m_valueAxis = new QValueAxis(chart);
    m_valueAxis->setLabelFormat(QStringLiteral("%d"));
    m_valueAxis->setTitleText(tr("active streams"));
    chart->addAxis(m_timeAxis, Qt::AlignBottom);
    chart->addAxis(m_valueAxis, Qt::AlignLeft);
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(200);
    applyPalette();
    setWindowMinutes(15);
    m_lastSampleMs = QDateTime::currentMSecsSinceEpoch();
    updateAxes();
}

QLineSeries *ActivityChart::addSeries(const QString &tenant)
{
    auto *series = new QLineSeries(chart());
    series->setName(tenant);
    chart()->addSeries(series); // the chart theme picks the series' colour
    series->attachAxis(m_timeAxis);
    series->attachAxis(m_valueAxis);
    m_series.insert(tenant, series);
    return series;
}

void ActivityChart::sample(qint64 nowMs, const QHash<QString, int> &activeByTenant)
{
    for (auto it = activeByTenant.cbegin(); it != activeByTenant.cend(); ++it)
        if (!m_series.contains(it.key())) {
            addSeries(it.key());
            // A new tenant starts from 0 at the previous sample, so its line rises from the axis.
            if (m_lastSampleMs > 0 && m_lastSampleMs < nowMs)
                m_points[it.key()].append(QPointF(qreal(m_lastSampleMs), 0));
        }
    const qint64 oldestMs = nowMs - HistoryMs;
    for (auto it = m_series.cbegin(); it != m_series.cend(); ++it) {
        QList<QPointF> &points = m_points[it.key()];
        points.append(QPointF(qreal(nowMs), activeByTenant.value(it.key())));
        qsizetype drop = std::max<qsizetype>(0, points.size() - MaxPoints);
        while (drop < points.size() && points.at(drop).x() < qreal(oldestMs))
            ++drop;
        if (drop > 0)
            points.remove(0, drop);
    }
    m_lastSampleMs = nowMs;
    m_stale = true;
    if (isVisible())
        render();
}

void ActivityChart::render()
{
    // One replace per series: the chart updates its geometry once, not per added or removed point.
    for (auto it = m_series.cbegin(); it != m_series.cend(); ++it)
        it.value()->replace(m_points.value(it.key()));
    updateAxes();
    m_stale = false;
}

void ActivityChart::showEvent(QShowEvent *event)
{
    QChartView::showEvent(event);
    if (m_stale)
        render();
}

void ActivityChart::setWindowMinutes(int minutes)
{
    m_windowMinutes = std::clamp(minutes, 1, int(HistoryMs / 60000));
    m_timeAxis->setFormat(m_windowMinutes <= 2 ? QStringLiteral("hh:mm:ss") : QStringLiteral("hh:mm"));
    // Ticks every 10 s (1 minute), 1 minute (5 minutes) or 3 minutes (15 minutes).
    m_timeAxis->setTickCount(m_windowMinutes <= 1 ? 7 : m_windowMinutes <= 5 ? m_windowMinutes + 1 : 6);
    updateAxes();
}

void ActivityChart::updateAxes()
{
    const qint64 startMs = m_lastSampleMs - qint64(m_windowMinutes) * 60000;
    m_timeAxis->setRange(QDateTime::fromMSecsSinceEpoch(startMs), QDateTime::fromMSecsSinceEpoch(m_lastSampleMs));
    qreal peak = 0;
    for (const QList<QPointF> &points : std::as_const(m_points))
        for (auto p = points.crbegin(); p != points.crend() && p->x() >= qreal(startMs); ++p)
            peak = std::max(peak, p->y());
    m_valueAxis->setRange(0, std::max<qreal>(4, peak + 1));
    m_valueAxis->applyNiceNumbers();
}

void ActivityChart::applyPalette()
{
    // Follow the system palette: a dark window gets the dark chart theme.
    const bool dark = palette().color(QPalette::Window).lightness() < 128;
    const QChart::ChartTheme theme = dark ? QChart::ChartThemeDark : QChart::ChartThemeLight;
    if (chart()->theme() != theme)
        chart()->setTheme(theme);
    chart()->setBackgroundBrush(palette().brush(QPalette::Base));
    chart()->setPlotAreaBackgroundVisible(false);
    const QBrush text = palette().brush(QPalette::Text);
    m_timeAxis->setLabelsBrush(text);
    m_valueAxis->setLabelsBrush(text);
    m_valueAxis->setTitleBrush(text);
    chart()->legend()->setLabelBrush(text);
}

void ActivityChart::changeEvent(QEvent *event)
{
    QChartView::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && chart())
        applyPalette();
}

} // namespace oxm

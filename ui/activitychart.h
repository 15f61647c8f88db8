#pragma once

#include <QChartView>
#include <QHash>
#include <QList>
#include <QPointF>

class QDateTimeAxis;
class QLineSeries;
class QValueAxis;

namespace oxm {

/// The Live screen's timeline: active streams per tenant, one line series each, sampled once a
/// second by the screen. Each series keeps at most MaxPoints points and nothing older than
/// HistoryMs (older points are dropped), so memory and drawing cost stay bounded however long
/// the app runs. The time axis ends at the last sample's time, so it keeps moving even when no
/// heartbeats arrive. While hidden (another screen is shown) it only records the samples and
/// draws them when shown again.
class ActivityChart final : public QChartView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ActivityChart)

public:
    static constexpr int MaxPoints = 900;
    static constexpr qint64 HistoryMs = 15 * 60 * 1000;

    explicit ActivityChart(QWidget *parent = nullptr);

    /// Adds one sample at `nowMs` (ms since the epoch): every tenant's active streams (tenants
    /// seen before and missing now get 0), then trims old points and moves the axes.
    void sample(qint64 nowMs, const QHash<QString, int> &activeByTenant);
    /// The visible window: the last `minutes` minutes (1 to 15).
    void setWindowMinutes(int minutes);
    int windowMinutes() const { return m_windowMinutes; }

    QLineSeries *seriesFor(const QString &tenant) const { return m_series.value(tenant); }
    QList<QLineSeries *> allSeries() const { return m_series.values(); }
    QDateTimeAxis *timeAxis() const { return m_timeAxis; }
    QValueAxis *valueAxis() const { return m_valueAxis; }

protected:
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    /// Hands the points to the series and moves the axes (the costly part: Qt Charts recomputes
    /// each series' geometry), done only while the chart is visible.
    void render();
    QLineSeries *addSeries(const QString &tenant);
    void updateAxes();
    void applyPalette();

    QHash<QString, QLineSeries *> m_series;
    QHash<QString, QList<QPointF>> m_points; ///< what each series shows, oldest first
    QDateTimeAxis *m_timeAxis = nullptr;
    QValueAxis *m_valueAxis = nullptr;
    qint64 m_lastSampleMs = 0;
    int m_windowMinutes = 15;
    bool m_stale = false;
};

} // namespace oxm

#include "metrics.h"

#include "domain/apierror.h"
#include "domain/streamregistry.h"
#include "http/requesthandler.h"

#include <QMap>
#include <algorithm>

namespace oxm {

namespace {
QByteArray number(double value)
{
    return QByteArray::number(value, 'g', 17);
}

QByteArray reasonName(ErrorCode reason)
{
    switch (reason) {
    case ErrorCode::MaxPerUser: return QByteArrayLiteral("max_per_user");
    case ErrorCode::MaxPerAsset: return QByteArrayLiteral("max_per_asset");
    case ErrorCode::MaxDevices: return QByteArrayLiteral("max_devices");
    case ErrorCode::EndedByAdmin: return QByteArrayLiteral("ended_by_admin");
    default: return QByteArrayLiteral("other");
    }
}
} // namespace

Metrics::Metrics(const StreamRegistry &registry, QObject *parent)
    : QObject(parent)
    , m_registry(registry)
{
}

QByteArray Metrics::escapeLabelValue(const QString &value)
{
    QByteArray escaped;
    const QByteArray utf8 = value.toUtf8();
    escaped.reserve(utf8.size());
    for (const char c : utf8) {
        if (c == '\\')
            escaped += "\\\\";
        else if (c == '"')
            escaped += "\\\"";
        else if (c == '\n')
            escaped += "\\n";
        else
            escaped += c;
    }
    return escaped;
}

void Metrics::observeRequest(const RequestLogEntry &entry)
{
    const QByteArray labels = "method=\"" + escapeLabelValue(QString::fromLatin1(entry.method)) + "\",route=\""
        + escapeLabelValue(entry.route.isEmpty() ? QStringLiteral("unmatched") : entry.route) + "\",status=\""
        + QByteArray::number(entry.status) + '"';
    const double seconds = entry.latencyMs / 1000.0;
    const auto bucket = std::lower_bound(DurationBuckets.cbegin(), DurationBuckets.cend(), seconds);
    std::lock_guard lock(m_mutex);
    Histogram &h = m_requests[labels];
    if (bucket != DurationBuckets.cend())
        ++h.buckets[size_t(bucket - DurationBuckets.cbegin())];
    ++h.count;
    h.sum += seconds;
}

void Metrics::observeRefusal(const StreamKey &key, ErrorCode reason)
{
    const QByteArray labels = "tenant=\"" + escapeLabelValue(key.tenant) + "\",reason=\"" + reasonName(reason) + '"';
    std::lock_guard lock(m_mutex);
    ++m_refusals[labels];
}

QByteArray Metrics::exposition(int openConnections) const
{
    QByteArray out;
    const auto family = [&out](const char *name, const char *type, const char *help) {
        out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
    };

    // Active streams per tenant, from the registry (no SQL).
    QMap<QString, quint64> perTenant;
    for (const ActiveStream &stream : m_registry.snapshot())
        ++perTenant[stream.key.tenant];
    family("oxm_active_streams", "gauge", "Active streams (admitted, not stopped, not expired) per tenant.");
    for (auto it = perTenant.cbegin(); it != perTenant.cend(); ++it)
        out += "oxm_active_streams{tenant=\"" + escapeLabelValue(it.key()) + "\"} " + QByteArray::number(it.value()) + '\n';

    const StreamRegistry::Counters c = m_registry.counters();
    family("oxm_heartbeats_total", "counter", "Heartbeats by what they did: admitted a stream, refreshed an active one, or were refused.");
    out += "oxm_heartbeats_total{result=\"admitted\"} " + QByteArray::number(c.admitted) + '\n';
    out += "oxm_heartbeats_total{result=\"refreshed\"} " + QByteArray::number(c.refreshed) + '\n';
    out += "oxm_heartbeats_total{result=\"refused\"} "
        + QByteArray::number(c.refusedMaxPerUser + c.refusedMaxPerAsset + c.refusedMaxDevices + c.refusedEndedByAdmin) + '\n';

    std::lock_guard lock(m_mutex);
    family("oxm_admissions_refused_total", "counter", "Heartbeats refused by the tenant's policy (409) or an administrator's end (1053).");
    QList<QByteArray> keys = m_refusals.keys();
    std::sort(keys.begin(), keys.end());
    for (const QByteArray &labels : std::as_const(keys))
        out += "oxm_admissions_refused_total{" + labels + "} " + QByteArray::number(m_refusals.value(labels)) + '\n';

    family("oxm_http_request_duration_seconds", "histogram", "Time from a request's arrival to its response being ready (after the commit for writes).");
    keys = m_requests.keys();
    std::sort(keys.begin(), keys.end());
    for (const QByteArray &labels : std::as_const(keys)) {
        const Histogram &h = m_requests[labels];
        quint64 cumulative = 0;
        for (size_t i = 0; i < DurationBuckets.size(); ++i) {
            cumulative += h.buckets[i];
            out += "oxm_http_request_duration_seconds_bucket{" + labels + ",le=\"" + number(DurationBuckets[i]) + "\"} "
                + QByteArray::number(cumulative) + '\n';
        }
        out += "oxm_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " + QByteArray::number(h.count) + '\n';
        out += "oxm_http_request_duration_seconds_sum{" + labels + "} " + number(h.sum) + '\n';
        out += "oxm_http_request_duration_seconds_count{" + labels + "} " + QByteArray::number(h.count) + '\n';
    }

    family("oxm_open_connections", "gauge", "Open client connections (front door).");
    out += "oxm_open_connections " + QByteArray::number(openConnections) + '\n';
    family("oxm_build_info", "gauge", "Build information; always 1.");
    out += "oxm_build_info{version=\"" OXM_VERSION "\",qt_version=\"" + QByteArray(qVersion()) + "\"} 1\n";
    return out;
}

} // namespace oxm

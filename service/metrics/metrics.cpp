#include "metrics.h"

#include "domain/apierror.h"
#include "domain/streamregistry.h"
#include "http/requesthandler.h"

#include <QMap>
#include <algorithm>
#include <charconv>

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
    // The label sets are copied under the lock (implicitly shared, so O(1)) and formatted outside
    // it: the HTTP threads' observeRequest() never waits for a scrape. Lines are appended in place
    // (no temporaries per `+`): with a few hundred label sets a scrape is ~5,000 lines.
    QHash<QByteArray, Histogram> requests;
    QHash<QByteArray, quint64> refusals;
    {
        std::lock_guard lock(m_mutex);
        requests = m_requests;
        refusals = m_refusals;
    }

    QByteArray out;
    out.reserve(4096 + requests.size() * (DurationBuckets.size() + 3) * 160);
    const auto appendNumber = [&out](quint64 value) {
        char digits[24];
        const auto result = std::to_chars(digits, digits + sizeof digits, value);
        out.append(digits, result.ptr - digits);
    };
    const auto family = [&out](const char *name, const char *type, const char *help) {
        out.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(' ')
            .append(type).append('\n');
    };

    // Active streams per tenant, from the registry (no SQL).
    QMap<QString, quint64> perTenant;
    for (const ActiveStream &stream : m_registry.snapshot())
        ++perTenant[stream.key.tenant];
    family("oxm_active_streams", "gauge", "Active streams (admitted, not stopped, not expired) per tenant.");
    for (auto it = perTenant.cbegin(); it != perTenant.cend(); ++it) {
        out.append("oxm_active_streams{tenant=\"").append(escapeLabelValue(it.key())).append("\"} ");
        appendNumber(it.value());
        out.append('\n');
    }

    const StreamRegistry::Counters c = m_registry.counters();
    family("oxm_heartbeats_total", "counter", "Heartbeats by what they did: admitted a stream, refreshed an active one, or were refused.");
    out.append("oxm_heartbeats_total{result=\"admitted\"} ");
    appendNumber(c.admitted);
    out.append("\noxm_heartbeats_total{result=\"refreshed\"} ");
    appendNumber(c.refreshed);
    out.append("\noxm_heartbeats_total{result=\"refused\"} ");
    appendNumber(c.refusedMaxPerUser + c.refusedMaxPerAsset + c.refusedMaxDevices + c.refusedEndedByAdmin);
    out.append('\n');

    family("oxm_admissions_refused_total", "counter", "Heartbeats refused by the tenant's policy (409) or an administrator's end (1053).");
    QList<QByteArray> keys = refusals.keys();
    std::sort(keys.begin(), keys.end());
    for (const QByteArray &labels : std::as_const(keys)) {
        out.append("oxm_admissions_refused_total{").append(labels).append("} ");
        appendNumber(refusals.value(labels));
        out.append('\n');
    }

    // `,le="0.005"} ` for each bucket, formatted once.
    static const std::array<QByteArray, DurationBuckets.size()> bucketBounds = [] {
        std::array<QByteArray, DurationBuckets.size()> bounds;
        for (size_t i = 0; i < DurationBuckets.size(); ++i)
            bounds[i] = ",le=\"" + number(DurationBuckets[i]) + "\"} ";
        return bounds;
    }();
    family("oxm_http_request_duration_seconds", "histogram", "Time from a request's arrival to its response being ready (after the commit for writes).");
    keys = requests.keys();
    std::sort(keys.begin(), keys.end());
    for (const QByteArray &labels : std::as_const(keys)) {
        const Histogram &h = *requests.constFind(labels);
        quint64 cumulative = 0;
        for (size_t i = 0; i < DurationBuckets.size(); ++i) {
            cumulative += h.buckets[i];
            out.append("oxm_http_request_duration_seconds_bucket{").append(labels).append(bucketBounds[i]);
            appendNumber(cumulative);
            out.append('\n');
        }
        out.append("oxm_http_request_duration_seconds_bucket{").append(labels).append(",le=\"+Inf\"} ");
        appendNumber(h.count);
        out.append("\noxm_http_request_duration_seconds_sum{").append(labels).append("} ").append(number(h.sum));
        out.append("\noxm_http_request_duration_seconds_count{").append(labels).append("} ");
        appendNumber(h.count);
        out.append('\n');
    }

    family("oxm_open_connections", "gauge", "Open client connections (front door).");
    out.append("oxm_open_connections ");
    out.append(QByteArray::number(openConnections));
    out.append('\n');
    family("oxm_build_info", "gauge", "Build information; always 1.");
    out.append("oxm_build_info{version=\"" OXM_VERSION "\",qt_version=\"").append(qVersion()).append("\"} 1\n");
    return out;
}

} // namespace oxm

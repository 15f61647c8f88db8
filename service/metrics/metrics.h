#pragma once

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QString>
#include <array>
#include <mutex>

namespace oxm {

class StreamRegistry;
struct RequestLogEntry;
struct StreamKey;
enum class ErrorCode;

/// What `GET /metrics` serves (issue 7), in the Prometheus text exposition format 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/), checked by `promtool check
/// metrics` in CI. Debian 12 ships no Prometheus client library for C++, so the few families
/// below are kept here:
///
/// | family | type | labels |
/// |---|---|---|
/// | `oxm_active_streams` | gauge | `tenant` |
/// | `oxm_heartbeats_total` | counter | `result`: admitted, refreshed, refused |
/// | `oxm_admissions_refused_total` | counter | `tenant`, `reason`: max_per_user, max_per_asset, max_devices, ended_by_admin |
/// | `oxm_http_request_duration_seconds` | histogram | `method`, `route` (the route pattern, `{id}` for path arguments; `unmatched`), `status` |
/// | `oxm_open_connections` | gauge | — |
/// | `oxm_build_info` | gauge (1) | `version`, `qt_version` |
///
/// Fed by the StreamRegistry's and the RequestHandler's signals (direct connections, from the
/// HTTP threads): thread-safe. Tenant IDs appear as label values, so /metrics belongs on the
/// monitoring network only (docs/operations.md).
class Metrics final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Metrics)

public:
    /// Upper bounds of the request duration buckets, in seconds (+Inf is implied).
    static constexpr std::array<double, 13> DurationBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                           0.1,    0.25,  0.5,    1.0,   2.5,   5.0};

    explicit Metrics(const StreamRegistry &registry, QObject *parent = nullptr);

    /// One request served (RequestHandler::requestCompleted).
    void observeRequest(const RequestLogEntry &entry);
    /// One admission refused (StreamRegistry::streamRefused).
    void observeRefusal(const StreamKey &key, ErrorCode reason);

    /// The exposition text; `openConnections` from the front door.
    QByteArray exposition(int openConnections) const;

    /// A label value escaped for the text format (backslash, double quote, line feed).
    static QByteArray escapeLabelValue(const QString &value);

private:
    struct Histogram
    {
        std::array<quint64, DurationBuckets.size()> buckets{}; // non-cumulative here
        quint64 count = 0;
        double sum = 0;
    };

    const StreamRegistry &m_registry;
    mutable std::mutex m_mutex;
    QHash<QByteArray, Histogram> m_requests;        // key: rendered label set
    QHash<QByteArray, quint64> m_refusals;          // key: rendered label set
};

} // namespace oxm

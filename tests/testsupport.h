#pragma once

#include "auth/principal.h"
#include "core/clock.h"
#include "core/serviceconfig.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QTemporaryDir>
#include <functional>
#include <memory>

namespace oxm {
class ActiveStreams;
class OxmService;
}

namespace oxm::test {

/// The HS256 secret every suite signs its tokens with.
QByteArray testSecret();

/// Factor for time budgets that measure speed rather than behaviour (a worst stall, how many
/// requests get through in a window): 1 in a normal build, larger in a sanitizer build, where
/// everything runs several times slower (tests/sanitizers/README.md). The environment variable
/// OXM_TEST_TIME_SCALE (a positive integer) overrides it.
int timeScale();

/// The Redis of the test environment: OXM_TEST_REDIS_URL (set by scripts/with-backends.sh),
/// empty when unset — then everything runs in-process.
QString testRedisUrl();
/// The QSKIP message of a test that needs Redis and finds no OXM_TEST_REDIS_URL.
const char *redisSkipMessage();
/// A key prefix no other fixture or process uses ("oxmtest:PID:RANDOM:").
QByteArray freshRedisKeyPrefix();
/// With OXM_TEST_REDIS_URL: `config` keeps its active streams in that Redis under a fresh key
/// prefix, and true is returned; without it, `config` is unchanged and false is returned.
bool useTestRedis(ServiceConfig &config);
/// For a StreamRegistry built directly: a RedisActiveStreams (fresh key prefix) with
/// OXM_TEST_REDIS_URL, else null (the registry keeps its streams in-process).
std::unique_ptr<ActiveStreams> testActiveStreams();

/// One HTTP response as the tests see it.
struct Reply
{
    int status = 0;        ///< 0 when the request failed at the network level
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;

    QByteArray header(const QByteArray &name) const; ///< case-insensitive, empty when absent
    QJsonDocument json() const { return QJsonDocument::fromJson(body); }
    QJsonObject object() const { return json().object(); }
    int errorCode() const { return object().value(QStringLiteral("errorCode")).toInt(-1); }
};

/// Sends one request with the calling thread's own QNetworkAccessManager and waits for the reply
/// (at most `timeoutMs`; status 0 on a network failure or time-out). Safe from any thread.
/// `target` is the path and query exactly as they go on the wire, e.g.
/// "/oxm/v1/streams/a%2Fb/streaming?device=tv". `token` empty → no Authorization header.
Reply request(quint16 port, const QByteArray &method, const QByteArray &target,
              const QByteArray &token = {}, const QByteArray &body = {},
              const QList<QPair<QByteArray, QByteArray>> &headers = {}, int timeoutMs = 30000);

/// When the environment variable OXM_RECORD_RESPONSES names a file, appends one JSON line
/// {"method", "target", "status", "headers": [[name, value]…], "body"} for a response received
/// (scripts/openapi-validate.sh checks each against docs/openapi.yaml). `body` is the body as
/// text, or "bodyBase64" when it is not UTF-8. Does nothing for status 0 or without the variable.
/// Thread-safe; whole lines, so parallel suites may share the file.
void recordResponse(const QByteArray &method, const QByteArray &target, int status,
                    const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &body);
/// As above, with method and target from the request line at the start of `requestBytes`
/// (raw-socket suites); a request line that is not "METHOD TARGET HTTP/x" is recorded with an
/// empty method and target.
void recordRawResponse(const QByteArray &requestBytes, int status,
                       const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &body);

/// A throwaway PostgreSQL database (issue 5) on the server named by the environment variable
/// OXM_TEST_POSTGRES_URL (set by scripts/with-backends.sh): a schema of its own in the server
/// URL's database, CREATE SCHEMA oxm_test_<random> on construction, DROP SCHEMA … CASCADE on
/// destruction; url() selects it (`?options=-csearch_path=oxm_test_…`), so every table OXM
/// creates and reads is in it.
class TestPostgresDatabase
{
public:
    /// OXM_TEST_POSTGRES_URL, empty when unset.
    static QString serverUrl();
    /// The message a test that needs PostgreSQL skips with when serverUrl() is empty.
    static const char *skipMessage();
    /// Runs one statement on a fresh connection to `url` (a postgresql:// URL); returns the first
    /// column of the first row, an invalid QVariant when there is none. Throws std::runtime_error
    /// when the connection or the statement fails.
    static QVariant scalar(const QString &url, const QString &sql);
    /// Throws std::runtime_error when the server refuses.
    TestPostgresDatabase();
    ~TestPostgresDatabase();
    TestPostgresDatabase(const TestPostgresDatabase &) = delete;
    TestPostgresDatabase &operator=(const TestPostgresDatabase &) = delete;

    QString name() const { return m_name; }
    /// serverUrl() with the schema selected.
    QString url() const { return m_url; }

private:
    QString m_name;
    QString m_url;
};

/// An OxmService on a free loopback port over a fresh SQLite database in a temporary
/// directory, driven by a ManualClock. When OXM_TEST_POSTGRES_URL is set, over a fresh
/// PostgreSQL database instead (TestPostgresDatabase), so the same suites run on both backends.
class ServiceFixture
{
public:
    explicit ServiceFixture(int streamTimeoutSeconds = 180);
    /// As above, with `tweak` applied to the configuration before the service starts
    /// (e.g. short front door timeouts).
    explicit ServiceFixture(const std::function<void(ServiceConfig &)> &tweak, int streamTimeoutSeconds = 180);
    ~ServiceFixture();

    OxmService &service() { return *m_service; }
    ManualClock &clock() { return m_clock; }
    quint16 port() const { return m_port; }
    QString databasePath() const;
    /// The PostgreSQL database's URL when the fixture runs on PostgreSQL, else empty.
    QString databaseUrl() const;
    /// Inserts `count` watchlist entries "<prefix>0".."<prefix>N-1" of (tenant, user) straight into
    /// the fixture's database (SQLite or PostgreSQL) in one transaction, added at firstAddedNs + i:
    /// a fast way to a nearly full watchlist. Returns false (with a warning) on a database error.
    bool bulkFillWatchlist(const QString &tenant, const QString &user, int count, const QString &prefix,
                           qint64 firstAddedNs) const;

    /// A token signed with testSecret(), issued at the fixture clock's now.
    QByteArray token(const QString &tenant, const QString &user,
                     Principal::Role role = Principal::Role::Subscriber,
                     const QString &device = {}, qint64 ttlSeconds = 3600) const;

    Reply send(const QByteArray &method, const QByteArray &target, const QByteArray &token = {},
               const QByteArray &body = {}) const
    {
        return request(m_port, method, target, token, body);
    }

private:
    QTemporaryDir m_dir;
    ManualClock m_clock;
    std::unique_ptr<TestPostgresDatabase> m_postgres; // outlives m_service
    std::unique_ptr<OxmService> m_service;
    quint16 m_port = 0;
};

} // namespace oxm::test

#include "testsupport.h"

#include "auth/tokenverifier.h"
#include "oxmservice.h"
#include "streams/redisactivestreams.h"
#include "storage/postgresstore.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QMutex>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QUrlQuery>
#include <stdexcept>
#include <QStringDecoder>
#include <QTimer>

namespace oxm::test {

QByteArray testSecret()
{
    return QByteArrayLiteral("oxm-test-secret-0123456789abcdef");
}

int timeScale()
{
    bool ok = false;
    const int fromEnv = qEnvironmentVariableIntValue("OXM_TEST_TIME_SCALE", &ok);
    if (ok && fromEnv > 0)
        return fromEnv;
#if defined(__has_feature) // clang; g++ 12 defines __SANITIZE_THREAD__ / __SANITIZE_ADDRESS__
#define OXM_HAS_FEATURE(x) __has_feature(x)
#else
#define OXM_HAS_FEATURE(x) 0
#endif
#if defined(__SANITIZE_THREAD__) || OXM_HAS_FEATURE(thread_sanitizer)
    return 10; // ThreadSanitizer: typically 5-15x slower
#elif defined(__SANITIZE_ADDRESS__) || OXM_HAS_FEATURE(address_sanitizer)
    return 4; // AddressSanitizer + UBSan: typically 2-4x slower
#else
    return 1;
#endif
}

QByteArray Reply::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers)
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    return {};
}

void recordResponse(const QByteArray &method, const QByteArray &target, int status,
                    const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &body)
{
    static const QString path = qEnvironmentVariable("OXM_RECORD_RESPONSES");
    if (path.isEmpty() || status == 0)
        return;
    QJsonArray headerList;
    for (const auto &[name, value] : headers)
        headerList.append(QJsonArray{QString::fromLatin1(name), QString::fromLatin1(value)});
    QJsonObject line{{QStringLiteral("method"), QString::fromLatin1(method)},
                     {QStringLiteral("target"), QString::fromLatin1(target)},
                     {QStringLiteral("status"), status},
                     {QStringLiteral("headers"), headerList}};
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder.decode(body);
    if (decoder.hasError())
        line.insert(QStringLiteral("bodyBase64"), QString::fromLatin1(body.toBase64()));
    else
        line.insert(QStringLiteral("body"), text);
    static QMutex mutex;
    const QMutexLocker locker(&mutex);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered))
        qFatal("OXM_RECORD_RESPONSES: cannot append to %s", qPrintable(path));
    file.write(QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n');
}

void recordRawResponse(const QByteArray &requestBytes, int status,
                       const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &body)
{
    const qsizetype lineEnd = requestBytes.indexOf('\n');
    const QList<QByteArray> parts = requestBytes.left(lineEnd < 0 ? requestBytes.size() : lineEnd).trimmed().split(' ');
    const bool wellFormed = parts.size() == 3 && parts[2].startsWith("HTTP/");
    recordResponse(wellFormed ? parts[0] : QByteArray(), wellFormed ? parts[1] : QByteArray(), status, headers, body);
}

Reply request(quint16 port, const QByteArray &method, const QByteArray &target, const QByteArray &token,
              const QByteArray &body, const QList<QPair<QByteArray, QByteArray>> &headers, int timeoutMs)
{
    thread_local QNetworkAccessManager manager;
    const QUrl url = QUrl::fromEncoded("http://127.0.0.1:" + QByteArray::number(port) + target, QUrl::StrictMode);
    QNetworkRequest req(url);
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    if (!token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + token);
    for (const auto &[name, value] : headers)
        req.setRawHeader(name, value);
    if (!body.isEmpty())
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    // A custom verb "HEAD" would make QNetworkAccessManager wait for the Content-Length body.
    QNetworkReply *reply = method == "HEAD" ? manager.head(req) : manager.sendCustomRequest(req, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    Reply result;
    if (reply->isFinished()) {
        result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        result.body = reply->readAll();
        result.headers = reply->rawHeaderPairs();
        recordResponse(method, target, result.status, result.headers, result.body);
    } else {
        reply->abort();
    }
    delete reply;
    return result;
}

ServiceFixture::ServiceFixture(int streamTimeoutSeconds)
    : ServiceFixture(std::function<void(ServiceConfig &)>(), streamTimeoutSeconds)
{
}

ServiceFixture::ServiceFixture(const std::function<void(ServiceConfig &)> &tweak, int streamTimeoutSeconds)
{
    ServiceConfig config;
    config.port = 0;
    config.databasePath = m_dir.filePath(QStringLiteral("oxm.sqlite"));
    if (!TestPostgresDatabase::serverUrl().isEmpty()) {
        m_postgres = std::make_unique<TestPostgresDatabase>();
        config.databaseUrl = m_postgres->url();
    }
    useTestRedis(config);
    config.jwtSecret = testSecret();
    config.streamTimeoutSeconds = streamTimeoutSeconds;
    config.httpThreads = 2;
    if (tweak)
        tweak(config);
    m_service = std::make_unique<OxmService>(config, &m_clock);
    m_service->open();
    m_port = m_service->startListening();
}

ServiceFixture::~ServiceFixture()
{
    m_service.reset();
}

QString testRedisUrl()
{
    return qEnvironmentVariable("OXM_TEST_REDIS_URL");
}

const char *redisSkipMessage()
{
    return "needs Redis: OXM_TEST_REDIS_URL is not set (run through scripts/with-backends.sh)";
}

QByteArray freshRedisKeyPrefix()
{
    // Unique per fixture and process: suites running in parallel over one Redis never see each
    // other's streams. Keys carry TTLs, so nothing has to be flushed afterwards.
    return "oxmtest:" + QByteArray::number(QCoreApplication::applicationPid()) + ':'
        + QByteArray::number(QRandomGenerator::global()->generate64(), 36) + ':';
}

bool useTestRedis(ServiceConfig &config)
{
    if (testRedisUrl().isEmpty())
        return false;
    config.redisUrl = testRedisUrl();
    config.redisKeyPrefix = freshRedisKeyPrefix();
    return true;
}

std::unique_ptr<ActiveStreams> testActiveStreams()
{
    if (testRedisUrl().isEmpty())
        return nullptr;
    return std::make_unique<RedisActiveStreams>(RedisClient::Url::parse(testRedisUrl()), freshRedisKeyPrefix());
}

QString ServiceFixture::databasePath() const
{
    return m_dir.filePath(QStringLiteral("oxm.sqlite"));
}

QString ServiceFixture::databaseUrl() const
{
    return m_postgres ? m_postgres->url() : QString();
}

bool ServiceFixture::bulkFillWatchlist(const QString &tenant, const QString &user, int count, const QString &prefix,
                                       qint64 firstAddedNs) const
{
    const QString name = QStringLiteral("watchlist-bulk-fill");
    QString error;
    {
        QSqlDatabase db;
        if (m_postgres) {
            db = PostgresStore::addConnection(m_postgres->url(), name);
        } else {
            db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            db.setDatabaseName(databasePath());
            db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
        }
        if (!db.open() || !db.transaction()) {
            error = db.lastError().text();
        } else {
            QSqlQuery q(db);
            if (!q.prepare(QStringLiteral("INSERT INTO watchlist (tenant, user_id, asset_id, added_ns) VALUES (?, ?, ?, ?)")))
                error = q.lastError().text();
            for (int i = 0; error.isEmpty() && i < count; ++i) {
                q.bindValue(0, tenant);
                q.bindValue(1, user);
                q.bindValue(2, prefix + QString::number(i));
                q.bindValue(3, firstAddedNs + i);
                if (!q.exec())
                    error = q.lastError().text();
            }
            q.finish();
            if (error.isEmpty() && !db.commit())
                error = db.lastError().text();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    if (!error.isEmpty())
        qWarning("bulkFillWatchlist: %s", qPrintable(error));
    return error.isEmpty();
}

QString TestPostgresDatabase::serverUrl()
{
    return qEnvironmentVariable("OXM_TEST_POSTGRES_URL");
}

const char *TestPostgresDatabase::skipMessage()
{
    return "needs PostgreSQL: OXM_TEST_POSTGRES_URL is not set (run through scripts/with-backends.sh)";
}

QVariant TestPostgresDatabase::scalar(const QString &url, const QString &sql)
{
    static QAtomicInt counter;
    const QString name = QStringLiteral("oxm-test-admin-%1").arg(counter.fetchAndAddRelaxed(1));
    QVariant result;
    QString error;
    {
        QSqlDatabase db = PostgresStore::addConnection(url, name);
        if (!db.open()) {
            error = db.lastError().text();
        } else {
            QSqlQuery query(db);
            // No "drop cascades to …" notices in the test output. (A SET rather than a connect
            // option: the URL's own options, e.g. the schema's search_path, stay in force.)
            if (!query.exec(QStringLiteral("SET client_min_messages TO warning")) || !query.exec(sql))
                error = query.lastError().text();
            else if (query.next())
                result = query.value(0);
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    if (!error.isEmpty())
        throw std::runtime_error(QStringLiteral("PostgreSQL: %1: %2").arg(sql, error).toStdString());
    return result;
}

TestPostgresDatabase::TestPostgresDatabase()
{
    // A schema, not a database: CREATE DATABASE takes about a second, CREATE SCHEMA a millisecond,
    // and the API suite makes a fixture per test. The connections select it with search_path.
    m_name = QStringLiteral("oxm_test_%1").arg(QRandomGenerator::system()->generate64(), 16, 16, QLatin1Char('0'));
    scalar(serverUrl(), QStringLiteral("CREATE SCHEMA %1").arg(m_name));
    QUrl url(serverUrl());
    QUrlQuery query(url);
    query.addQueryItem(QStringLiteral("options"), QStringLiteral("-csearch_path=%1").arg(m_name));
    url.setQuery(query);
    m_url = url.toString(QUrl::FullyEncoded);
}

TestPostgresDatabase::~TestPostgresDatabase()
{
    try {
        scalar(serverUrl(), QStringLiteral("DROP SCHEMA IF EXISTS %1 CASCADE").arg(m_name));
    } catch (const std::exception &e) {
        qWarning("%s", e.what());
    }
}

QByteArray ServiceFixture::token(const QString &tenant, const QString &user, Principal::Role role,
                                 const QString &device, qint64 ttlSeconds) const
{
    return TokenIssuer(testSecret(), m_clock).issue(tenant, user, role, device, ttlSeconds);
}

} // namespace oxm::test

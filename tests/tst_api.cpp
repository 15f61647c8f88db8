// HTTP integration tests of the OXM experience API (contract: /work/shared/api-contract.md,
// response shapes: seed api-experience.md) over a real loopback port.
//
// Every expected value below is derived by hand from the contract and the seed, never copied
// from the program's output. The fixture's ManualClock starts at 1700000000 s since the epoch,
// which is 2023-11-14T22:13:20Z.

#include "rawclient.h"
#include "testsupport.h"

#include "domain/catalog.h"
#include "domain/streamregistry.h"
#include "domain/types.h"
#include "domain/policyservice.h"
#include "domain/resumepoints.h"
#include "domain/watchlist.h"
#include "oxmservice.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTest>
#include <QUrl>
#include <QUuid>
#include <memory>

using namespace oxm;
using namespace oxm::test;

namespace {

constexpr qint64 NsPerSec = 1000000000LL;
constexpr qint64 T0 = 1700000000LL; // fixture clock start, 2023-11-14T22:13:20Z
const QByteArray Api = QByteArrayLiteral("/oxm/v1");

// ---------------------------------------------------------------------------------------------
// Wire helpers

/// Sends `bytes` as they are on a fresh connection (RawClient) and reads the first response
/// (split by http_parser); status 0 when none came within 15 s × timeScale(). With `closed`, then
/// waits up to `closeWaitMs` for the server to close the connection and tells whether it did.
Reply exchange(quint16 port, const QByteArray &bytes, bool *closed = nullptr, int closeWaitMs = 0)
{
    Reply result;
    if (closed)
        *closed = false;
    RawClient client(port);
    if (!client.connected())
        return result;
    client.send(bytes);
    client.waitForResponses(1, 15000 * timeScale());
    if (client.parser.failed || client.parser.responses.isEmpty())
        return result;
    const RawResponse &response = client.parser.responses.constFirst();
    result.status = response.status;
    result.headers = response.headers;
    result.body = response.body;
    if (closed)
        *closed = client.waitForClose(closeWaitMs) >= 0;
    return result;
}

/// Sends `method target` on a fresh TCP connection exactly as given (no URL normalisation) and
/// reads the response (Connection: close). Used where the exact request bytes matter.
Reply rawRequest(quint16 port, const QByteArray &method, const QByteArray &target, const QByteArray &token = {},
                 const QByteArray &body = {}, const QList<QPair<QByteArray, QByteArray>> &headers = {})
{
    QByteArray req = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port)
        + "\r\nConnection: close\r\n";
    if (!token.isEmpty())
        req += "Authorization: Bearer " + token + "\r\n";
    for (const auto &[name, value] : headers)
        req += name + ": " + value + "\r\n";
    if (!body.isEmpty() || method == "PUT" || method == "POST")
        req += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    if (!body.isEmpty())
        req += "Content-Type: application/json\r\n";
    req += "\r\n" + body;

    const Reply result = exchange(port, req);
    recordResponse(method, target, result.status, result.headers, result.body);
    return result;
}

/// Sends `bytes` as they are on a fresh connection, reads one response, then waits up to
/// `closeWaitMs` for the server to close the connection. `closed` tells whether it did.
Reply probeRaw(quint16 port, const QByteArray &bytes, bool *closed, int closeWaitMs = 1000)
{
    const Reply result = exchange(port, bytes, closed, closeWaitMs);
    recordRawResponse(bytes, result.status, result.headers, result.body);
    return result;
}

QByteArray base64Url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

/// A compact JWS with any header and claims, HMAC-SHA256 signed with `secret`.
QByteArray signJwt(const QJsonObject &header, const QJsonObject &claims, const QByteArray &secret = testSecret())
{
    const QByteArray input = base64Url(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
        + base64Url(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    return input + '.' + base64Url(QMessageAuthenticationCode::hash(input, secret, QCryptographicHash::Sha256));
}

const QJsonObject Hs256Header{{QStringLiteral("alg"), QStringLiteral("HS256")}, {QStringLiteral("typ"), QStringLiteral("JWT")}};

// ---------------------------------------------------------------------------------------------
// Shape helpers

QStringList keysOf(const QJsonObject &o)
{
    QStringList k = o.keys();
    k.sort();
    return k;
}

QStringList sorted(QStringList l)
{
    l.sort();
    return l;
}

bool isUuid(const QString &s)
{
    static const QRegularExpression re(
        QStringLiteral("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"));
    return re.match(s).hasMatch() && !QUuid::fromString(s).isNull();
}

bool isRfc3339Nanos(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z$"));
    return re.match(s).hasMatch();
}

/// Parses an RFC 3339 UTC timestamp ("…Z", optional fraction); returns ns since the epoch or -1.
qint64 parseRfc3339Utc(const QString &s)
{
    static const QRegularExpression re(
        QStringLiteral("^(\\d{4})-(\\d\\d)-(\\d\\d)T(\\d\\d):(\\d\\d):(\\d\\d)(?:\\.(\\d{1,9}))?Z$"));
    const QRegularExpressionMatch m = re.match(s);
    if (!m.hasMatch())
        return -1;
    const QDateTime dt(QDate(m.captured(1).toInt(), m.captured(2).toInt(), m.captured(3).toInt()),
                       QTime(m.captured(4).toInt(), m.captured(5).toInt(), m.captured(6).toInt()), Qt::UTC);
    if (!dt.isValid())
        return -1;
    QString frac = m.captured(7);
    while (frac.size() < 9)
        frac += QLatin1Char('0');
    return dt.toSecsSinceEpoch() * NsPerSec + frac.toLongLong();
}

bool isJsonContentType(const Reply &r)
{
    const QByteArray ct = r.header("Content-Type").toLower();
    return ct.startsWith("application/json") && ct.contains("charset=utf-8");
}

/// Empty when `r` is the contract's error `code` with `status`; otherwise what is wrong.
/// With `refusal`, the body must also carry limit/active/streams (contract §5); with
/// `refusalAllowed` those extras may be present or absent.
QString errorMismatch(const Reply &r, int status, int code, bool refusal = false, bool refusalAllowed = false)
{
    const QString where = QStringLiteral(" (status %1, body %2)").arg(r.status).arg(QString::fromUtf8(r.body.left(600)));
    if (r.status != status)
        return QStringLiteral("expected HTTP %1").arg(status) + where;
    if (!isJsonContentType(r))
        return QStringLiteral("error Content-Type is \"%1\"").arg(QString::fromLatin1(r.header("Content-Type"))) + where;
    QJsonParseError pe{};
    const QJsonDocument doc = QJsonDocument::fromJson(r.body, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject())
        return QStringLiteral("error body is not a JSON object") + where;
    const QJsonObject o = doc.object();
    QStringList expected{QStringLiteral("errorCode"), QStringLiteral("message"), QStringLiteral("requestID")};
    const QStringList extras{QStringLiteral("active"), QStringLiteral("limit"), QStringLiteral("streams")};
    const bool hasExtras = o.contains(QStringLiteral("limit"));
    if (refusal || (refusalAllowed && hasExtras))
        expected += extras;
    if (keysOf(o) != sorted(expected))
        return QStringLiteral("error keys are %1, expected %2").arg(keysOf(o).join(u','), sorted(expected).join(u',')) + where;
    const QJsonValue ec = o.value(QStringLiteral("errorCode"));
    if (!ec.isDouble() || ec.toDouble() != double(code) || !r.body.contains("\"errorCode\":" + QByteArray::number(code)))
        return QStringLiteral("expected errorCode %1 as a JSON integer").arg(code) + where;
    if (!o.value(QStringLiteral("message")).isString() || o.value(QStringLiteral("message")).toString().isEmpty())
        return QStringLiteral("message is not a non-empty string") + where;
    if (!o.value(QStringLiteral("requestID")).isString() || !isUuid(o.value(QStringLiteral("requestID")).toString()))
        return QStringLiteral("requestID is not a UUID") + where;
    if (refusal) {
        if (!o.value(QStringLiteral("limit")).isDouble() || !o.value(QStringLiteral("active")).isDouble()
            || !o.value(QStringLiteral("streams")).isArray())
            return QStringLiteral("refusal extras have the wrong types") + where;
        if (r.header("Retry-After").isEmpty())
            return QStringLiteral("refusal without Retry-After") + where;
    }
    return {};
}

#define CHECK_ERROR(reply, status, code)                                                           \
    do {                                                                                           \
        const QString mismatch_ = errorMismatch((reply), (status), (code));                        \
        QVERIFY2(mismatch_.isEmpty(), qPrintable(mismatch_));                                      \
    } while (false)

#define CHECK_REFUSAL(reply, code)                                                                 \
    do {                                                                                           \
        const QString mismatch_ = errorMismatch((reply), 409, (code), true);                       \
        QVERIFY2(mismatch_.isEmpty(), qPrintable(mismatch_));                                      \
    } while (false)

#define CHECK_STATUS(reply, expected)                                                              \
    do {                                                                                           \
        const Reply &r_ = (reply);                                                                 \
        QVERIFY2(r_.status == (expected),                                                          \
                 qPrintable(QStringLiteral("expected HTTP %1, got %2: %3")                         \
                                .arg(expected).arg(r_.status).arg(QString::fromUtf8(r_.body.left(600))))); \
    } while (false)

#define CALL(expr)                                                                                 \
    do {                                                                                           \
        expr;                                                                                      \
        if (QTest::currentTestFailed())                                                            \
            return;                                                                                \
    } while (false)

// ---------------------------------------------------------------------------------------------
// Data-table types

struct Beat
{
    double advanceSeconds; ///< clock advance before this heartbeat
    QString asset;
    QString device;        ///< empty: no device parameter (the client IP is used)
};

struct ExpectedStream
{
    QString asset;
    QString device;        ///< expected device string
    qint64 lastHeartbeatOffsetS; ///< seconds after T0
    qint64 expiresOffsetS;
};

using Beats = QList<Beat>;
using ExpectedStreams = QList<ExpectedStream>;
using StringMap = QMap<QString, QString>;

} // namespace

Q_DECLARE_METATYPE(Beats)
Q_DECLARE_METATYPE(ExpectedStreams)

class ApiTest : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ServiceFixture> f;

    static constexpr qint64 LongTtl = 3600LL * 24 * 365; // tokens outlive every clock advance

    QByteArray tok(const QString &tenant = QStringLiteral("t1"), const QString &user = QStringLiteral("u1"),
                   const QString &device = {}, Principal::Role role = Principal::Role::Subscriber) const
    {
        return f->token(tenant, user, role, device, LongTtl);
    }
    QByteArray admin(const QString &tenant = QStringLiteral("t1")) const
    {
        return f->token(tenant, QStringLiteral("admin-") + tenant, Principal::Role::Admin, {}, LongTtl);
    }

    /// Sends with QNetworkAccessManager unless QUrl would alter the target, then raw.
    Reply call(const QByteArray &method, const QByteArray &target, const QByteArray &token = {},
               const QByteArray &body = {}, const QList<QPair<QByteArray, QByteArray>> &headers = {}) const
    {
        const QByteArray base = "http://127.0.0.1:" + QByteArray::number(f->port());
        const QUrl url = QUrl::fromEncoded(base + target, QUrl::StrictMode);
        if (!url.isValid() || url.toEncoded() != base + target)
            return rawRequest(f->port(), method, target, token, body, headers);
        return request(f->port(), method, target, token, body, headers);
    }

    Reply heartbeat(const QByteArray &encodedAsset, const QByteArray &query = {}, const QByteArray &token = {}) const
    {
        return call("PUT", Api + "/streams/" + encodedAsset + "/streaming" + (query.isEmpty() ? QByteArray() : "?" + query),
                    token.isEmpty() ? tok() : token);
    }
    Reply stopped(const QByteArray &encodedAsset, const QByteArray &query = {}, const QByteArray &token = {}) const
    {
        return call("PUT", Api + "/streams/" + encodedAsset + "/stopped" + (query.isEmpty() ? QByteArray() : "?" + query),
                    token.isEmpty() ? tok() : token);
    }

    static QByteArray policyBody(int perUser, int perAsset, int devices)
    {
        return QJsonDocument(QJsonObject{{QStringLiteral("maxPerUser"), perUser},
                                         {QStringLiteral("maxPerAsset"), perAsset},
                                         {QStringLiteral("maxDevices"), devices}})
            .toJson(QJsonDocument::Compact);
    }

    void setPolicy(int perUser, int perAsset, int devices, const QString &tenant = QStringLiteral("t1"))
    {
        const Reply r = call("PUT", Api + "/streampolicy/" + tenant.toUtf8(), admin(tenant), policyBody(perUser, perAsset, devices));
        CHECK_STATUS(r, 200);
    }

    /// GET /streams/counts[?include=device] as an object (fails the test on a non-200).
    QJsonObject counts(bool byDevice = false, const QByteArray &token = {})
    {
        const Reply r = call("GET", Api + "/streams/counts" + (byDevice ? "?include=device" : ""),
                             token.isEmpty() ? tok() : token);
        if (r.status != 200 || !r.json().isObject()) {
            QTest::qFail(qPrintable(QStringLiteral("counts: %1 %2").arg(r.status).arg(QString::fromUtf8(r.body))),
                         __FILE__, __LINE__);
            return {};
        }
        return r.object();
    }

    QJsonArray history(const QByteArray &token = {})
    {
        const Reply r = call("GET", Api + "/streams/history", token.isEmpty() ? tok() : token);
        if (r.status != 200 || !r.json().isArray()) {
            QTest::qFail(qPrintable(QStringLiteral("history: %1 %2").arg(r.status).arg(QString::fromUtf8(r.body))),
                         __FILE__, __LINE__);
            return {};
        }
        return r.json().array();
    }

    QStringList watchlistIds(const QByteArray &token = {})
    {
        const Reply r = call("GET", Api + "/towatch", token.isEmpty() ? tok() : token);
        if (r.status != 200) {
            QTest::qFail(qPrintable(QStringLiteral("towatch: %1 %2").arg(r.status).arg(QString::fromUtf8(r.body))),
                         __FILE__, __LINE__);
            return {};
        }
        QStringList ids;
        for (const QJsonValue &v : r.object().value(QStringLiteral("assetIDs")).toArray())
            ids.append(v.toString());
        return ids;
    }

    void setClockNs(qint64 ns) { f->clock().setNowNs(ns); }

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    // --- success shapes --------------------------------------------------------------------
    void healthz_data();
    void healthz();
    void policyGetPutShape();
    void policyPutRegistersTenant();
    void policyTenantRegisteredByServiceReadsZeros();
    void policyUnknownFieldsIgnored();
    void policyAcceptedValues_data();
    void policyAcceptedValues();
    void streamingAndStoppedAre204();
    void resumePointShape();
    void resumePointUpdatedByLaterHeartbeat();
    void heartbeatWithoutProgressRecordsNothing();
    void progressBoundaries_data();
    void progressBoundaries();
    void historyShapeAndOrder();
    void historyEmpty();
    void countsShape();
    void watchlistShapes();
    void watchlistFullShape();
    void catalogAssetsVerbatim();
    void requestIdsAreFresh();

    // --- authentication --------------------------------------------------------------------
    void tokenVariants_data();
    void tokenVariants();
    void everyEndpointNeedsAuth_data();
    void everyEndpointNeedsAuth();
    void expiryUsesServiceClock();

    // --- error codes -----------------------------------------------------------------------
    void forbiddenRead_data();
    void forbiddenRead();
    void forbiddenWrite_data();
    void forbiddenWrite();
    void notFound_data();
    void notFound();
    void methodNotAllowed_data();
    void methodNotAllowed();
    void notAnObject_data();
    void notAnObject();
    void invalidPolicyField_data();
    void invalidPolicyField();
    void invalidParameter_data();
    void invalidParameter();
    void policyInconsistent_data();
    void policyInconsistent();
    void bodyTooLarge_data();
    void bodyTooLarge();
    void bodyOfExactlyOneMiBAccepted();
    void bodyTooLargeAnsweredWhileClientStillSends();
    void malformedFraming_data();
    void malformedFraming();
    void refusal_data();
    void refusal();
    void endedByAdmin();

    // --- policy behaviour ------------------------------------------------------------------
    void policyChangeAppliesToNextAdmissionOnly();
    void policyRaiseAdmits();

    // --- isolation -------------------------------------------------------------------------
    void isolation_data();
    void isolation();

    // --- identifiers -----------------------------------------------------------------------
    void percentEncodedAssetIds_data();
    void percentEncodedAssetIds();
    void idsAreCaseSensitive();
    void queryDeviceDecoding_data();
    void queryDeviceDecoding();

    // --- device resolution and replacement -------------------------------------------------
    void deviceResolution_data();
    void deviceResolution();
    void nextEpisodeReplacement_data();
    void nextEpisodeReplacement();
    void replacementOnlyAffectsThatDevice();
    void ipDeviceDoesNotReplace();
    void maxDevicesCountsDistinctDevices();
    void refusedHeartbeatChangesNothing();
    void refusedByEndedStreamChangesNothing();
    void invalidHeartbeatChangesNothing_data();
    void invalidHeartbeatChangesNothing();

    // --- expiry ----------------------------------------------------------------------------
    void expiryFreesSlot();
    void refreshExtendsExpiryAndSkipsLimits();

    // --- stopped ---------------------------------------------------------------------------
    void stoppedIsIdempotentAndRecordsProgress();
    void stoppedFreesSlotAndOnlyThatDevice();

    // --- watchlist -------------------------------------------------------------------------
    void watchlistOrder_data();
    void watchlistOrder();
    void watchlistCap();
};

void ApiTest::initTestCase()
{
    // The fixture's database lives in QDir::tempPath(). This suite is about the HTTP contract,
    // not about fsync (tst_durability covers that on the real disk), so put it on tmpfs when
    // there is one: each acknowledged write is an fsync, and on a busy disk they dominate.
    const QFileInfo shm(QStringLiteral("/dev/shm"));
    if (qEnvironmentVariableIsEmpty("OXM_TEST_KEEP_TMPDIR") && shm.isDir() && shm.isWritable())
        qputenv("TMPDIR", "/dev/shm");
}

void ApiTest::init()
{
    f = std::make_unique<ServiceFixture>();
}

void ApiTest::cleanup()
{
    f.reset();
}

// =============================================================================================
// Success shapes

void ApiTest::healthz_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addRow("root") << QByteArrayLiteral("/healthz");
    QTest::addRow("api") << QByteArrayLiteral("/oxm/v1/healthz");
}

void ApiTest::healthz()
{
    QFETCH(QByteArray, target);
    const Reply r = call("GET", target);
    CHECK_STATUS(r, 200);
    QVERIFY(isJsonContentType(r));
    QCOMPARE(r.object(), (QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")}}));
    QCOMPARE(keysOf(r.object()), QStringList{QStringLiteral("status")});
}

void ApiTest::policyGetPutShape()
{
    const Reply put = call("PUT", Api + "/streampolicy/t1", admin(), R"({"maxPerUser":5,"maxPerAsset":2,"maxDevices":0})");
    CHECK_STATUS(put, 200);
    QVERIFY(isJsonContentType(put));
    const QJsonObject expected{{QStringLiteral("maxPerUser"), 5}, {QStringLiteral("maxPerAsset"), 2}, {QStringLiteral("maxDevices"), 0}};
    QCOMPARE(put.object(), expected);
    QCOMPARE(keysOf(put.object()), (QStringList{QStringLiteral("maxDevices"), QStringLiteral("maxPerAsset"), QStringLiteral("maxPerUser")}));
    // Integers, not floats, on the wire.
    QVERIFY2(put.body.contains("\"maxPerUser\":5") && put.body.contains("\"maxPerAsset\":2") && put.body.contains("\"maxDevices\":0"),
             put.body.constData());

    // Any valid token of the tenant may read: subscriber and admin.
    for (const QByteArray &token : {tok(), admin(), tok(QStringLiteral("t1"), QStringLiteral("other"), QStringLiteral("dev"))}) {
        const Reply get = call("GET", Api + "/streampolicy/t1", token);
        CHECK_STATUS(get, 200);
        QVERIFY(isJsonContentType(get));
        QCOMPARE(get.object(), expected);
        QCOMPARE(get.object().size(), 3);
    }
}

void ApiTest::policyPutRegistersTenant()
{
    const QByteArray reader = tok(QStringLiteral("fresh"), QStringLiteral("u1"));
    CHECK_ERROR(call("GET", Api + "/streampolicy/fresh", reader), 404, 1040);
    const Reply put = call("PUT", Api + "/streampolicy/fresh", admin(QStringLiteral("fresh")), policyBody(3, 1, 2));
    CHECK_STATUS(put, 200);
    QCOMPARE(put.object(), (QJsonObject{{QStringLiteral("maxPerUser"), 3}, {QStringLiteral("maxPerAsset"), 1}, {QStringLiteral("maxDevices"), 2}}));
    const Reply get = call("GET", Api + "/streampolicy/fresh", reader);
    CHECK_STATUS(get, 200);
    QCOMPARE(get.object(), put.object());
    // The stored policy is enforced: maxPerUser 3 admits three distinct assets, refuses a fourth
    // (maxDevices 2: use two devices; maxPerAsset 1: distinct assets).
    const QByteArray t = tok(QStringLiteral("fresh"), QStringLiteral("u1"));
    CHECK_STATUS(heartbeat("a", "device=d1", t), 204);
    CHECK_STATUS(heartbeat("b", "device=d2", t), 204);
    const Reply third = heartbeat("b2", "", t); // the client IP: a third device
    CHECK_REFUSAL(third, 1052);
    QCOMPARE(third.object().value(QStringLiteral("limit")).toInt(), 2);
    CHECK_REFUSAL(heartbeat("a", "device=d3", t), 1051); // a second stream of asset a
    CHECK_STATUS(heartbeat("c", "device=d1", t), 204);    // d1 moves on to c (replaces a)
    CHECK_STATUS(heartbeat("a", "device=d2", t), 204);    // d2 moves on to a (replaces b)
    QCOMPARE(counts(true, t), (QJsonObject{{QStringLiteral("a"), QJsonObject{{QStringLiteral("d2"), 1}}},
                                           {QStringLiteral("c"), QJsonObject{{QStringLiteral("d1"), 1}}}}));
}

void ApiTest::policyTenantRegisteredByServiceReadsZeros()
{
    QVERIFY(f->service().policies().registerTenant(QStringLiteral("reg")));
    const Reply get = call("GET", Api + "/streampolicy/reg", tok(QStringLiteral("reg")));
    CHECK_STATUS(get, 200);
    QCOMPARE(get.object(), (QJsonObject{{QStringLiteral("maxPerUser"), 0}, {QStringLiteral("maxPerAsset"), 0}, {QStringLiteral("maxDevices"), 0}}));
}

void ApiTest::policyUnknownFieldsIgnored()
{
    const Reply put = call("PUT", Api + "/streampolicy/t1", admin(),
                           R"({"maxPerUser":4,"maxPerAsset":4,"maxDevices":1,"colour":"blue","nested":{"a":[1]}})");
    CHECK_STATUS(put, 200);
    QCOMPARE(put.object(), (QJsonObject{{QStringLiteral("maxPerUser"), 4}, {QStringLiteral("maxPerAsset"), 4}, {QStringLiteral("maxDevices"), 1}}));
    const Reply get = call("GET", Api + "/streampolicy/t1", tok());
    QCOMPARE(get.object(), put.object());
}

void ApiTest::policyAcceptedValues_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("perUser");
    QTest::addColumn<int>("perAsset");
    QTest::addColumn<int>("devices");
    QTest::addRow("all zero") << QByteArray(R"({"maxPerUser":0,"maxPerAsset":0,"maxDevices":0})") << 0 << 0 << 0;
    QTest::addRow("all 1000000") << QByteArray(R"({"maxPerUser":1000000,"maxPerAsset":1000000,"maxDevices":1000000})") << 1000000 << 1000000 << 1000000;
    QTest::addRow("perAsset equals perUser") << QByteArray(R"({"maxPerUser":5,"maxPerAsset":5,"maxDevices":0})") << 5 << 5 << 0;
    QTest::addRow("perAsset above perUser 0") << QByteArray(R"({"maxPerUser":0,"maxPerAsset":7,"maxDevices":3})") << 0 << 7 << 3;
    QTest::addRow("field order irrelevant") << QByteArray(R"({"maxDevices":2,"maxPerAsset":1,"maxPerUser":9})") << 9 << 1 << 2;
}

void ApiTest::policyAcceptedValues()
{
    QFETCH(QByteArray, body);
    QFETCH(int, perUser);
    QFETCH(int, perAsset);
    QFETCH(int, devices);
    const QJsonObject expected{{QStringLiteral("maxPerUser"), perUser}, {QStringLiteral("maxPerAsset"), perAsset}, {QStringLiteral("maxDevices"), devices}};
    const Reply put = call("PUT", Api + "/streampolicy/t1", admin(), body);
    CHECK_STATUS(put, 200);
    QCOMPARE(put.object(), expected);
    QCOMPARE(call("GET", Api + "/streampolicy/t1", tok()).object(), expected);
}

void ApiTest::streamingAndStoppedAre204()
{
    for (const Reply &r : {heartbeat("a", "device=d&progress=1"), stopped("a", "device=d&progress=2")}) {
        CHECK_STATUS(r, 204);
        QVERIFY2(r.body.isEmpty(), r.body.constData());
    }
    CHECK_STATUS(call("DELETE", Api + "/streams/a", tok()), 204);
}

void ApiTest::resumePointShape()
{
    const qint64 writeNs = T0 * NsPerSec + 123456789; // …22:13:20.123456789Z
    setClockNs(writeNs);
    CHECK_STATUS(heartbeat("asset-1", "device=tv&progress=666"), 204);
    f->clock().advanceSeconds(42); // the stamp is the write time, not the read time
    const Reply r = call("GET", Api + "/streams/asset-1", tok());
    CHECK_STATUS(r, 200);
    QVERIFY(isJsonContentType(r));
    const QJsonObject o = r.object();
    QCOMPARE(keysOf(o), (QStringList{QStringLiteral("assetId"), QStringLiteral("progress"), QStringLiteral("tenantId"),
                                     QStringLiteral("timestamp"), QStringLiteral("userId")}));
    QCOMPARE(o.value(QStringLiteral("tenantId")).toString(), QStringLiteral("t1"));
    QCOMPARE(o.value(QStringLiteral("userId")).toString(), QStringLiteral("u1"));
    QCOMPARE(o.value(QStringLiteral("assetId")).toString(), QStringLiteral("asset-1"));
    QVERIFY(o.value(QStringLiteral("progress")).isDouble());
    QCOMPARE(o.value(QStringLiteral("progress")).toInteger(), 666);
    // Milliseconds since the epoch, as a JSON integer: 1700000000123.
    QVERIFY(o.value(QStringLiteral("timestamp")).isDouble());
    QCOMPARE(o.value(QStringLiteral("timestamp")).toInteger(), 1700000000123LL);
    QVERIFY2(r.body.contains("\"timestamp\":1700000000123") && !r.body.contains("\"timestamp\":1700000000123."),
             r.body.constData());
}

void ApiTest::resumePointUpdatedByLaterHeartbeat()
{
    setClockNs(T0 * NsPerSec);
    CHECK_STATUS(heartbeat("a", "progress=10"), 204);
    setClockNs((T0 + 30) * NsPerSec + 500000000); // +30.5 s
    CHECK_STATUS(heartbeat("a", "progress=40"), 204);
    const QJsonObject o = call("GET", Api + "/streams/a", tok()).object();
    QCOMPARE(o.value(QStringLiteral("progress")).toInteger(), 40);
    QCOMPARE(o.value(QStringLiteral("timestamp")).toInteger(), (T0 + 30) * 1000 + 500);
    // A progress that goes backwards is still the latest (a user seeking back).
    f->clock().advanceSeconds(1);
    CHECK_STATUS(stopped("a", "progress=5"), 204);
    const QJsonObject o2 = call("GET", Api + "/streams/a", tok()).object();
    QCOMPARE(o2.value(QStringLiteral("progress")).toInteger(), 5);
    QCOMPARE(o2.value(QStringLiteral("timestamp")).toInteger(), (T0 + 31) * 1000 + 500);
}

void ApiTest::heartbeatWithoutProgressRecordsNothing()
{
    CHECK_STATUS(heartbeat("a", "device=d"), 204);
    CHECK_ERROR(call("GET", Api + "/streams/a", tok()), 404, 1040);
    QCOMPARE(history(), QJsonArray());
    // …and leaves an existing resume point as it was.
    CHECK_STATUS(heartbeat("b", "device=d&progress=77"), 204);
    f->clock().advanceSeconds(10);
    CHECK_STATUS(heartbeat("b", "device=d"), 204);
    CHECK_STATUS(stopped("b", "device=d"), 204);
    const QJsonObject o = call("GET", Api + "/streams/b", tok()).object();
    QCOMPARE(o.value(QStringLiteral("progress")).toInteger(), 77);
    QCOMPARE(o.value(QStringLiteral("timestamp")).toInteger(), T0 * 1000);
}

void ApiTest::progressBoundaries_data()
{
    QTest::addColumn<QByteArray>("endpoint");
    QTest::addColumn<QByteArray>("progress");
    QTest::addColumn<qint64>("expected");
    for (const char *endpoint : {"streaming", "stopped"}) {
        QTest::addRow("%s 0", endpoint) << QByteArray(endpoint) << QByteArrayLiteral("0") << qint64(0);
        QTest::addRow("%s 1", endpoint) << QByteArray(endpoint) << QByteArrayLiteral("1") << qint64(1);
        QTest::addRow("%s max", endpoint) << QByteArray(endpoint) << QByteArrayLiteral("2147483647") << qint64(2147483647);
    }
}

void ApiTest::progressBoundaries()
{
    QFETCH(QByteArray, endpoint);
    QFETCH(QByteArray, progress);
    QFETCH(qint64, expected);
    CHECK_STATUS(call("PUT", Api + "/streams/a/" + endpoint + "?progress=" + progress, tok()), 204);
    const Reply r = call("GET", Api + "/streams/a", tok());
    CHECK_STATUS(r, 200);
    QCOMPARE(r.object().value(QStringLiteral("progress")).toInteger(), expected);
    QVERIFY2(r.body.contains("\"progress\":" + QByteArray::number(expected)), r.body.constData());
}

void ApiTest::historyShapeAndOrder()
{
    // a at T0+0.000000001, b at T0+60.5, c at T0+120.999999999; then a again at T0+200.
    setClockNs(T0 * NsPerSec + 1);
    CHECK_STATUS(heartbeat("a", "device=d1&progress=1"), 204);
    setClockNs((T0 + 60) * NsPerSec + 500000000);
    CHECK_STATUS(stopped("b", "device=d2&progress=2"), 204);
    setClockNs((T0 + 120) * NsPerSec + 999999999);
    CHECK_STATUS(heartbeat("c", "device=d3&progress=3"), 204);

    QJsonArray h = history();
    QCOMPARE(h.size(), 3);
    const QStringList expectedKeys{QStringLiteral("assetId"), QStringLiteral("progress"), QStringLiteral("tenantId"),
                                   QStringLiteral("timestamp"), QStringLiteral("userId")};
    const struct { const char *asset; qint64 progress; const char *timestamp; } expected1[] = {
        {"c", 3, "2023-11-14T22:15:20.999999999Z"},
        {"b", 2, "2023-11-14T22:14:20.500000000Z"},
        {"a", 1, "2023-11-14T22:13:20.000000001Z"},
    };
    for (int i = 0; i < 3; ++i) {
        const QJsonObject o = h.at(i).toObject();
        QCOMPARE(keysOf(o), expectedKeys);
        QCOMPARE(o.value(QStringLiteral("tenantId")).toString(), QStringLiteral("t1"));
        QCOMPARE(o.value(QStringLiteral("userId")).toString(), QStringLiteral("u1"));
        QCOMPARE(o.value(QStringLiteral("assetId")).toString(), QString::fromLatin1(expected1[i].asset));
        QVERIFY(o.value(QStringLiteral("progress")).isDouble());
        QCOMPARE(o.value(QStringLiteral("progress")).toInteger(), expected1[i].progress);
        QVERIFY(o.value(QStringLiteral("timestamp")).isString());
        QVERIFY2(isRfc3339Nanos(o.value(QStringLiteral("timestamp")).toString()), qPrintable(o.value(QStringLiteral("timestamp")).toString()));
        QCOMPARE(o.value(QStringLiteral("timestamp")).toString(), QString::fromLatin1(expected1[i].timestamp));
    }

    // Updating a moves it to the front; deleting b removes it.
    setClockNs((T0 + 200) * NsPerSec);
    CHECK_STATUS(heartbeat("a", "device=d1&progress=9"), 204);
    CHECK_STATUS(call("DELETE", Api + "/streams/b", tok()), 204);
    h = history();
    QCOMPARE(h.size(), 2);
    QCOMPARE(h.at(0).toObject().value(QStringLiteral("assetId")).toString(), QStringLiteral("a"));
    QCOMPARE(h.at(0).toObject().value(QStringLiteral("progress")).toInteger(), 9);
    QCOMPARE(h.at(0).toObject().value(QStringLiteral("timestamp")).toString(), QStringLiteral("2023-11-14T22:16:40.000000000Z"));
    QCOMPARE(h.at(1).toObject().value(QStringLiteral("assetId")).toString(), QStringLiteral("c"));
    CHECK_ERROR(call("GET", Api + "/streams/b", tok()), 404, 1040);
    CHECK_ERROR(call("DELETE", Api + "/streams/b", tok()), 404, 1040);
}

void ApiTest::historyEmpty()
{
    const Reply r = call("GET", Api + "/streams/history", tok());
    CHECK_STATUS(r, 200);
    QVERIFY(isJsonContentType(r));
    QVERIFY(r.json().isArray());
    QCOMPARE(r.json().array().size(), 0);
    QCOMPARE(r.body.trimmed(), QByteArrayLiteral("[]"));
}

void ApiTest::countsShape()
{
    Reply r = call("GET", Api + "/streams/counts", tok());
    CHECK_STATUS(r, 200);
    QVERIFY(isJsonContentType(r));
    QCOMPARE(r.body.trimmed(), QByteArrayLiteral("{}"));
    r = call("GET", Api + "/streams/counts?include=device", tok());
    CHECK_STATUS(r, 200);
    QCOMPARE(r.body.trimmed(), QByteArrayLiteral("{}"));

    CHECK_STATUS(heartbeat("A", "device=d1"), 204);
    CHECK_STATUS(heartbeat("A", "device=d2"), 204);
    CHECK_STATUS(heartbeat("A", "device=d2"), 204); // a refresh is not a second stream
    CHECK_STATUS(heartbeat("B", "device=d3"), 204);
    r = call("GET", Api + "/streams/counts", tok());
    CHECK_STATUS(r, 200);
    QCOMPARE(r.object(), (QJsonObject{{QStringLiteral("A"), 2}, {QStringLiteral("B"), 1}}));
    QVERIFY2(r.body.contains("\"A\":2") && r.body.contains("\"B\":1"), r.body.constData());
    r = call("GET", Api + "/streams/counts?include=device", tok());
    CHECK_STATUS(r, 200);
    QCOMPARE(r.object(), (QJsonObject{{QStringLiteral("A"), QJsonObject{{QStringLiteral("d1"), 1}, {QStringLiteral("d2"), 1}}},
                                      {QStringLiteral("B"), QJsonObject{{QStringLiteral("d3"), 1}}}}));
}

void ApiTest::watchlistShapes()
{
    setClockNs(T0 * NsPerSec + 577870309);
    const QStringList envelopeKeys{QStringLiteral("requestID"), QStringLiteral("timestamp")};

    Reply put = call("PUT", Api + "/towatch/x1", tok());
    CHECK_STATUS(put, 200);
    QVERIFY(isJsonContentType(put));
    QCOMPARE(keysOf(put.object()), envelopeKeys);
    QVERIFY(isUuid(put.object().value(QStringLiteral("requestID")).toString()));
    QCOMPARE(put.object().value(QStringLiteral("timestamp")).toString(), QStringLiteral("2023-11-14T22:13:20.577870309Z"));

    f->clock().advanceSeconds(1);
    CHECK_STATUS(call("PUT", Api + "/towatch/x2", tok()), 200);

    setClockNs((T0 + 3600) * NsPerSec + 5);
    Reply get = call("GET", Api + "/towatch", tok());
    CHECK_STATUS(get, 200);
    QVERIFY(isJsonContentType(get));
    QJsonObject o = get.object();
    QCOMPARE(keysOf(o), (QStringList{QStringLiteral("assetIDs"), QStringLiteral("count"), QStringLiteral("requestID"), QStringLiteral("timestamp")}));
    QVERIFY(isUuid(o.value(QStringLiteral("requestID")).toString()));
    QCOMPARE(o.value(QStringLiteral("timestamp")).toString(), QStringLiteral("2023-11-14T23:13:20.000000005Z"));
    QCOMPARE(o.value(QStringLiteral("assetIDs")).toArray(), (QJsonArray{QStringLiteral("x2"), QStringLiteral("x1")}));
    QCOMPARE(o.value(QStringLiteral("count")).toObject(), (QJsonObject{{QStringLiteral("returned"), 2}}));

    // full=false is the plain list.
    get = call("GET", Api + "/towatch?full=false", tok());
    CHECK_STATUS(get, 200);
    QCOMPARE(keysOf(get.object()), keysOf(o));
    QCOMPARE(get.object().value(QStringLiteral("assetIDs")), o.value(QStringLiteral("assetIDs")));

    Reply del = call("DELETE", Api + "/towatch/x1", tok());
    CHECK_STATUS(del, 200);
    QVERIFY(isJsonContentType(del));
    QCOMPARE(keysOf(del.object()), envelopeKeys);
    QVERIFY(isUuid(del.object().value(QStringLiteral("requestID")).toString()));
    QCOMPARE(del.object().value(QStringLiteral("timestamp")).toString(), QStringLiteral("2023-11-14T23:13:20.000000005Z"));

    // Empty list.
    CHECK_STATUS(call("DELETE", Api + "/towatch/x2", tok()), 200);
    o = call("GET", Api + "/towatch", tok()).object();
    QCOMPARE(o.value(QStringLiteral("assetIDs")), QJsonValue(QJsonArray()));
    QCOMPARE(o.value(QStringLiteral("count")).toObject(), (QJsonObject{{QStringLiteral("returned"), 0}}));
}

namespace {
// The seed's example asset, verbatim.
const QByteArray SeedAsset = R"({
    "id": "c56f185963ea17987c910834e0a575a6",
    "name": "Barrio Chino II",
    "shortName": "BarrioChin",
    "description": "El detective Jake Gittes, sin saberlo, se convierte en cómplice de un crimen de pasión premeditado.",
    "shortDescription": "Un detective investiga un crimen de pasión premeditado.",
    "resourceType": "movie",
    "releaseYear": 1990,
    "language": "es",
    "pictureID": "3a81d257ce1768dd7f4cc3c0a10c82f1",
    "pictures": {
        "16x9": "3a81d257ce1768dd7f4cc3c0a10c82f1",
        "2x3": "9bbb6bb34c0c99c9fb149584c2b22878",
        "3x4": "204f341541e8004f558580bf6230b379",
        "4x3": "a2080da7011719a696fbd71e23289de5"
    },
    "genres": ["Mystery"],
    "genreIDs": ["d775f75f857ae6a6c2b33e487686da54"]
})";
const QByteArray OtherAsset = R"({"id":"c2","name":"Two","extra":{"nested":[1,2.5,{"x":null,"t":true}]},"empty":[]})";
} // namespace

void ApiTest::watchlistFullShape()
{
    const QByteArray catalog = "[" + SeedAsset + "," + OtherAsset + "]";
    QCOMPARE(f->service().catalog().importAssets(Catalog::parse(catalog)), 2);

    // Watchlist (newest first): n2, c2, n1, c5…
    for (const char *id : {"c56f185963ea17987c910834e0a575a6", "n1", "c2", "n2"}) {
        CHECK_STATUS(call("PUT", Api + "/towatch/" + id, tok()), 200);
        f->clock().advanceSeconds(1);
    }
    setClockNs(T0 * NsPerSec + 590328174);
    const Reply r = call("GET", Api + "/towatch?full=true", tok());
    CHECK_STATUS(r, 200);
    QVERIFY(isJsonContentType(r));
    QJsonParseError pe{};
    const QJsonDocument doc = QJsonDocument::fromJson(r.body, &pe);
    QVERIFY2(pe.error == QJsonParseError::NoError && doc.isObject(), r.body.constData());
    const QJsonObject o = doc.object();
    QCOMPARE(keysOf(o), (QStringList{QStringLiteral("assetIDs"), QStringLiteral("assetIDsNotFound"), QStringLiteral("assets"),
                                     QStringLiteral("count"), QStringLiteral("requestID"), QStringLiteral("timestamp")}));
    QVERIFY(isUuid(o.value(QStringLiteral("requestID")).toString()));
    QCOMPARE(o.value(QStringLiteral("timestamp")).toString(), QStringLiteral("2023-11-14T22:13:20.590328174Z"));
    QCOMPARE(o.value(QStringLiteral("assetIDs")).toArray(),
             (QJsonArray{QStringLiteral("c2"), QStringLiteral("c56f185963ea17987c910834e0a575a6")}));
    QCOMPARE(o.value(QStringLiteral("assetIDsNotFound")).toArray(), (QJsonArray{QStringLiteral("n2"), QStringLiteral("n1")}));
    const QJsonArray assets = o.value(QStringLiteral("assets")).toArray();
    QCOMPARE(assets.size(), 2);
    QCOMPARE(assets.at(0).toObject(), QJsonDocument::fromJson(OtherAsset).object());
    QCOMPARE(assets.at(1).toObject(), QJsonDocument::fromJson(SeedAsset).object());
    const QJsonObject count = o.value(QStringLiteral("count")).toObject();
    QCOMPARE(keysOf(count), (QStringList{QStringLiteral("acquired"), QStringLiteral("notFound"), QStringLiteral("returned"), QStringLiteral("unwanted")}));
    QCOMPARE(count, (QJsonObject{{QStringLiteral("acquired"), 2}, {QStringLiteral("notFound"), 2},
                                 {QStringLiteral("returned"), 2}, {QStringLiteral("unwanted"), 0}}));

    // Re-importing an id replaces its metadata.
    const QByteArray replaced = R"({"id":"c2","name":"Two, revised"})";
    QCOMPARE(f->service().catalog().importAssets(Catalog::parse("[" + replaced + "]")), 1);
    const QJsonObject o2 = call("GET", Api + "/towatch?full=true", tok()).object();
    QCOMPARE(o2.value(QStringLiteral("assets")).toArray().at(0).toObject(), QJsonDocument::fromJson(replaced).object());

    // An id twice in one import is one asset, the last object's (the CLI reported 2 for it).
    const QByteArray twice = R"([{"id":"c2","name":"first"},{"id":"c9"},{"id":"c2","name":"last"}])";
    QCOMPARE(f->service().catalog().importAssets(Catalog::parse(twice)), 2);
    const QJsonObject o3 = call("GET", Api + "/towatch?full=true", tok()).object();
    QCOMPARE(o3.value(QStringLiteral("assets")).toArray().at(0).toObject(),
             (QJsonObject{{QStringLiteral("id"), QStringLiteral("c2")}, {QStringLiteral("name"), QStringLiteral("last")}}));

    // Empty watchlist, full view.
    const QJsonObject empty = call("GET", Api + "/towatch?full=true", tok(QStringLiteral("t1"), QStringLiteral("nobody"))).object();
    QCOMPARE(empty.value(QStringLiteral("assetIDs")), QJsonValue(QJsonArray()));
    QCOMPARE(empty.value(QStringLiteral("assetIDsNotFound")), QJsonValue(QJsonArray()));
    QCOMPARE(empty.value(QStringLiteral("assets")), QJsonValue(QJsonArray()));
    QCOMPARE(empty.value(QStringLiteral("count")).toObject(),
             (QJsonObject{{QStringLiteral("acquired"), 0}, {QStringLiteral("notFound"), 0},
                          {QStringLiteral("returned"), 0}, {QStringLiteral("unwanted"), 0}}));
}

void ApiTest::catalogAssetsVerbatim()
{
    // "stored and returned verbatim" (contract §6/§7): values that a double cannot hold exactly
    // must come back unchanged.
    const QByteArray asset = R"({"id":"big","externalId":9007199254740993,"ratio":0.1,"name":"Big"})";
    QCOMPARE(f->service().catalog().importAssets(Catalog::parse("[" + asset + "]")), 1);
    CHECK_STATUS(call("PUT", Api + "/towatch/big", tok()), 200);
    const Reply r = call("GET", Api + "/towatch?full=true", tok());
    CHECK_STATUS(r, 200);
    QVERIFY2(r.body.contains("\"externalId\":9007199254740993"), r.body.constData());
    QVERIFY2(r.body.contains("\"ratio\":0.1"), r.body.constData());
}

void ApiTest::requestIdsAreFresh()
{
    QSet<QString> ids;
    for (int i = 0; i < 3; ++i) {
        ids.insert(call("GET", Api + "/towatch", tok()).object().value(QStringLiteral("requestID")).toString());
        ids.insert(call("GET", Api + "/streams/none", tok()).object().value(QStringLiteral("requestID")).toString());
    }
    QCOMPARE(ids.size(), 6);
    for (const QString &id : std::as_const(ids))
        QVERIFY2(isUuid(id), qPrintable(id));
}

// =============================================================================================
// Authentication

void ApiTest::tokenVariants_data()
{
    QTest::addColumn<QByteArray>("authorization"); // full header value; empty: no header
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("code");

    const qint64 now = T0;
    const auto claims = [now](qint64 exp) {
        return QJsonObject{{QStringLiteral("tenant"), QStringLiteral("t1")}, {QStringLiteral("sub"), QStringLiteral("u1")},
                           {QStringLiteral("exp"), exp}};
    };
    const auto bearer = [](const QByteArray &t) { return "Bearer " + t; };
    const auto with = [&](QJsonObject c, const QString &key, const QJsonValue &v) { c.insert(key, v); return c; };
    const auto without = [&](QJsonObject c, const QString &key) { c.remove(key); return c; };
    const QJsonObject good = claims(now + 3600);

    QTest::addRow("valid") << bearer(signJwt(Hs256Header, good)) << 200 << 0;
    QTest::addRow("role subscriber") << bearer(signJwt(Hs256Header, with(good, QStringLiteral("role"), QStringLiteral("subscriber")))) << 200 << 0;
    QTest::addRow("role admin") << bearer(signJwt(Hs256Header, with(good, QStringLiteral("role"), QStringLiteral("admin")))) << 200 << 0;

    QTest::addRow("no header") << QByteArray() << 401 << 1000;
    QTest::addRow("Basic x") << QByteArrayLiteral("Basic x") << 401 << 1000;
    QTest::addRow("Basic credentials") << QByteArrayLiteral("Basic dXNlcjpwYXNz") << 401 << 1000;
    QTest::addRow("token without scheme") << signJwt(Hs256Header, good) << 401 << 1000;

    QTest::addRow("garbage") << QByteArrayLiteral("Bearer garbage") << 401 << 1001;
    QTest::addRow("three junk segments") << QByteArrayLiteral("Bearer a.b.c") << 401 << 1001;
    QTest::addRow("bad signature") << bearer(signJwt(Hs256Header, good, "another-secret")) << 401 << 1001;
    {
        QByteArray t = signJwt(Hs256Header, good);
        t[t.lastIndexOf('.') + 3] = t[t.lastIndexOf('.') + 3] == 'A' ? 'B' : 'A';
        QTest::addRow("tampered signature") << bearer(t) << 401 << 1001;
        QByteArray payloadSwapped = signJwt(Hs256Header, good);
        const QByteArrayList parts = payloadSwapped.split('.');
        const QByteArray otherPayload = base64Url(QJsonDocument(with(good, QStringLiteral("sub"), QStringLiteral("u2"))).toJson(QJsonDocument::Compact));
        QTest::addRow("tampered payload") << bearer(parts[0] + '.' + otherPayload + '.' + parts[2]) << 401 << 1001;
    }
    QTest::addRow("alg none") << bearer(base64Url(R"({"alg":"none","typ":"JWT"})") + '.'
                                        + base64Url(QJsonDocument(good).toJson(QJsonDocument::Compact)) + '.')
                              << 401 << 1001;
    QTest::addRow("alg HS512 header") << bearer(signJwt(QJsonObject{{QStringLiteral("alg"), QStringLiteral("HS512")}}, good)) << 401 << 1001;
    QTest::addRow("role root") << bearer(signJwt(Hs256Header, with(good, QStringLiteral("role"), QStringLiteral("root")))) << 401 << 1001;
    QTest::addRow("role Admin") << bearer(signJwt(Hs256Header, with(good, QStringLiteral("role"), QStringLiteral("Admin")))) << 401 << 1001;
    QTest::addRow("tenant missing") << bearer(signJwt(Hs256Header, without(good, QStringLiteral("tenant")))) << 401 << 1001;
    QTest::addRow("sub missing") << bearer(signJwt(Hs256Header, without(good, QStringLiteral("sub")))) << 401 << 1001;
    QTest::addRow("exp missing") << bearer(signJwt(Hs256Header, without(good, QStringLiteral("exp")))) << 401 << 1001;
    QTest::addRow("sub not a string") << bearer(signJwt(Hs256Header, with(good, QStringLiteral("sub"), 42))) << 401 << 1001;
    QTest::addRow("tenant not a string") << bearer(signJwt(Hs256Header, with(good, QStringLiteral("tenant"), QJsonArray{1}))) << 401 << 1001;
    QTest::addRow("exp a string") << bearer(signJwt(Hs256Header, with(good, QStringLiteral("exp"), QString::number(now + 3600)))) << 401 << 1001;
    QTest::addRow("exp fractional") << bearer(signJwt(Hs256Header, with(good, QStringLiteral("exp"), double(now + 3600) + 0.5))) << 401 << 1001;
    {
        // A correctly signed payload whose JSON is followed by a NUL byte and junk is not JSON
        // (RFC 8259): 1001 (tests/fuzz finding; the JSON parser used to stop at the NUL).
        const QByteArray input = base64Url(QJsonDocument(Hs256Header).toJson(QJsonDocument::Compact)) + '.'
            + base64Url(QJsonDocument(good).toJson(QJsonDocument::Compact) + QByteArray("\0junk", 5));
        const QByteArray mac = QMessageAuthenticationCode::hash(input, testSecret(), QCryptographicHash::Sha256);
        QTest::addRow("payload JSON, NUL, junk") << bearer(input + '.' + base64Url(mac)) << 401 << 1001;
    }

    QTest::addRow("exp 61 s ago") << bearer(signJwt(Hs256Header, claims(now - 61))) << 401 << 1002;
    QTest::addRow("exp 1 h ago") << bearer(signJwt(Hs256Header, claims(now - 3600))) << 401 << 1002;
    QTest::addRow("exp 59 s ago (leeway)") << bearer(signJwt(Hs256Header, claims(now - 59))) << 200 << 0;
    QTest::addRow("nbf 61 s ahead") << bearer(signJwt(Hs256Header, with(good, QStringLiteral("nbf"), now + 61))) << 401 << 1002;
    QTest::addRow("nbf 59 s ahead (leeway)") << bearer(signJwt(Hs256Header, with(good, QStringLiteral("nbf"), now + 59))) << 200 << 0;
    QTest::addRow("iat 61 s ahead") << bearer(signJwt(Hs256Header, with(good, QStringLiteral("iat"), now + 61))) << 401 << 1002;
    QTest::addRow("iat 59 s ahead (leeway)") << bearer(signJwt(Hs256Header, with(good, QStringLiteral("iat"), now + 59))) << 200 << 0;
}

void ApiTest::tokenVariants()
{
    QFETCH(QByteArray, authorization);
    QFETCH(int, status);
    QFETCH(int, code);
    QList<QPair<QByteArray, QByteArray>> headers;
    if (!authorization.isEmpty())
        headers.append({QByteArrayLiteral("Authorization"), authorization});
    const Reply r = call("GET", Api + "/streams/history", {}, {}, headers);
    if (code == 0) {
        CHECK_STATUS(r, status);
        QCOMPARE(r.body.trimmed(), QByteArrayLiteral("[]"));
        QVERIFY(r.header("WWW-Authenticate").isEmpty());
    } else {
        CHECK_ERROR(r, status, code);
        // RFC 6750 §3: the scheme and realm; a presented token that is refused is "invalid_token".
        QCOMPARE(r.header("WWW-Authenticate"), code == 1000 ? QByteArray(R"(Bearer realm="oxm")")
                                                            : QByteArray(R"(Bearer realm="oxm", error="invalid_token")"));
        // The token is never echoed back.
        const QByteArray presented = authorization.mid(authorization.indexOf(' ') + 1);
        if (presented.size() > 8)
            QVERIFY(!r.body.contains(presented));
    }
}

void ApiTest::everyEndpointNeedsAuth_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("body");
    const QList<std::tuple<const char *, const char *, QByteArray>> endpoints{
        {"GET", "/streampolicy/t1", {}},
        {"PUT", "/streampolicy/t1", policyBody(1, 1, 1)},
        {"PUT", "/streams/a/streaming?progress=5", {}},
        {"PUT", "/streams/a/stopped?progress=5", {}},
        {"GET", "/streams/a", {}},
        {"DELETE", "/streams/a", {}},
        {"GET", "/streams/history", {}},
        {"GET", "/streams/counts", {}},
        {"GET", "/towatch", {}},
        {"GET", "/towatch?full=true", {}},
        {"PUT", "/towatch/a", {}},
        {"DELETE", "/towatch/a", {}},
    };
    for (const auto &[method, path, body] : endpoints)
        QTest::addRow("%s %s", method, path) << QByteArray(method) << Api + path << body;
}

void ApiTest::everyEndpointNeedsAuth()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, body);
    // Prepare state so that an unauthenticated success would be visible.
    CALL(setPolicy(2, 1, 0));
    CHECK_STATUS(heartbeat("a", "device=d&progress=1"), 204);
    CHECK_STATUS(call("PUT", Api + "/towatch/a", tok()), 200);

    CHECK_ERROR(call(method, target, {}, body), 401, 1000);
    CHECK_ERROR(call(method, target, {}, body, {{"Authorization", "Basic x"}}), 401, 1000);
    CHECK_ERROR(call(method, target, signJwt(Hs256Header, QJsonObject{{QStringLiteral("tenant"), QStringLiteral("t1")},
                                                                      {QStringLiteral("sub"), QStringLiteral("u1")},
                                                                      {QStringLiteral("role"), QStringLiteral("admin")},
                                                                      {QStringLiteral("exp"), T0 + 3600}},
                                                         "wrong-secret"), body),
                401, 1001);
    CHECK_ERROR(call(method, target, signJwt(Hs256Header, QJsonObject{{QStringLiteral("tenant"), QStringLiteral("t1")},
                                                                      {QStringLiteral("sub"), QStringLiteral("u1")},
                                                                      {QStringLiteral("role"), QStringLiteral("root")},
                                                                      {QStringLiteral("exp"), T0 + 3600}}), body),
                401, 1001);
    CHECK_ERROR(call(method, target, signJwt(Hs256Header, QJsonObject{{QStringLiteral("tenant"), QStringLiteral("t1")},
                                                                      {QStringLiteral("sub"), QStringLiteral("u1")},
                                                                      {QStringLiteral("role"), QStringLiteral("admin")},
                                                                      {QStringLiteral("exp"), T0 - 61}}), body),
                401, 1002);
    // Nothing changed.
    QCOMPARE(call("GET", Api + "/streampolicy/t1", tok()).object(),
             (QJsonObject{{QStringLiteral("maxPerUser"), 2}, {QStringLiteral("maxPerAsset"), 1}, {QStringLiteral("maxDevices"), 0}}));
    QCOMPARE(call("GET", Api + "/streams/a", tok()).object().value(QStringLiteral("progress")).toInteger(), 1);
    QCOMPARE(counts(), (QJsonObject{{QStringLiteral("a"), 1}}));
    QCOMPARE(watchlistIds(), QStringList{QStringLiteral("a")});
}

void ApiTest::expiryUsesServiceClock()
{
    // A token with a 10 s lifetime, issued at T0: valid up to exp + 60 s leeway.
    const QByteArray shortLived = f->token(QStringLiteral("t1"), QStringLiteral("u1"), Principal::Role::Subscriber, {}, 10);
    CHECK_STATUS(call("GET", Api + "/streams/history", shortLived), 200);
    f->clock().advanceSeconds(69); // exp + 59 s
    CHECK_STATUS(call("GET", Api + "/streams/history", shortLived), 200);
    f->clock().advanceSeconds(2); // exp + 61 s
    CHECK_ERROR(call("GET", Api + "/streams/history", shortLived), 401, 1002);
    CHECK_ERROR(call("PUT", Api + "/streams/a/streaming", shortLived), 401, 1002);
    // A token issued (iat) in the future beyond the leeway, as seen by the service clock.
    f->clock().advanceSeconds(3600);
    const QByteArray future = f->token(QStringLiteral("t1"), QStringLiteral("u1"), Principal::Role::Subscriber, {}, 7200);
    f->clock().advanceSeconds(-3600);
    CHECK_ERROR(call("GET", Api + "/towatch", future), 401, 1002);
}

// =============================================================================================
// Error codes

void ApiTest::forbiddenRead_data()
{
    QTest::addColumn<QString>("tenant");
    QTest::addColumn<QString>("user");
    QTest::addColumn<bool>("isAdmin");
    QTest::addRow("subscriber of another tenant") << QStringLiteral("t2") << QStringLiteral("u1") << false;
    QTest::addRow("admin of another tenant") << QStringLiteral("t2") << QStringLiteral("admin") << true;
    QTest::addRow("tenant differing in case") << QStringLiteral("T1") << QStringLiteral("u1") << false;
}

void ApiTest::forbiddenRead()
{
    QFETCH(QString, tenant);
    QFETCH(QString, user);
    QFETCH(bool, isAdmin);
    CALL(setPolicy(5, 2, 1));
    CALL(setPolicy(1, 1, 1, QStringLiteral("t2")));
    const QByteArray token = f->token(tenant, user, isAdmin ? Principal::Role::Admin : Principal::Role::Subscriber, {}, LongTtl);
    const Reply r = call("GET", Api + "/streampolicy/t1", token);
    CHECK_ERROR(r, 403, 1003);
    QVERIFY2(!r.body.contains("maxPerUser"), r.body.constData());
}

void ApiTest::forbiddenWrite_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("tokenTenant");
    QTest::addColumn<bool>("tokenAdmin");
    QTest::addColumn<QString>("tokenDevice");

    QTest::addRow("subscriber PUT own policy") << Api + "/streampolicy/t1" << policyBody(1, 1, 1) << QStringLiteral("t1") << false << QString();
    QTest::addRow("subscriber PUT invalid body (checked first)") << Api + "/streampolicy/t1" << QByteArrayLiteral("[]") << QStringLiteral("t1") << false << QString();
    QTest::addRow("subscriber PUT 1105 body (checked first)") << Api + "/streampolicy/t1" << policyBody(1, 2, 0) << QStringLiteral("t1") << false << QString();
    QTest::addRow("admin of other tenant") << Api + "/streampolicy/t1" << policyBody(1, 1, 1) << QStringLiteral("t2") << true << QString();
    QTest::addRow("admin of other tenant, unregistered target") << Api + "/streampolicy/t9" << policyBody(1, 1, 1) << QStringLiteral("t2") << true << QString();
    QTest::addRow("streaming device param differs from claim") << Api + "/streams/a/streaming?device=phone&progress=5" << QByteArray() << QStringLiteral("t1") << false << QStringLiteral("tv");
    QTest::addRow("stopped device param differs from claim") << Api + "/streams/a/stopped?device=phone&progress=5" << QByteArray() << QStringLiteral("t1") << false << QStringLiteral("tv");
    QTest::addRow("device param differs only in case") << Api + "/streams/a/streaming?device=TV&progress=5" << QByteArray() << QStringLiteral("t1") << false << QStringLiteral("tv");
}

void ApiTest::forbiddenWrite()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, body);
    QFETCH(QString, tokenTenant);
    QFETCH(bool, tokenAdmin);
    QFETCH(QString, tokenDevice);
    CALL(setPolicy(7, 3, 2));
    CALL(setPolicy(1, 1, 1, QStringLiteral("t2")));
    const QByteArray token = f->token(tokenTenant, QStringLiteral("u1"),
                                      tokenAdmin ? Principal::Role::Admin : Principal::Role::Subscriber, tokenDevice, LongTtl);
    CHECK_ERROR(call("PUT", target, token, body), 403, 1004);

    // Nothing was written.
    QCOMPARE(call("GET", Api + "/streampolicy/t1", tok()).object(),
             (QJsonObject{{QStringLiteral("maxPerUser"), 7}, {QStringLiteral("maxPerAsset"), 3}, {QStringLiteral("maxDevices"), 2}}));
    CHECK_ERROR(call("GET", Api + "/streampolicy/t9", tok(QStringLiteral("t9"))), 404, 1040);
    QCOMPARE(counts(false, token), QJsonObject());
    CHECK_ERROR(call("GET", Api + "/streams/a", token), 404, 1040);
}

void ApiTest::notFound_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QString>("tokenTenant");
    QTest::addRow("unknown route") << QByteArrayLiteral("GET") << Api + "/nope" << QStringLiteral("t1");
    QTest::addRow("unknown PUT route") << QByteArrayLiteral("PUT") << Api + "/nope/a" << QStringLiteral("t1");
    QTest::addRow("api root") << QByteArrayLiteral("GET") << Api + "/" << QStringLiteral("t1");
    QTest::addRow("outside the api") << QByteArrayLiteral("GET") << QByteArrayLiteral("/streams/history") << QStringLiteral("t1");
    QTest::addRow("other api version") << QByteArrayLiteral("GET") << QByteArrayLiteral("/oxm/v2/towatch") << QStringLiteral("t1");
    QTest::addRow("too many segments") << QByteArrayLiteral("PUT") << Api + "/streams/a/streaming/extra" << QStringLiteral("t1");
    QTest::addRow("unknown stream action") << QByteArrayLiteral("PUT") << Api + "/streams/a/paused" << QStringLiteral("t1");
    QTest::addRow("towatch too deep") << QByteArrayLiteral("PUT") << Api + "/towatch/a/b" << QStringLiteral("t1");
    QTest::addRow("missing resume point GET") << QByteArrayLiteral("GET") << Api + "/streams/missing" << QStringLiteral("t1");
    QTest::addRow("missing resume point DELETE") << QByteArrayLiteral("DELETE") << Api + "/streams/missing" << QStringLiteral("t1");
    QTest::addRow("unregistered tenant policy") << QByteArrayLiteral("GET") << Api + "/streampolicy/t3" << QStringLiteral("t3");
    QTest::addRow("towatch DELETE absent") << QByteArrayLiteral("DELETE") << Api + "/towatch/missing" << QStringLiteral("t1");
    QTest::addRow("towatch DELETE of a resume point id") << QByteArrayLiteral("DELETE") << Api + "/towatch/has-progress" << QStringLiteral("t1");
    QTest::addRow("resume point of a watchlist id") << QByteArrayLiteral("GET") << Api + "/streams/listed" << QStringLiteral("t1");
}

void ApiTest::notFound()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QString, tokenTenant);
    CALL(setPolicy(0, 0, 0));
    CHECK_STATUS(heartbeat("has-progress", "progress=3"), 204);
    CHECK_STATUS(call("PUT", Api + "/towatch/listed", tok()), 200);
    CHECK_ERROR(call(method, target, tok(tokenTenant)), 404, 1040);
}

void ApiTest::methodNotAllowed_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QStringList>("allowed");
    QTest::addRow("POST policy") << QByteArrayLiteral("POST") << Api + "/streampolicy/t1" << QStringList{"GET", "PUT"};
    QTest::addRow("DELETE policy") << QByteArrayLiteral("DELETE") << Api + "/streampolicy/t1" << QStringList{"GET", "PUT"};
    QTest::addRow("GET streaming") << QByteArrayLiteral("GET") << Api + "/streams/a/streaming" << QStringList{"PUT"};
    QTest::addRow("POST stopped") << QByteArrayLiteral("POST") << Api + "/streams/a/stopped" << QStringList{"PUT"};
    QTest::addRow("POST resume point") << QByteArrayLiteral("POST") << Api + "/streams/a" << QStringList{"GET", "DELETE"};
    QTest::addRow("PUT towatch list") << QByteArrayLiteral("PUT") << Api + "/towatch" << QStringList{"GET"};
    QTest::addRow("DELETE towatch list") << QByteArrayLiteral("DELETE") << Api + "/towatch" << QStringList{"GET"};
    QTest::addRow("GET towatch entry") << QByteArrayLiteral("GET") << Api + "/towatch/a" << QStringList{"PUT", "DELETE"};
    QTest::addRow("PATCH towatch entry") << QByteArrayLiteral("PATCH") << Api + "/towatch/a" << QStringList{"PUT", "DELETE"};
    QTest::addRow("POST healthz") << QByteArrayLiteral("POST") << QByteArrayLiteral("/healthz") << QStringList{"GET"};
    // PUT and DELETE on the reserved names answer 400/1104 (contract §3): not offered in Allow.
    QTest::addRow("POST history") << QByteArrayLiteral("POST") << Api + "/streams/history" << QStringList{"GET"};
    QTest::addRow("PATCH counts") << QByteArrayLiteral("PATCH") << Api + "/streams/counts" << QStringList{"GET"};
}

void ApiTest::methodNotAllowed()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QStringList, allowed);
    const Reply r = call(method, target, admin(), method == "GET" ? QByteArray() : policyBody(1, 1, 1));
    CHECK_ERROR(r, 405, 1091);
    QStringList got;
    for (const QByteArray &m : r.header("Allow").split(','))
        if (!m.trimmed().isEmpty())
            got.append(QString::fromLatin1(m.trimmed()));
    // HEAD and OPTIONS may be offered in addition; the listed methods must be exactly present.
    got.removeAll(QStringLiteral("HEAD"));
    got.removeAll(QStringLiteral("OPTIONS"));
    QCOMPARE(sorted(got), sorted(allowed));
}

void ApiTest::notAnObject_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addRow("array") << QByteArrayLiteral("[]");
    QTest::addRow("array of object") << QByteArrayLiteral(R"([{"maxPerUser":1,"maxPerAsset":1,"maxDevices":1}])");
    QTest::addRow("string") << QByteArrayLiteral("\"maxPerUser\"");
    QTest::addRow("number") << QByteArrayLiteral("42");
    QTest::addRow("null") << QByteArrayLiteral("null");
    QTest::addRow("true") << QByteArrayLiteral("true");
    QTest::addRow("invalid JSON") << QByteArrayLiteral("{bad");
    QTest::addRow("truncated object") << QByteArrayLiteral(R"({"maxPerUser":1,"maxPerAsset":1)");
    QTest::addRow("trailing garbage") << QByteArrayLiteral(R"({"maxPerUser":1,"maxPerAsset":1,"maxDevices":1} x)");
    QTest::addRow("empty") << QByteArray();
    QTest::addRow("whitespace") << QByteArrayLiteral("  \n");
    QTest::addRow("array with a number out of range") << QByteArrayLiteral("[1e400]");
}

void ApiTest::notAnObject()
{
    QFETCH(QByteArray, body);
    CALL(setPolicy(7, 3, 2));
    CHECK_ERROR(rawRequest(f->port(), "PUT", Api + "/streampolicy/t1", admin(), body), 400, 1103);
    QCOMPARE(call("GET", Api + "/streampolicy/t1", tok()).object(),
             (QJsonObject{{QStringLiteral("maxPerUser"), 7}, {QStringLiteral("maxPerAsset"), 3}, {QStringLiteral("maxDevices"), 2}}));
}

void ApiTest::invalidPolicyField_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addRow("empty object") << QByteArrayLiteral("{}");
    QTest::addRow("maxPerUser missing") << QByteArrayLiteral(R"({"maxPerAsset":1,"maxDevices":1})");
    QTest::addRow("maxPerUser 1e400 (beyond double)") << QByteArrayLiteral(R"({"maxPerUser":1e400,"maxPerAsset":1,"maxDevices":1})");
    QTest::addRow("maxPerAsset missing") << QByteArrayLiteral(R"({"maxPerUser":1,"maxDevices":1})");
    QTest::addRow("maxDevices missing") << QByteArrayLiteral(R"({"maxPerUser":1,"maxPerAsset":1})");
    QTest::addRow("negative") << QByteArrayLiteral(R"({"maxPerUser":-1,"maxPerAsset":0,"maxDevices":0})");
    QTest::addRow("negative devices") << QByteArrayLiteral(R"({"maxPerUser":1,"maxPerAsset":0,"maxDevices":-5})");
    QTest::addRow("over 1000000") << QByteArrayLiteral(R"({"maxPerUser":1000001,"maxPerAsset":0,"maxDevices":0})");
    QTest::addRow("devices over 1000000") << QByteArrayLiteral(R"({"maxPerUser":0,"maxPerAsset":0,"maxDevices":1000001})");
    QTest::addRow("huge") << QByteArrayLiteral(R"({"maxPerUser":1e300,"maxPerAsset":0,"maxDevices":0})");
    QTest::addRow("float 1.5") << QByteArrayLiteral(R"({"maxPerUser":1.5,"maxPerAsset":0,"maxDevices":0})");
    QTest::addRow("float asset 0.5") << QByteArrayLiteral(R"({"maxPerUser":2,"maxPerAsset":0.5,"maxDevices":0})");
    QTest::addRow("string") << QByteArrayLiteral(R"({"maxPerUser":"3","maxPerAsset":0,"maxDevices":0})");
    QTest::addRow("null") << QByteArrayLiteral(R"({"maxPerUser":null,"maxPerAsset":0,"maxDevices":0})");
    QTest::addRow("boolean") << QByteArrayLiteral(R"({"maxPerUser":true,"maxPerAsset":0,"maxDevices":0})");
    QTest::addRow("array") << QByteArrayLiteral(R"({"maxPerUser":[1],"maxPerAsset":0,"maxDevices":0})");
    QTest::addRow("object") << QByteArrayLiteral(R"({"maxPerUser":{},"maxPerAsset":0,"maxDevices":0})");
}

void ApiTest::invalidPolicyField()
{
    QFETCH(QByteArray, body);
    CALL(setPolicy(7, 3, 2));
    CHECK_ERROR(call("PUT", Api + "/streampolicy/t1", admin(), body), 400, 1104);
    QCOMPARE(call("GET", Api + "/streampolicy/t1", tok()).object(),
             (QJsonObject{{QStringLiteral("maxPerUser"), 7}, {QStringLiteral("maxPerAsset"), 3}, {QStringLiteral("maxDevices"), 2}}));
    // An unregistered tenant stays unregistered after an invalid PUT.
    CHECK_ERROR(call("PUT", Api + "/streampolicy/t5", admin(QStringLiteral("t5")), body), 400, 1104);
    CHECK_ERROR(call("GET", Api + "/streampolicy/t5", tok(QStringLiteral("t5"))), 404, 1040);
}

void ApiTest::invalidParameter_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");

    const QByteArray s = Api + "/streams/a/streaming";
    const QByteArray st = Api + "/streams/a/stopped";
    const auto add = [](const char *name, const char *method, const QByteArray &target) {
        QTest::newRow(name) << QByteArray(method) << target;
    };
    add("progress -1", "PUT", s + "?progress=-1");
    add("progress 2147483648", "PUT", s + "?progress=2147483648");
    add("progress 99999999999999999999", "PUT", s + "?progress=99999999999999999999");
    add("progress abc", "PUT", s + "?progress=abc");
    add("progress empty", "PUT", s + "?progress=");
    add("progress without value", "PUT", s + "?progress");
    add("progress 1.5", "PUT", s + "?progress=1.5");
    add("progress 1e3", "PUT", s + "?progress=1e3");
    add("progress 0x10", "PUT", s + "?progress=0x10");
    add("progress plus is a space", "PUT", s + "?progress=+5");
    add("progress trailing space", "PUT", s + "?progress=5%20");
    add("stopped progress -1", "PUT", st + "?progress=-1");
    add("stopped progress 2147483648", "PUT", st + "?progress=2147483648");
    add("stopped progress abc", "PUT", st + "?progress=abc");
    add("stopped progress empty", "PUT", st + "?progress=");
    add("repeated progress", "PUT", s + "?progress=1&progress=1");
    add("repeated device", "PUT", s + "?device=d&device=d");
    add("repeated device on stopped", "PUT", st + "?device=d&device=e");
    add("repeated include", "GET", Api + "/streams/counts?include=device&include=device");
    add("repeated full", "GET", Api + "/towatch?full=true&full=true");
    add("include foo", "GET", Api + "/streams/counts?include=foo");
    add("include empty", "GET", Api + "/streams/counts?include=");
    add("include Device", "GET", Api + "/streams/counts?include=Device");
    add("include devices", "GET", Api + "/streams/counts?include=devices");
    add("full yes", "GET", Api + "/towatch?full=yes");
    add("full TRUE", "GET", Api + "/towatch?full=TRUE");
    add("full 1", "GET", Api + "/towatch?full=1");
    add("full empty", "GET", Api + "/towatch?full=");
    add("PUT streams/history", "PUT", Api + "/streams/history");
    add("DELETE streams/history", "DELETE", Api + "/streams/history");
    add("PUT streams/counts", "PUT", Api + "/streams/counts");
    add("DELETE streams/counts", "DELETE", Api + "/streams/counts");
    add("heartbeat on history", "PUT", Api + "/streams/history/streaming");
    add("heartbeat on counts", "PUT", Api + "/streams/counts/streaming?progress=1");
    add("stopped on history", "PUT", Api + "/streams/history/stopped?progress=1");
    add("stopped on counts", "PUT", Api + "/streams/counts/stopped");
    // Not asset IDs anywhere (contract §3): the watchlist refuses them too.
    add("watchlist add history", "PUT", Api + "/towatch/history");
    add("watchlist remove counts", "DELETE", Api + "/towatch/counts");

    const QByteArray id257(257, 'x');
    QByteArray e129;
    for (int i = 0; i < 129; ++i)
        e129 += "%C3%A9"; // 258 bytes
    QByteArray e128x;
    for (int i = 0; i < 128; ++i)
        e128x += "%C3%A9";
    e128x += "x"; // 257 bytes
    add("asset 257 bytes heartbeat", "PUT", Api + "/streams/" + id257 + "/streaming");
    add("asset 257 bytes stopped", "PUT", Api + "/streams/" + id257 + "/stopped");
    add("asset 257 bytes GET", "GET", Api + "/streams/" + id257);
    add("asset 257 bytes DELETE", "DELETE", Api + "/streams/" + id257);
    add("asset 257 bytes towatch PUT", "PUT", Api + "/towatch/" + id257);
    add("asset 257 bytes towatch DELETE", "DELETE", Api + "/towatch/" + id257);
    add("asset 128 e-acute + x (257 bytes)", "PUT", Api + "/streams/" + e128x + "/streaming");
    add("asset 129 e-acute (258 bytes)", "PUT", Api + "/towatch/" + e129);
    add("asset %01", "PUT", Api + "/streams/a%01b/streaming");
    add("asset %00", "PUT", Api + "/streams/a%00b/streaming");
    add("asset %1F", "GET", Api + "/streams/a%1Fb");
    add("asset %7F", "PUT", Api + "/towatch/a%7Fb");
    add("asset newline", "PUT", Api + "/towatch/a%0Ab");
    add("asset %FF", "PUT", Api + "/streams/%FF/streaming");
    add("asset lone %C3", "PUT", Api + "/towatch/a%C3");
    add("asset overlong %C0%AF", "GET", Api + "/streams/%C0%AF");
    add("asset surrogate %ED%A0%80", "PUT", Api + "/streams/%ED%A0%80/stopped");
    add("device %01", "PUT", s + "?device=a%01b");
    add("device %FF", "PUT", s + "?device=%FF");
    add("device empty", "PUT", s + "?device=");
    add("device 257 bytes", "PUT", s + "?device=" + id257);
    add("stopped device %7F", "PUT", st + "?device=%7F");
}

void ApiTest::invalidParameter()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    CHECK_ERROR(rawRequest(f->port(), method, target, tok()), 400, 1104);
    // Nothing recorded for the user.
    QCOMPARE(counts(), QJsonObject());
    QCOMPARE(history(), QJsonArray());
    QCOMPARE(watchlistIds(), QStringList());
}

void ApiTest::policyInconsistent_data()
{
    QTest::addColumn<int>("perUser");
    QTest::addColumn<int>("perAsset");
    QTest::addColumn<int>("devices");
    QTest::addColumn<int>("status");
    QTest::addRow("perAsset 3 > perUser 2") << 2 << 3 << 0 << 400;
    QTest::addRow("perAsset 2 > perUser 1") << 1 << 2 << 5 << 400;
    QTest::addRow("perAsset 1000000 > perUser 1") << 1 << 1000000 << 0 << 400;
    QTest::addRow("perAsset = perUser") << 2 << 2 << 0 << 200;
    QTest::addRow("perAsset < perUser") << 3 << 2 << 0 << 200;
    QTest::addRow("perUser 0 allows any perAsset") << 0 << 3 << 0 << 200;
    QTest::addRow("perUser 0, perAsset 1000000") << 0 << 1000000 << 1 << 200;
}

void ApiTest::policyInconsistent()
{
    QFETCH(int, perUser);
    QFETCH(int, perAsset);
    QFETCH(int, devices);
    QFETCH(int, status);
    CALL(setPolicy(9, 9, 9));
    const Reply r = call("PUT", Api + "/streampolicy/t1", admin(), policyBody(perUser, perAsset, devices));
    const QJsonObject requested{{QStringLiteral("maxPerUser"), perUser}, {QStringLiteral("maxPerAsset"), perAsset}, {QStringLiteral("maxDevices"), devices}};
    const QJsonObject previous{{QStringLiteral("maxPerUser"), 9}, {QStringLiteral("maxPerAsset"), 9}, {QStringLiteral("maxDevices"), 9}};
    if (status == 400) {
        CHECK_ERROR(r, 400, 1105);
        QCOMPARE(call("GET", Api + "/streampolicy/t1", tok()).object(), previous);
    } else {
        CHECK_STATUS(r, 200);
        QCOMPARE(r.object(), requested);
        QCOMPARE(call("GET", Api + "/streampolicy/t1", tok()).object(), requested);
    }
}

namespace {
/// A valid policy body padded to exactly `size` bytes.
QByteArray paddedPolicy(qsizetype size)
{
    const QByteArray prefix = R"({"maxPerUser":4,"maxPerAsset":2,"maxDevices":1,"pad":")";
    const QByteArray suffix = R"("})";
    return prefix + QByteArray(size - prefix.size() - suffix.size(), 'x') + suffix;
}
} // namespace

void ApiTest::bodyTooLarge_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<qsizetype>("size");
    QTest::addRow("policy, 1 MiB + 1") << Api + "/streampolicy/t1" << qsizetype(1048577);
    QTest::addRow("policy, 2 MiB") << Api + "/streampolicy/t1" << qsizetype(2 * 1048576);
    QTest::addRow("towatch, 1 MiB + 1") << Api + "/towatch/a" << qsizetype(1048577);
    QTest::addRow("streaming, 1 MiB + 1") << Api + "/streams/a/streaming?progress=5" << qsizetype(1048577);
}

void ApiTest::bodyTooLarge()
{
    QFETCH(QByteArray, target);
    QFETCH(qsizetype, size);
    CALL(setPolicy(7, 3, 2));
    const QByteArray body = paddedPolicy(size);
    QCOMPARE(body.size(), size);
    CHECK_ERROR(call("PUT", target, admin(), body), 413, 1090);
    QCOMPARE(call("GET", Api + "/streampolicy/t1", tok()).object(),
             (QJsonObject{{QStringLiteral("maxPerUser"), 7}, {QStringLiteral("maxPerAsset"), 3}, {QStringLiteral("maxDevices"), 2}}));
    QCOMPARE(watchlistIds(admin()), QStringList());
    QCOMPARE(counts(false, admin()), QJsonObject());
}

void ApiTest::bodyOfExactlyOneMiBAccepted()
{
    const QByteArray body = paddedPolicy(1048576);
    QCOMPARE(body.size(), 1048576);
    const Reply r = call("PUT", Api + "/streampolicy/t1", admin(), body);
    CHECK_STATUS(r, 200);
    QCOMPARE(r.object(), (QJsonObject{{QStringLiteral("maxPerUser"), 4}, {QStringLiteral("maxPerAsset"), 2}, {QStringLiteral("maxDevices"), 1}}));
}

void ApiTest::bodyTooLargeAnsweredWhileClientStillSends()
{
    // Contract §2: the 413 "must reach a client that is still sending its body". Announce 8 MiB,
    // send at most 4 MiB, and expect the 413 without ever completing the body.
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, f->port());
    QVERIFY(socket.waitForConnected(5000));
    const qint64 announced = 8LL * 1048576;
    socket.write("PUT /oxm/v1/streampolicy/t1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + admin()
                 + "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(announced) + "\r\n\r\n");
    const QByteArray chunk(64 * 1024, 'x');
    qint64 sent = 0;
    QByteArray response;
    QElapsedTimer timer;
    timer.start();
    const qint64 sendAtMost = 4LL * 1048576;
    qint64 doneSendingAt = -1;
    while (!response.contains("\r\n\r\n")) {
        if (sent < sendAtMost && socket.bytesToWrite() < 256 * 1024) {
            socket.write(chunk);
            sent += chunk.size();
        }
        if (sent >= sendAtMost && socket.bytesToWrite() == 0 && doneSendingAt < 0)
            doneSendingAt = timer.elapsed();
        // Give up 3 s after the last byte went out (or 6 s in all if the server stops reading).
        if ((doneSendingAt >= 0 && timer.elapsed() - doneSendingAt > 3000) || timer.elapsed() > 6000)
            break;
        socket.waitForBytesWritten(10);
        if (socket.waitForReadyRead(sent < sendAtMost ? 5 : 100))
            response += socket.readAll();
        if (socket.state() != QAbstractSocket::ConnectedState) {
            response += socket.readAll();
            break;
        }
    }
    response += socket.readAll();
    QVERIFY2(response.startsWith("HTTP/1.1 413"),
             qPrintable(QStringLiteral("after sending %1 of %2 body bytes, got: %3")
                            .arg(sent).arg(announced).arg(QString::fromLatin1(response.left(300)))));
    QVERIFY(sent < announced);
}

void ApiTest::malformedFraming_data()
{
    // Contract §2: 1100 — malformed framing (400), URI too long (414), header block too large
    // (431), unsupported HTTP version (505); a JSON body where a response is possible, then the
    // connection is closed. The contract sets no size limits: 2 MiB is far beyond any sensible one.
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    QTest::addRow("garbage request line") << QByteArrayLiteral("GARBAGE\r\n\r\n") << 400;
    QTest::addRow("Content-Length not a number")
        << QByteArrayLiteral("PUT /oxm/v1/towatch/a HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n") << 400;
    QTest::addRow("HTTP/2.0 request line") << QByteArrayLiteral("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n") << 505;
    QTest::addRow("HTTP/3.0 request line") << QByteArrayLiteral("GET /healthz HTTP/3.0\r\nHost: x\r\n\r\n") << 505;
    QTest::addRow("URI of 2 MiB") << "GET /oxm/v1/towatch?full=" + QByteArray(2 * 1048576, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n" << 414;
    QTest::addRow("header block of 2 MiB") << "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + QByteArray(2 * 1048576, 'a') + "\r\n\r\n" << 431;
}

void ApiTest::malformedFraming()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    bool closed = false;
    const Reply r = probeRaw(f->port(), bytes, &closed);
    CHECK_ERROR(r, status, 1100);
    QVERIFY2(closed, "the server kept the connection open after a framing error");
    // The server is still serving.
    CHECK_STATUS(call("GET", "/healthz"), 200);
}

// ---------------------------------------------------------------------------------------------
// Refusals 1050/1051/1052

void ApiTest::refusal_data()
{
    QTest::addColumn<int>("perUser");
    QTest::addColumn<int>("perAsset");
    QTest::addColumn<int>("devices");
    QTest::addColumn<Beats>("setup");
    QTest::addColumn<double>("advance");
    QTest::addColumn<QString>("asset");
    QTest::addColumn<QString>("device");
    QTest::addColumn<int>("code");
    QTest::addColumn<int>("limit");
    QTest::addColumn<int>("active");
    QTest::addColumn<int>("retryAfter");
    QTest::addColumn<ExpectedStreams>("streams");

    const QString A = QStringLiteral("A"), B = QStringLiteral("B"), C = QStringLiteral("C"), D = QStringLiteral("D");
    const QString d1 = QStringLiteral("d1"), d2 = QStringLiteral("d2"), d3 = QStringLiteral("d3"), d4 = QStringLiteral("d4");
    const QString ip = QStringLiteral("127.0.0.1");

    // Two streams that heartbeated 60 s ago, timeout 180 → 120 s until the first expires.
    QTest::addRow("maxPerUser, beats 60 s ago")
        << 2 << 0 << 0 << Beats{{0, A, d1}, {0, B, d2}} << 60.0 << C << d3
        << 1050 << 2 << 2 << 120 << ExpectedStreams{{A, d1, 0, 180}, {B, d2, 0, 180}};
    // Earliest expiry T0+180, now T0+60.5 → 119.5 s → rounded up to 120.
    QTest::addRow("maxPerUser, rounds up")
        << 2 << 0 << 0 << Beats{{0, A, d1}, {30, B, d2}} << 30.5 << C << d3
        << 1050 << 2 << 2 << 120 << ExpectedStreams{{A, d1, 0, 180}, {B, d2, 30, 210}};
    // A refreshed at T0+50 → expires T0+230; B expires T0+190; now T0+60 → 130.
    QTest::addRow("maxPerUser, earliest by last heartbeat")
        << 2 << 0 << 0 << Beats{{0, A, d1}, {10, B, d2}, {40, A, d1}} << 10.0 << C << d3
        << 1050 << 2 << 2 << 130 << ExpectedStreams{{A, d1, 50, 230}, {B, d2, 10, 190}};
    // 0.2 s left → at least 1.
    QTest::addRow("maxPerUser, at least 1")
        << 1 << 0 << 0 << Beats{{0, A, d1}} << 179.8 << B << d2
        << 1050 << 1 << 1 << 1 << ExpectedStreams{{A, d1, 0, 180}};
    QTest::addRow("maxPerUser, IP device")
        << 1 << 0 << 0 << Beats{{0, A, QString()}} << 0.0 << B << QString()
        << 1050 << 1 << 1 << 180 << ExpectedStreams{{A, ip, 0, 180}};
    // maxPerAsset counts the asset's streams but lists all the caller's streams.
    QTest::addRow("maxPerAsset 1")
        << 0 << 1 << 0 << Beats{{0, A, d1}, {5, B, d2}} << 95.0 << A << d3
        << 1051 << 1 << 1 << 80 << ExpectedStreams{{A, d1, 0, 180}, {B, d2, 5, 185}};
    QTest::addRow("maxPerAsset 2 of maxPerUser 4")
        << 4 << 2 << 0 << Beats{{0, A, d1}, {0, A, d2}, {0, B, d3}} << 1.0 << A << d4
        << 1051 << 2 << 2 << 179 << ExpectedStreams{{A, d1, 0, 180}, {A, d2, 0, 180}, {B, d3, 0, 180}};
    // Earliest expiry T0+180, now T0+60.25 → 119.75 → 120.
    QTest::addRow("maxDevices 2")
        << 0 << 0 << 2 << Beats{{0, A, d1}, {10, B, d2}} << 50.25 << C << d3
        << 1052 << 2 << 2 << 120 << ExpectedStreams{{A, d1, 0, 180}, {B, d2, 10, 190}};
    // Two streams on one (IP) device count as one device. Now T0+20 → A expires in 160 s.
    QTest::addRow("maxDevices counts distinct devices")
        << 0 << 0 << 2 << Beats{{0, A, QString()}, {0, B, QString()}, {20, C, d2}} << 0.0 << D << d3
        << 1052 << 2 << 2 << 160 << ExpectedStreams{{A, ip, 0, 180}, {B, ip, 0, 180}, {C, d2, 20, 200}};
}

void ApiTest::refusal()
{
    QFETCH(int, perUser);
    QFETCH(int, perAsset);
    QFETCH(int, devices);
    QFETCH(Beats, setup);
    QFETCH(double, advance);
    QFETCH(QString, asset);
    QFETCH(QString, device);
    QFETCH(int, code);
    QFETCH(int, limit);
    QFETCH(int, active);
    QFETCH(int, retryAfter);
    QFETCH(ExpectedStreams, streams);

    CALL(setPolicy(perUser, perAsset, devices));
    setClockNs(T0 * NsPerSec);
    for (const Beat &b : setup) {
        f->clock().advanceSeconds(b.advanceSeconds);
        const QByteArray query = b.device.isEmpty() ? QByteArray() : "device=" + b.device.toUtf8();
        CHECK_STATUS(heartbeat(b.asset.toUtf8(), query), 204);
    }
    const QJsonObject countsBefore = counts(true);
    f->clock().advanceSeconds(advance);
    const QByteArray query = (device.isEmpty() ? QByteArray() : "device=" + device.toUtf8() + "&") + "progress=5";
    const Reply r = heartbeat(asset.toUtf8(), query);
    CHECK_REFUSAL(r, code);
    const QJsonObject o = r.object();
    QCOMPARE(o.value(QStringLiteral("limit")).toInt(), limit);
    QCOMPARE(o.value(QStringLiteral("active")).toInt(), active);
    QCOMPARE(r.header("Retry-After"), QByteArray::number(retryAfter));

    QStringList got, want;
    for (const QJsonValue &v : o.value(QStringLiteral("streams")).toArray()) {
        const QJsonObject s = v.toObject();
        QCOMPARE(keysOf(s), (QStringList{QStringLiteral("assetId"), QStringLiteral("device"), QStringLiteral("expiresAt"), QStringLiteral("lastHeartbeat")}));
        const qint64 last = parseRfc3339Utc(s.value(QStringLiteral("lastHeartbeat")).toString());
        const qint64 expires = parseRfc3339Utc(s.value(QStringLiteral("expiresAt")).toString());
        QVERIFY2(last >= 0 && expires >= 0, qPrintable(QString::fromUtf8(QJsonDocument(s).toJson(QJsonDocument::Compact))));
        got.append(QStringLiteral("%1|%2|%3|%4").arg(s.value(QStringLiteral("assetId")).toString(),
                                                     s.value(QStringLiteral("device")).toString())
                       .arg(last).arg(expires));
    }
    for (const ExpectedStream &e : streams)
        want.append(QStringLiteral("%1|%2|%3|%4").arg(e.asset, e.device)
                        .arg((T0 + e.lastHeartbeatOffsetS) * NsPerSec).arg((T0 + e.expiresOffsetS) * NsPerSec));
    QCOMPARE(sorted(got), sorted(want));

    // A refusal changes nothing and records no progress.
    QCOMPARE(counts(true), countsBefore);
    CHECK_ERROR(call("GET", Api + "/streams/" + asset.toUtf8(), tok()), 404, 1040);
}

void ApiTest::endedByAdmin()
{
    setClockNs(T0 * NsPerSec);
    CHECK_STATUS(heartbeat("A", "device=tv"), 204);
    CHECK_STATUS(heartbeat("B", "device=phone"), 204);
    QVERIFY(f->service().streams().endByAdmin(StreamKey{QStringLiteral("t1"), QStringLiteral("u1"), QStringLiteral("A"), QStringLiteral("tv")}));
    QCOMPARE(counts(), (QJsonObject{{QStringLiteral("B"), 1}}));

    f->clock().advanceSeconds(10);
    Reply r = heartbeat("A", "device=tv&progress=12");
    {
        const QString mismatch = errorMismatch(r, 409, 1053, false, true);
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    }
    CHECK_ERROR(call("GET", Api + "/streams/A", tok()), 404, 1040); // refused: no progress
    QCOMPARE(counts(), (QJsonObject{{QStringLiteral("B"), 1}}));
    // Other streams of the user are unaffected (B refreshes, a new asset on tv is fine).
    CHECK_STATUS(heartbeat("B", "device=phone"), 204);

    // Still refused just before streamTimeout (180 s) has passed since the end…
    setClockNs((T0 + 179) * NsPerSec);
    CHECK_STATUS(heartbeat("B", "device=phone"), 204);
    r = heartbeat("A", "device=tv");
    QCOMPARE(r.status, 409);
    QCOMPARE(r.errorCode(), 1053);
    // …and admitted again afterwards.
    setClockNs((T0 + 181) * NsPerSec);
    CHECK_STATUS(heartbeat("A", "device=tv&progress=13"), 204);
    QCOMPARE(counts(), (QJsonObject{{QStringLiteral("A"), 1}, {QStringLiteral("B"), 1}}));
    QCOMPARE(call("GET", Api + "/streams/A", tok()).object().value(QStringLiteral("progress")).toInteger(), 13);
}

// =============================================================================================
// Policy behaviour

void ApiTest::policyChangeAppliesToNextAdmissionOnly()
{
    CALL(setPolicy(3, 0, 0));
    for (const char *a : {"a1", "a2", "a3"})
        CHECK_STATUS(heartbeat(a, "device=" + QByteArray(a)), 204);
    CALL(setPolicy(1, 0, 0));
    // Existing streams are not cut off…
    QCOMPARE(counts(), (QJsonObject{{QStringLiteral("a1"), 1}, {QStringLiteral("a2"), 1}, {QStringLiteral("a3"), 1}}));
    f->clock().advanceSeconds(100);
    for (const char *a : {"a1", "a2", "a3"})
        CHECK_STATUS(heartbeat(a, "device=" + QByteArray(a)), 204);
    // …the next admission uses the new limit.
    const Reply r = heartbeat("a4", "device=a4");
    CHECK_REFUSAL(r, 1050);
    QCOMPARE(r.object().value(QStringLiteral("limit")).toInt(), 1);
    QCOMPARE(r.object().value(QStringLiteral("active")).toInt(), 3);
    QCOMPARE(r.object().value(QStringLiteral("streams")).toArray().size(), 3);
}

void ApiTest::policyRaiseAdmits()
{
    CALL(setPolicy(1, 0, 0));
    CHECK_STATUS(heartbeat("a", "device=d1"), 204);
    CHECK_REFUSAL(heartbeat("b", "device=d2"), 1050);
    CALL(setPolicy(2, 0, 0));
    CHECK_STATUS(heartbeat("b", "device=d2"), 204);
    CALL(setPolicy(0, 0, 0)); // 0: not enforced
    for (int i = 0; i < 10; ++i)
        CHECK_STATUS(heartbeat("x" + QByteArray::number(i), "device=dx" + QByteArray::number(i)), 204);
    QCOMPARE(counts().size(), 12);
}

// =============================================================================================
// Isolation

void ApiTest::isolation_data()
{
    QTest::addColumn<QString>("otherTenant");
    QTest::addColumn<QString>("otherUser");
    QTest::addRow("other user, same tenant") << QStringLiteral("t1") << QStringLiteral("u2");
    QTest::addRow("same user id, other tenant") << QStringLiteral("t2") << QStringLiteral("u1");
    QTest::addRow("user id differing in case") << QStringLiteral("t1") << QStringLiteral("U1");
}

void ApiTest::isolation()
{
    QFETCH(QString, otherTenant);
    QFETCH(QString, otherUser);
    CALL(setPolicy(1, 1, 1));
    CALL(setPolicy(1, 1, 1, QStringLiteral("t2")));
    const QByteArray a = tok(QStringLiteral("t1"), QStringLiteral("u1"));
    const QByteArray b = tok(otherTenant, otherUser);

    setClockNs(T0 * NsPerSec);
    CHECK_STATUS(heartbeat("m", "device=tv&progress=100", a), 204);
    CHECK_STATUS(call("PUT", Api + "/towatch/w1", a), 200);

    // B sees nothing of A's.
    CHECK_ERROR(call("GET", Api + "/streams/m", b), 404, 1040);
    CHECK_ERROR(call("DELETE", Api + "/streams/m", b), 404, 1040);
    QCOMPARE(history(b), QJsonArray());
    QCOMPARE(counts(false, b), QJsonObject());
    QCOMPARE(counts(true, b), QJsonObject());
    QCOMPARE(watchlistIds(b), QStringList());
    {
        const QJsonObject full = call("GET", Api + "/towatch?full=true", b).object();
        QCOMPARE(full.value(QStringLiteral("assetIDsNotFound")), QJsonValue(QJsonArray()));
    }
    CHECK_ERROR(call("DELETE", Api + "/towatch/w1", b), 404, 1040);
    // B's stopped of the same (asset, device) is B's own: A's stream keeps running.
    CHECK_STATUS(stopped("m", "device=tv", b), 204);
    // B's limits are B's own: A's active stream does not count against B (maxPerUser 1).
    f->clock().advanceSeconds(1);
    CHECK_STATUS(heartbeat("m", "device=tv&progress=5", b), 204);
    CHECK_STATUS(call("PUT", Api + "/towatch/w2", b), 200);
    CHECK_STATUS(call("PUT", Api + "/towatch/w1", b), 200);

    // A's state is unchanged.
    QCOMPARE(counts(true, a), (QJsonObject{{QStringLiteral("m"), QJsonObject{{QStringLiteral("tv"), 1}}}}));
    QJsonObject ra = call("GET", Api + "/streams/m", a).object();
    QCOMPARE(ra.value(QStringLiteral("progress")).toInteger(), 100);
    QCOMPARE(ra.value(QStringLiteral("timestamp")).toInteger(), T0 * 1000);
    QCOMPARE(ra.value(QStringLiteral("tenantId")).toString(), QStringLiteral("t1"));
    QCOMPARE(ra.value(QStringLiteral("userId")).toString(), QStringLiteral("u1"));
    const QJsonArray ha = history(a);
    QCOMPARE(ha.size(), 1);
    QCOMPARE(ha.at(0).toObject().value(QStringLiteral("progress")).toInteger(), 100);
    QCOMPARE(watchlistIds(a), QStringList{QStringLiteral("w1")});

    // B has its own.
    QCOMPARE(counts(true, b), (QJsonObject{{QStringLiteral("m"), QJsonObject{{QStringLiteral("tv"), 1}}}}));
    const QJsonObject rb = call("GET", Api + "/streams/m", b).object();
    QCOMPARE(rb.value(QStringLiteral("progress")).toInteger(), 5);
    QCOMPARE(rb.value(QStringLiteral("tenantId")).toString(), otherTenant);
    QCOMPARE(rb.value(QStringLiteral("userId")).toString(), otherUser);
    QCOMPARE(watchlistIds(b), (QStringList{QStringLiteral("w1"), QStringLiteral("w2")}));

    // A's deletions do not touch B's.
    CHECK_STATUS(call("DELETE", Api + "/streams/m", a), 204);
    CHECK_STATUS(call("DELETE", Api + "/towatch/w1", a), 200);
    CHECK_STATUS(stopped("m", "device=tv", a), 204);
    QCOMPARE(call("GET", Api + "/streams/m", b).object().value(QStringLiteral("progress")).toInteger(), 5);
    QCOMPARE(watchlistIds(b), (QStringList{QStringLiteral("w1"), QStringLiteral("w2")}));
    QCOMPARE(counts(false, b), (QJsonObject{{QStringLiteral("m"), 1}}));
    QCOMPARE(counts(false, a), QJsonObject());
    QCOMPARE(history(a), QJsonArray());
}

// =============================================================================================
// Identifiers

void ApiTest::percentEncodedAssetIds_data()
{
    QTest::addColumn<QByteArray>("encoded");
    QTest::addColumn<QString>("id");
    QTest::addRow("%2F is part of the ID") << QByteArrayLiteral("a%2Fb") << QStringLiteral("a/b");
    QTest::addRow("lowercase %2f") << QByteArrayLiteral("x%2fy") << QStringLiteral("x/y");
    QTest::addRow("plus is literal in a path") << QByteArrayLiteral("a+b") << QStringLiteral("a+b");
    QTest::addRow("%2B") << QByteArrayLiteral("a%2Bb") << QStringLiteral("a+b");
    QTest::addRow("%20 is a space") << QByteArrayLiteral("a%20b") << QStringLiteral("a b");
    QTest::addRow("%25") << QByteArrayLiteral("100%25") << QStringLiteral("100%");
    QTest::addRow("%3F and %23") << QByteArrayLiteral("q%3Fh%23") << QStringLiteral("q?h#");
    QTest::addRow("utf-8 e-acute") << QByteArrayLiteral("caf%C3%A9") << QStringLiteral("caf\u00e9");
    QTest::addRow("utf-8 Japanese") << QByteArrayLiteral("%E6%97%A5%E6%9C%AC") << QStringLiteral("\u65e5\u672c");
    QTest::addRow("utf-8 4-byte emoji") << QByteArrayLiteral("%F0%9F%8E%AC") << QString::fromUtf8("\xF0\x9F\x8E\xAC");
    QTest::addRow("256 ASCII bytes") << QByteArray(256, 'z') << QString(256, QLatin1Char('z'));
    QByteArray e128;
    for (int i = 0; i < 128; ++i)
        e128 += "%C3%A9";
    QTest::addRow("128 e-acute = 256 bytes") << e128 << QString(128, QChar(0x00e9));
    QByteArray j85;
    for (int i = 0; i < 85; ++i)
        j85 += "%E6%97%A5";
    QTest::addRow("85 kanji + 1 = 256 bytes") << j85 + "x" << QString(85, QChar(0x65e5)) + QLatin1Char('x');
    QTest::addRow("reserved word inside") << QByteArrayLiteral("history2") << QStringLiteral("history2");
    QTest::addRow("History (case)") << QByteArrayLiteral("History") << QStringLiteral("History");
}

void ApiTest::percentEncodedAssetIds()
{
    QFETCH(QByteArray, encoded);
    QFETCH(QString, id);
    setClockNs(T0 * NsPerSec);
    CHECK_STATUS(heartbeat(encoded, "device=dev&progress=7"), 204);
    QCOMPARE(counts(), (QJsonObject{{id, 1}}));

    Reply r = call("GET", Api + "/streams/" + encoded, tok());
    CHECK_STATUS(r, 200);
    QCOMPARE(r.object().value(QStringLiteral("assetId")).toString(), id);
    QCOMPARE(r.object().value(QStringLiteral("progress")).toInteger(), 7);
    const QJsonArray h = history();
    QCOMPARE(h.size(), 1);
    QCOMPARE(h.at(0).toObject().value(QStringLiteral("assetId")).toString(), id);

    CHECK_STATUS(call("PUT", Api + "/towatch/" + encoded, tok()), 200);
    QCOMPARE(watchlistIds(), QStringList{id});
    CHECK_STATUS(call("DELETE", Api + "/towatch/" + encoded, tok()), 200);
    QCOMPARE(watchlistIds(), QStringList());

    CHECK_STATUS(stopped(encoded, "device=dev"), 204);
    QCOMPARE(counts(), QJsonObject());
    CHECK_STATUS(call("DELETE", Api + "/streams/" + encoded, tok()), 204);
    CHECK_ERROR(call("GET", Api + "/streams/" + encoded, tok()), 404, 1040);

    // The service stores the decoded ID byte-exact.
    QCOMPARE(f->service().resumePoints().history(QStringLiteral("t1"), QStringLiteral("u1")).size(), 0);
    CHECK_STATUS(heartbeat(encoded, "device=dev&progress=8"), 204);
    QCOMPARE(f->service().resumePoints().get(QStringLiteral("t1"), QStringLiteral("u1"), id).progress, 8);
}

void ApiTest::idsAreCaseSensitive()
{
    CHECK_STATUS(heartbeat("Movie", "device=tv&progress=1"), 204);
    CHECK_STATUS(heartbeat("movie", "device=TV&progress=2"), 204);
    QCOMPARE(counts(true), (QJsonObject{{QStringLiteral("Movie"), QJsonObject{{QStringLiteral("tv"), 1}}},
                                        {QStringLiteral("movie"), QJsonObject{{QStringLiteral("TV"), 1}}}}));
    QCOMPARE(call("GET", Api + "/streams/Movie", tok()).object().value(QStringLiteral("progress")).toInteger(), 1);
    QCOMPARE(call("GET", Api + "/streams/movie", tok()).object().value(QStringLiteral("progress")).toInteger(), 2);
    CHECK_ERROR(call("GET", Api + "/streams/MOVIE", tok()), 404, 1040);
    CHECK_STATUS(call("PUT", Api + "/towatch/W", tok()), 200);
    CHECK_STATUS(call("PUT", Api + "/towatch/w", tok()), 200);
    QCOMPARE(watchlistIds(), (QStringList{QStringLiteral("w"), QStringLiteral("W")}));
}

void ApiTest::queryDeviceDecoding_data()
{
    QTest::addColumn<QByteArray>("encoded");
    QTest::addColumn<QString>("device");
    QTest::addRow("plus is a space") << QByteArrayLiteral("living+room") << QStringLiteral("living room");
    QTest::addRow("%2B is a plus") << QByteArrayLiteral("a%2Bb") << QStringLiteral("a+b");
    QTest::addRow("%20 is a space") << QByteArrayLiteral("a%20b") << QStringLiteral("a b");
    QTest::addRow("%2F") << QByteArrayLiteral("a%2Fb") << QStringLiteral("a/b");
    QTest::addRow("%26 and %3D") << QByteArrayLiteral("a%26b%3Dc") << QStringLiteral("a&b=c");
    QTest::addRow("utf-8") << QByteArrayLiteral("t%C3%A9l%C3%A9") << QStringLiteral("t\u00e9l\u00e9");
    QTest::addRow("Japanese") << QByteArrayLiteral("%E6%97%A5%E6%9C%AC") << QStringLiteral("\u65e5\u672c");
    QTest::addRow("256 bytes") << QByteArray(256, 'd') << QString(256, QLatin1Char('d'));
}

void ApiTest::queryDeviceDecoding()
{
    QFETCH(QByteArray, encoded);
    QFETCH(QString, device);
    CHECK_STATUS(heartbeat("A", "device=" + encoded), 204);
    QCOMPARE(counts(true), (QJsonObject{{QStringLiteral("A"), QJsonObject{{device, 1}}}}));
    // The same device, as a token claim, is not a mismatch.
    const QByteArray claimed = tok(QStringLiteral("t1"), QStringLiteral("u1"), device);
    CHECK_STATUS(heartbeat("A", "device=" + encoded, claimed), 204);
    QCOMPARE(counts(true), (QJsonObject{{QStringLiteral("A"), QJsonObject{{device, 1}}}}));
    CHECK_STATUS(stopped("A", "device=" + encoded), 204);
    QCOMPARE(counts(), QJsonObject());
}

// =============================================================================================
// Device resolution and replacement

void ApiTest::deviceResolution_data()
{
    QTest::addColumn<QString>("parameter"); // empty: none
    QTest::addColumn<QString>("claim");     // empty: none
    QTest::addColumn<QString>("device");
    QTest::addRow("neither: client IP") << QString() << QString() << QStringLiteral("127.0.0.1");
    QTest::addRow("claim only") << QString() << QStringLiteral("tv-claim") << QStringLiteral("tv-claim");
    QTest::addRow("parameter only") << QStringLiteral("phone") << QString() << QStringLiteral("phone");
    QTest::addRow("both, equal") << QStringLiteral("tv") << QStringLiteral("tv") << QStringLiteral("tv");
}

void ApiTest::deviceResolution()
{
    QFETCH(QString, parameter);
    QFETCH(QString, claim);
    QFETCH(QString, device);
    const QByteArray token = tok(QStringLiteral("t1"), QStringLiteral("u1"), claim);
    const QByteArray query = parameter.isEmpty() ? QByteArray() : "device=" + parameter.toUtf8();
    CHECK_STATUS(heartbeat("A", query, token), 204);
    QCOMPARE(counts(true, token), (QJsonObject{{QStringLiteral("A"), QJsonObject{{device, 1}}}}));
    // X-Forwarded-For from an untrusted peer is ignored.
    if (parameter.isEmpty() && claim.isEmpty()) {
        const Reply r = call("PUT", Api + "/streams/B/streaming", token, {}, {{"X-Forwarded-For", "203.0.113.9"}});
        CHECK_STATUS(r, 204);
        QCOMPARE(counts(true, token), (QJsonObject{{QStringLiteral("A"), QJsonObject{{device, 1}}},
                                                   {QStringLiteral("B"), QJsonObject{{device, 1}}}}));
        CHECK_STATUS(stopped("B", {}, token), 204);
    }
    // stopped resolves the same device.
    CHECK_STATUS(stopped("A", query, token), 204);
    QCOMPARE(counts(false, token), QJsonObject());
}

void ApiTest::nextEpisodeReplacement_data()
{
    QTest::addColumn<QString>("parameter");
    QTest::addColumn<QString>("claim");
    QTest::addColumn<int>("perUser");
    QTest::addRow("device parameter, maxPerUser 1") << QStringLiteral("tv") << QString() << 1;
    QTest::addRow("device claim, maxPerUser 1") << QString() << QStringLiteral("tv") << 1;
    QTest::addRow("parameter equals claim, maxPerUser 1") << QStringLiteral("tv") << QStringLiteral("tv") << 1;
    QTest::addRow("device parameter, no limit") << QStringLiteral("tv") << QString() << 0;
}

void ApiTest::nextEpisodeReplacement()
{
    QFETCH(QString, parameter);
    QFETCH(QString, claim);
    QFETCH(int, perUser);
    CALL(setPolicy(perUser, perUser ? 1 : 0, perUser ? 1 : 0));
    const QByteArray token = tok(QStringLiteral("t1"), QStringLiteral("u1"), claim);
    const QByteArray dq = parameter.isEmpty() ? QByteArray() : "device=" + parameter.toUtf8() + "&";
    CHECK_STATUS(heartbeat("episode-1", dq + "progress=1500", token), 204);
    f->clock().advanceSeconds(30);
    CHECK_STATUS(heartbeat("episode-2", dq + "progress=3", token), 204);
    QCOMPARE(counts(true, token), (QJsonObject{{QStringLiteral("episode-2"), QJsonObject{{QStringLiteral("tv"), 1}}}}));
    // Both resume points are kept (one per asset).
    QCOMPARE(call("GET", Api + "/streams/episode-1", token).object().value(QStringLiteral("progress")).toInteger(), 1500);
    QCOMPARE(call("GET", Api + "/streams/episode-2", token).object().value(QStringLiteral("progress")).toInteger(), 3);
    // And back again.
    CHECK_STATUS(heartbeat("episode-1", dq.chopped(dq.isEmpty() ? 0 : 1), token), 204);
    QCOMPARE(counts(false, token), (QJsonObject{{QStringLiteral("episode-1"), 1}}));
}

void ApiTest::replacementOnlyAffectsThatDevice()
{
    CALL(setPolicy(2, 0, 0));
    CHECK_STATUS(heartbeat("A", "device=tv"), 204);
    CHECK_STATUS(heartbeat("A", "device=phone"), 204);
    CHECK_STATUS(heartbeat("B", "device=tv"), 204); // replaces (A, tv) only
    QCOMPARE(counts(true), (QJsonObject{{QStringLiteral("A"), QJsonObject{{QStringLiteral("phone"), 1}}},
                                        {QStringLiteral("B"), QJsonObject{{QStringLiteral("tv"), 1}}}}));
    // An IP-identified stream is not replaced by an explicit device's next episode either.
    CALL(setPolicy(0, 0, 0));
    CHECK_STATUS(heartbeat("C", {}), 204);
    CHECK_STATUS(heartbeat("D", "device=tv"), 204);
    QCOMPARE(counts(true), (QJsonObject{{QStringLiteral("A"), QJsonObject{{QStringLiteral("phone"), 1}}},
                                        {QStringLiteral("C"), QJsonObject{{QStringLiteral("127.0.0.1"), 1}}},
                                        {QStringLiteral("D"), QJsonObject{{QStringLiteral("tv"), 1}}}}));
}

void ApiTest::ipDeviceDoesNotReplace()
{
    CHECK_STATUS(heartbeat("A", {}), 204);
    CHECK_STATUS(heartbeat("B", {}), 204);
    QCOMPARE(counts(true), (QJsonObject{{QStringLiteral("A"), QJsonObject{{QStringLiteral("127.0.0.1"), 1}}},
                                        {QStringLiteral("B"), QJsonObject{{QStringLiteral("127.0.0.1"), 1}}}}));
    // With maxPerUser 2 a third IP stream is refused: nothing was replaced.
    CALL(setPolicy(2, 0, 0));
    const Reply r = heartbeat("C", {});
    CHECK_REFUSAL(r, 1050);
    QCOMPARE(r.object().value(QStringLiteral("active")).toInt(), 2);
}

void ApiTest::maxDevicesCountsDistinctDevices()
{
    CALL(setPolicy(0, 0, 1));
    CHECK_STATUS(heartbeat("A", {}), 204);
    CHECK_STATUS(heartbeat("B", {}), 204); // same (IP) device: not a new device
    const Reply r = heartbeat("C", "device=other");
    CHECK_REFUSAL(r, 1052);
    QCOMPARE(r.object().value(QStringLiteral("limit")).toInt(), 1);
    QCOMPARE(r.object().value(QStringLiteral("active")).toInt(), 1);
    QCOMPARE(r.object().value(QStringLiteral("streams")).toArray().size(), 2);
}

void ApiTest::refusedHeartbeatChangesNothing()
{
    // tv plays A; phone plays B; tv's switch to B is refused by maxPerAsset 1 → A keeps playing.
    CALL(setPolicy(0, 1, 0));
    CHECK_STATUS(heartbeat("B", "device=phone"), 204);
    CHECK_STATUS(heartbeat("A", "device=tv"), 204);
    const Reply r = heartbeat("B", "device=tv&progress=99");
    CHECK_REFUSAL(r, 1051);
    QCOMPARE(counts(true), (QJsonObject{{QStringLiteral("A"), QJsonObject{{QStringLiteral("tv"), 1}}},
                                        {QStringLiteral("B"), QJsonObject{{QStringLiteral("phone"), 1}}}}));
    CHECK_ERROR(call("GET", Api + "/streams/B", tok()), 404, 1040);
    QCOMPARE(history(), QJsonArray());
}

void ApiTest::refusedByEndedStreamChangesNothing()
{
    CHECK_STATUS(heartbeat("C", "device=tv"), 204);
    QVERIFY(f->service().streams().endByAdmin(StreamKey{QStringLiteral("t1"), QStringLiteral("u1"), QStringLiteral("C"), QStringLiteral("tv")}));
    CHECK_STATUS(heartbeat("A", "device=tv"), 204);
    QCOMPARE(heartbeat("C", "device=tv&progress=5").errorCode(), 1053);
    QCOMPARE(counts(true), (QJsonObject{{QStringLiteral("A"), QJsonObject{{QStringLiteral("tv"), 1}}}}));
    CHECK_ERROR(call("GET", Api + "/streams/C", tok()), 404, 1040);
}

void ApiTest::invalidHeartbeatChangesNothing_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QString>("claim");
    QTest::addColumn<int>("status");
    QTest::addRow("invalid progress") << QByteArrayLiteral("device=tv&progress=abc") << QString() << 400;
    QTest::addRow("progress out of range") << QByteArrayLiteral("device=tv&progress=2147483648") << QString() << 400;
    QTest::addRow("repeated parameter") << QByteArrayLiteral("device=tv&progress=1&progress=2") << QString() << 400;
    QTest::addRow("device mismatch") << QByteArrayLiteral("device=phone&progress=5") << QStringLiteral("tv") << 403;
}

void ApiTest::invalidHeartbeatChangesNothing()
{
    QFETCH(QByteArray, query);
    QFETCH(QString, claim);
    QFETCH(int, status);
    const QByteArray token = tok(QStringLiteral("t1"), QStringLiteral("u1"), claim);
    CHECK_STATUS(heartbeat("A", "device=tv", token), 204);
    const Reply r = heartbeat("B", query, token);
    QCOMPARE(r.status, status);
    QCOMPARE(counts(true, token), (QJsonObject{{QStringLiteral("A"), QJsonObject{{QStringLiteral("tv"), 1}}}}));
    CHECK_ERROR(call("GET", Api + "/streams/B", token), 404, 1040);
    // Nor does an invalid stopped end the stream.
    const Reply s = call("PUT", Api + "/streams/A/stopped?" + query, token);
    QCOMPARE(s.status, status);
    QCOMPARE(counts(true, token), (QJsonObject{{QStringLiteral("A"), QJsonObject{{QStringLiteral("tv"), 1}}}}));
}

// =============================================================================================
// Expiry

void ApiTest::expiryFreesSlot()
{
    CALL(setPolicy(1, 0, 0));
    setClockNs(T0 * NsPerSec);
    CHECK_STATUS(heartbeat("A", "device=d1"), 204);
    setClockNs((T0 + 179) * NsPerSec);
    QCOMPARE(counts(), (QJsonObject{{QStringLiteral("A"), 1}}));
    CHECK_REFUSAL(heartbeat("B", "device=d2"), 1050);
    setClockNs((T0 + 181) * NsPerSec);
    QCOMPARE(counts(), QJsonObject());
    CHECK_STATUS(heartbeat("B", "device=d2"), 204);
    QCOMPARE(counts(true), (QJsonObject{{QStringLiteral("B"), QJsonObject{{QStringLiteral("d2"), 1}}}}));
    // The expired stream needs a fresh admission now (and is refused).
    CHECK_REFUSAL(heartbeat("A", "device=d1"), 1050);
}

void ApiTest::refreshExtendsExpiryAndSkipsLimits()
{
    CALL(setPolicy(2, 0, 0));
    setClockNs(T0 * NsPerSec);
    CHECK_STATUS(heartbeat("A", "device=d1"), 204);
    CHECK_STATUS(heartbeat("B", "device=d2"), 204);
    setClockNs((T0 + 120) * NsPerSec);
    CHECK_STATUS(heartbeat("A", "device=d1"), 204); // A now expires at T0+300
    setClockNs((T0 + 250) * NsPerSec);
    QCOMPARE(counts(), (QJsonObject{{QStringLiteral("A"), 1}})); // B expired at T0+180
    CHECK_STATUS(heartbeat("B", "device=d2"), 204);  // re-admitted at T0+250

    // Lower the limit: active streams refresh without re-checking it.
    CALL(setPolicy(1, 1, 1));
    setClockNs((T0 + 290) * NsPerSec);
    CHECK_STATUS(heartbeat("A", "device=d1&progress=10"), 204);
    CHECK_STATUS(heartbeat("B", "device=d2&progress=20"), 204);
    QCOMPARE(counts(), (QJsonObject{{QStringLiteral("A"), 1}, {QStringLiteral("B"), 1}}));
    const Reply r = heartbeat("C", "device=d3");
    CHECK_REFUSAL(r, 1050);
    QCOMPARE(r.object().value(QStringLiteral("limit")).toInt(), 1);
    QCOMPARE(r.object().value(QStringLiteral("active")).toInt(), 2);
    // Retry-After: A and B both last beat at T0+290 → expire T0+470; now T0+290 → 180.
    QCOMPARE(r.header("Retry-After"), QByteArrayLiteral("180"));
    setClockNs((T0 + 469) * NsPerSec);
    QCOMPARE(counts().size(), 2);
    setClockNs((T0 + 471) * NsPerSec);
    QCOMPARE(counts(), QJsonObject());
}

// =============================================================================================
// Stopped

void ApiTest::stoppedIsIdempotentAndRecordsProgress()
{
    setClockNs(T0 * NsPerSec + 999000000);
    CHECK_STATUS(stopped("never", {}), 204);
    CHECK_STATUS(stopped("never", "device=x"), 204);
    CHECK_ERROR(call("GET", Api + "/streams/never", tok()), 404, 1040); // no progress given
    CHECK_STATUS(stopped("never", "device=x&progress=33"), 204);
    QJsonObject o = call("GET", Api + "/streams/never", tok()).object();
    QCOMPARE(o.value(QStringLiteral("progress")).toInteger(), 33);
    QCOMPARE(o.value(QStringLiteral("timestamp")).toInteger(), T0 * 1000 + 999);

    CHECK_STATUS(heartbeat("A", "device=d1&progress=10"), 204);
    f->clock().advanceSeconds(60);
    CHECK_STATUS(stopped("A", "device=d1&progress=40"), 204);
    QCOMPARE(counts(), QJsonObject());
    o = call("GET", Api + "/streams/A", tok()).object();
    QCOMPARE(o.value(QStringLiteral("progress")).toInteger(), 40);
    QCOMPARE(o.value(QStringLiteral("timestamp")).toInteger(), (T0 + 60) * 1000 + 999);
    CHECK_STATUS(stopped("A", "device=d1"), 204);
    CHECK_STATUS(stopped("A", "device=d1&progress=41"), 204);
    QCOMPARE(call("GET", Api + "/streams/A", tok()).object().value(QStringLiteral("progress")).toInteger(), 41);
}

void ApiTest::stoppedFreesSlotAndOnlyThatDevice()
{
    CALL(setPolicy(1, 0, 0));
    CHECK_STATUS(heartbeat("A", "device=d1"), 204);
    CHECK_REFUSAL(heartbeat("B", "device=d2"), 1050);
    CHECK_STATUS(stopped("A", "device=d2"), 204); // another device: A on d1 keeps running
    CHECK_STATUS(stopped("B", "device=d1"), 204); // another asset: likewise
    QCOMPARE(counts(true), (QJsonObject{{QStringLiteral("A"), QJsonObject{{QStringLiteral("d1"), 1}}}}));
    CHECK_REFUSAL(heartbeat("B", "device=d2"), 1050);
    CHECK_STATUS(stopped("A", "device=d1"), 204);
    CHECK_STATUS(heartbeat("B", "device=d2"), 204);
    QCOMPARE(counts(true), (QJsonObject{{QStringLiteral("B"), QJsonObject{{QStringLiteral("d2"), 1}}}}));
}

// =============================================================================================
// Watchlist

void ApiTest::watchlistOrder_data()
{
    QTest::addColumn<bool>("advanceClock");
    QTest::addRow("clock advancing") << true;
    QTest::addRow("clock frozen (order of requests)") << false;
}

void ApiTest::watchlistOrder()
{
    QFETCH(bool, advanceClock);
    const auto put = [&](const QByteArray &id) {
        if (advanceClock)
            f->clock().advanceSeconds(1);
        return call("PUT", Api + "/towatch/" + id, tok());
    };
    const auto del = [&](const QByteArray &id) {
        if (advanceClock)
            f->clock().advanceSeconds(1);
        return call("DELETE", Api + "/towatch/" + id, tok());
    };
    const auto L = [](std::initializer_list<const char *> ids) {
        QStringList l;
        for (const char *id : ids)
            l.append(QString::fromLatin1(id));
        return l;
    };
    for (const char *id : {"a", "b", "c", "d"})
        CHECK_STATUS(put(id), 200);
    QCOMPARE(watchlistIds(), L({"d", "c", "b", "a"}));
    CHECK_STATUS(put("a"), 200); // re-add keeps its position
    CHECK_STATUS(put("c"), 200);
    QCOMPARE(watchlistIds(), L({"d", "c", "b", "a"}));
    CHECK_STATUS(del("b"), 200);
    QCOMPARE(watchlistIds(), L({"d", "c", "a"}));
    CHECK_ERROR(del("b"), 404, 1040);
    CHECK_STATUS(put("b"), 200); // delete then re-add → newest
    QCOMPARE(watchlistIds(), L({"b", "d", "c", "a"}));
    CHECK_STATUS(del("a"), 200);
    CHECK_STATUS(put("a"), 200);
    CHECK_STATUS(put("e"), 200);
    QCOMPARE(watchlistIds(), L({"e", "a", "b", "d", "c"}));
    const QJsonObject o = call("GET", Api + "/towatch", tok()).object();
    QCOMPARE(o.value(QStringLiteral("count")).toObject().value(QStringLiteral("returned")).toInt(), 5);
}

void ApiTest::watchlistCap()
{
    // Fill to 9,999 entries in one transaction straight into the fixture's database (SQLite or
    // PostgreSQL; one commit instead of 9,999), then check the 10,000 limit over HTTP.
    QVERIFY(f->bulkFillWatchlist(QStringLiteral("t1"), QStringLiteral("u1"), 9999, QStringLiteral("bulk-"),
                                 T0 * NsPerSec - 10000));
    QCOMPARE(f->service().watchlist().list(QStringLiteral("t1"), QStringLiteral("u1")).size(), 9999);

    CHECK_STATUS(call("PUT", Api + "/towatch/last", tok()), 200);          // 10,000th
    CHECK_ERROR(call("PUT", Api + "/towatch/one-too-many", tok()), 400, 1104);
    CHECK_STATUS(call("PUT", Api + "/towatch/bulk-5", tok()), 200);        // already present: fine
    Reply r = call("GET", Api + "/towatch", tok());
    CHECK_STATUS(r, 200);
    QJsonObject o = r.object();
    QCOMPARE(o.value(QStringLiteral("count")).toObject().value(QStringLiteral("returned")).toInt(), 10000);
    const QJsonArray ids = o.value(QStringLiteral("assetIDs")).toArray();
    QCOMPARE(ids.size(), 10000);
    QCOMPARE(ids.first().toString(), QStringLiteral("last"));
    QCOMPARE(ids.at(1).toString(), QStringLiteral("bulk-9998"));
    QCOMPARE(ids.last().toString(), QStringLiteral("bulk-0"));
    QVERIFY(!ids.contains(QStringLiteral("one-too-many")));

    // Another user is not affected by this user's full list.
    CHECK_STATUS(call("PUT", Api + "/towatch/one-too-many", tok(QStringLiteral("t1"), QStringLiteral("u2"))), 200);
    // Removing one makes room for one.
    CHECK_STATUS(call("DELETE", Api + "/towatch/bulk-0", tok()), 200);
    CHECK_STATUS(call("PUT", Api + "/towatch/one-too-many", tok()), 200);
    CHECK_ERROR(call("PUT", Api + "/towatch/two-too-many", tok()), 400, 1104);
    o = call("GET", Api + "/towatch", tok()).object();
    QCOMPARE(o.value(QStringLiteral("assetIDs")).toArray().first().toString(), QStringLiteral("one-too-many"));
    QCOMPARE(o.value(QStringLiteral("count")).toObject().value(QStringLiteral("returned")).toInt(), 10000);
}

QTEST_GUILESS_MAIN(ApiTest)
#include "tst_api.moc"

// Unit tests of Router (http/router.h) and RequestHandler::parseQuery (contract §2, §3).
//
// The router under test carries the same routes as RequestHandler registers, in the same order;
// each handler answers "<METHOD> <pattern>" so a test can see which route a path reached.
//
// Documented behaviour (not spelled out by the contract):
//  - a trailing slash is an extra, empty segment: "towatch/" matches "towatch/<arg>" with an
//    empty arg (the controllers' identifier check then answers 400/1104), so GET "towatch/"
//    is 405 (Allow: PUT, DELETE), not the list;
//  - "/oxm/v1" and "/oxm/v1/" themselves are unknown routes (404/1040);
//  - "/healthz" is an alias of "/oxm/v1/healthz"; "/healthz/" is unknown.

#include "domain/apierror.h"
#include "http/requesthandler.h"
#include "http/router.h"

#include <QTest>
#include <algorithm>

using namespace oxm;

Q_DECLARE_METATYPE(QList<QByteArray>)

namespace {

void addRoutes(Router &r, bool argRoutesFirst = false)
{
    const auto add = [&r](const QByteArray &method, const QByteArray &pattern, bool auth = true) {
        r.addRoute(method, pattern, [method, pattern](ApiRequest &) {
            return HttpResponse{200, method + ' ' + pattern, {}};
        }, auth);
    };
    if (argRoutesFirst) {
        add("GET", "streams/<arg>");
        add("DELETE", "streams/<arg>");
    }
    add("GET", "healthz", false);
    add("GET", "streampolicy/<arg>");
    add("PUT", "streampolicy/<arg>");
    add("PUT", "streams/<arg>/streaming");
    add("PUT", "streams/<arg>/stopped");
    add("GET", "streams/history");
    add("GET", "streams/counts");
    for (const char *reserved : {"streams/history", "streams/counts"}) {
        add("PUT", reserved);
        add("DELETE", reserved);
    }
    if (!argRoutesFirst) {
        add("GET", "streams/<arg>");
        add("DELETE", "streams/<arg>");
    }
    add("GET", "towatch");
    add("PUT", "towatch/<arg>");
    add("DELETE", "towatch/<arg>");
}

QByteArray routeName(const Router::Match &m)
{
    ApiRequest request;
    return m.route->handler(request).body;
}

QByteArray header(const ApiError &e, const QByteArray &name)
{
    for (const auto &h : e.headers())
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    return {};
}

QList<QByteArray> sorted(QList<QByteArray> list)
{
    std::sort(list.begin(), list.end());
    return list;
}

} // namespace

class TestRouter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void matches_data();
    void matches();
    void refusals_data();
    void refusals();
    void literalBeatsArgWhateverTheOrder_data();
    void literalBeatsArgWhateverTheOrder();
    void authenticatedFlag();

    void parseQuery_data();
    void parseQuery();
    void parseQueryRefuses_data();
    void parseQueryRefuses();
};

void TestRouter::matches_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("route");
    QTest::addColumn<QList<QByteArray>>("args");
    using L = QList<QByteArray>;

    QTest::addRow("literal streams/history beats <arg>") << QByteArray("GET") << QByteArray("/oxm/v1/streams/history")
                                                         << QByteArray("GET streams/history") << L{};
    QTest::addRow("literal streams/counts beats <arg>") << QByteArray("GET") << QByteArray("/oxm/v1/streams/counts")
                                                        << QByteArray("GET streams/counts") << L{};
    QTest::addRow("PUT reserved history") << QByteArray("PUT") << QByteArray("/oxm/v1/streams/history")
                                          << QByteArray("PUT streams/history") << L{};
    QTest::addRow("DELETE reserved counts") << QByteArray("DELETE") << QByteArray("/oxm/v1/streams/counts")
                                            << QByteArray("DELETE streams/counts") << L{};
    QTest::addRow("plain asset") << QByteArray("GET") << QByteArray("/oxm/v1/streams/movie-1")
                                 << QByteArray("GET streams/<arg>") << L{"movie-1"};
    QTest::addRow("literal is case-sensitive") << QByteArray("GET") << QByteArray("/oxm/v1/streams/History")
                                               << QByteArray("GET streams/<arg>") << L{"History"};
    QTest::addRow("literal prefix is not the literal") << QByteArray("GET") << QByteArray("/oxm/v1/streams/historyX")
                                                       << QByteArray("GET streams/<arg>") << L{"historyX"};
    QTest::addRow("DELETE asset") << QByteArray("DELETE") << QByteArray("/oxm/v1/streams/m")
                                  << QByteArray("DELETE streams/<arg>") << L{"m"};
    QTest::addRow("streaming") << QByteArray("PUT") << QByteArray("/oxm/v1/streams/m/streaming")
                               << QByteArray("PUT streams/<arg>/streaming") << L{"m"};
    QTest::addRow("stopped") << QByteArray("PUT") << QByteArray("/oxm/v1/streams/m/stopped")
                             << QByteArray("PUT streams/<arg>/stopped") << L{"m"};
    QTest::addRow("%%2F decodes to / in one segment") << QByteArray("PUT") << QByteArray("/oxm/v1/streams/a%2Fb/streaming")
                                                     << QByteArray("PUT streams/<arg>/streaming") << L{"a/b"};
    QTest::addRow("%%2f lowercase") << QByteArray("PUT") << QByteArray("/oxm/v1/streams/a%2fb/stopped")
                                   << QByteArray("PUT streams/<arg>/stopped") << L{"a/b"};
    QTest::addRow("%%2F makes GET stay on streams/<arg>") << QByteArray("GET") << QByteArray("/oxm/v1/streams/a%2Fb")
                                                         << QByteArray("GET streams/<arg>") << L{"a/b"};
    QTest::addRow("%%2F after history is an arg") << QByteArray("GET") << QByteArray("/oxm/v1/streams/history%2Fx")
                                                 << QByteArray("GET streams/<arg>") << L{"history/x"};
    QTest::addRow("%%2F looking like a route") << QByteArray("GET") << QByteArray("/oxm/v1/streams/m%2Fstreaming")
                                              << QByteArray("GET streams/<arg>") << L{"m/streaming"};
    QTest::addRow("only %%2F") << QByteArray("PUT") << QByteArray("/oxm/v1/towatch/%2F")
                              << QByteArray("PUT towatch/<arg>") << L{"/"};
    QTest::addRow("+ stays +") << QByteArray("PUT") << QByteArray("/oxm/v1/towatch/a+b")
                               << QByteArray("PUT towatch/<arg>") << L{"a+b"};
    QTest::addRow("%%2B is +") << QByteArray("PUT") << QByteArray("/oxm/v1/towatch/a%2Bb")
                              << QByteArray("PUT towatch/<arg>") << L{"a+b"};
    QTest::addRow("%%20 is space") << QByteArray("PUT") << QByteArray("/oxm/v1/towatch/a%20b")
                                  << QByteArray("PUT towatch/<arg>") << L{"a b"};
    QTest::addRow("UTF-8 bytes") << QByteArray("PUT") << QByteArray("/oxm/v1/towatch/caf%C3%A9")
                                 << QByteArray("PUT towatch/<arg>") << L{"caf\xC3\xA9"};
    QTest::addRow("%%25 decodes once") << QByteArray("PUT") << QByteArray("/oxm/v1/towatch/100%25")
                                      << QByteArray("PUT towatch/<arg>") << L{"100%"};
    QTest::addRow("%%252F decodes once") << QByteArray("PUT") << QByteArray("/oxm/v1/towatch/a%252Fb")
                                        << QByteArray("PUT towatch/<arg>") << L{"a%2Fb"};
    QTest::addRow("policy tenant") << QByteArray("GET") << QByteArray("/oxm/v1/streampolicy/acme")
                                   << QByteArray("GET streampolicy/<arg>") << L{"acme"};
    QTest::addRow("policy PUT") << QByteArray("PUT") << QByteArray("/oxm/v1/streampolicy/a%2Fb")
                                << QByteArray("PUT streampolicy/<arg>") << L{"a/b"};
    QTest::addRow("watchlist") << QByteArray("GET") << QByteArray("/oxm/v1/towatch")
                               << QByteArray("GET towatch") << L{};
    QTest::addRow("healthz under root") << QByteArray("GET") << QByteArray("/oxm/v1/healthz")
                                        << QByteArray("GET healthz") << L{};
    QTest::addRow("/healthz alias") << QByteArray("GET") << QByteArray("/healthz")
                                    << QByteArray("GET healthz") << L{};
    QTest::addRow("trailing slash: PUT towatch/ is an empty arg") << QByteArray("PUT") << QByteArray("/oxm/v1/towatch/")
                                                                  << QByteArray("PUT towatch/<arg>") << L{""};
    QTest::addRow("trailing slash: DELETE towatch/") << QByteArray("DELETE") << QByteArray("/oxm/v1/towatch/")
                                                     << QByteArray("DELETE towatch/<arg>") << L{""};
    QTest::addRow("trailing slash: GET streams/") << QByteArray("GET") << QByteArray("/oxm/v1/streams/")
                                                  << QByteArray("GET streams/<arg>") << L{""};
    QTest::addRow("empty middle segment") << QByteArray("PUT") << QByteArray("/oxm/v1/streams//streaming")
                                          << QByteArray("PUT streams/<arg>/streaming") << L{""};
}

void TestRouter::matches()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, route);
    QFETCH(QList<QByteArray>, args);
    Router router(QByteArrayLiteral("/oxm/v1"));
    addRoutes(router);
    try {
        const Router::Match m = router.match(method, path);
        QVERIFY(m.route);
        QCOMPARE(routeName(m), route);
        QCOMPARE(m.args, args);
    } catch (const ApiError &e) {
        QFAIL(qPrintable(QStringLiteral("ApiError %1: %2").arg(int(e.code())).arg(e.message())));
    }
}

void TestRouter::refusals_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<int>("code");
    QTest::addColumn<QList<QByteArray>>("allow"); // only for 1091
    using L = QList<QByteArray>;
    const int NotFound = int(ErrorCode::NotFound);
    const int NotAllowed = int(ErrorCode::MethodNotAllowed);

    QTest::addRow("unknown path") << QByteArray("GET") << QByteArray("/oxm/v1/nothing") << NotFound << L{};
    QTest::addRow("root slash") << QByteArray("GET") << QByteArray("/") << NotFound << L{};
    QTest::addRow("api root without slash") << QByteArray("GET") << QByteArray("/oxm/v1") << NotFound << L{};
    QTest::addRow("api root with slash") << QByteArray("GET") << QByteArray("/oxm/v1/") << NotFound << L{};
    QTest::addRow("other version") << QByteArray("GET") << QByteArray("/oxm/v2/towatch") << NotFound << L{};
    QTest::addRow("root prefix without separator") << QByteArray("GET") << QByteArray("/oxm/v1towatch") << NotFound << L{};
    QTest::addRow("root is case-sensitive") << QByteArray("GET") << QByteArray("/OXM/v1/towatch") << NotFound << L{};
    QTest::addRow("literal is case-sensitive") << QByteArray("GET") << QByteArray("/oxm/v1/Towatch") << NotFound << L{};
    QTest::addRow("no root at all") << QByteArray("GET") << QByteArray("/towatch") << NotFound << L{};
    QTest::addRow("/healthz/ is not the alias") << QByteArray("GET") << QByteArray("/healthz/") << NotFound << L{};
    QTest::addRow("too many segments") << QByteArray("GET") << QByteArray("/oxm/v1/towatch/a/b") << NotFound << L{};
    QTest::addRow("unknown action") << QByteArray("PUT") << QByteArray("/oxm/v1/streams/m/paused") << NotFound << L{};
    QTest::addRow("extra segment after action") << QByteArray("PUT") << QByteArray("/oxm/v1/streams/m/streaming/x")
                                                << NotFound << L{};
    QTest::addRow("%%2F keeps literals together") << QByteArray("GET") << QByteArray("/oxm/v1/streams%2Fhistory")
                                                 << NotFound << L{};
    QTest::addRow("two trailing slashes") << QByteArray("PUT") << QByteArray("/oxm/v1/towatch//") << NotFound << L{};

    QTest::addRow("POST watchlist") << QByteArray("POST") << QByteArray("/oxm/v1/towatch") << NotAllowed << L{"GET"};
    QTest::addRow("GET towatch/x") << QByteArray("GET") << QByteArray("/oxm/v1/towatch/x") << NotAllowed
                                   << L{"PUT", "DELETE"};
    QTest::addRow("trailing slash: GET towatch/") << QByteArray("GET") << QByteArray("/oxm/v1/towatch/") << NotAllowed
                                                  << L{"PUT", "DELETE"};
    QTest::addRow("GET streaming") << QByteArray("GET") << QByteArray("/oxm/v1/streams/m/streaming") << NotAllowed
                                   << L{"PUT"};
    QTest::addRow("DELETE stopped") << QByteArray("DELETE") << QByteArray("/oxm/v1/streams/m/stopped") << NotAllowed
                                    << L{"PUT"};
    QTest::addRow("PUT asset") << QByteArray("PUT") << QByteArray("/oxm/v1/streams/m") << NotAllowed
                               << L{"GET", "DELETE"};
    QTest::addRow("PUT %%2F asset is still one segment") << QByteArray("PUT") << QByteArray("/oxm/v1/streams/m%2Fstreaming")
                                                        << NotAllowed << L{"GET", "DELETE"};
    QTest::addRow("POST history") << QByteArray("POST") << QByteArray("/oxm/v1/streams/history") << NotAllowed
                                  << L{"GET", "PUT", "DELETE"};
    QTest::addRow("PATCH policy") << QByteArray("PATCH") << QByteArray("/oxm/v1/streampolicy/acme") << NotAllowed
                                  << L{"GET", "PUT"};
    QTest::addRow("DELETE policy") << QByteArray("DELETE") << QByteArray("/oxm/v1/streampolicy/acme") << NotAllowed
                                   << L{"GET", "PUT"};
    QTest::addRow("POST /healthz") << QByteArray("POST") << QByteArray("/healthz") << NotAllowed << L{"GET"};
    QTest::addRow("HEAD /oxm/v1/healthz") << QByteArray("HEAD") << QByteArray("/oxm/v1/healthz") << NotAllowed
                                          << L{"GET"};
}

void TestRouter::refusals()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(int, code);
    QFETCH(QList<QByteArray>, allow);
    Router router(QByteArrayLiteral("/oxm/v1"));
    addRoutes(router);
    try {
        const Router::Match m = router.match(method, path);
        QFAIL(qPrintable(QStringLiteral("matched %1").arg(QString::fromUtf8(routeName(m)))));
    } catch (const ApiError &e) {
        QCOMPARE(int(e.code()), code);
        if (code == int(ErrorCode::MethodNotAllowed)) {
            const QByteArray value = header(e, "Allow");
            QVERIFY2(!value.isEmpty(), "405 without an Allow header");
            QList<QByteArray> listed;
            for (const QByteArray &m : value.split(','))
                listed.append(m.trimmed());
            QCOMPARE(sorted(listed), sorted(allow)); // each method once, order not specified
        } else {
            QVERIFY(header(e, "Allow").isEmpty());
        }
    }
}

void TestRouter::literalBeatsArgWhateverTheOrder_data()
{
    QTest::addColumn<bool>("argRoutesFirst");
    QTest::addRow("literal registered first") << false;
    QTest::addRow("<arg> registered first") << true;
}

void TestRouter::literalBeatsArgWhateverTheOrder()
{
    QFETCH(bool, argRoutesFirst);
    Router router(QByteArrayLiteral("/oxm/v1"));
    addRoutes(router, argRoutesFirst);
    QCOMPARE(routeName(router.match("GET", "/oxm/v1/streams/history")), QByteArray("GET streams/history"));
    QCOMPARE(routeName(router.match("DELETE", "/oxm/v1/streams/counts")), QByteArray("DELETE streams/counts"));
    QCOMPARE(routeName(router.match("GET", "/oxm/v1/streams/other")), QByteArray("GET streams/<arg>"));
    QCOMPARE(routeName(router.match("DELETE", "/oxm/v1/streams/other")), QByteArray("DELETE streams/<arg>"));
}

void TestRouter::authenticatedFlag()
{
    Router router(QByteArrayLiteral("/oxm/v1"));
    addRoutes(router);
    QVERIFY(!router.match("GET", "/healthz").route->authenticated);
    QVERIFY(!router.match("GET", "/oxm/v1/healthz").route->authenticated);
    QVERIFY(router.match("GET", "/oxm/v1/towatch").route->authenticated);
    QVERIFY(router.match("GET", "/oxm/v1/streams/history").route->authenticated);
}

void TestRouter::parseQuery_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QVariantMap>("expected");
    const auto m = [](std::initializer_list<std::pair<const char *, QString>> pairs) {
        QVariantMap map;
        for (const auto &[k, v] : pairs)
            map.insert(QString::fromUtf8(k), v);
        return map;
    };

    QTest::addRow("empty") << QByteArray() << QVariantMap();
    QTest::addRow("one pair") << QByteArray("device=tv") << m({{"device", "tv"}});
    QTest::addRow("two pairs") << QByteArray("device=tv&progress=42") << m({{"device", "tv"}, {"progress", "42"}});
    QTest::addRow("+ is a space in a value") << QByteArray("device=living+room") << m({{"device", "living room"}});
    QTest::addRow("+ is a space in a name") << QByteArray("a+b=c") << m({{"a b", "c"}});
    QTest::addRow("%%2B is a plus") << QByteArray("device=a%2Bb") << m({{"device", "a+b"}});
    QTest::addRow("%%2b lowercase is a plus") << QByteArray("device=a%2bb") << m({{"device", "a+b"}});
    QTest::addRow("%%20 is a space") << QByteArray("device=a%20b") << m({{"device", "a b"}});
    QTest::addRow("%%26 does not split") << QByteArray("device=a%26b") << m({{"device", "a&b"}});
    QTest::addRow("%%3D in a name") << QByteArray("a%3Db=c") << m({{"a=b", "c"}});
    QTest::addRow("second = belongs to the value") << QByteArray("a=b=c") << m({{"a", "b=c"}});
    QTest::addRow("%%2F is a slash") << QByteArray("device=a%2Fb") << m({{"device", "a/b"}});
    QTest::addRow("UTF-8 euro") << QByteArray("device=%E2%82%AC") << m({{"device", QStringLiteral("\u20AC")}});
    QTest::addRow("UTF-8 e-acute") << QByteArray("device=caf%C3%A9") << m({{"device", QStringLiteral("caf\u00E9")}});
    QTest::addRow("UTF-8 4-byte") << QByteArray("d=%F0%9F%98%80") << m({{"d", QString::fromUtf8("\xF0\x9F\x98\x80")}});
    QTest::addRow("spaces are kept") << QByteArray("d=%20x+") << m({{"d", " x "}});
    QTest::addRow("empty pairs skipped") << QByteArray("&&a=1&&b=2&") << m({{"a", "1"}, {"b", "2"}});
    QTest::addRow("only separators") << QByteArray("&&&") << QVariantMap();
    QTest::addRow("name without =") << QByteArray("flag") << m({{"flag", ""}});
    QTest::addRow("name with empty value") << QByteArray("flag=") << m({{"flag", ""}});
    QTest::addRow("name without = among others") << QByteArray("flag&x=1") << m({{"flag", ""}, {"x", "1"}});
    QTest::addRow("names are case-sensitive") << QByteArray("a=1&A=2") << m({{"a", "1"}, {"A", "2"}});
    QTest::addRow("leading U+FEFF kept byte-exact") << QByteArray("device=%EF%BB%BFtv")
                                                    << m({{"device", QStringLiteral("\uFEFFtv")}});
}

void TestRouter::parseQuery()
{
    QFETCH(QByteArray, query);
    QFETCH(QVariantMap, expected);
    try {
        const QHash<QString, QString> parsed = RequestHandler::parseQuery(query);
        QVariantMap got;
        for (auto it = parsed.cbegin(); it != parsed.cend(); ++it)
            got.insert(it.key(), it.value());
        QCOMPARE(got, expected);
    } catch (const ApiError &e) {
        QFAIL(qPrintable(QStringLiteral("ApiError %1: %2").arg(int(e.code())).arg(e.message())));
    }
}

void TestRouter::parseQueryRefuses_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addRow("repeated name") << QByteArray("device=a&device=b");
    QTest::addRow("repeated name, same value") << QByteArray("a=1&a=1");
    QTest::addRow("repeated name without =") << QByteArray("a&a");
    QTest::addRow("repeated, once without =") << QByteArray("a=1&a");
    QTest::addRow("repeated, once with empty value") << QByteArray("a=&a=2");
    QTest::addRow("repeated after decoding: + and %%20") << QByteArray("a+b=1&a%20b=2");
    QTest::addRow("repeated after decoding: %%61") << QByteArray("a=1&%61=2");
    QTest::addRow("%%FF in a value") << QByteArray("device=%FF");
    QTest::addRow("%%FF in a name") << QByteArray("%FF=1");
    QTest::addRow("raw 0xFF byte") << QByteArray("device=\xFF");
    QTest::addRow("truncated 2-byte sequence") << QByteArray("device=%C3");
    QTest::addRow("overlong slash") << QByteArray("device=%C0%AF");
    QTest::addRow("UTF-16 surrogate") << QByteArray("device=%ED%A0%80");
    QTest::addRow("Latin-1 e-acute") << QByteArray("device=caf%E9");
}

void TestRouter::parseQueryRefuses()
{
    QFETCH(QByteArray, query);
    try {
        const QHash<QString, QString> parsed = RequestHandler::parseQuery(query);
        QFAIL(qPrintable(QStringLiteral("accepted, %1 parameters").arg(parsed.size())));
    } catch (const ApiError &e) {
        QCOMPARE(e.code(), ErrorCode::InvalidParameter);
    }
}

QTEST_GUILESS_MAIN(TestRouter)
#include "tst_router.moc"

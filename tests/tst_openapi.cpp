// GET /oxm/v1/openapi.json (issue 7): the OpenAPI 3.1 description of the API, docs/openapi.yaml
// converted at build time, served without authentication; and the router and the description
// agree, route for route. (Every response of the HTTP suites is checked against the description
// by scripts/openapi-validate.sh.)

#include "testsupport.h"

#include "http/requesthandler.h"
#include "oxmservice.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QTest>
#include <memory>

using namespace oxm;
using namespace oxm::test;

namespace {

const QByteArray kDocument = QByteArrayLiteral("/oxm/v1/openapi.json");

/// The methods an OpenAPI path item may hold (OpenAPI 3.1 §4.8.9).
const QStringList kOperationKeys = {QStringLiteral("get"), QStringLiteral("put"), QStringLiteral("post"),
                                    QStringLiteral("delete"), QStringLiteral("options"), QStringLiteral("head"),
                                    QStringLiteral("patch"), QStringLiteral("trace")};

/// An OpenAPI path template in the router's notation: "{assetID}" → "<arg>".
QString routerNotation(QString path)
{
    static const QRegularExpression parameter(QStringLiteral("\\{[^}/]+\\}"));
    return path.replace(parameter, QStringLiteral("<arg>"));
}

} // namespace

class OpenApiTest : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ServiceFixture> m_fixture;
    QJsonObject m_document;

    /// "METHOD path" (router notation) of every operation in the served document.
    QSet<QString> documentedOperations() const
    {
        QSet<QString> operations;
        const QJsonObject paths = m_document.value(QStringLiteral("paths")).toObject();
        for (auto path = paths.constBegin(); path != paths.constEnd(); ++path)
            for (const QString &key : kOperationKeys)
                if (path->toObject().contains(key))
                    operations.insert(key.toUpper() + QLatin1Char(' ') + routerNotation(path.key()));
        return operations;
    }
    QSet<QString> routedOperations() const
    {
        QSet<QString> operations;
        for (const auto &[method, path] : m_fixture->service().requestHandler().routes())
            operations.insert(QString::fromLatin1(method + ' ' + path));
        return operations;
    }

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase() { m_fixture.reset(); }
    void servedWithoutAuthentication_data();
    void servedWithoutAuthentication();
    void everyRouteIsDocumented_data();
    void everyRouteIsDocumented();
    void everyDocumentedOperationIsRouted_data();
    void everyDocumentedOperationIsRouted();
    void operationCount();
};

void OpenApiTest::initTestCase()
{
    m_fixture = std::make_unique<ServiceFixture>();
    QVERIFY(m_fixture->port() != 0);
    const Reply reply = m_fixture->send("GET", kDocument);
    QCOMPARE(reply.status, 200);
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(reply.body, &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    QVERIFY(document.isObject());
    m_document = document.object();
}

void OpenApiTest::servedWithoutAuthentication_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<bool>("hasBody");
    QTest::addRow("no token") << QByteArray("GET") << QByteArray() << true;
    QTest::addRow("a subscriber's token") << QByteArray("GET") << m_fixture->token(QStringLiteral("t1"), QStringLiteral("u1"))
                                          << true;
    QTest::addRow("a token that is not a JWT") << QByteArray("GET") << QByteArray("not-a-jwt") << true;
    QTest::addRow("HEAD") << QByteArray("HEAD") << QByteArray() << false;
}

void OpenApiTest::servedWithoutAuthentication()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, token);
    QFETCH(bool, hasBody);
    const Reply reply = request(m_fixture->port(), method, kDocument, token);
    QCOMPARE(reply.status, 200);
    // Contract preamble: every body is JSON with this exact Content-Type.
    QCOMPARE(reply.header("Content-Type"), QByteArray("application/json; charset=utf-8"));
    if (!hasBody) {
        QVERIFY(reply.body.isEmpty());
        return;
    }
    const QJsonObject document = reply.object();
    QCOMPARE(document.value(QStringLiteral("openapi")).toString(), QStringLiteral("3.1.0"));
    QCOMPARE(document.value(QStringLiteral("info")).toObject().value(QStringLiteral("title")).toString(),
             QStringLiteral("OXM experience API"));
    // The bearer JWT scheme of contract §1 is the default security requirement.
    const QJsonObject scheme = document.value(QStringLiteral("components")).toObject()
                                   .value(QStringLiteral("securitySchemes")).toObject()
                                   .value(QStringLiteral("bearerAuth")).toObject();
    QCOMPARE(scheme.value(QStringLiteral("type")).toString(), QStringLiteral("http"));
    QCOMPARE(scheme.value(QStringLiteral("scheme")).toString(), QStringLiteral("bearer"));
    QCOMPARE(scheme.value(QStringLiteral("bearerFormat")).toString(), QStringLiteral("JWT"));
    QCOMPARE(document, m_document);
}

void OpenApiTest::everyRouteIsDocumented_data()
{
    QTest::addColumn<QString>("operation");
    const QList<QPair<QByteArray, QByteArray>> routes = m_fixture->service().requestHandler().routes();
    for (const auto &[method, path] : routes)
        QTest::addRow("%s %s", method.constData(), path.constData()) << QString::fromLatin1(method + ' ' + path);
}

void OpenApiTest::everyRouteIsDocumented()
{
    QFETCH(QString, operation);
    QVERIFY2(documentedOperations().contains(operation), qPrintable(operation + QStringLiteral(" is not in docs/openapi.yaml")));
}

void OpenApiTest::everyDocumentedOperationIsRouted_data()
{
    QTest::addColumn<QString>("operation");
    for (const QString &operation : documentedOperations())
        QTest::addRow("%s", qPrintable(operation)) << operation;
}

void OpenApiTest::everyDocumentedOperationIsRouted()
{
    QFETCH(QString, operation);
    QVERIFY2(routedOperations().contains(operation), qPrintable(operation + QStringLiteral(" is documented but not routed")));
}

void OpenApiTest::operationCount()
{
    // By hand from the contract (§4–§8) and docs/api.md: streampolicy GET, PUT (2); streaming,
    // stopped PUT (2); streams/{assetID} GET, DELETE (2); streams/history GET plus the refusing
    // PUT, DELETE (3); streams/counts likewise (3); towatch GET (1); towatch/{assetID} PUT,
    // DELETE (2); healthz under the root and at /healthz (2); openapi.json (1); and issue 7's
    // metrics under the root and at /metrics (2): 20.
    QCOMPARE(documentedOperations().size(), 20);
    QCOMPARE(routedOperations().size(), 20);
}

QTEST_GUILESS_MAIN(OpenApiTest)
#include "tst_openapi.moc"

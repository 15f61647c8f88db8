// Issue 4, security: secrets and tokens never appear in logs. Every OXM logging category is
// switched to debug, every message is captured, requests with good and bad tokens (and a
// storage fault, whose log line carries the most detail) are served, and neither the HS256
// secret nor any token presented (nor its signature alone) may show up in what was logged, in
// the request log the admin app shows, or in a response body.
#include "testsupport.h"

#include "auth/tokenverifier.h"
#include "http/requesthandler.h"
#include "oxmservice.h"
#include "storage/sqlitestore.h"

#include <QLoggingCategory>
#include <QMutex>
#include <QTest>

using namespace oxm;
using namespace oxm::test;

namespace {
QMutex g_logMutex;
QStringList g_log;

void capture(QtMsgType, const QMessageLogContext &context, const QString &message)
{
    QMutexLocker lock(&g_logMutex);
    g_log.append(QString::fromLatin1(context.category ? context.category : "") + QLatin1Char(' ') + message);
}
} // namespace

class SecretsTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QLoggingCategory::setFilterRules(QStringLiteral("oxm.*=true\nqt.httpserver*=true"));
        qInstallMessageHandler(capture);
    }
    void cleanupTestCase()
    {
        qInstallMessageHandler(nullptr);
        QLoggingCategory::setFilterRules(QString());
    }

    void noSecretInLogs()
    {
        ServiceFixture f;
        QStringList requestLog;
        connect(&f.service().requestHandler(), &RequestHandler::requestCompleted, this, [&requestLog](const RequestLogEntry &entry) {
            requestLog.append(QString::fromLatin1(entry.method) + QLatin1Char(' ') + entry.path);
        });
        const QByteArray good = f.token(QStringLiteral("acme"), QStringLiteral("ann"), Principal::Role::Admin);
        const ManualClock twoHoursAgo(f.clock().nowNs() - 7200LL * 1000000000LL);
        const QByteArray expired = TokenIssuer(testSecret(), twoHoursAgo)
                                       .issue(QStringLiteral("acme"), QStringLiteral("ann"), Principal::Role::Subscriber, {}, 3600);
        QByteArray badSignature = good;
        badSignature.chop(4);
        badSignature += "AAAA";
        const QList<QByteArray> tokens{good, expired, badSignature, "not.a.token", good + ".extra"};

        QList<QByteArray> bodies;
        for (const QByteArray &token : tokens) {
            for (const QByteArray &target : {QByteArray("/oxm/v1/streams/history"), QByteArray("/oxm/v1/streams/film/streaming?progress=5"),
                                             QByteArray("/oxm/v1/streams/film?token=") + token}) {
                const Reply reply = f.send(target.contains("streaming") ? "PUT" : "GET", target, token);
                QVERIFY(reply.status != 0);
                bodies.append(reply.body);
            }
        }
        // A storage fault: its log line has the database's error text.
        auto &store = dynamic_cast<SqliteStore &>(f.service().store());
        store.close();
        const Reply fault = f.send("PUT", "/oxm/v1/streams/film/streaming?progress=9", good);
        QCOMPARE(fault.status, 503);
        bodies.append(fault.body);
        store.open();
        QTRY_VERIFY_WITH_TIMEOUT(requestLog.size() >= 16, 5000);

        QStringList everything;
        {
            QMutexLocker lock(&g_logMutex);
            everything = g_log;
        }
        QVERIFY2(!everything.isEmpty(), "nothing was logged: the capture does not work");
        everything += requestLog;
        for (const QByteArray &body : std::as_const(bodies))
            everything.append(QString::fromUtf8(body));
        const QString all = everything.join(QLatin1Char('\n'));
        QVERIFY2(!all.contains(QString::fromLatin1(testSecret())), "the HS256 secret was logged");
        for (const QByteArray &token : tokens) {
            const QList<QByteArray> parts = token.split('.');
            for (const QString &line : std::as_const(everything))
                QVERIFY2(!line.contains(QString::fromLatin1(token)), qPrintable(line.left(300)));
            if (parts.size() == 3 && parts.at(2).size() > 8) // the signature alone
                QVERIFY2(!all.contains(QString::fromLatin1(parts.at(2))), parts.at(2).constData());
        }
    }
};

QTEST_GUILESS_MAIN(SecretsTest)
#include "tst_secrets.moc"

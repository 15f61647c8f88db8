// Logs of the real oxm-server (issue 7): an access log line per request, as text or JSON lines
// (--access-log), and log levels changed while it runs (log-rules re-read on SIGHUP). The
// binary comes from OXM_SERVER_BINARY (set by CTest).
#include "testsupport.h"

#include "auth/tokenverifier.h"
#include "core/clock.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>

using namespace oxm;
using namespace oxm::test;

class LoggingTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void accessLogAndRulesAtRunTime_data()
    {
        QTest::addColumn<QString>("format");
        QTest::addRow("json lines") << QStringLiteral("json");
        QTest::addRow("text") << QStringLiteral("text");
    }
    void accessLogAndRulesAtRunTime()
    {
        QFETCH(QString, format);
        const QString binary = qEnvironmentVariable("OXM_SERVER_BINARY");
        QVERIFY2(!binary.isEmpty(), "OXM_SERVER_BINARY is not set (run through ctest)");
        QTemporaryDir dir;
        const QString conf = dir.filePath(QStringLiteral("oxm.conf"));
        writeFile(conf, "access-log = " + format.toUtf8() + "\n");
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 port = probe.serverPort();
        probe.close();

        QProcess server;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("OXM_JWT_SECRET"), QString::fromLatin1(testSecret()));
        env.remove(QStringLiteral("QT_LOGGING_RULES"));
        server.setProcessEnvironment(env);
        server.start(binary, {QStringLiteral("--config"), conf, QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port),
                              QStringLiteral("--database"), QStringLiteral("sqlite:") + dir.filePath(QStringLiteral("db.sqlite"))});
        QVERIFY(server.waitForStarted(10000));
        QTRY_COMPARE_WITH_TIMEOUT(request(port, "GET", "/healthz", {}, {}, {}, 1000).status, 200, 15000);

        const SystemClock clock;
        const QByteArray token = TokenIssuer(testSecret(), clock).issue(QStringLiteral("acme"), QStringLiteral("ann"),
                                                                       Principal::Role::Subscriber, {}, 3600);
        const Reply heartbeat = request(port, "PUT", "/oxm/v1/streams/film%2F1/streaming?device=tv&progress=7", token);
        QCOMPARE(heartbeat.status, 204);
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT((err += server.readAllStandardError()).contains("/streaming"), 5000);
        const QByteArrayList lines = accessLines(err);
        QVERIFY2(!lines.isEmpty(), err.constData());
        const QByteArray line = lines.last();
        if (format == QLatin1String("json")) {
            QJsonParseError error{};
            const QJsonObject o = QJsonDocument::fromJson(line, &error).object();
            QVERIFY2(error.error == QJsonParseError::NoError, line.constData());
            QCOMPARE(o.value(QStringLiteral("method")).toString(), QStringLiteral("PUT"));
            QCOMPARE(o.value(QStringLiteral("path")).toString(), QStringLiteral("/oxm/v1/streams/film%2F1/streaming"));
            QCOMPARE(o.value(QStringLiteral("route")).toString(), QStringLiteral("/oxm/v1/streams/{id}/streaming"));
            QCOMPARE(o.value(QStringLiteral("status")).toInt(), 204);
            QCOMPARE(o.value(QStringLiteral("peer")).toString(), QStringLiteral("127.0.0.1"));
            QVERIFY(o.value(QStringLiteral("latencyMs")).toDouble() > 0);
            QVERIFY(QRegularExpression(QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z$"))
                        .match(o.value(QStringLiteral("time")).toString()).hasMatch());
            QCOMPARE(o.value(QStringLiteral("requestID")).toString().size(), 36);
        } else {
            QVERIFY2(QRegularExpression(QStringLiteral("^127\\.0\\.0\\.1 \"PUT /oxm/v1/streams/film%2F1/streaming\" 204 [0-9.]+ms [0-9a-f-]{36}$"))
                         .match(QString::fromUtf8(line)).hasMatch(),
                     line.constData());
        }
        QVERIFY2(!err.contains(token), "the token was logged");
        QVERIFY(!err.contains("progress=7")); // no query strings

        // At run time: the access log's category switched off by the file's rules and SIGHUP.
        writeFile(conf, "access-log = " + format.toUtf8() + "\nlog-rules = oxm.access.info=false\n");
        ::kill(pid_t(server.processId()), SIGHUP);
        QTRY_VERIFY_WITH_TIMEOUT((err += server.readAllStandardError()).contains("log rules now oxm.access.info=false"), 5000);
        const int before = int(accessLines(err).size());
        QCOMPARE(request(port, "GET", "/oxm/v1/streams/counts", token).status, 200);
        QCOMPARE(request(port, "GET", "/healthz").status, 200);
        QTest::qWait(300);
        err += server.readAllStandardError();
        QCOMPARE(int(accessLines(err).size()), before);
        // ... and on again.
        writeFile(conf, "access-log = " + format.toUtf8() + "\n");
        ::kill(pid_t(server.processId()), SIGHUP);
        QTRY_VERIFY_WITH_TIMEOUT((err += server.readAllStandardError()).contains("log rules now (defaults)"), 5000);
        QCOMPARE(request(port, "GET", "/oxm/v1/streams/counts", token).status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(int(accessLines(err += server.readAllStandardError()).size()) == before + 1, 5000);

        server.terminate();
        QVERIFY(server.waitForFinished(10000));
        QCOMPARE(server.exitCode(), 0);
    }

private:
    static void writeFile(const QString &path, const QByteArray &content)
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(content);
    }
    static QByteArrayList accessLines(const QByteArray &stderrText)
    {
        QByteArrayList lines;
        for (const QByteArray &line : stderrText.split('\n'))
            if (line.startsWith("oxm.access: "))
                lines << line.mid(12);
        return lines;
    }
};

QTEST_GUILESS_MAIN(LoggingTest)
#include "tst_logging.moc"

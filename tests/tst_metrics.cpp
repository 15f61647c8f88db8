// GET /metrics (issue 7): Prometheus text format with the families documented in
// service/metrics/metrics.h, values computed by hand from the requests the test makes, and the
// whole output accepted by `promtool check metrics` (Debian's prometheus package).
#include "testsupport.h"

#include "metrics/metrics.h"
#include "oxmservice.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

using namespace oxm;
using namespace oxm::test;

namespace {
/// The value of the sample whose name and labels are exactly `series`, or -1.
double sample(const QByteArray &exposition, const QByteArray &series)
{
    for (const QByteArray &line : exposition.split('\n')) {
        if (line.startsWith(series + ' '))
            return line.mid(series.size() + 1).toDouble();
    }
    return -1;
}
} // namespace

class MetricsTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void escapeLabelValue_data()
    {
        QTest::addColumn<QString>("value");
        QTest::addColumn<QByteArray>("escaped");
        QTest::addRow("plain") << QStringLiteral("acme") << QByteArray("acme");
        QTest::addRow("quote") << QStringLiteral("a\"b") << QByteArray("a\\\"b");
        QTest::addRow("backslash") << QStringLiteral("a\\b") << QByteArray("a\\\\b");
        QTest::addRow("line feed") << QStringLiteral("a\nb") << QByteArray("a\\nb");
        QTest::addRow("utf-8") << QStringLiteral("caf\u00e9") << QByteArray("caf\xc3\xa9");
    }
    void escapeLabelValue()
    {
        QFETCH(QString, value);
        QFETCH(QByteArray, escaped);
        QCOMPARE(Metrics::escapeLabelValue(value), escaped);
    }

    void countsWhatHappened()
    {
        ServiceFixture f;
        const QByteArray admin = f.token(QStringLiteral("acme"), QStringLiteral("ops"), Principal::Role::Admin);
        const QByteArray ann = f.token(QStringLiteral("acme"), QStringLiteral("ann"));
        const QByteArray odd = f.token(QStringLiteral("we\"ird\\co"), QStringLiteral("bo"));
        QCOMPARE(f.send("PUT", "/oxm/v1/streampolicy/acme", admin, "{\"maxPerUser\":1,\"maxPerAsset\":0,\"maxDevices\":0}").status, 200);
        QCOMPARE(f.send("PUT", "/oxm/v1/streams/film/streaming?device=tv", ann).status, 204);    // admitted
        QCOMPARE(f.send("PUT", "/oxm/v1/streams/film/streaming?device=tv", ann).status, 204);    // refreshed
        QCOMPARE(f.send("PUT", "/oxm/v1/streams/other/streaming?device=tab", ann).status, 409); // max_per_user
        QCOMPARE(f.send("PUT", "/oxm/v1/streams/x/streaming?device=a", odd).status, 204);       // admitted, another tenant
        QCOMPARE(f.send("GET", "/oxm/v1/nothing-here", ann).status, 404);

        const Reply metrics = f.send("GET", "/metrics"); // no token needed
        QCOMPARE(metrics.status, 200);
        QCOMPARE(metrics.header("Content-Type"), QByteArray("text/plain; version=0.0.4; charset=utf-8"));
        const QByteArray m = metrics.body;
        QCOMPARE(f.send("GET", "/oxm/v1/metrics").status, 200);

        QCOMPARE(sample(m, "oxm_active_streams{tenant=\"acme\"}"), 1.0);
        QCOMPARE(sample(m, "oxm_active_streams{tenant=\"we\\\"ird\\\\co\"}"), 1.0);
        QCOMPARE(sample(m, "oxm_heartbeats_total{result=\"admitted\"}"), 2.0);
        QCOMPARE(sample(m, "oxm_heartbeats_total{result=\"refreshed\"}"), 1.0);
        QCOMPARE(sample(m, "oxm_heartbeats_total{result=\"refused\"}"), 1.0);
        QCOMPARE(sample(m, "oxm_admissions_refused_total{tenant=\"acme\",reason=\"max_per_user\"}"), 1.0);
        const QByteArray heartbeat204 = "method=\"PUT\",route=\"/oxm/v1/streams/{id}/streaming\",status=\"204\"";
        QCOMPARE(sample(m, "oxm_http_request_duration_seconds_count{" + heartbeat204 + "}"), 3.0);
        QCOMPARE(sample(m, "oxm_http_request_duration_seconds_bucket{" + heartbeat204 + ",le=\"+Inf\"}"), 3.0);
        QCOMPARE(sample(m, "oxm_http_request_duration_seconds_count{method=\"PUT\",route=\"/oxm/v1/streams/{id}/streaming\",status=\"409\"}"), 1.0);
        QCOMPARE(sample(m, "oxm_http_request_duration_seconds_count{method=\"PUT\",route=\"/oxm/v1/streampolicy/{id}\",status=\"200\"}"), 1.0);
        QCOMPARE(sample(m, "oxm_http_request_duration_seconds_count{method=\"GET\",route=\"unmatched\",status=\"404\"}"), 1.0);
        QVERIFY(sample(m, "oxm_http_request_duration_seconds_sum{" + heartbeat204 + "}") > 0);
        // Buckets are cumulative: never decreasing, ending at the count.
        double previous = 0;
        for (double bound : Metrics::DurationBuckets) {
            const double v = sample(m, "oxm_http_request_duration_seconds_bucket{" + heartbeat204 + ",le=\""
                                           + QByteArray::number(bound, 'g', 17) + "\"}");
            QVERIFY2(v >= previous && v <= 3, QByteArray::number(bound).constData());
            previous = v;
        }
        QVERIFY(sample(m, "oxm_open_connections") >= 1); // this very request's connection
        QVERIFY(m.contains("oxm_build_info{version=\"" OXM_VERSION "\",qt_version=\"" + QByteArray(qVersion()) + "\"} 1\n"));
        // A tenant's asset IDs never become labels (bounded cardinality).
        QVERIFY(!m.contains("film"));

        // promtool (Prometheus's own checker) accepts it.
        const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
        QVERIFY2(!promtool.isEmpty(), "promtool is not installed (Debian package prometheus; scripts/setup-debian.sh)");
        QProcess check;
        check.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
        QVERIFY(check.waitForStarted(10000));
        check.write(m);
        check.closeWriteChannel();
        QVERIFY(check.waitForFinished(30000));
        const QByteArray findings = check.readAllStandardOutput() + check.readAllStandardError();
        QVERIFY2(check.exitStatus() == QProcess::NormalExit && check.exitCode() == 0, findings.constData());
        QVERIFY2(findings.trimmed().isEmpty(), findings.constData()); // no lint warnings either
    }

    void grafanaDashboardUsesServedMetrics()
    {
        // packaging/grafana/oxm-dashboard.json (for support staff) may only query metric
        // families and labels that /metrics serves.
        ServiceFixture f;
        const QByteArray ann = f.token(QStringLiteral("acme"), QStringLiteral("ann"));
        const QByteArray admin = f.token(QStringLiteral("acme"), QStringLiteral("ops"), Principal::Role::Admin);
        QCOMPARE(f.send("PUT", "/oxm/v1/streampolicy/acme", admin, "{\"maxPerUser\":1,\"maxPerAsset\":0,\"maxDevices\":0}").status, 200);
        QCOMPARE(f.send("PUT", "/oxm/v1/streams/film/streaming?device=tv", ann).status, 204);
        QCOMPARE(f.send("PUT", "/oxm/v1/streams/other/streaming?device=tab", ann).status, 409); // every label shows
        const QByteArray m = f.send("GET", "/metrics").body;
        QFile file(QStringLiteral(QT_TESTCASE_SOURCEDIR "/../packaging/grafana/oxm-dashboard.json"));
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
        const QJsonObject dashboard = QJsonDocument::fromJson(file.readAll()).object();
        const QJsonArray panels = dashboard.value(QStringLiteral("panels")).toArray();
        QVERIFY(panels.size() >= 6);
        int queries = 0;
        const QRegularExpression metricName(QStringLiteral("\\b(oxm_[a-z_]+)"));
        const QRegularExpression byClause(QStringLiteral("by \\(([^)]*)\\)"));
        for (const QJsonValue &panel : panels) {
            for (const QJsonValue &target : panel.toObject().value(QStringLiteral("targets")).toArray()) {
                const QString expr = target.toObject().value(QStringLiteral("expr")).toString();
                ++queries;
                for (const auto &match : metricName.globalMatch(expr)) {
                    QString family = match.captured(1);
                    for (const char *suffix : {"_bucket", "_count", "_sum"})
                        if (family.endsWith(QLatin1String(suffix)) && !m.contains(("# TYPE " + family + ' ').toUtf8()))
                            family.chop(int(qstrlen(suffix)));
                    QVERIFY2(m.contains(("# TYPE " + family + ' ').toUtf8()), qPrintable(expr));
                }
                for (const auto &match : byClause.globalMatch(expr)) {
                    for (const QString &label : match.captured(1).split(QLatin1Char(','))) {
                        const QString name = label.trimmed();
                        QVERIFY2(name == QLatin1String("instance") || m.contains((name + QStringLiteral("=\"")).toUtf8()),
                                 qPrintable(name + QStringLiteral(" in ") + expr));
                    }
                }
            }
        }
        QVERIFY(queries >= 8);
    }
};

QTEST_GUILESS_MAIN(MetricsTest)
#include "tst_metrics.moc"

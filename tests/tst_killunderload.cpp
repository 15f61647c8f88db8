// kill -9 under load (issue 4): client threads send heartbeats with increasing progress while the
// real `oxm-server` is SIGKILLed at random moments and restarted on the same database and port.
// Every heartbeat answered 204 is an acknowledged write (docs/api.md, "Durability": the answer
// goes out only after the commit), so after each restart the stored resume point of every
// (user, asset) must be at least the last acknowledged progress; a heartbeat sent but not
// acknowledged may or may not be stored. Reports acknowledged-and-lost (must be 0) and the
// restart time (process start → GET /healthz 200).
//
// The binary comes from OXM_SERVER_BINARY (set by CTest). OXM_KILL_ROUNDS (default 5),
// OXM_KILL_CLIENTS (default 4) and OXM_KILL_SEED make longer runs (bench/kill9.sh).

#include "testsupport.h"

#include "auth/tokenverifier.h"
#include "core/clock.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QMutex>
#include <QProcess>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

#include <csignal>
#include <sys/types.h>

using namespace oxm;
using namespace oxm::test;

namespace {

constexpr int kAssetsPerClient = 3;
constexpr int kRequestTimeoutMs = 5000;

int envInt(const char *name, int fallback)
{
    bool ok = false;
    const int value = qEnvironmentVariableIntValue(name, &ok);
    return ok && value > 0 ? value : fallback;
}

quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

/// Progress bookkeeping of one (user, asset): values go 1, 2, 3, … one request at a time.
struct KeyState
{
    QByteArray token;
    QByteArray asset;
    qint64 sent = 0;  ///< highest progress sent (acknowledged or not)
    qint64 acked = 0; ///< highest progress acknowledged with 204; 0: none yet
};

/// Every key's state, shared by the client threads and the test.
class Ledger
{
public:
    int add(KeyState key)
    {
        QMutexLocker locker(&m_mutex);
        m_keys.push_back(std::move(key));
        return int(m_keys.size()) - 1;
    }
    /// Reserves the next progress value of key `i` (recorded as sent before it goes out).
    qint64 nextToSend(int i)
    {
        QMutexLocker locker(&m_mutex);
        return ++m_keys[size_t(i)].sent;
    }
    void acknowledge(int i, qint64 progress)
    {
        QMutexLocker locker(&m_mutex);
        m_keys[size_t(i)].acked = std::max(m_keys[size_t(i)].acked, progress);
        ++m_acknowledged;
    }
    std::vector<KeyState> snapshot() const
    {
        QMutexLocker locker(&m_mutex);
        return m_keys;
    }
    qint64 acknowledged() const
    {
        QMutexLocker locker(&m_mutex);
        return m_acknowledged;
    }

private:
    mutable QMutex m_mutex;
    std::vector<KeyState> m_keys;
    qint64 m_acknowledged = 0;
};

/// One client thread: heartbeats with progress for its own user, cycling over its assets, one
/// request at a time, until stopped. Failures (the server is down) are retried with the next
/// progress value after a short pause.
class LoadClient
{
public:
    LoadClient(Ledger &ledger, const std::atomic<quint16> &port, QList<int> keys)
        : m_ledger(ledger), m_port(port), m_keys(std::move(keys))
    {
    }
    ~LoadClient() { stop(); }

    void start(const std::vector<KeyState> &keys)
    {
        QList<QPair<QByteArray, QByteArray>> targets; // (token, asset) per key, fixed
        for (const int i : std::as_const(m_keys))
            targets.append({keys[size_t(i)].token, keys[size_t(i)].asset});
        m_thread.reset(QThread::create([this, targets] {
            for (int n = 0; !m_stop.load(); ++n) {
                const int slot = n % int(m_keys.size());
                const int key = m_keys.at(slot);
                const qint64 progress = m_ledger.nextToSend(key);
                const Reply reply = request(m_port.load(), "PUT",
                                            "/oxm/v1/streams/" + targets.at(slot).second + "/streaming?progress="
                                                + QByteArray::number(progress),
                                            targets.at(slot).first, {}, {}, kRequestTimeoutMs);
                if (reply.status == 204) {
                    m_ledger.acknowledge(key, progress);
                } else {
                    m_failures.fetch_add(1);
                    if (reply.status != 0)
                        m_unexpected.fetch_add(1); // the server answered something other than 204
                    QThread::msleep(5);
                }
            }
        }));
        m_thread->start();
    }
    void stop()
    {
        m_stop = true;
        if (m_thread)
            m_thread->wait();
    }
    int failures() const { return m_failures.load(); }
    int unexpected() const { return m_unexpected.load(); }

private:
    Ledger &m_ledger;
    const std::atomic<quint16> &m_port;
    QList<int> m_keys;
    std::unique_ptr<QThread> m_thread;
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_failures{0};
    std::atomic<int> m_unexpected{0};
};

/// The server process, always on the same port and database.
class Server
{
public:
    Server(QString database, quint16 port) : m_database(std::move(database)), m_port(port) {}
    ~Server()
    {
        if (m_process && m_process->state() != QProcess::NotRunning) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }

    /// Starts the binary and waits for GET /healthz → 200; returns the milliseconds from the
    /// process start to that answer, or -1 (reason in error()).
    qint64 start()
    {
        m_process = std::make_unique<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("OXM_JWT_SECRET"), QString::fromLatin1(testSecret()));
        m_process->setProcessEnvironment(env);
        m_process->setStandardOutputFile(QProcess::nullDevice());
        m_process->setProcessChannelMode(QProcess::SeparateChannels);
        QElapsedTimer timer;
        timer.start();
        m_process->start(qEnvironmentVariable("OXM_SERVER_BINARY"),
                         {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(m_port),
                          QStringLiteral("--database"), QStringLiteral("sqlite:") + m_database});
        if (!m_process->waitForStarted(10000)) {
            m_error = m_process->errorString();
            return -1;
        }
        while (timer.elapsed() < 20000 && m_process->state() == QProcess::Running) {
            if (request(m_port, "GET", "/healthz", {}, {}, {}, 2000).status == 200)
                return timer.elapsed();
            QThread::msleep(1);
        }
        m_process->waitForFinished(1000);
        m_error = QStringLiteral("not up after %1 ms; stderr: %2")
                      .arg(timer.elapsed())
                      .arg(QString::fromUtf8(m_process->readAllStandardError()));
        return -1;
    }

    /// SIGKILL by PID; true once the process is gone, killed by that signal.
    bool killNine()
    {
        const qint64 pid = m_process->processId();
        if (pid <= 0 || ::kill(pid_t(pid), SIGKILL) != 0)
            return false;
        if (!m_process->waitForFinished(10000))
            return false;
        return m_process->exitStatus() == QProcess::CrashExit && m_process->exitCode() == SIGKILL;
    }

    QString error() const { return m_error; }

private:
    QString m_database;
    quint16 m_port;
    std::unique_ptr<QProcess> m_process;
    QString m_error;
};

/// The stored progress of `key`: -1 when there is none (404), -2 on any other answer.
qint64 storedProgress(quint16 port, const KeyState &key)
{
    const Reply reply = request(port, "GET", "/oxm/v1/streams/" + key.asset, key.token, {}, {}, 10000);
    if (reply.status == 404 && reply.errorCode() == 1040)
        return -1;
    if (reply.status != 200)
        return -2;
    return reply.object().value(QStringLiteral("progress")).toInteger(-2);
}

qint64 percentile(std::vector<qint64> values, double p)
{
    std::sort(values.begin(), values.end());
    return values.empty() ? -1 : values[size_t(p * double(values.size() - 1) + 0.5)];
}

} // namespace

class KillUnderLoadTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        const QString binary = qEnvironmentVariable("OXM_SERVER_BINARY");
        if (binary.isEmpty())
            QFAIL("OXM_SERVER_BINARY is not set (run through ctest, or export it to the built oxm-server)");
        QVERIFY2(QFile::exists(binary), qPrintable(binary));
    }
    void acknowledgedHeartbeatsSurviveRepeatedSigkill();
};

void KillUnderLoadTest::acknowledgedHeartbeatsSurviveRepeatedSigkill()
{
    const int rounds = envInt("OXM_KILL_ROUNDS", 5);
    const int clients = envInt("OXM_KILL_CLIENTS", 4);
    const quint32 seed = quint32(envInt("OXM_KILL_SEED", int(QRandomGenerator::global()->bounded(1, 1 << 30))));
    QRandomGenerator random(seed);
    qInfo("kill -9 under load: %d rounds, %d client threads x %d assets, seed %u", rounds, clients, kAssetsPerClient, seed);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    std::atomic<quint16> port{freePort()};
    QVERIFY(port.load() != 0);
    Server server(dir.filePath(QStringLiteral("db.sqlite")), port.load());

    // Keys: a user per client thread (an unregistered tenant: no limits), its own assets.
    SystemClock clock;
    const TokenIssuer issuer(testSecret(), clock);
    Ledger ledger;
    std::vector<std::unique_ptr<LoadClient>> threads;
    for (int c = 0; c < clients; ++c) {
        const QByteArray token = issuer.issue(QStringLiteral("kill9"), QStringLiteral("viewer-%1").arg(c),
                                              Principal::Role::Subscriber, {}, 3600);
        QList<int> keys;
        for (int a = 0; a < kAssetsPerClient; ++a)
            keys.append(ledger.add(KeyState{token, "c" + QByteArray::number(c) + "-asset-" + QByteArray::number(a)}));
        threads.push_back(std::make_unique<LoadClient>(ledger, port, keys));
    }

    std::vector<qint64> restartMs; // starts after a SIGKILL (the first start creates the database)
    const qint64 first = server.start();
    QVERIFY2(first >= 0, qPrintable(server.error()));
    const std::vector<KeyState> keys = ledger.snapshot();
    for (auto &t : threads)
        t->start(keys);

    int lostDuringLoad = 0;
    for (int round = 1; round <= rounds; ++round) {
        // Under load for a random 0.8–2.0 s, then SIGKILL.
        const qint64 before = ledger.acknowledged();
        QThread::msleep(800 + random.bounded(1200));
        const qint64 ackedThisRound = ledger.acknowledged() - before;
        QVERIFY2(ackedThisRound > 0, "no heartbeat was acknowledged under load");
        QVERIFY2(server.killNine(), "SIGKILL did not end the server");
        const std::vector<KeyState> atKill = ledger.snapshot(); // no acknowledgement can follow now

        const qint64 ms = server.start();
        QVERIFY2(ms >= 0, qPrintable(server.error()));
        restartMs.push_back(ms);

        // The load goes on; stored values only grow from here, so each must already be at least
        // what was acknowledged before the kill.
        for (const KeyState &key : atKill) {
            const qint64 stored = storedProgress(port.load(), key);
            QVERIFY2(stored != -2, "GET /streams/{asset} failed");
            if (stored < key.acked) {
                ++lostDuringLoad;
                qWarning("round %d: %s acknowledged %lld, stored %lld", round, key.asset.constData(), key.acked, stored);
            }
        }
        qInfo("round %d: %lld heartbeats acknowledged under load, restart %lld ms", round, ackedThisRound, ms);
    }

    // The last kill under load, then the clients stop, the server restarts with no load and every
    // key is checked exactly: acknowledged ≤ stored ≤ sent (a stored value above the last
    // acknowledgement can only be a heartbeat that was sent and never answered).
    QThread::msleep(800 + random.bounded(1200));
    QVERIFY(server.killNine());
    for (auto &t : threads)
        t->stop();
    const qint64 ms = server.start();
    QVERIFY2(ms >= 0, qPrintable(server.error()));
    restartMs.push_back(ms);

    int lost = 0, unacknowledgedSent = 0, unacknowledgedStored = 0, unexpected = 0, failures = 0;
    for (const KeyState &key : ledger.snapshot()) {
        const qint64 stored = storedProgress(port.load(), key);
        QVERIFY2(stored != -2, "GET /streams/{asset} failed");
        QVERIFY2(key.acked > 0, qPrintable(QStringLiteral("%1 was never acknowledged").arg(QString::fromUtf8(key.asset))));
        if (stored < key.acked) {
            ++lost;
            qWarning("final: %s acknowledged %lld, stored %lld", key.asset.constData(), key.acked, stored);
        }
        QVERIFY2(stored <= key.sent, qPrintable(QStringLiteral("%1: stored %2 was never sent (last sent %3)")
                                                    .arg(QString::fromUtf8(key.asset)).arg(stored).arg(key.sent)));
        unacknowledgedSent += key.sent > key.acked ? 1 : 0;
        unacknowledgedStored += stored > key.acked ? 1 : 0;
    }
    for (auto &t : threads) {
        unexpected += t->unexpected();
        failures += t->failures();
    }
    qInfo("kill -9 under load: %d kills, %lld heartbeats acknowledged, %d failed (server down), "
          "%d answered other than 204, acknowledged-and-lost %d (during load %d), "
          "%d of %d keys had heartbeats sent after their last acknowledgement, %d of those keys store one of them",
          rounds + 1, ledger.acknowledged(), failures, unexpected, lost, lostDuringLoad, unacknowledgedSent,
          int(ledger.snapshot().size()), unacknowledgedStored);
    qInfo("restart after SIGKILL (process start -> /healthz 200), %d restarts: min %lld ms, median %lld ms, "
          "max %lld ms (first start on an empty database: %lld ms)",
          int(restartMs.size()), *std::min_element(restartMs.cbegin(), restartMs.cend()), percentile(restartMs, 0.5),
          *std::max_element(restartMs.cbegin(), restartMs.cend()), first);
    QCOMPARE(lostDuringLoad, 0);
    QCOMPARE(lost, 0);
    QCOMPARE(unexpected, 0);
}

QTEST_GUILESS_MAIN(KillUnderLoadTest)
#include "tst_killunderload.moc"

// Unit tests of PolicyService (domain/policyservice.h; contract §4): validation of a policy and
// tenants/policies kept in a real SqliteStore.

#include "domain/apierror.h"
#include "domain/policyservice.h"
#include "storage/sqlitestore.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <limits>
#include <memory>

using namespace oxm;

namespace oxm {
// Readable QCOMPARE failures.
char *toString(const StreamPolicy &p)
{
    return qstrdup(QStringLiteral("{maxPerUser %1, maxPerAsset %2, maxDevices %3}")
                       .arg(p.maxPerUser).arg(p.maxPerAsset).arg(p.maxDevices).toUtf8().constData());
}
} // namespace oxm

namespace {
constexpr int Ok = 0;
constexpr int Range = int(ErrorCode::InvalidParameter);        // 1104
constexpr int Inconsistent = int(ErrorCode::PolicyInconsistent); // 1105

int validationCode(const StreamPolicy &p)
{
    try {
        PolicyService::validate(p);
        return Ok;
    } catch (const ApiError &e) {
        return int(e.code());
    }
}
} // namespace

class TestPolicyService : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void validate_data();
    void validate();
    void maxLimitConstant();

    void unregisteredTenant();
    void registerTenant();
    void setPolicyRegistersTenant();
    void setPolicyOnRegisteredTenant();
    void invalidPolicyChangesNothing_data();
    void invalidPolicyChangesNothing();
    void tenantsAreCaseSensitive();
    void storedPolicySurvivesNewServiceAndReopen();
    void tenantRegisteredByAnotherProcessIsFound();
    void allPolicies();

private:
    QString dbPath() const { return m_dir->filePath(QStringLiteral("oxm.sqlite")); }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<SqliteStore> m_store;
};

void TestPolicyService::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_store = std::make_unique<SqliteStore>(dbPath());
    m_store->open();
}

void TestPolicyService::cleanup()
{
    m_store.reset();
    m_dir.reset();
}

void TestPolicyService::validate_data()
{
    QTest::addColumn<int>("maxPerUser");
    QTest::addColumn<int>("maxPerAsset");
    QTest::addColumn<int>("maxDevices");
    QTest::addColumn<int>("code");
    constexpr int M = 1000000;
    constexpr int IMax = std::numeric_limits<int>::max();
    constexpr int IMin = std::numeric_limits<int>::min();

    QTest::addRow("all zero") << 0 << 0 << 0 << Ok;
    QTest::addRow("all one") << 1 << 1 << 1 << Ok;
    QTest::addRow("typical") << 3 << 2 << 2 << Ok;
    QTest::addRow("all at the maximum") << M << M << M << Ok;
    QTest::addRow("maxPerUser max, others 0") << M << 0 << 0 << Ok;
    QTest::addRow("maxDevices max, others 0") << 0 << 0 << M << Ok;
    QTest::addRow("maxDevices above maxPerUser is fine") << 1 << 1 << 10 << Ok;

    QTest::addRow("maxPerUser 1,000,001") << M + 1 << 0 << 0 << Range;
    QTest::addRow("maxPerAsset 1,000,001 (maxPerUser 0)") << 0 << M + 1 << 0 << Range;
    QTest::addRow("maxDevices 1,000,001") << 0 << 0 << M + 1 << Range;
    QTest::addRow("maxPerUser -1") << -1 << 0 << 0 << Range;
    QTest::addRow("maxPerAsset -1") << 5 << -1 << 0 << Range;
    QTest::addRow("maxDevices -1") << 5 << 5 << -1 << Range;
    QTest::addRow("maxPerUser int max") << IMax << 0 << 0 << Range;
    QTest::addRow("maxPerAsset int min") << 0 << IMin << 0 << Range;
    QTest::addRow("maxDevices int min") << 0 << 0 << IMin << Range;
    QTest::addRow("all -1") << -1 << -1 << -1 << Range;

    QTest::addRow("maxPerAsset 2 > maxPerUser 1") << 1 << 2 << 0 << Inconsistent;
    QTest::addRow("maxPerAsset max > maxPerUser max-1") << M - 1 << M << 0 << Inconsistent;
    QTest::addRow("maxPerAsset 6 > maxPerUser 5, devices set") << 5 << 6 << 3 << Inconsistent;
    QTest::addRow("equal 5/5") << 5 << 5 << 0 << Ok;
    QTest::addRow("equal max/max") << M << M << 0 << Ok;
    QTest::addRow("maxPerAsset 4 < maxPerUser 5") << 5 << 4 << 0 << Ok;
    QTest::addRow("maxPerUser 0: maxPerAsset 1") << 0 << 1 << 0 << Ok;
    QTest::addRow("maxPerUser 0: maxPerAsset max") << 0 << M << 0 << Ok;
    QTest::addRow("maxPerAsset 0 (not enforced) with maxPerUser 5") << 5 << 0 << 0 << Ok;
    // Both rules broken: an out-of-range value is reported as such (1104) before consistency.
    QTest::addRow("maxPerAsset 1,000,001 > maxPerUser 5") << 5 << M + 1 << 0 << Range;
    QTest::addRow("maxPerAsset 2 > maxPerUser 1, maxDevices -1") << 1 << 2 << -1 << Range;
}

void TestPolicyService::validate()
{
    QFETCH(int, maxPerUser);
    QFETCH(int, maxPerAsset);
    QFETCH(int, maxDevices);
    QFETCH(int, code);
    QCOMPARE(validationCode(StreamPolicy{maxPerUser, maxPerAsset, maxDevices}), code);
}

void TestPolicyService::maxLimitConstant()
{
    QCOMPARE(PolicyService::MaxLimit, 1000000);
}

void TestPolicyService::unregisteredTenant()
{
    PolicyService service(*m_store);
    QSignalSpy registered(&service, &PolicyService::tenantRegistered);
    QSignalSpy changed(&service, &PolicyService::policyChanged);
    QVERIFY(!service.policy(QStringLiteral("nobody")).has_value());
    QCOMPARE(service.effectivePolicy(QStringLiteral("nobody")), (StreamPolicy{0, 0, 0}));
    // Reading registers nothing.
    QVERIFY(!service.policy(QStringLiteral("nobody")).has_value());
    QVERIFY(!m_store->policy(QStringLiteral("nobody")).has_value());
    QCOMPARE(m_store->tenants(), QStringList());
    QCOMPARE(registered.count(), 0);
    QCOMPARE(changed.count(), 0);
}

void TestPolicyService::registerTenant()
{
    PolicyService service(*m_store);
    QSignalSpy registered(&service, &PolicyService::tenantRegistered);
    QSignalSpy changed(&service, &PolicyService::policyChanged);

    QVERIFY(service.registerTenant(QStringLiteral("acme")));
    QCOMPARE(registered.count(), 1);
    QCOMPARE(registered.at(0).at(0).toString(), QStringLiteral("acme"));
    // A registered tenant with no limits set reads all zeros.
    const std::optional<StreamPolicy> p = service.policy(QStringLiteral("acme"));
    QVERIFY(p.has_value());
    QCOMPARE(*p, (StreamPolicy{0, 0, 0}));
    QCOMPARE(service.effectivePolicy(QStringLiteral("acme")), (StreamPolicy{0, 0, 0}));
    QCOMPARE(m_store->tenants(), QStringList{QStringLiteral("acme")});

    QVERIFY(!service.registerTenant(QStringLiteral("acme")));
    QCOMPARE(registered.count(), 1);
    QCOMPARE(changed.count(), 0);
}

void TestPolicyService::setPolicyRegistersTenant()
{
    PolicyService service(*m_store);
    QSignalSpy registered(&service, &PolicyService::tenantRegistered);
    QSignalSpy changed(&service, &PolicyService::policyChanged);
    const StreamPolicy first{3, 2, 2};

    QCOMPARE(service.setPolicy(QStringLiteral("acme"), first), first);
    QCOMPARE(registered.count(), 1);
    QCOMPARE(registered.at(0).at(0).toString(), QStringLiteral("acme"));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).toString(), QStringLiteral("acme"));
    QCOMPARE(changed.at(0).at(1).value<StreamPolicy>(), first);
    QCOMPARE(service.policy(QStringLiteral("acme")), std::optional<StreamPolicy>(first));
    QCOMPARE(service.effectivePolicy(QStringLiteral("acme")), first);
    QCOMPARE(m_store->policy(QStringLiteral("acme")), std::optional<StreamPolicy>(first)); // durable

    // A second PUT only changes the policy.
    const StreamPolicy second{0, 7, 1000000};
    QCOMPARE(service.setPolicy(QStringLiteral("acme"), second), second);
    QCOMPARE(registered.count(), 1);
    QCOMPARE(changed.count(), 2);
    QCOMPARE(changed.at(1).at(1).value<StreamPolicy>(), second);
    QCOMPARE(service.policy(QStringLiteral("acme")), std::optional<StreamPolicy>(second));
    QCOMPARE(m_store->policy(QStringLiteral("acme")), std::optional<StreamPolicy>(second));

    // Back to all zeros: still registered, reads zeros.
    service.setPolicy(QStringLiteral("acme"), StreamPolicy{});
    QCOMPARE(service.policy(QStringLiteral("acme")), std::optional<StreamPolicy>(StreamPolicy{}));
    QCOMPARE(changed.count(), 3);
    QCOMPARE(registered.count(), 1);
}

void TestPolicyService::setPolicyOnRegisteredTenant()
{
    PolicyService service(*m_store);
    QVERIFY(service.registerTenant(QStringLiteral("acme")));
    QSignalSpy registered(&service, &PolicyService::tenantRegistered);
    QSignalSpy changed(&service, &PolicyService::policyChanged);
    service.setPolicy(QStringLiteral("acme"), StreamPolicy{1, 1, 1});
    QCOMPARE(registered.count(), 0);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(service.policy(QStringLiteral("acme")), std::optional<StreamPolicy>(StreamPolicy{1, 1, 1}));
}

void TestPolicyService::invalidPolicyChangesNothing_data()
{
    QTest::addColumn<bool>("registeredBefore");
    QTest::addColumn<StreamPolicy>("bad");
    QTest::addColumn<int>("code");
    QTest::addRow("unregistered, 1104") << false << StreamPolicy{1000001, 0, 0} << Range;
    QTest::addRow("unregistered, 1105") << false << StreamPolicy{1, 2, 0} << Inconsistent;
    QTest::addRow("registered, 1104") << true << StreamPolicy{3, 2, -1} << Range;
    QTest::addRow("registered, 1105") << true << StreamPolicy{2, 3, 0} << Inconsistent;
}

void TestPolicyService::invalidPolicyChangesNothing()
{
    QFETCH(bool, registeredBefore);
    QFETCH(StreamPolicy, bad);
    QFETCH(int, code);
    PolicyService service(*m_store);
    const StreamPolicy good{3, 2, 2};
    if (registeredBefore)
        service.setPolicy(QStringLiteral("acme"), good);
    QSignalSpy registered(&service, &PolicyService::tenantRegistered);
    QSignalSpy changed(&service, &PolicyService::policyChanged);
    try {
        service.setPolicy(QStringLiteral("acme"), bad);
        QFAIL("an invalid policy was accepted");
    } catch (const ApiError &e) {
        QCOMPARE(int(e.code()), code);
    }
    QCOMPARE(registered.count(), 0);
    QCOMPARE(changed.count(), 0);
    if (registeredBefore) {
        QCOMPARE(service.policy(QStringLiteral("acme")), std::optional<StreamPolicy>(good));
        QCOMPARE(m_store->policy(QStringLiteral("acme")), std::optional<StreamPolicy>(good));
    } else {
        QVERIFY(!service.policy(QStringLiteral("acme")).has_value());
        QVERIFY(!m_store->policy(QStringLiteral("acme")).has_value());
        QCOMPARE(m_store->tenants(), QStringList());
    }
}

void TestPolicyService::tenantsAreCaseSensitive()
{
    PolicyService service(*m_store);
    QSignalSpy registered(&service, &PolicyService::tenantRegistered);
    service.setPolicy(QStringLiteral("Acme"), StreamPolicy{4, 4, 4});
    QVERIFY(!service.policy(QStringLiteral("acme")).has_value());
    QVERIFY(!service.policy(QStringLiteral("ACME")).has_value());
    QVERIFY(service.registerTenant(QStringLiteral("acme")));
    QCOMPARE(service.policy(QStringLiteral("acme")), std::optional<StreamPolicy>(StreamPolicy{}));
    QCOMPARE(service.policy(QStringLiteral("Acme")), std::optional<StreamPolicy>(StreamPolicy{4, 4, 4}));
    QCOMPARE(registered.count(), 2);
}

void TestPolicyService::storedPolicySurvivesNewServiceAndReopen()
{
    {
        PolicyService service(*m_store);
        service.setPolicy(QStringLiteral("acme"), StreamPolicy{10, 5, 3});
        QVERIFY(service.registerTenant(QStringLiteral("empty")));
    }
    {
        // A fresh service (empty cache) over the same store.
        PolicyService service(*m_store);
        QCOMPARE(service.policy(QStringLiteral("acme")), std::optional<StreamPolicy>(StreamPolicy{10, 5, 3}));
        QCOMPARE(service.policy(QStringLiteral("empty")), std::optional<StreamPolicy>(StreamPolicy{}));
        QVERIFY(!service.registerTenant(QStringLiteral("acme")));
    }
    m_store->close();
    m_store = std::make_unique<SqliteStore>(dbPath());
    m_store->open();
    PolicyService service(*m_store);
    QSignalSpy registered(&service, &PolicyService::tenantRegistered);
    QCOMPARE(service.policy(QStringLiteral("acme")), std::optional<StreamPolicy>(StreamPolicy{10, 5, 3}));
    QCOMPARE(service.effectivePolicy(QStringLiteral("acme")), (StreamPolicy{10, 5, 3}));
    // A PUT on a tenant known only to the store is not a registration.
    service.setPolicy(QStringLiteral("empty"), StreamPolicy{1, 0, 0});
    QCOMPARE(registered.count(), 0);
}

void TestPolicyService::tenantRegisteredByAnotherProcessIsFound()
{
    PolicyService service(*m_store);
    QVERIFY(!service.policy(QStringLiteral("late")).has_value()); // a miss is not cached
    // Another writer (e.g. `oxm-server tenant add`) registers it behind the service's back.
    QVERIFY(m_store->registerTenant(QStringLiteral("late")));
    m_store->setPolicy(QStringLiteral("late"), StreamPolicy{2, 1, 1});
    QCOMPARE(service.policy(QStringLiteral("late")), std::optional<StreamPolicy>(StreamPolicy{2, 1, 1}));
    QCOMPARE(service.effectivePolicy(QStringLiteral("late")), (StreamPolicy{2, 1, 1}));
    QSignalSpy registered(&service, &PolicyService::tenantRegistered);
    QVERIFY(!service.registerTenant(QStringLiteral("late")));
    QCOMPARE(registered.count(), 0);
}

void TestPolicyService::allPolicies()
{
    PolicyService service(*m_store);
    QCOMPARE(service.allPolicies(), (QHash<QString, StreamPolicy>{}));
    service.setPolicy(QStringLiteral("a"), StreamPolicy{1, 1, 1});
    service.registerTenant(QStringLiteral("b"));
    service.setPolicy(QStringLiteral("c"), StreamPolicy{0, 9, 0});
    const QHash<QString, StreamPolicy> expected{
        {QStringLiteral("a"), StreamPolicy{1, 1, 1}},
        {QStringLiteral("b"), StreamPolicy{0, 0, 0}},
        {QStringLiteral("c"), StreamPolicy{0, 9, 0}},
    };
    QCOMPARE(service.allPolicies(), expected);
}

QTEST_GUILESS_MAIN(TestPolicyService)
#include "tst_policyservice.moc"

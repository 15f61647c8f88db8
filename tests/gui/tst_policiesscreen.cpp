// The Policies screen (issue 3, screen 2): the editor's inline validation (the API's rules),
// Apply storing the policy off the GUI thread so that the next admission over real HTTP is
// refused by it, the table following PolicyService's signals, and registering tenants.

#include "domain/policyservice.h"
#include "guitestsupport.h"
#include "oxmservice.h"
#include "policiesmodel.h"
#include "policiesscreen.h"
#include "policyeditor.h"
#include "servicehost.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTest>

using namespace oxm;
using namespace oxm::test;

class TestPoliciesScreen : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void editorValidation_data();
    void editorValidation();
    void editorFollowsStoredPolicy();
    void applyChangesTheNextAdmission();
    void tableFollowsApiChanges();
    void registerTenant_data();
    void registerTenant();
    void modelUnderTester();
};

void TestPoliciesScreen::editorValidation_data()
{
    QTest::addColumn<int>("maxPerUser");
    QTest::addColumn<int>("maxPerAsset");
    QTest::addColumn<int>("maxDevices");
    QTest::addColumn<bool>("applyEnabled");
    QTest::addColumn<QString>("message");

    QTest::addRow("maxPerAsset 3 > maxPerUser 2") << 2 << 3 << 1 << false << "1105";
    QTest::addRow("maxPerUser 0 allows any maxPerAsset") << 0 << 3 << 1 << true << "";
    QTest::addRow("maxPerAsset equal to maxPerUser") << 4 << 4 << 0 << true << "";
    QTest::addRow("maxPerAsset below maxPerUser") << 5 << 1 << 2 << true << "";
    QTest::addRow("all zeros") << 0 << 0 << 0 << true << "";
    QTest::addRow("maxPerAsset 1,000,000 > 999,999") << 999999 << 1000000 << 0 << false << "1105";
    QTest::addRow("unchanged") << 3 << 2 << 2 << false << "";
}

void TestPoliciesScreen::editorValidation()
{
    QFETCH(int, maxPerUser);
    QFETCH(int, maxPerAsset);
    QFETCH(int, maxDevices);
    QFETCH(bool, applyEnabled);
    QFETCH(QString, message);

    PolicyEditor editor;
    editor.show();
    QVERIFY(!editor.applyButton()->isEnabled()); // no tenant yet
    editor.setTenant(QStringLiteral("acme"), StreamPolicy{3, 2, 2});
    QVERIFY(!editor.applyButton()->isEnabled()); // nothing changed yet
    QSignalSpy applied(&editor, &PolicyEditor::applyRequested);

    // Typed like a user would, field by field (validation runs on every change).
    for (auto [box, value] : {std::pair{editor.maxPerUserBox(), maxPerUser}, std::pair{editor.maxPerAssetBox(), maxPerAsset},
                              std::pair{editor.maxDevicesBox(), maxDevices}}) {
        box->selectAll();
        QTest::keyClicks(box, QString::number(value));
        QCOMPARE(box->value(), value);
    }
    QCOMPARE(editor.policy(), (StreamPolicy{maxPerUser, maxPerAsset, maxDevices}));
    QCOMPARE(editor.applyButton()->isEnabled(), applyEnabled);
    if (message.isEmpty()) {
        QVERIFY2(editor.validationMessage().isEmpty(), qPrintable(editor.validationMessage()));
    } else {
        QVERIFY(editor.validationMessage().contains(message));
        QVERIFY(editor.messageLabel()->text().contains(message));
        QVERIFY(editor.messageLabel()->text().contains(QStringLiteral("maxPerAsset")));
    }
    editor.applyButton()->click();
    QCOMPARE(applied.count(), applyEnabled ? 1 : 0);
    if (applyEnabled)
        QCOMPARE(applied.first().at(1).value<StreamPolicy>(), (StreamPolicy{maxPerUser, maxPerAsset, maxDevices}));
}

void TestPoliciesScreen::editorFollowsStoredPolicy()
{
    PolicyEditor editor;
    editor.setTenant(QStringLiteral("acme"), StreamPolicy{3, 2, 2});
    editor.setStored(StreamPolicy{5, 5, 5});           // not edited: the fields follow
    QCOMPARE(editor.policy(), (StreamPolicy{5, 5, 5}));
    editor.maxDevicesBox()->setValue(1);               // edited: kept, Apply still possible
    editor.setStored(StreamPolicy{6, 6, 6});
    QCOMPARE(editor.policy(), (StreamPolicy{5, 5, 1}));
    QVERIFY(editor.applyButton()->isEnabled());
    editor.revertButton()->click();
    QCOMPARE(editor.policy(), (StreamPolicy{6, 6, 6}));
    QVERIFY(!editor.applyButton()->isEnabled());
}

void TestPoliciesScreen::applyChangesTheNextAdmission()
{
    ServiceFixture fixture;
    QCOMPARE(putPolicy(fixture, "acme", 0, 0, 0).status, 200);
    ServiceHost host(fixture.service());
    PoliciesScreen screen(host);
    screen.show();
    QTRY_COMPARE(screen.model()->rowCount(), 1);
    QTRY_COMPARE(screen.editor()->tenant(), QStringLiteral("acme")); // the first row is selected

    // Without limits two streams are admitted.
    const QByteArray alice = fixture.token("acme", "alice");
    QCOMPARE(heartbeat(fixture.port(), alice, "movie", "tv").status, 204);

    // An invalid combination is refused inline, then a valid one applied.
    screen.editor()->maxPerUserBox()->setValue(1);
    screen.editor()->maxPerAssetBox()->setValue(2);
    QVERIFY(!screen.editor()->applyButton()->isEnabled());
    QVERIFY(screen.editor()->messageLabel()->text().contains(QStringLiteral("1105")));
    screen.editor()->maxPerAssetBox()->setValue(1);
    QVERIFY(screen.editor()->applyButton()->isEnabled());
    screen.editor()->applyButton()->click();
    QTRY_COMPARE(screen.pendingOperations(), 0);
    QCOMPARE(screen.model()->policyOf(QStringLiteral("acme")), (StreamPolicy{1, 1, 0}));

    // Stored: the API reads it, and the next admission over the limit is refused.
    const Reply policy = request(fixture.port(), "GET", "/oxm/v1/streampolicy/acme", alice);
    QCOMPARE(policy.status, 200);
    QCOMPARE(policy.object().value(QStringLiteral("maxPerUser")).toInt(), 1);
    QCOMPARE(policy.object().value(QStringLiteral("maxPerAsset")).toInt(), 1);
    const Reply refused = heartbeat(fixture.port(), alice, "series", "phone");
    QCOMPARE(refused.status, 409);
    QCOMPARE(refused.errorCode(), 1050);
    // The stream already playing is not cut off.
    QCOMPARE(heartbeat(fixture.port(), alice, "movie", "tv").status, 204);
    QVERIFY(!screen.editor()->applyButton()->isEnabled());
    QVERIFY(screen.editor()->messageLabel()->text().contains(QStringLiteral("Saved")));
}

void TestPoliciesScreen::tableFollowsApiChanges()
{
    ServiceFixture fixture;
    ServiceHost host(fixture.service());
    PoliciesScreen screen(host);
    QAbstractItemModelTester tester(screen.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy resets(screen.model(), &QAbstractItemModel::modelReset);
    QSignalSpy inserted(screen.model(), &QAbstractItemModel::rowsInserted);
    QSignalSpy changed(screen.model(), &QAbstractItemModel::dataChanged);
    QTRY_COMPARE(screen.pendingOperations(), 0);
    QCOMPARE(screen.model()->rowCount(), 0);

    // An admin's PUT over the API registers the tenant; the table follows the signals.
    QCOMPARE(putPolicy(fixture, "globex", 4, 2, 3).status, 200);
    QTRY_COMPARE(screen.model()->rowCount(), 1);
    QTRY_COMPARE(screen.model()->policyOf(QStringLiteral("globex")), (StreamPolicy{4, 2, 3}));
    QCOMPARE(putPolicy(fixture, "globex", 5, 2, 3).status, 200);
    QTRY_COMPARE(screen.model()->policyOf(QStringLiteral("globex")), (StreamPolicy{5, 2, 3}));
    QVERIFY(changed.count() >= 1);
    QCOMPARE(inserted.count(), 1);
    // The editor follows an unedited policy of the selected tenant.
    QVERIFY(screen.selectTenant(QStringLiteral("globex")));
    QCOMPARE(screen.editor()->policy(), (StreamPolicy{5, 2, 3}));
    QCOMPARE(putPolicy(fixture, "globex", 6, 2, 3).status, 200);
    QTRY_COMPARE(screen.editor()->policy(), (StreamPolicy{6, 2, 3}));
    // F5 reloads without a reset.
    screen.refresh();
    QTRY_COMPARE(screen.pendingOperations(), 0);
    QCOMPARE(resets.count(), 0);
    const int row = findRow(screen.model(), PoliciesModel::TenantColumn, QStringLiteral("globex"));
    QCOMPARE(screen.model()->index(row, PoliciesModel::MaxPerUserColumn).data().toString(), QStringLiteral("6"));
}

void TestPoliciesScreen::registerTenant_data()
{
    QTest::addColumn<QString>("tenant");
    QTest::addColumn<bool>("accepted");
    QTest::addRow("plain") << QStringLiteral("initech") << true;
    QTest::addRow("unicode") << QStringLiteral("café-tv") << true;
    QTest::addRow("control character") << QStringLiteral("bad\x01id") << false;
    QTest::addRow("too long") << QString(257, QLatin1Char('x')) << false;
}

void TestPoliciesScreen::registerTenant()
{
    QFETCH(QString, tenant);
    QFETCH(bool, accepted);
    ServiceFixture fixture;
    ServiceHost host(fixture.service());
    PoliciesScreen screen(host);
    screen.show();
    QTRY_COMPARE(screen.pendingOperations(), 0);
    screen.newTenantEdit()->setText(tenant);
    QCOMPARE(screen.registerButton()->isEnabled(), accepted);
    if (!accepted)
        return;
    screen.registerButton()->click();
    QTRY_COMPARE(screen.pendingOperations(), 0);
    QVERIFY(screen.model()->policyOf(tenant).has_value());
    QCOMPARE(screen.editor()->tenant(), tenant);
    QVERIFY(screen.newTenantEdit()->text().isEmpty());
    // Registered in the store: the API knows it (a registered tenant reads all zeros).
    const Reply policy = request(fixture.port(), "GET", "/oxm/v1/streampolicy/" + QUrl::toPercentEncoding(tenant),
                                 fixture.token(tenant, "someone"));
    QCOMPARE(policy.status, 200);
    QCOMPARE(policy.object().value(QStringLiteral("maxPerUser")).toInt(), 0);
    // The same name again is refused inline.
    screen.newTenantEdit()->setText(tenant);
    QVERIFY(!screen.registerButton()->isEnabled());
}

void TestPoliciesScreen::modelUnderTester()
{
    PoliciesModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    model.setAll({{QStringLiteral("b"), StreamPolicy{1, 1, 1}}, {QStringLiteral("a"), StreamPolicy{}}});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(0, PoliciesModel::TenantColumn).data().toString(), QStringLiteral("a"));
    QCOMPARE(model.index(0, PoliciesModel::MaxPerUserColumn).data().toString(), QStringLiteral("no limit"));
    model.setPolicy(QStringLiteral("c"), StreamPolicy{2, 2, 0});
    model.addTenant(QStringLiteral("a")); // already there: unchanged
    QCOMPARE(model.rowCount(), 3);
    model.setAll({{QStringLiteral("c"), StreamPolicy{3, 2, 0}}});
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.policyOf(QStringLiteral("c")), (StreamPolicy{3, 2, 0}));
    QCOMPARE(resets.count(), 0);
}

QTEST_MAIN(TestPoliciesScreen)
#include "tst_policiesscreen.moc"

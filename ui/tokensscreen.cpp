#include "tokensscreen.h"

#include "auth/tokenverifier.h"
#include "core/clock.h"
#include "domain/apierror.h"
#include "formatting.h"
#include "oxmservice.h"
#include "servicehost.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QUrl>
#include <QVBoxLayout>

namespace oxm {

namespace {
QPlainTextEdit *readOnlyText(QWidget *parent, int lines)
{
    auto *text = new QPlainTextEdit(parent);
    text->setReadOnly(true);
    text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    text->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    text->setWordWrapMode(QTextOption::WrapAnywhere);
    text->setFixedHeight(text->fontMetrics().lineSpacing() * lines + 14);
    return text;
}

QString shellQuote(const QString &text)
{
    QString quoted = text;
    quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}
} // namespace

TokensScreen::TokensScreen(ServiceHost &host, QWidget *parent)
    : Screen(parent)
    , m_host(host)
{
    m_tenant = new QLineEdit(this);
    m_user = new QLineEdit(this);
    m_role = new QComboBox(this);
    m_role->addItem(tr("subscriber"), false);
    m_role->addItem(tr("admin (administers its tenant)"), true);
    m_device = new QLineEdit(this);
    m_device->setPlaceholderText(tr("optional: binds the token to one device"));
    m_lifetime = new QSpinBox(this);
    m_lifetime->setRange(1, 60 * 24 * 365);
    m_lifetime->setValue(60);
    m_lifetime->setSuffix(tr(" min"));
    m_asset = new QLineEdit(QStringLiteral("demo-asset"), this);
    m_asset->setToolTip(tr("The asset the example curl command sends a heartbeat for"));
    m_mint = new QPushButton(tr("Mint token"), this);
    m_mint->setDefault(true);
    m_message = new QLabel(this);
    m_message->setWordWrap(true);

    auto *form = new QFormLayout;
    form->addRow(tr("&Tenant:"), m_tenant);
    form->addRow(tr("&User (sub):"), m_user);
    form->addRow(tr("&Role:"), m_role);
    form->addRow(tr("&Device:"), m_device);
    form->addRow(tr("&Lifetime:"), m_lifetime);
    form->addRow(tr("&Asset for curl:"), m_asset);
    auto *mintRow = new QHBoxLayout;
    mintRow->addWidget(m_message, 1);
    mintRow->addWidget(m_mint);
    auto *input = new QGroupBox(tr("Claims"), this);
    auto *inputLayout = new QVBoxLayout(input);
    inputLayout->addLayout(form);
    inputLayout->addLayout(mintRow);

    m_tokenText = readOnlyText(this, 4);
    m_copyToken = new QPushButton(tr("Copy token"), this);
    m_curlText = readOnlyText(this, 5);
    m_copyCurl = new QPushButton(tr("Copy command"), this);
    connect(m_copyToken, &QPushButton::clicked, this, [this] {
        QApplication::clipboard()->setText(m_token);
        Q_EMIT statusMessage(tr("Token copied to the clipboard."));
    });
    connect(m_copyCurl, &QPushButton::clicked, this, [this] {
        QApplication::clipboard()->setText(curlCommand());
        Q_EMIT statusMessage(tr("curl command copied to the clipboard."));
    });
    auto *output = new QGroupBox(tr("Token"), this);
    auto *outputLayout = new QVBoxLayout(output);
    outputLayout->addWidget(m_tokenText);
    auto *tokenButtons = new QHBoxLayout;
    tokenButtons->addStretch();
    tokenButtons->addWidget(m_copyToken);
    outputLayout->addLayout(tokenButtons);
    outputLayout->addWidget(new QLabel(tr("A heartbeat with this token to the running server:"), this));
    outputLayout->addWidget(m_curlText);
    auto *curlButtons = new QHBoxLayout;
    curlButtons->addStretch();
    curlButtons->addWidget(m_copyCurl);
    outputLayout->addLayout(curlButtons);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(input);
    layout->addWidget(output);
    layout->addStretch();

    connect(m_mint, &QPushButton::clicked, this, &TokensScreen::mint);
    for (QLineEdit *edit : {m_tenant, m_user, m_device})
        connect(edit, &QLineEdit::returnPressed, this, &TokensScreen::mint);
    connect(m_asset, &QLineEdit::textChanged, this, &TokensScreen::updateCurl);
    connect(&m_host, &ServiceHost::stateChanged, this, &TokensScreen::refresh);
    refresh();
}

void TokensScreen::refresh()
{
    m_mint->setEnabled(m_host.service() != nullptr);
    if (!m_host.service())
        m_message->setText(tr("Start the service to mint tokens with its secret."));
    updateCurl();
}

void TokensScreen::setFields(const QString &tenant, const QString &user, bool admin, const QString &device,
                             int lifetimeMinutes, const QString &asset)
{
    m_tenant->setText(tenant);
    m_user->setText(user);
    m_role->setCurrentIndex(admin ? 1 : 0);
    m_device->setText(device);
    m_lifetime->setValue(lifetimeMinutes);
    m_asset->setText(asset);
}

bool TokensScreen::mint()
{
    OxmService *service = m_host.service();
    if (!service)
        return false;
    const qint64 ttl = qint64(m_lifetime->value()) * 60;
    try {
        m_token = QString::fromLatin1(service->tokenIssuer().issue(
            m_tenant->text(), m_user->text(),
            m_role->currentData().toBool() ? Principal::Role::Admin : Principal::Role::Subscriber,
            m_device->text(), ttl));
    } catch (const ApiError &error) {
        m_token.clear();
        m_message->setText(tr("Not minted: %1").arg(error.message()));
        updateCurl();
        return false;
    }
    const qint64 expiresNs = service->clock().nowNs() + ttl * 1000000000LL;
    m_message->setText(tr("Valid until %1 (your local time).").arg(format::localTime(expiresNs, true)));
    updateCurl();
    return true;
}

QString TokensScreen::curlCommand() const
{
    const QString url = m_host.apiUrl(true);
    if (m_token.isEmpty() || url.isEmpty())
        return {};
    const QString asset = QString::fromLatin1(QUrl::toPercentEncoding(m_asset->text().isEmpty() ? QStringLiteral("demo-asset")
                                                                                                 : m_asset->text()));
    // Over HTTPS curl must trust the server's certificate (self-signed ones are common here).
    const QString certificate = m_host.config().tlsCertificateFile;
    const QString trust = certificate.isEmpty() ? QString() : QStringLiteral("--cacert %1 ").arg(shellQuote(certificate));
    return QStringLiteral("curl -i %1-X PUT -H %2 \\\n  %3")
        .arg(trust, shellQuote(QStringLiteral("Authorization: Bearer ") + m_token),
             shellQuote(QStringLiteral("%1/streams/%2/streaming?progress=0").arg(url, asset)));
}

void TokensScreen::updateCurl()
{
    m_tokenText->setPlainText(m_token);
    const QString curl = curlCommand();
    if (curl.isEmpty() && !m_token.isEmpty())
        m_curlText->setPlainText(tr("(the service is not listening)"));
    else
        m_curlText->setPlainText(curl);
    m_copyToken->setEnabled(!m_token.isEmpty());
    m_copyCurl->setEnabled(!curl.isEmpty());
}

} // namespace oxm

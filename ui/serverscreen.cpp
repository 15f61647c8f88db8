#include "serverscreen.h"

#include "oxmservice.h"
#include "requestlogmodel.h"
#include "servicehost.h"
#include "settingsdialog.h"
#include "tableview.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace oxm {

namespace {
QLabel *selectableLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    return label;
}
} // namespace

ServerScreen::ServerScreen(ServiceHost &host, QWidget *parent)
    : Screen(parent)
    , m_host(host)
    , m_log(new RequestLogModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
{
    m_state = selectableLabel(this);
    QFont bold = m_state->font();
    bold.setBold(true);
    m_state->setFont(bold);
    m_address = selectableLabel(this);
    m_database = selectableLabel(this);
    m_details = selectableLabel(this);
    m_error = selectableLabel(this);
    m_start = new QPushButton(tr("Start"), this);
    m_stop = new QPushButton(tr("Stop"), this);
    m_restart = new QPushButton(tr("Restart"), this);
    m_settings = new QPushButton(tr("Settings…"), this);
    connect(m_start, &QPushButton::clicked, &m_host, &ServiceHost::start);
    connect(m_stop, &QPushButton::clicked, &m_host, &ServiceHost::stop);
    connect(m_restart, &QPushButton::clicked, &m_host, &ServiceHost::restart);
    connect(m_settings, &QPushButton::clicked, this, &ServerScreen::editSettings);

    auto *form = new QFormLayout;
    form->addRow(tr("State:"), m_state);
    form->addRow(tr("API:"), m_address);
    form->addRow(tr("Database:"), m_database);
    form->addRow(tr("Options:"), m_details);
    form->addRow(QString(), m_error);
    auto *buttons = new QHBoxLayout;
    for (QPushButton *button : {m_start, m_stop, m_restart})
        buttons->addWidget(button);
    buttons->addStretch();
    buttons->addWidget(m_settings);
    auto *serviceBox = new QGroupBox(tr("Service"), this);
    auto *serviceLayout = new QVBoxLayout(serviceBox);
    serviceLayout->addLayout(form);
    serviceLayout->addLayout(buttons);

    m_proxy->setSourceModel(m_log);
    m_proxy->setSortRole(RequestLogModel::SortRole);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_view = makeTableView(m_proxy, {14, 8, 60, 6, 10}, this);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->sortByColumn(RequestLogModel::TimeColumn, Qt::DescendingOrder);
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter (method, path, status…)"));
    m_filter->setClearButtonEnabled(true);
    m_pause = new QCheckBox(tr("&Pause"), this);
    m_pause->setToolTip(tr("While paused, requests are not added to the log"));
    m_clear = new QPushButton(tr("Clear"), this);
    m_count = new QLabel(this);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_filter, &QLineEdit::textChanged, this, &ServerScreen::updateCount);
    connect(m_pause, &QCheckBox::toggled, m_log, &RequestLogModel::setPaused);
    connect(m_clear, &QPushButton::clicked, m_log, &RequestLogModel::clear);
    connect(m_clear, &QPushButton::clicked, this, &ServerScreen::updateCount);
    connect(m_log, &RequestLogModel::flushed, this, &ServerScreen::updateCount);
    auto *logBar = new QHBoxLayout;
    logBar->addWidget(m_filter, 1);
    logBar->addWidget(m_pause);
    logBar->addWidget(m_clear);
    logBar->addWidget(m_count);
    auto *logBox = new QGroupBox(tr("Request log"), this);
    auto *logLayout = new QVBoxLayout(logBox);
    logLayout->addLayout(logBar);
    logLayout->addWidget(m_view);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(serviceBox);
    layout->addWidget(logBox, 1);

    connect(&m_host, &ServiceHost::stateChanged, this, &ServerScreen::refresh);
    connect(&m_host, &ServiceHost::serviceChanged, this, &ServerScreen::connectService);
    connectService(m_host.service());
    updateCount();
}

void ServerScreen::connectService(OxmService *service)
{
    if (service) {
        // Runs on the HTTP threads: RequestLogModel::enqueue is a short mutex-protected append.
        RequestLogModel *log = m_log;
        connect(&service->requestHandler(), &RequestHandler::requestCompleted, m_log,
                [log](const RequestLogEntry &entry) { log->enqueue(entry); }, Qt::DirectConnection);
    }
    refresh();
}

void ServerScreen::refresh()
{
    const bool listening = m_host.isListening();
    const bool open = m_host.service() != nullptr;
    m_state->setText(listening ? tr("Listening") : open ? tr("Stopped (database open)") : tr("Not running"));
    m_address->setText(listening ? m_host.apiUrl() : tr("—"));
    const ServerSettings settings = m_host.settings();
    m_database->setText(open ? m_host.databasePath()
                             : (settings.database.isEmpty() ? tr("(default)") : settings.database));
    if (open) {
        const ServiceConfig config = m_host.config();
        m_details->setText(tr("stream timeout %1 s, %2 HTTP thread(s), token secret %3")
                               .arg(config.streamTimeoutSeconds)
                               .arg(config.httpThreads)
                               .arg(settings.jwtSecretFile.isEmpty() ? tr("from $OXM_JWT_SECRET or beside the database")
                                                                     : tr("from %1").arg(settings.jwtSecretFile)));
    } else {
        m_details->setText(tr("listen %1").arg(settings.listen));
    }
    m_error->setText(m_host.lastError());
    m_error->setVisible(!m_host.lastError().isEmpty());
    m_start->setEnabled(!listening);
    m_stop->setEnabled(listening);
    m_restart->setEnabled(listening);
}

void ServerScreen::editSettings()
{
    SettingsDialog dialog(m_host.settings(), this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const ServerSettings settings = dialog.settings();
    QSettings store;
    settings.save(store);
    m_host.setSettings(settings);
    Q_EMIT settingsEdited();
    m_host.restart();
}

void ServerScreen::updateCount()
{
    const int total = m_log->rowCount();
    const int shown = m_proxy->rowCount();
    QString text = shown == total ? tr("%n request(s)", nullptr, total)
                                  : tr("%1 of %n request(s)", nullptr, total).arg(shown);
    if (m_log->discarded() > 0)
        text += tr(", %1 not logged").arg(m_log->discarded());
    m_count->setText(text);
}

} // namespace oxm

#include "core/threadnice.h"

#include <QLoggingCategory>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace oxm {

namespace {

Q_LOGGING_CATEGORY(lcThreads, "oxm.threads", QtInfoMsg)

std::atomic<int> g_nice{0};
thread_local int t_applied = 0; // the niceness this thread gave itself

} // namespace

void setServiceThreadNice(int nice)
{
    g_nice.store(std::clamp(nice, 0, 19));
}

int serviceThreadNice()
{
    return g_nice.load();
}

void applyServiceThreadNice()
{
    const int nice = g_nice.load();
    if (nice == t_applied)
        return;
    t_applied = nice;
    // On Linux the niceness is per thread: PRIO_PROCESS with a thread id sets that thread's.
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    if (::setpriority(PRIO_PROCESS, tid, nice) != 0)
        qCWarning(lcThreads, "cannot set a service thread's niceness to %d: %s", nice, std::strerror(errno));
}

} // namespace oxm

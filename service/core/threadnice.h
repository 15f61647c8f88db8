#pragma once

namespace oxm {

/// The niceness (Linux, setpriority(2) on the calling thread: 0 … 19, higher yields more) the
/// service's own threads give themselves when they start: HTTP workers, the SQLite writer, the
/// PostgreSQL connection threads and the resume-point writers. 0 (the default) changes nothing.
///
/// The admin app sets it (5) before it starts the embedded service, so that under a heavy API
/// load its GUI thread (nice 0) gets the CPU when it wakes, rather than an equal share with
/// every busy service thread (issue 6: the GUI event loop's worst stall, bench/README.md).
/// `oxm-server` leaves it at 0. Values outside 0 … 19 are clamped. Thread-safe; applies to
/// threads started (or pool tasks run) after the call.
void setServiceThreadNice(int nice);
int serviceThreadNice();

/// Applies serviceThreadNice() to the calling thread, once per thread (a pool thread running
/// many tasks pays one syscall). Called by each service thread when it starts.
void applyServiceThreadNice();

} // namespace oxm

// Ctrl-C and SIGTERM in a CLI run: the first asks the run to stop (it checks
// the flag before each tile, its pending files are removed as they unwind,
// and it exits 130); a second exits at once with 130 (partial files it leaves
// are removed by the next run, see remove_stale_partial_files).
#pragma once

#include <atomic>

namespace resr {

// Installs the handlers and returns the flag the first signal sets.
const std::atomic<bool>* stop_on_interrupt();
bool interrupted();

}  // namespace resr

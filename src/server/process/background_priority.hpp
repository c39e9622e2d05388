// The task worker's threads yield the CPU to the threads that answer HTTP
// requests: on a machine with few cores the model's compute threads (one per
// core, busy for whole tiles) would otherwise hold every core at the same
// priority as the connection threads, and status polls would wait behind them.
#pragma once

namespace resr {

// Lowers the calling thread to SCHED_BATCH and its nice value by 10 (to 19 at most). Threads it
// creates afterwards inherit both (the OpenMP team a worker thread starts for the model is created
// by it), so call it before the thread's first inference. Only ever lowers priority, which needs no
// privilege; when the system refuses anyway the thread keeps running as it was (returns false).
bool run_at_background_priority();

}  // namespace resr

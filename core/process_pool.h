#pragma once
// Independent tasks run in forked worker processes, for work whose libraries keep process-wide
// state that threads would share: LibTorch draws parameter initialisations and dropout masks from
// one global generator, so two models trained on two threads would draw from each other's stream
// and their results would depend on timing. Each worker process has its own generator; a task that
// seeds it first gives the same result in any worker, in any order, as in the calling process.
#include <cstddef>
#include <functional>
#include <vector>

namespace vbiopsy::core {

struct ProcessTasks {
  size_t count = 0;
  // Runs task i. Its results must leave the worker through files (written atomically): a worker's
  // memory is its own and is gone when it exits. An exception fails the whole run.
  std::function<void(size_t)> run;
  // Runs once in each worker process before its first task (e.g. to make LibTorch single-threaded).
  std::function<void()> worker_init;
  // Runs in the calling process after task i finished, in order of completion.
  std::function<void(size_t)> done;
  // Optional: tasks [group_starts[g], group_starts[g + 1]) (the last group ends at count) share
  // state that a worker builds once and keeps (one fold's encoders, say). Workers start in
  // different groups and stay in a group while it has tasks left, then join the group with the
  // most tasks left, so that such state is rarely built by two workers. Empty: one group.
  std::vector<size_t> group_starts;
};

// Runs every task on up to `workers` forked processes, handing them out in index order (within a
// group) as workers become free; with one worker (or one task) in this process, without forking. After a failure no
// new task starts, and once all workers have stopped the first failure is thrown as core::Error
// with the task's own message (a worker killed by a signal is named with its task). The calling
// process's state is never changed by tasks run in workers.
void run_in_processes(const ProcessTasks& tasks, unsigned workers);

}  // namespace vbiopsy::core

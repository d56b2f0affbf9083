#include "core/process_pool.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "core/error.h"

namespace vbiopsy::core {

namespace {

// Shared by the workers through an anonymous shared mapping: whether a task has failed (then no
// new task starts) and, per group, how many of its tasks have been handed out.
struct SharedState {
  std::atomic<bool>* failed;
  std::atomic<size_t>* next;  // [groups]
};
static_assert(std::atomic<size_t>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "process-shared atomics must be lock-free");

struct Groups {
  std::vector<size_t> begin, end;
  explicit Groups(const ProcessTasks& tasks) {
    begin = tasks.group_starts.empty() ? std::vector<size_t>{0} : tasks.group_starts;
    for (size_t g = 0; g < begin.size(); ++g) {
      end.push_back(g + 1 < begin.size() ? begin[g + 1] : tasks.count);
      if (begin[g] > end[g] || end[g] > tasks.count)
        fail("process tasks: group ", g, " is [", begin[g], ", ", end[g], "), past ", tasks.count, " tasks");
    }
  }
  size_t size() const { return begin.size(); }
};

// The next task for a worker now in group `g`: from g while it has tasks, else from the group with
// the most left (which then becomes the worker's group). count when none is left.
size_t next_task(SharedState& shared, const Groups& groups, size_t& g, size_t count) {
  for (;;) {
    const size_t i = shared.next[g].fetch_add(1);
    if (groups.begin[g] + i < groups.end[g]) return groups.begin[g] + i;
    size_t best = groups.size(), most = 0;
    for (size_t h = 0; h < groups.size(); ++h) {
      const size_t taken = shared.next[h].load(), size = groups.end[h] - groups.begin[h];
      if (taken < size && size - taken > most) most = size - taken, best = h;
    }
    if (best == groups.size()) return count;
    g = best;
  }
}

// One line per message on the workers' common pipe ("start I", "done I", "fail I TEXT"); lines of
// up to PIPE_BUF bytes are written atomically, so the workers' lines never interleave.
void send(int fd, const std::string& line) {
  std::string text = line.substr(0, PIPE_BUF - 1);
  for (auto& c : text)
    if (c == '\n') c = ' ';
  text += '\n';
  for (size_t written = 0; written < text.size();) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent is gone: nothing left to tell
    written += static_cast<size_t>(n);
  }
}

[[noreturn]] void worker_main(const ProcessTasks& tasks, const Groups& groups, size_t group, SharedState& shared,
                              int fd) {
  int status = 0;
  try {
    if (tasks.worker_init) tasks.worker_init();
    for (size_t i; !*shared.failed && (i = next_task(shared, groups, group, tasks.count)) < tasks.count;) {
      send(fd, "start " + std::to_string(i));
      try {
        tasks.run(i);
      } catch (const std::exception& e) {
        *shared.failed = true;
        send(fd, "fail " + std::to_string(i) + " " + e.what());
        status = 1;
        break;
      }
      send(fd, "done " + std::to_string(i));
    }
  } catch (const std::exception& e) {
    *shared.failed = true;
    send(fd, std::string("fail - ") + e.what());
    status = 1;
  }
  std::fflush(nullptr);
  ::_exit(status);  // no static destructors or atexit handlers of the parent's libraries
}

}  // namespace

void run_in_processes(const ProcessTasks& tasks, unsigned workers) {
  if (workers <= 1 || tasks.count <= 1) {
    for (size_t i = 0; i < tasks.count; ++i) {
      tasks.run(i);
      if (tasks.done) tasks.done(i);
    }
    return;
  }
  workers = static_cast<unsigned>(std::min<size_t>(workers, tasks.count));
  const Groups groups(tasks);
  const size_t bytes = (groups.size() + 1) * sizeof(std::atomic<size_t>);
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) fail("cannot map memory shared with worker processes: ", std::strerror(errno));
  auto* slots = static_cast<std::atomic<size_t>*>(memory);
  for (size_t g = 0; g < groups.size(); ++g) new (&slots[g]) std::atomic<size_t>(0);
  SharedState shared{new (&slots[groups.size()]) std::atomic<bool>(false), slots};
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) {
    ::munmap(memory, bytes);
    fail("cannot create a pipe to worker processes: ", std::strerror(errno));
  }
  std::fflush(nullptr);  // buffered output would otherwise be written once per process
  std::vector<pid_t> children;
  std::string first_failure;
  for (unsigned w = 0; w < workers; ++w) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(pipe_fds[0]);
      worker_main(tasks, groups, w * groups.size() / workers, shared, pipe_fds[1]);  // spread over the groups
    }
    if (pid < 0) {
      first_failure = concat("cannot start worker process ", w + 1, " of ", workers, ": ", std::strerror(errno));
      *shared.failed = true;
      break;
    }
    children.push_back(pid);
  }
  ::close(pipe_fds[1]);

  // Read the workers' lines until every worker has closed the pipe (exited).
  std::vector<bool> started(tasks.count, false), finished(tasks.count, false);
  std::string pending;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<size_t>(n));
    for (size_t end; (end = pending.find('\n')) != std::string::npos; pending.erase(0, end + 1)) {
      const std::string line = pending.substr(0, end);
      const auto space = line.find(' ');
      const std::string kind = line.substr(0, space);
      const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
      const auto index_end = rest.find(' ');
      const std::string index_text = rest.substr(0, index_end);
      const size_t i = index_text == "-" ? tasks.count : std::stoul(index_text);
      if (kind == "start" && i < tasks.count) {
        started[i] = true;
      } else if (kind == "done" && i < tasks.count) {
        finished[i] = true;
        try {
          if (tasks.done && first_failure.empty()) tasks.done(i);
        } catch (const std::exception& e) {
          first_failure = e.what();
          *shared.failed = true;
        }
      } else if (kind == "fail" && first_failure.empty()) {
        first_failure = index_end == std::string::npos ? "" : rest.substr(index_end + 1);
        if (first_failure.empty()) first_failure = concat("task ", index_text, " failed without a message");
      }
    }
  }
  ::close(pipe_fds[0]);
  for (const pid_t pid : children) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status) && first_failure.empty()) {
      std::string tasks_running;
      for (size_t i = 0; i < tasks.count; ++i)
        if (started[i] && !finished[i]) tasks_running += (tasks_running.empty() ? "" : ", ") + std::to_string(i);
      first_failure =
          concat("a worker process was killed by signal ", WTERMSIG(status), " (", ::strsignal(WTERMSIG(status)),
                 ") while running task(s) ", tasks_running.empty() ? "none" : tasks_running);
    }
  }
  ::munmap(memory, bytes);
  if (!first_failure.empty()) throw Error(first_failure);
  for (size_t i = 0; i < tasks.count; ++i)
    if (!finished[i]) fail("task ", i, " of ", tasks.count, " was not run by any worker process");
}

}  // namespace vbiopsy::core

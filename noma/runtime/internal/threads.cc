#include "noma/runtime/internal/threads.h"

#include <immintrin.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>

#include "noma/runtime/threads.h"

namespace noma::runtime {
namespace {

// The largest pool: more threads than this would only add hand-off cost on any CPU the
// runtime's kernel sizes are tuned for.
constexpr int kMaxThreads = 256;

int ComputeDefaultThreads() {
  // NOMA_THREADS wins over the affinity mask, for benchmarks and for callers that cannot
  // pass --threads.
  if (const char* env = std::getenv("NOMA_THREADS"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (*end == '\0' && n > 0) return n > kMaxThreads ? kMaxThreads : static_cast<int>(n);
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  int n = CPU_COUNT(&set);
  if (n < 1) return 1;
  return n > kMaxThreads ? kMaxThreads : n;
}

std::atomic<int> thread_count{0};  // 0: not yet computed.

}  // namespace

int DefaultThreadCount() {
  static const int threads = ComputeDefaultThreads();
  return threads;
}

void SetThreadCount(int n) {
  thread_count.store(n <= 0 ? DefaultThreadCount() : (n > kMaxThreads ? kMaxThreads : n),
                     std::memory_order_relaxed);
}

int ThreadCount() {
  int n = thread_count.load(std::memory_order_relaxed);
  if (n == 0) {
    n = DefaultThreadCount();
    thread_count.store(n, std::memory_order_relaxed);
  }
  return n;
}

namespace internal {
namespace {

// The pool runs one ParallelFor at a time (callers are serialized; a second caller meanwhile
// runs its tasks itself). The job's description lives in the pool, not on the caller's stack,
// so a worker that wakes late can never touch a finished call's state.
//
// Hand-off without locks: the caller writes the job, then advances `generation` to an even
// value; workers spin on `generation` for a while after each job (a training step runs
// kernels back to back, and a futex wake-up costs about as much as a small kernel), then sleep
// on it with a futex. A worker joins a job by incrementing `active` and checking that
// `generation` still names it; before the next caller rewrites the job it makes `generation`
// odd and waits for `active` to drain, so a joiner either sees the new generation and leaves,
// or finds the old job with every task taken. Every task is claimed with one fetch_add on
// a block cursor; whoever finishes the last one sets `done` and wakes the caller if it sleeps.
// Only workers 1 .. min(tasks, ThreadCount()) - 1 take part.
struct Pool {
  pthread_mutex_t submit = PTHREAD_MUTEX_INITIALIZER;  // Held by the caller of a job.
  std::atomic<uint32_t> generation{0};                 // Even: a job is posted. Futex word.
  std::atomic<int> active{0};                          // Workers inside the current job.
  std::atomic<int> sleepers{0};                        // Workers in (or entering) futex_wait.
  // The job (written while generation is odd, read by workers after they joined).
  TaskFunction fn = nullptr;
  void* context = nullptr;
  int64_t tasks = 0;
  int participants = 0;  // The caller (0) and workers 1 .. participants - 1.
  // Participant p owns tasks [next[p], end[p]): contiguous blocks, the same for every job of
  // the same size, so consecutive operations on the same tensors find their part in the same
  // core's cache. A participant that runs out takes the others' remaining tasks.
  struct alignas(64) Block {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };
  Block blocks[kMaxThreads];
  alignas(64) std::atomic<int64_t> finished{0};
  std::atomic<uint32_t> done{0};           // 1 once every task has finished. Futex word.
  std::atomic<uint32_t> caller_asleep{0};  // The caller waits on `done` in the kernel.
  int workers = 0;                         // Started (under `submit`).
};

// Pause instructions a worker spins for the next job before it sleeps (about 100 us), and a
// caller for its job's end before it sleeps.
constexpr int kWorkerSpins = 1 << 13;
constexpr int kCallerSpins = 1 << 13;

long Futex(std::atomic<uint32_t>* word, int op, uint32_t value) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op | FUTEX_PRIVATE_FLAG, value,
                 nullptr, nullptr, 0);
}

Pool& GetPool() {
  static Pool* pool = new Pool;  // Never destroyed: workers may outlive static destructors.
  return *pool;
}

thread_local bool in_task = false;

// Runs participant p's own tasks, then whatever the others have not started; the one that
// finishes the last task marks the job done.
void RunTasks(Pool* pool, int p) {
  int64_t ran = 0;
  for (int i = 0; i < pool->participants; ++i) {
    Pool::Block& block = pool->blocks[(p + i) % pool->participants];
    for (int64_t t; (t = block.next.fetch_add(1, std::memory_order_relaxed)) < block.end; ++ran) {
      pool->fn(pool->context, t);
    }
  }
  if (ran == 0) return;
  if (pool->finished.fetch_add(ran, std::memory_order_acq_rel) + ran == pool->tasks) {
    pool->done.store(1, std::memory_order_seq_cst);
    if (pool->caller_asleep.load(std::memory_order_seq_cst) != 0) {
      Futex(&pool->done, FUTEX_WAKE, 1);
    }
  }
}

struct WorkerArgs {
  Pool* pool;
  int id;  // 1, 2, ...: the participant index it takes in every job.
};

void* WorkerMain(void* arg) {
  Pool* pool = static_cast<WorkerArgs*>(arg)->pool;
  int id = static_cast<WorkerArgs*>(arg)->id;
  delete static_cast<WorkerArgs*>(arg);
  in_task = true;  // A worker's own ParallelFor calls (none today) would run inline.
  uint32_t seen = pool->generation.load(std::memory_order_acquire);
  for (;;) {
    uint32_t g = pool->generation.load(std::memory_order_acquire);
    for (int s = 0; s < kWorkerSpins && (g == seen || (g & 1) != 0); ++s) {
      _mm_pause();
      g = pool->generation.load(std::memory_order_acquire);
    }
    while (g == seen || (g & 1) != 0) {
      pool->sleepers.fetch_add(1, std::memory_order_seq_cst);
      if (pool->generation.load(std::memory_order_seq_cst) == g) {
        Futex(&pool->generation, FUTEX_WAIT, g);
      }
      pool->sleepers.fetch_sub(1, std::memory_order_seq_cst);
      g = pool->generation.load(std::memory_order_acquire);
    }
    seen = g;
    pool->active.fetch_add(1, std::memory_order_seq_cst);
    if (pool->generation.load(std::memory_order_seq_cst) == g && id < pool->participants) {
      RunTasks(pool, id);
    }
    pool->active.fetch_sub(1, std::memory_order_seq_cst);
  }
  return nullptr;
}

// Starts workers until there are `n` (fewer if the system refuses threads: the caller then
// does more of the work itself). Called with pool->submit held.
void EnsureWorkers(Pool* pool, int n) {
  while (pool->workers < n) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    auto* args = new WorkerArgs{pool, pool->workers + 1};
    int failed = pthread_create(&thread, &attr, WorkerMain, args);
    pthread_attr_destroy(&attr);
    if (failed != 0) {
      delete args;
      return;
    }
    ++pool->workers;
  }
}

}  // namespace

std::atomic<int64_t> grain_divisor{1};

void SetGrainDivisorForTesting(int64_t divisor) {
  grain_divisor.store(divisor < 1 ? 1 : divisor, std::memory_order_relaxed);
}

int ThreadsFor(int64_t work, int64_t grain) {
  grain = std::max<int64_t>(1, grain / grain_divisor.load(std::memory_order_relaxed));
  int threads = ThreadCount();
  if (threads <= 1 || grain <= 0) return 1;
  int64_t useful = work / grain;
  if (useful < 1) return 1;
  return useful < threads ? static_cast<int>(useful) : threads;
}

void ParallelFor(int64_t tasks, TaskFunction fn, void* context) {
  if (tasks <= 0) return;
  int threads = ThreadCount();
  Pool& pool = GetPool();
  if (tasks == 1 || threads <= 1 || in_task || pthread_mutex_trylock(&pool.submit) != 0) {
    for (int64_t t = 0; t < tasks; ++t) fn(context, t);
    return;
  }
  EnsureWorkers(&pool, threads - 1);
  if (pool.workers == 0) {
    pthread_mutex_unlock(&pool.submit);
    for (int64_t t = 0; t < tasks; ++t) fn(context, t);
    return;
  }
  // Retire the previous job: late joiners see an odd generation and leave.
  pool.generation.fetch_add(1, std::memory_order_seq_cst);
  while (pool.active.load(std::memory_order_seq_cst) != 0) _mm_pause();
  pool.fn = fn;
  pool.context = context;
  pool.tasks = tasks;
  pool.finished.store(0, std::memory_order_relaxed);
  pool.done.store(0, std::memory_order_relaxed);
  // With fewer threads than workers (a lower count set later), the extra workers stay out.
  int participants = static_cast<int>(std::min<int64_t>({tasks, threads, pool.workers + 1}));
  pool.participants = participants;
  for (int p = 0; p < participants; ++p) {
    pool.blocks[p].next.store(tasks * p / participants, std::memory_order_relaxed);
    pool.blocks[p].end = tasks * (p + 1) / participants;
  }
  pool.generation.fetch_add(1, std::memory_order_seq_cst);  // Even: posted.
  if (pool.sleepers.load(std::memory_order_seq_cst) != 0) {
    Futex(&pool.generation, FUTEX_WAKE, INT32_MAX);
  }

  in_task = true;
  RunTasks(&pool, 0);
  in_task = false;
  for (int s = 0; s < kCallerSpins && pool.done.load(std::memory_order_acquire) == 0; ++s) {
    _mm_pause();
  }
  if (pool.done.load(std::memory_order_acquire) == 0) {
    pool.caller_asleep.store(1, std::memory_order_seq_cst);
    while (pool.done.load(std::memory_order_seq_cst) == 0) Futex(&pool.done, FUTEX_WAIT, 0);
    pool.caller_asleep.store(0, std::memory_order_relaxed);
  }
  pthread_mutex_unlock(&pool.submit);
}

}  // namespace internal
}  // namespace noma::runtime

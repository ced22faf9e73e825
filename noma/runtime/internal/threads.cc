#include "noma/runtime/internal/threads.h"

#include <immintrin.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
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

// One ParallelFor in flight. It lives on the caller's stack; workers reach it only through
// Pool::job, which the caller clears (under the lock) once no worker holds it any more.
struct Job {
  TaskFunction fn;
  void* context;
  int64_t tasks;
  std::atomic<int64_t> next{0};      // The next task to hand out.
  std::atomic<int64_t> finished{0};  // Tasks finished.
  int helpers_wanted = 0;            // Workers that may still join (under the lock).
  int helpers_active = 0;            // Workers inside the job (under the lock).
};

// Workers are started on demand and live as long as the process; they sleep on a condition
// variable between jobs, so an idle pool costs nothing.
struct Pool {
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t wake = PTHREAD_COND_INITIALIZER;      // Workers: a job was posted.
  pthread_cond_t finished = PTHREAD_COND_INITIALIZER;  // Caller: a worker left the job.
  // Serializes callers: a second thread calling ParallelFor meanwhile runs its tasks itself.
  pthread_mutex_t submit = PTHREAD_MUTEX_INITIALIZER;
  Job* job = nullptr;
  std::atomic<uint64_t> posted{0};  // Jobs posted so far: what spinning workers watch.
  int workers = 0;
};

// How long a worker keeps polling for the next job before it sleeps, and the caller for its
// job's end before it sleeps (pause instructions, a few tens of microseconds): a training step
// runs kernels back to back, and a futex wake-up costs about as much as a small kernel.
constexpr int kSpinPauses = 2000;

Pool& GetPool() {
  static Pool* pool = new Pool;  // Never destroyed: workers may outlive static destructors.
  return *pool;
}

thread_local bool in_task = false;

// Takes tasks until none are left; returns how many it ran.
int64_t RunTasks(Job* job) {
  int64_t ran = 0;
  for (int64_t t; (t = job->next.fetch_add(1, std::memory_order_relaxed)) < job->tasks; ++ran) {
    job->fn(job->context, t);
  }
  return ran;
}

void* WorkerMain(void* arg) {
  Pool* pool = static_cast<Pool*>(arg);
  in_task = true;  // A worker's own ParallelFor calls (none today) would run inline.
  uint64_t seen = pool->posted.load(std::memory_order_acquire);
  pthread_mutex_lock(&pool->mu);
  for (;;) {
    if (pool->job == nullptr || pool->job->helpers_wanted == 0) {
      pthread_mutex_unlock(&pool->mu);
      for (int s = 0; s < kSpinPauses && pool->posted.load(std::memory_order_acquire) == seen;
           ++s) {
        _mm_pause();
      }
      pthread_mutex_lock(&pool->mu);
      while (pool->job == nullptr || pool->job->helpers_wanted == 0) {
        pthread_cond_wait(&pool->wake, &pool->mu);
      }
    }
    seen = pool->posted.load(std::memory_order_relaxed);
    Job* job = pool->job;
    --job->helpers_wanted;
    ++job->helpers_active;
    pthread_mutex_unlock(&pool->mu);
    job->finished.fetch_add(RunTasks(job), std::memory_order_release);
    pthread_mutex_lock(&pool->mu);
    --job->helpers_active;
    pthread_cond_signal(&pool->finished);
  }
  return nullptr;
}

// Starts workers until there are `n` (fewer if the system refuses threads: the caller then
// does more of the work itself). Called with pool->mu held.
void EnsureWorkers(Pool* pool, int n) {
  while (pool->workers < n) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    int failed = pthread_create(&thread, &attr, WorkerMain, pool);
    pthread_attr_destroy(&attr);
    if (failed != 0) return;
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
  Job job;
  job.fn = fn;
  job.context = context;
  job.tasks = tasks;
  int helpers = static_cast<int>(tasks - 1 < threads - 1 ? tasks - 1 : threads - 1);
  pthread_mutex_lock(&pool.mu);
  EnsureWorkers(&pool, helpers);
  job.helpers_wanted = helpers < pool.workers ? helpers : pool.workers;
  pool.job = &job;
  pool.posted.fetch_add(1, std::memory_order_release);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.mu);

  in_task = true;
  job.finished.fetch_add(RunTasks(&job), std::memory_order_release);
  in_task = false;
  for (int s = 0; s < kSpinPauses && job.finished.load(std::memory_order_acquire) < tasks; ++s) {
    _mm_pause();
  }

  pthread_mutex_lock(&pool.mu);
  // Workers that have not woken yet are not waited for: they find no job.
  job.helpers_wanted = 0;
  while (job.finished.load(std::memory_order_acquire) < tasks || job.helpers_active > 0) {
    pthread_cond_wait(&pool.finished, &pool.mu);
  }
  pool.job = nullptr;
  pthread_mutex_unlock(&pool.mu);
  pthread_mutex_unlock(&pool.submit);
}

}  // namespace internal
}  // namespace noma::runtime

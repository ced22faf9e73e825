#ifndef NOMA_RUNTIME_INTERNAL_THREADS_H_
#define NOMA_RUNTIME_INTERNAL_THREADS_H_

// The runtime's thread pool (public knobs: noma/runtime/threads.h). Plain pthreads and libc
// only: it is linked into standalone executables.

#include <cstdint>
#include <type_traits>

namespace noma::runtime::internal {

using TaskFunction = void (*)(void* context, int64_t task);

// Runs fn(context, t) once for every t in [0, tasks), on up to ThreadCount() threads (the
// caller's included), and returns when all have finished. Which thread runs which task, and in
// which order, is unspecified, so tasks must write disjoint outputs. Runs everything on the
// calling thread when the count is 1, when there is a single task, inside a task (nested
// parallelism never oversubscribes), and when another thread is using the pool.
void ParallelFor(int64_t tasks, TaskFunction fn, void* context);

template <typename F>
void ParallelFor(int64_t tasks, F&& f) {
  using Fn = typename std::remove_reference<F>::type;
  ParallelFor(
      tasks, [](void* context, int64_t task) { (*static_cast<Fn*>(context))(task); },
      static_cast<void*>(&f));
}

// Tasks per thread a kernel splits its output into when it runs on several threads: on a
// loaded machine a worker may start late or be descheduled, and the threads that run take
// over its share instead of waiting for it (results do not depend on the split).
inline constexpr int kTasksPerThread = 4;

// The number of threads a kernel of `work` units (roughly, multiply-adds or elements) should
// use: 1 below `grain` units per thread, so that small operations pay no hand-off.
int ThreadsFor(int64_t work, int64_t grain);

// Divides every grain of ThreadsFor by `divisor` (1 restores), so that tests split small
// operations over threads too.
void SetGrainDivisorForTesting(int64_t divisor);

}  // namespace noma::runtime::internal

#endif  // NOMA_RUNTIME_INTERNAL_THREADS_H_

#ifndef NOMA_RUNTIME_THREADS_H_
#define NOMA_RUNTIME_THREADS_H_

// How many threads the runtime's kernels use (docs/runtime.md, "Threads"). Large matmuls,
// elementwise kernels and axis reductions are split over a small persistent pool by output
// blocks; every output element is computed by the same operations in the same order whatever
// the count, so results are bit-identical for every thread count (docs/numerics.md).

namespace noma::runtime {

// Sets the number of threads kernels may use, the calling thread included. n <= 0 restores the
// default: $NOMA_THREADS if it is a positive integer, else the CPUs this process may run on
// (sched_getaffinity). Takes effect at the next kernel call; must not be called while another
// thread runs kernels.
void SetThreadCount(int n);

// The current thread count (>= 1).
int ThreadCount();

// The default SetThreadCount(0) restores.
int DefaultThreadCount();

}  // namespace noma::runtime

#endif  // NOMA_RUNTIME_THREADS_H_

#ifndef NOMA_GRAPH_VERSION_H_
#define NOMA_GRAPH_VERSION_H_

// Semantic version of the noma/graph public API; bump on any API change.
#define NOMA_GRAPH_VERSION_MAJOR 0
#define NOMA_GRAPH_VERSION_MINOR 4
#define NOMA_GRAPH_VERSION_PATCH 0
#define NOMA_GRAPH_VERSION_STRING "0.4.0"

namespace noma::graph {
inline constexpr char kVersion[] = NOMA_GRAPH_VERSION_STRING;
}  // namespace noma::graph

#endif  // NOMA_GRAPH_VERSION_H_

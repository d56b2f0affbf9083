#include "encoders/radiomics/mesh.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace vbiopsy::encoders::radiomics {
namespace {

// Corner k of a cube sits at (k & 1, k >> 1 & 1, k >> 2 & 1); edge e joins corners kEdges[e].
constexpr int kEdges[12][2] = {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 2}, {1, 3},
                               {4, 6}, {5, 7}, {0, 4}, {1, 5}, {2, 6}, {3, 7}};
// The six faces, each as its four corners in cyclic order.
constexpr int kFaces[6][4] = {{0, 1, 3, 2}, {4, 5, 7, 6}, {0, 1, 5, 4}, {2, 3, 7, 6}, {0, 2, 6, 4}, {1, 3, 7, 5}};

int edge_between(int a, int b) {
  for (int e = 0; e < 12; ++e)
    if ((kEdges[e][0] == a && kEdges[e][1] == b) || (kEdges[e][0] == b && kEdges[e][1] == a)) return e;
  return -1;
}

std::array<double, 3> corner(int k) { return {double(k & 1), double(k >> 1 & 1), double(k >> 2 & 1)}; }

std::array<double, 3> midpoint(int e) {
  const auto a = corner(kEdges[e][0]), b = corner(kEdges[e][1]);
  return {(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2};
}

using Triangles = std::vector<std::array<int, 3>>;  // edge indices, counter-clockwise seen from outside

// Six times the volume of the tetrahedron (cube centre, a, b, c), signed by the triangle's orientation.
double signed_volume6(const std::array<double, 3>& a, const std::array<double, 3>& b, const std::array<double, 3>& c) {
  const double u[3] = {a[0] - 0.5, a[1] - 0.5, a[2] - 0.5}, v[3] = {b[0] - 0.5, b[1] - 0.5, b[2] - 0.5},
               w[3] = {c[0] - 0.5, c[1] - 0.5, c[2] - 0.5};
  return u[0] * (v[1] * w[2] - v[2] * w[1]) - u[1] * (v[0] * w[2] - v[2] * w[0]) + u[2] * (v[0] * w[1] - v[1] * w[0]);
}

// Triangulates an oriented (generally non-planar) loop so that the side of the fewer corners (the
// inside when at most four corners are inside) encloses the most volume: planar pieces where the
// loop has them, and the same surface for a configuration and its complement. Dynamic programming
// over the loop's diagonals.
void triangulate_loop(const std::vector<int>& loop, bool grow_inside, Triangles& out) {
  const size_t n = loop.size();
  std::vector<std::array<double, 3>> p;
  for (int e : loop) p.push_back(midpoint(e));
  const double sign = grow_inside ? 1.0 : -1.0;  // outward normals: more signed volume, more inside
  std::vector<double> best(n * n, 0.0);
  std::vector<size_t> split(n * n, 0);
  for (size_t length = 2; length < n; ++length)
    for (size_t i = 0; i + length < n; ++i) {
      const size_t j = i + length;
      best[i * n + j] = -1e300;
      for (size_t k = i + 1; k < j; ++k) {
        const double value = best[i * n + k] + best[k * n + j] + sign * signed_volume6(p[i], p[k], p[j]);
        if (value > best[i * n + j] + 1e-12) {
          best[i * n + j] = value;
          split[i * n + j] = k;
        }
      }
    }
  std::vector<std::pair<size_t, size_t>> pending{{0, n - 1}};
  while (!pending.empty()) {
    const auto [i, j] = pending.back();
    pending.pop_back();
    if (j < i + 2) continue;
    const size_t k = split[i * n + j];
    out.push_back({loop[i], loop[k], loop[j]});
    pending.push_back({i, k});
    pending.push_back({k, j});
  }
}

// The triangles of one cube configuration (bit k set: corner k inside), derived rather than typed:
// on each face the surface crosses the edges whose corners differ, joined in pairs; a face with two
// diagonal inside corners cuts each inside corner off (so neighbouring cubes, which see the same
// face, agree and the surface closes). The segments form loops around the cube, each oriented
// with the inside behind it and triangulated by triangulate_loop.
Triangles triangulate_config(int config) {
  auto inside = [&](int k) { return (config >> k & 1) != 0; };
  std::array<std::vector<int>, 12> linked;  // crossing edge -> the crossing edges it is joined to
  for (const auto& face : kFaces) {
    std::vector<int> crossings;
    for (int i = 0; i < 4; ++i)
      if (inside(face[i]) != inside(face[(i + 1) % 4])) crossings.push_back(i);
    auto join = [&](int e1, int e2) {
      linked[size_t(e1)].push_back(e2);
      linked[size_t(e2)].push_back(e1);
    };
    auto side = [&](int i) { return edge_between(face[i % 4], face[(i + 1) % 4]); };
    if (crossings.size() == 2) {
      join(side(crossings[0]), side(crossings[1]));
    } else if (crossings.size() == 4) {
      for (int i = 0; i < 4; ++i)
        if (inside(face[i])) join(side(i + 3), side(i));  // the two sides meeting at inside corner i
    }
  }
  Triangles triangles;
  std::array<bool, 12> used{};
  for (int start = 0; start < 12; ++start) {
    if (used[size_t(start)] || linked[size_t(start)].empty()) continue;
    std::vector<int> loop{start};
    used[size_t(start)] = true;
    for (int previous = -1, current = start;;) {
      const auto& next = linked[size_t(current)];
      const int candidate = next[0] != previous ? next[0] : next[1];
      if (candidate == start || used[size_t(candidate)]) break;
      loop.push_back(candidate);
      used[size_t(candidate)] = true;
      previous = current;
      current = candidate;
    }
    // Orientation: the loop's normal (Newell) must point from the inside corners to the outside ones.
    std::array<double, 3> normal{0, 0, 0}, outward{0, 0, 0};
    for (size_t i = 0; i < loop.size(); ++i) {
      const auto p = midpoint(loop[i]), q = midpoint(loop[(i + 1) % loop.size()]);
      normal[0] += (p[1] - q[1]) * (p[2] + q[2]);
      normal[1] += (p[2] - q[2]) * (p[0] + q[0]);
      normal[2] += (p[0] - q[0]) * (p[1] + q[1]);
      const int a = kEdges[loop[i]][0], b = kEdges[loop[i]][1];
      const auto in = corner(inside(a) ? a : b), out = corner(inside(a) ? b : a);
      for (int k = 0; k < 3; ++k) outward[size_t(k)] += out[size_t(k)] - in[size_t(k)];
    }
    if (normal[0] * outward[0] + normal[1] * outward[1] + normal[2] * outward[2] < 0)
      std::reverse(loop.begin() + 1, loop.end());
    triangulate_loop(loop, __builtin_popcount(unsigned(config)) <= 4, triangles);
  }
  return triangles;
}

// The closed surface: every configuration by the rules above (inside grown for at most four inside
// corners, outside for more). PyRadiomics' style instead takes a configuration with more than four
// inside corners (or four including corner 7) as its complement turned inside out, so that the
// two share one surface; an ambiguous face then separates the minority corners, which two
// neighbouring cubes may see differently, as in the classic marching cubes tables.
Triangles triangulate(int config, MeshStyle style) {
  const int inside = __builtin_popcount(unsigned(config));
  if (style == MeshStyle::kClosed || inside < 4 || (inside == 4 && !(config & 128))) return triangulate_config(config);
  Triangles triangles = triangulate_config(255 - config);
  for (auto& t : triangles) std::swap(t[1], t[2]);  // the complement's surface, facing the other way
  return triangles;
}

const std::array<Triangles, 256>& case_table(MeshStyle style) {
  static const auto build = [](MeshStyle s) {
    std::array<Triangles, 256> t;
    for (int config = 0; config < 256; ++config) t[size_t(config)] = triangulate(config, s);
    return t;
  };
  static const std::array<Triangles, 256> closed = build(MeshStyle::kClosed),
                                          pyradiomics = build(MeshStyle::kPyRadiomics);
  return style == MeshStyle::kClosed ? closed : pyradiomics;
}

}  // namespace

// The ends of each axis-parallel line of lattice points (coordinates below 2^20).
std::array<std::vector<uint8_t>, 3> line_ends(const std::vector<std::array<uint32_t, 3>>& lattice) {
  std::array<std::vector<uint8_t>, 3> end;
  std::vector<std::pair<uint64_t, uint32_t>> keyed(lattice.size());
  for (size_t axis = 0; axis < 3; ++axis) {
    const size_t u = (axis + 1) % 3, v = (axis + 2) % 3;
    for (size_t i = 0; i < lattice.size(); ++i)
      keyed[i] = {uint64_t(lattice[i][u]) << 40 | uint64_t(lattice[i][v]) << 20 | lattice[i][axis], uint32_t(i)};
    std::sort(keyed.begin(), keyed.end());
    end[axis].assign(lattice.size(), 0);
    for (size_t first = 0; first < keyed.size();) {
      size_t last = first;
      while (last + 1 < keyed.size() && keyed[last + 1].first >> 20 == keyed[first].first >> 20) ++last;
      end[axis][keyed[first].second] = end[axis][keyed[last].second] = 1;
      first = last + 1;
    }
  }
  return end;
}

Mesh mesh_of_mask(const std::vector<uint8_t>& mask, const std::array<size_t, 3>& size,
                  const std::array<double, 3>& spacing, MeshStyle style) {
  // Padded by one empty voxel on every side so that the surface closes at the crop's border.
  const std::array<size_t, 3> p{size[0] + 2, size[1] + 2, size[2] + 2};
  std::vector<uint8_t> padded(p[0] * p[1] * p[2], 0);
  for (size_t z = 0; z < size[2]; ++z)
    for (size_t y = 0; y < size[1]; ++y)
      for (size_t x = 0; x < size[0]; ++x)
        padded[(x + 1) + p[0] * ((y + 1) + p[1] * (z + 1))] = mask[x + size[0] * (y + size[1] * z)] != 0;
  const size_t corner_offset[8] = {
      0, 1, p[0], p[0] + 1, p[0] * p[1], p[0] * p[1] + 1, p[0] * p[1] + p[0], p[0] * p[1] + p[0] + 1};
  const auto& table = case_table(style);
  Mesh mesh;
  // Vertices: the midpoint of every inside-outside pair of neighbouring voxels, in mm (unpadded),
  // and on the lattice of doubled padded voxel indices.
  if (std::max({p[0], p[1], p[2]}) >= (size_t(1) << 19))
    core::fail("mask of ", size[0], "x", size[1], "x", size[2], " voxels is too large for a mesh");
  std::vector<std::array<uint32_t, 3>> lattice;
  for (size_t z = 0; z < p[2]; ++z)
    for (size_t y = 0; y < p[1]; ++y)
      for (size_t x = 0; x < p[0]; ++x) {
        const size_t i = x + p[0] * (y + p[1] * z);
        const double position[3] = {double(x) - 1, double(y) - 1, double(z) - 1};
        const size_t step[3] = {1, p[0], p[0] * p[1]};
        const bool room[3] = {x + 1 < p[0], y + 1 < p[1], z + 1 < p[2]};
        for (int a = 0; a < 3; ++a) {
          if (!room[a] || padded[i] == padded[i + step[a]]) continue;
          std::array<double, 3> v{position[0] * spacing[0], position[1] * spacing[1], position[2] * spacing[2]};
          v[size_t(a)] += 0.5 * spacing[size_t(a)];
          mesh.vertices.push_back(v);
          std::array<uint32_t, 3> l{uint32_t(2 * x), uint32_t(2 * y), uint32_t(2 * z)};
          l[size_t(a)] += 1;
          lattice.push_back(l);
        }
      }
  double signed_volume = 0;
  for (size_t z = 0; z + 1 < p[2]; ++z)
    for (size_t y = 0; y + 1 < p[1]; ++y)
      for (size_t x = 0; x + 1 < p[0]; ++x) {
        const size_t base = x + p[0] * (y + p[1] * z);
        int config = 0;
        for (int k = 0; k < 8; ++k) config |= padded[base + corner_offset[k]] << k;
        if (config == 0 || config == 255) continue;
        // Cube corner 0 at voxel (x - 1, y - 1, z - 1) of the unpadded grid.
        auto point = [&](int e) {
          const auto m = midpoint(e);
          return std::array<double, 3>{(double(x) - 1 + m[0]) * spacing[0], (double(y) - 1 + m[1]) * spacing[1],
                                       (double(z) - 1 + m[2]) * spacing[2]};
        };
        for (const auto& t : table[size_t(config)]) {
          const auto a = point(t[0]), b = point(t[1]), c = point(t[2]);
          signed_volume += (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
                            a[2] * (b[0] * c[1] - b[1] * c[0])) /
                           6.0;
          const double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
          const double v[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
          const double n[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
          mesh.area += 0.5 * std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
          ++mesh.triangles;
        }
      }
  mesh.volume = signed_volume;
  mesh.line_end = line_ends(lattice);
  return mesh;
}

}  // namespace vbiopsy::encoders::radiomics

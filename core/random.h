#pragma once
// A small, fully specified random generator (xoshiro256** seeded by splitmix64, Box-Muller normals).
// The standard library's distributions differ between implementations; ours give the same bytes
// everywhere. Derive a stream per item from (seed, stream ids) instead of sharing one generator,
// so results do not depend on the order or thread in which items are processed.
#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace vbiopsy::core {

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Mixes a seed with stream identifiers (case index, modality, ...) into a new seed.
inline uint64_t derive_seed(uint64_t seed, std::initializer_list<uint64_t> ids) {
  uint64_t state = seed;
  uint64_t out = splitmix64(state);
  for (uint64_t id : ids) {
    state ^= id + 0x632BE59BD9B4E019ULL + (out << 6) + (out >> 2);
    out = splitmix64(state);
  }
  return out;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t state = seed;
    for (auto& word : s_) word = splitmix64(state);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n).
  uint64_t below(uint64_t n) { return n ? static_cast<uint64_t>(uniform() * static_cast<double>(n)) : 0; }
  bool bernoulli(double p) { return uniform() < p; }
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * M_PI * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace vbiopsy::core

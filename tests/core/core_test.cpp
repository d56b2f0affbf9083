#include "core/csv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>
#include <cstdlib>
#include <limits>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "core/error.h"
#include "core/files.h"
#include "core/image.h"
#include "core/memory_budget.h"
#include "core/parallel.h"
#include "core/random.h"
#include "core/strings.h"

namespace vbiopsy::core {
namespace {

TEST(Csv, ReadsQuotedFieldsWithCommasQuotesAndNewlines) {
  auto table = parse_csv("a,b\n\"x,1\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\n", "t.csv");
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0][0], "x,1");
  EXPECT_EQ(table.rows[0][1], "say \"hi\"");
  EXPECT_EQ(table.rows[1][0], "two\nlines");
  EXPECT_EQ(table.line_of_row(1), 3u);
}

TEST(Csv, RoundTripsThroughEscaping) {
  std::vector<std::string> fields = {"plain", "with,comma", "with \"quote\"", "multi\nline", ""};
  auto table = parse_csv("h1,h2,h3,h4,h5\n" + csv_line(fields), "t.csv");
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0], fields);
}

TEST(Csv, RejectsARowWithTheWrongFieldCountNamingTheLine) {
  try {
    parse_csv("a,b\n1,2\n3\n", "cohort.csv");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cohort.csv: line 3 has 1 fields, expected 2"), std::string::npos) << e.what();
  }
}

TEST(Strings, ParsesWholeNumbersOnly) {
  EXPECT_EQ(parse_double(" 12.5 "), 12.5);
  EXPECT_FALSE(parse_double("12.5mm"));
  EXPECT_FALSE(parse_double(""));
  EXPECT_EQ(parse_int("-7"), -7);
  EXPECT_FALSE(parse_int("7.0"));
}

TEST(Strings, FormatsDoublesThatReadBackExactly) {
  for (double v : {0.1, 1.0 / 3.0, 300.0, -2.5e-7, 123456789.123}) {
    EXPECT_EQ(*parse_double(format_double(v)), v);
  }
  EXPECT_EQ(format_double(60), "60");
}

// The text is the fewest-digits "%.*g" (from 6 up) that reads back: checked against that search
// itself on random doubles of every magnitude, values next to powers of two, round numbers.
TEST(Strings, FormatsDoublesAsTheFewestDigitPrintfThatReadsBack) {
  auto reference = [](double v) {
    char buffer[64];
    for (int precision = 6; precision <= 17; ++precision) {
      std::snprintf(buffer, sizeof buffer, "%.*g", precision, v);
      if (std::strtod(buffer, nullptr) == v) break;
    }
    return std::string(buffer);
  };
  std::vector<double> values = {0.0,
                                -0.0,
                                1.0,
                                123000.0,
                                1e22,
                                5e-324,
                                1.7976931348623157e308,
                                0.00015,
                                1e-5,
                                100000.0,
                                std::numeric_limits<double>::infinity(),
                                -std::numeric_limits<double>::infinity()};
  for (int e = -1074; e <= 1023; e += 7) {
    const double p = std::ldexp(1.0, e);
    values.insert(values.end(), {p, std::nextafter(p, 0.0), std::nextafter(p, 2 * p), -p});
  }
  for (uint64_t seed : {3ull, 11ull, 2026ull}) {
    Rng rng(seed);
    for (int i = 0; i < 20000; ++i) {
      const double mantissa = rng.uniform() + 0.5;
      values.push_back(std::ldexp(mantissa, static_cast<int>(rng.below(120)) - 60));
      values.push_back(std::round(mantissa * 1e6) / 1e3);  // few digits, as measurements have
    }
  }
  for (double v : values) ASSERT_EQ(format_double(v), reference(v)) << std::hexfloat << v;
}

TEST(Rng, SameSeedSameStreamAndStreamsDiffer) {
  for (uint64_t seed : {1ull, 42ull, 2026ull}) {
    Rng a(derive_seed(seed, {3, 1})), b(derive_seed(seed, {3, 1})), c(derive_seed(seed, {3, 2}));
    bool differs = false;
    for (int i = 0; i < 100; ++i) {
      const double x = a.uniform();
      EXPECT_EQ(x, b.uniform());
      differs = differs || x != c.uniform();
    }
    EXPECT_TRUE(differs);
  }
}

TEST(Rng, NormalsHaveUnitVarianceOverSeveralSeeds) {
  for (uint64_t seed : {5ull, 6ull, 7ull}) {
    Rng rng(seed);
    double sum = 0, sum2 = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
      const double x = rng.normal();
      sum += x;
      sum2 += x * x;
    }
    EXPECT_NEAR(sum / n, 0.0, 0.03);
    EXPECT_NEAR(sum2 / n, 1.0, 0.05);
  }
}

TEST(Geometry, PhysicalToIndexInvertsIndexToPhysicalForAnObliqueGrid) {
  Geometry g;
  g.size = {10, 12, 5};
  g.spacing = {0.7, 0.9, 3.0};
  g.origin = {-10, 5, 30};
  const double c = std::cos(0.3), s = std::sin(0.3);
  g.direction = {c, -s, 0, s, c, 0, 0, 0, 1};
  auto p = g.index_to_physical(2.5, 7, 3);
  auto idx = g.physical_to_index(p);
  EXPECT_NEAR(idx[0], 2.5, 1e-9);
  EXPECT_NEAR(idx[1], 7, 1e-9);
  EXPECT_NEAR(idx[2], 3, 1e-9);
}

TEST(Geometry, DescribesWhichFieldDiffers) {
  Geometry a, b;
  a.size = b.size = {4, 4, 4};
  EXPECT_EQ(describe_grid_mismatch(a, b), "");
  b.spacing[2] = 2.0;
  EXPECT_EQ(describe_grid_mismatch(a, b), "spacing[2] 1 vs 2 mm");
  b = a;
  b.size[0] = 5;
  EXPECT_NE(describe_grid_mismatch(a, b).find("size 4x4x4 vs 5x4x4"), std::string::npos);
}

TEST(Files, AtomicWriteLeavesOnlyTheFinishedFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("vbiopsy_core_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  write_file_atomic(dir / "sub" / "a.txt", "first");
  write_file_atomic(dir / "sub" / "a.txt", "second");
  EXPECT_EQ(read_text_file(dir / "sub" / "a.txt"), "second");
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir / "sub")) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
  std::filesystem::remove_all(dir);
}

TEST(Files, ASecondCommandOnALockedFolderIsRefusedNamingTheHolder) {
  const auto dir = std::filesystem::temp_directory_path() / ("vbiopsy_lock_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    const FolderLock first(dir, "vbiopsy run");
    try {
      const FolderLock second(dir, "vbiopsy run");
      FAIL() << "two commands hold one folder";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("is in use by another vbiopsy (vbiopsy run, pid " +
                                           std::to_string(::getpid()) + ")"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_NO_THROW(FolderLock(dir, "vbiopsy run"));  // released with its holder
  std::filesystem::remove_all(dir);
}

TEST(Files, TemporariesOfProcessesThatNoLongerRunAreRemoved) {
  const auto dir = std::filesystem::temp_directory_path() / ("vbiopsy_stale_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  write_file_atomic(dir / "cells" / "keep.csv", "x");
  const pid_t gone = 999999;  // above pid_max on Linux: no such process
  write_file_atomic(dir / "cells" / (".tmp" + std::to_string(gone) + ".a.csv"), "");
  write_file_atomic(dir / (".tmp" + std::to_string(::getpid()) + ".b.csv"), "");  // this process: still writing
  remove_stale_temporaries(dir);
  EXPECT_FALSE(std::filesystem::exists(dir / "cells" / (".tmp" + std::to_string(gone) + ".a.csv")));
  EXPECT_TRUE(std::filesystem::exists(dir / (".tmp" + std::to_string(::getpid()) + ".b.csv")));
  EXPECT_TRUE(std::filesystem::exists(dir / "cells" / "keep.csv"));
  std::filesystem::remove_all(dir);
}

TEST(MemoryBudget, SizesBeyondTheBudgetAreRefusedNamingWhatAsked) {
  ::setenv("VBIOPSY_MEMORY_BUDGET_MB", "64", 1);
  EXPECT_EQ(memory_budget_bytes(), size_t{64} << 20);
  EXPECT_NO_THROW(require_within_memory_budget(60.0 * 1048576, "a small grid"));
  try {
    require_within_memory_budget(1e12, "resampling to 0.001 mm");
    FAIL() << "a terabyte fitted a 64 MB budget";
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("resampling to 0.001 mm would need 953674 MB, more than the memory budget of 64 MB"),
        std::string::npos)
        << e.what();
  }
  ::unsetenv("VBIOPSY_MEMORY_BUDGET_MB");
  EXPECT_GT(memory_budget_bytes(), size_t{64} << 20);
}

TEST(Parallel, ResultsDoNotDependOnTheThreadCountAndErrorsPropagate) {
  for (unsigned threads : {1u, 2u, 4u}) {
    std::vector<double> out(100);
    parallel_for(out.size(), threads, [&](size_t i) { out[i] = Rng(derive_seed(9, {i})).uniform(); });
    EXPECT_EQ(out[37], Rng(derive_seed(9, {37})).uniform());
    EXPECT_THROW(parallel_for(10, threads,
                              [](size_t i) {
                                if (i == 3) fail("item 3");
                              }),
                 Error);
  }
}

}  // namespace
}  // namespace vbiopsy::core

#include "core/hash.h"

namespace vbiopsy::core {
namespace {

TEST(Sha256, MatchesTheStandardTestVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 split;
  split.add("a");
  split.add("bc");
  EXPECT_EQ(split.hex(), sha256_hex("abc"));
}

}  // namespace
}  // namespace vbiopsy::core

#include "core/runtime.h"

// The settings vbiopsy passes to the programs it starts: set when unset, the user's own kept.
TEST(Runtime, ProgramSettingsAreSetOnlyWhenTheUserGaveNone) {
  const char* saved = std::getenv("GLIBC_TUNABLES");
  const std::string user = saved ? saved : "";
  unsetenv("GLIBC_TUNABLES");
  EXPECT_TRUE(vbiopsy::core::select_huge_pages_for_large_blocks());
  EXPECT_STREQ(std::getenv("GLIBC_TUNABLES"), "glibc.malloc.hugetlb=1");
  setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=1", 1);
  EXPECT_FALSE(vbiopsy::core::select_huge_pages_for_large_blocks());
  EXPECT_STREQ(std::getenv("GLIBC_TUNABLES"), "glibc.malloc.arena_max=1");
  if (saved)
    setenv("GLIBC_TUNABLES", user.c_str(), 1);
  else
    unsetenv("GLIBC_TUNABLES");
}

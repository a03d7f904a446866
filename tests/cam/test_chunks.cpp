// The pipeline's chunk loop on a fake computation that runs out of memory above a number of
// rows: which sizes it tries, in what order, and that every row is kept once, in order.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "cam/chunks.h"
#include "core/error.h"

using igcam::OutOfMemoryError;
using igcam::cam::ChunkLoop;

namespace {

// Runs `loop` over `total` rows where a chunk of more than `fits` rows (or, while
// `failures_left` > 0, any chunk) throws OutOfMemoryError; returns the chunk sizes tried.
std::vector<int64_t> run(ChunkLoop& loop, int64_t total, int64_t fits, int failures_left = 0) {
    std::vector<int64_t> tried, kept;
    loop.run(
        total,
        [&](int64_t begin, int64_t end) {
            tried.push_back(end - begin);
            if (end - begin > fits || failures_left-- > 0) throw OutOfMemoryError("out of memory (test)");
            std::vector<int64_t> rows;
            for (int64_t r = begin; r < end; ++r) rows.push_back(r);
            return rows;
        },
        [&](std::vector<int64_t> rows, int64_t, int64_t) { kept.insert(kept.end(), rows.begin(), rows.end()); });
    REQUIRE(kept.size() == static_cast<std::size_t>(total));
    for (int64_t r = 0; r < total; ++r) CHECK(kept[static_cast<std::size_t>(r)] == r);
    return tried;
}

}  // namespace

TEST_CASE("chunks: with nothing cached to release, a chunk that runs out of memory is halved") {
    int releases = 0;
    ChunkLoop loop(16, [&] { ++releases; return std::size_t{0}; });
    // 16 -> 8 -> 4 fits; the rest of the 20 rows in chunks of 4.
    CHECK(run(loop, 20, 4) == std::vector<int64_t>{16, 8, 4, 4, 4, 4, 4});
    CHECK(loop.retries() == std::vector<int64_t>{8, 4});
    CHECK(loop.size() == 4);
    CHECK(releases == 2);
    CHECK(loop.passes() == 5);
}

TEST_CASE("chunks: when releasing cached memory frees something, the same size is retried once") {
    int releases = 0;
    ChunkLoop loop(16, [&] { ++releases; return std::size_t{1} << 20; });
    // The first 16 fails for a reason releasing fixes (one failure), then fits.
    CHECK(run(loop, 32, 16, 1) == std::vector<int64_t>{16, 16, 16});
    CHECK(loop.retries() == std::vector<int64_t>{16});
    CHECK(loop.size() == 16);
    CHECK(releases == 1);
}

TEST_CASE("chunks: a shortage releasing does not fix is halved after the one retry, not retried forever") {
    ChunkLoop loop(16, [] { return std::size_t{1} << 20; });
    // 16 fails, 16 again after the release, then 8 and 4 are halvings; a later shortage
    // (none here) would get its own retry.
    CHECK(run(loop, 12, 4) == std::vector<int64_t>{12, 12, 6, 3, 3, 3, 3});
    CHECK(loop.retries() == std::vector<int64_t>{12, 6, 3});
}

TEST_CASE("chunks: one row that runs out of memory is an error") {
    ChunkLoop loop(4, [] { return std::size_t{0}; });
    std::vector<int64_t> tried;
    CHECK_THROWS_AS(loop.run(
                        3,
                        [&](int64_t begin, int64_t end) -> int {
                            tried.push_back(end - begin);
                            throw OutOfMemoryError("out of memory (test)");
                        },
                        [](int, int64_t, int64_t) {}),
                    OutOfMemoryError);
    CHECK(tried == std::vector<int64_t>{3, 1});
}

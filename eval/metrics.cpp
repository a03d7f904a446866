#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace igcam::eval {

std::vector<uint8_t> box_mask(const std::vector<Box>& boxes, int64_t height, int64_t width) {
    std::vector<uint8_t> mask(static_cast<std::size_t>(height * width), 0);
    for (const Box& b : boxes)
        for (int64_t y = std::max<int64_t>(b.y0, 0); y < std::min(b.y1, height); ++y)
            for (int64_t x = std::max<int64_t>(b.x0, 0); x < std::min(b.x1, width); ++x)
                mask[static_cast<std::size_t>(y * width + x)] = 1;
    return mask;
}

namespace {
void check_sizes(const Grid& map, const std::vector<uint8_t>& mask, const char* what) {
    IGCAM_CHECK(map.height * map.width == static_cast<int64_t>(map.values.size()) && map.values.size() == mask.size(),
                ShapeError, what, ": a ", map.height, "x", map.width, " map with ", map.values.size(),
                " values against a mask of ", mask.size());
}
}  // namespace

std::optional<double> energy_pointing_game(const Grid& map, const std::vector<uint8_t>& mask) {
    check_sizes(map, mask, "EBPG");
    double inside = 0, total = 0;
    for (std::size_t i = 0; i < mask.size(); ++i) {
        total += map.values[i];
        if (mask[i]) inside += map.values[i];
    }
    if (total == 0) return std::nullopt;
    return inside / total;
}

std::optional<double> bbox_accuracy(const Grid& map, const std::vector<uint8_t>& mask, Ties ties) {
    check_sizes(map, mask, "Bbox");
    const auto n = static_cast<std::size_t>(std::count(mask.begin(), mask.end(), uint8_t{1}));
    if (n == 0) return std::nullopt;
    std::vector<std::size_t> order(mask.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    // Descending, ties in raster order.
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return map.values[a] > map.values[b]; });
    if (ties == Ties::Raster) {
        std::size_t inside = 0;
        for (std::size_t i = 0; i < n; ++i) inside += mask[order[i]];
        return static_cast<double>(inside) / static_cast<double>(n);
    }
    const double nth = map.values[order[n - 1]];
    double above_inside = 0, above = 0, tied = 0, tied_inside = 0;
    for (std::size_t i = 0; i < mask.size(); ++i) {
        if (map.values[i] > nth) {
            above += 1;
            above_inside += mask[i];
        } else if (map.values[i] == nth) {
            tied += 1;
            tied_inside += mask[i];
        }
    }
    const double taken = static_cast<double>(n) - above;  // of the tied pixels
    return (above_inside + taken * tied_inside / tied) / static_cast<double>(n);
}

PointingResult pointing_game(const Grid& map, const std::vector<Box>& boxes, double tolerance) {
    IGCAM_CHECK(!map.values.empty(), ShapeError, "pointing game: an empty map");
    const auto best = std::max_element(map.values.begin(), map.values.end());  // the first maximum
    const auto index = static_cast<int64_t>(best - map.values.begin());
    PointingResult r;
    r.row = index / map.width;
    r.col = index % map.width;
    for (const Box& b : boxes) {
        if (b.x1 <= b.x0 || b.y1 <= b.y0) continue;
        // The box's pixel nearest to the maximum.
        const double dy = static_cast<double>(std::clamp(r.row, b.y0, b.y1 - 1) - r.row);
        const double dx = static_cast<double>(std::clamp(r.col, b.x0, b.x1 - 1) - r.col);
        if (dy * dy + dx * dx < tolerance * tolerance) r.hit = true;
    }
    return r;
}

std::optional<double> confidence_drop(double original, double masked) {
    if (original == 0) return std::nullopt;
    return 100.0 * std::max(0.0, original - masked) / original;
}

double confidence_increase(double original, double masked) { return masked > original ? 100.0 : 0.0; }

double curve_area(const std::vector<double>& scores) {
    IGCAM_CHECK(scores.size() >= 2, ValueError, "a curve needs at least 2 points, got ", scores.size());
    const double sum = std::accumulate(scores.begin(), scores.end(), 0.0);
    return (sum - scores.front() / 2 - scores.back() / 2) / static_cast<double>(scores.size() - 1);
}

namespace {
// Ranks 1..n, ties given their average rank.
std::vector<double> average_ranks(const std::vector<double>& v) {
    std::vector<std::size_t> order(v.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> ranks(v.size());
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
        const double rank = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
        for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
        i = j + 1;
    }
    return ranks;
}
}  // namespace

std::optional<double> spearman(const std::vector<double>& a, const std::vector<double>& b) {
    IGCAM_CHECK(a.size() == b.size() && a.size() >= 2, ShapeError, "spearman: samples of ", a.size(), " and ",
                b.size(), " values");
    const std::vector<double> ra = average_ranks(a), rb = average_ranks(b);
    const double n = static_cast<double>(a.size());
    const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n, mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < ra.size(); ++i) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    if (saa == 0 || sbb == 0) return std::nullopt;
    return sab / std::sqrt(saa * sbb);
}

double ssim(const Grid& a, const Grid& b, int64_t win, double data_range) {
    IGCAM_CHECK(a.height == b.height && a.width == b.width && a.height >= win && a.width >= win && win % 2 == 1,
                ShapeError, "ssim: maps of ", a.height, "x", a.width, " and ", b.height, "x", b.width,
                " with an odd window of ", win);
    const double c1 = (0.01 * data_range) * (0.01 * data_range), c2 = (0.03 * data_range) * (0.03 * data_range);
    const double np = static_cast<double>(win * win), cov_norm = np / (np - 1);
    const int64_t pad = (win - 1) / 2;
    double total = 0;
    int64_t windows = 0;
    for (int64_t r = pad; r < a.height - pad; ++r)
        for (int64_t c = pad; c < a.width - pad; ++c) {
            double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
            for (int64_t i = r - pad; i <= r + pad; ++i)
                for (int64_t j = c - pad; j <= c + pad; ++j) {
                    const double x = a.at(i, j), y = b.at(i, j);
                    sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
                }
            const double ux = sx / np, uy = sy / np;
            const double vx = cov_norm * (sxx / np - ux * ux), vy = cov_norm * (syy / np - uy * uy);
            const double vxy = cov_norm * (sxy / np - ux * uy);
            total += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
            ++windows;
        }
    return total / static_cast<double>(windows);
}

}  // namespace igcam::eval

// What every build shares of tools/ranks.h: the shares, the threads and devices of a rank,
// and the gathering on rank 0 (on top of Ranks' point-to-point messages).
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "core/backend.h"
#include "tools/ranks.h"

namespace igcam::tools {

namespace {

enum Tag : int { kItem = 1, kDone = 2, kFinish = 3 };

constexpr auto kTickInterval = std::chrono::milliseconds(200);

}  // namespace

std::string Ranks::where() const {
    if (!many()) return "";
    return "rank " + std::to_string(rank_) + " of " + std::to_string(size_) + (host_.empty() ? "" : " on " + host_);
}

std::vector<std::size_t> share_of(std::size_t count, int rank, int size) {
    std::vector<std::size_t> share;
    for (std::size_t i = static_cast<std::size_t>(rank); i < count; i += static_cast<std::size_t>(size)) share.push_back(i);
    return share;
}

int rank_cpu_threads(const Ranks& ranks) {
    if (std::getenv("IGCAM_NUM_THREADS") != nullptr) return cpu_threads();
    cpu_set_t mask;
    CPU_ZERO(&mask);
    const int allowed = sched_getaffinity(0, sizeof mask, &mask) == 0 ? CPU_COUNT(&mask) : cpu_threads();
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    const int per_rank = static_cast<int>(std::max(1L, online) / std::max(1, ranks.local_size()));
    return std::max(1, std::min(allowed, per_rank));
}

Device rank_device(const std::string& text, const Ranks& ranks) {
    if (ranks.many() && (text == "auto" || text == "cuda")) {
        const int gpus = cuda_device_count();
        if (gpus > 0) return Device::cuda(ranks.local_rank() % gpus);
    }
    return resolve_device(text);
}

std::string mpi_help(const std::string& tool, const std::string& verb, const std::string& root_does) {
    return "MPI (" + std::string(mpi_built() ? "this build has it" : "this build has none: IGCAM_MPI") +
           "): under mpirun -np N " + tool + " ..., each rank " + verb +
           " image i of those still to do when i mod N is its rank (balanced by image count), on GPU local_rank mod "
           "the visible GPUs where there are GPUs (--device auto or cuda), otherwise on the CPU with its node's cores "
           "divided among the node's ranks (within the cores mpirun binds it to; IGCAM_NUM_THREADS overrides). Rank 0 "
           "prints the whole job's progress on stderr every 5 s and " + root_does + ". A rank that fails stops the "
           "whole job with its error; run directly, without mpirun, the tool is one process.";
}

Gather::Gather(Ranks& ranks, std::function<void(const std::string&)> take, std::function<void()> tick)
    : ranks_(ranks), take_(std::move(take)), tick_(std::move(tick)) {
    if (ranks_.many()) thread_ = std::thread([this] { run(); });
}

namespace {
// While a Gather's thread runs, SIGTERM only raises a flag that the thread acts on.
std::atomic<int> gathers{0};
}  // namespace

bool gather_running() { return gathers > 0; }

Gather::~Gather() {
    abandoned_ = true;
    if (thread_.joinable()) thread_.join();
}

void Gather::run() {
    const int others = ranks_.size() - 1;
    auto last_tick = std::chrono::steady_clock::now();
    ++gathers;
    try {
        while (!abandoned_ && !(closing_ && done_ == others)) {
            if (Ranks::stop_requested()) {
                std::lock_guard<std::mutex> lock(mutex_);
                if (cleanup_) cleanup_();
                Ranks::stop_now();
            }
            if (std::optional<Ranks::Message> m = ranks_.poll()) {
                if (m->tag == kDone) {
                    ++done_;
                } else if (m->tag == kItem) {
                    std::lock_guard<std::mutex> lock(mutex_);
                    take_(m->bytes);
                } else {
                    throw std::logic_error("rank 0 got a message it does not expect (tag " + std::to_string(m->tag) + ")");
                }
                continue;  // drain what is waiting before sleeping
            }
            const auto now = std::chrono::steady_clock::now();
            if (now - last_tick >= kTickInterval && tick_) {
                std::lock_guard<std::mutex> lock(mutex_);
                tick_();
                last_tick = now;
            }
            std::this_thread::sleep_for(kProbeInterval);
        }
    } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        error_ = std::current_exception();
    }
    --gathers;
}

void Gather::local(const std::function<void()>& take_locally) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_) std::rethrow_exception(error_);
    take_locally();
}

void Gather::wait() {
    closing_ = true;
    if (thread_.joinable()) thread_.join();
    if (error_) std::rethrow_exception(error_);
}

void Gather::send_item(Ranks& ranks, const std::string& item) { ranks.send(0, kItem, item); }

void Gather::send_done(Ranks& ranks) { ranks.send(0, kDone, ""); }

void Gather::send_finish(Ranks& ranks, int code) {
    for (int r = 1; r < ranks.size(); ++r) ranks.send(r, kFinish, std::to_string(code));
}

int Gather::wait_finish(Ranks& ranks) { return std::stoi(ranks.wait(0, kFinish).bytes); }

}  // namespace igcam::tools

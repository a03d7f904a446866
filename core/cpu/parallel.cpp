#include "core/cpu/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#ifdef IGCAM_PARALLEL_OPENMP
#include <omp.h>
#endif

namespace igcam::cpu {

namespace {

thread_local bool inside_parallel_region = false;

// set_num_threads's count (0: none), and whether the count has been read since.
std::atomic<int> chosen_threads{0};
std::atomic<bool> threads_read{false};

int configured_threads() {
    threads_read = true;
    if (chosen_threads > 0) return chosen_threads;
    if (const char* env = std::getenv("IGCAM_NUM_THREADS")) {
        const int n = std::atoi(env);
        if (n >= 1) return std::min(n, 256);
    }
    return std::max(1u, std::thread::hardware_concurrency());
}

#ifndef IGCAM_PARALLEL_OPENMP
// A pool of (threads - 1) workers; the caller runs the first range itself.
class ThreadPool {
public:
    explicit ThreadPool(int threads) {
        for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
    }
    ~ThreadPool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (auto& w : workers_) w.join();
    }
    int size() const { return static_cast<int>(workers_.size()) + 1; }

    void run(int parts, const std::function<void(int)>& job) {
        std::unique_lock<std::mutex> call_lock(call_mutex_);  // one parallel call at a time
        {
            std::lock_guard<std::mutex> lock(mutex_);
            job_ = &job;
            parts_ = parts;
            pending_ = parts - 1;
            error_ = nullptr;
            ++generation_;
        }
        wake_.notify_all();
        run_part(job, 0);
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return pending_ == 0; });
        job_ = nullptr;
        if (error_) std::rethrow_exception(error_);
    }

private:
    void run_part(const std::function<void(int)>& job, int part) {
        inside_parallel_region = true;
        try {
            job(part);
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!error_) error_ = std::current_exception();
        }
        inside_parallel_region = false;
    }

    void work(int index) {
        uint64_t seen = 0;
        for (;;) {
            const std::function<void(int)>* job = nullptr;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
                if (stopping_) return;
                seen = generation_;
                if (index >= parts_) continue;
                job = job_;
            }
            run_part(*job, index);
            std::lock_guard<std::mutex> lock(mutex_);
            if (--pending_ == 0) done_.notify_one();
        }
    }

    std::vector<std::thread> workers_;
    std::mutex call_mutex_, mutex_;
    std::condition_variable wake_, done_;
    const std::function<void(int)>* job_ = nullptr;
    int parts_ = 0, pending_ = 0;
    uint64_t generation_ = 0;
    bool stopping_ = false;
    std::exception_ptr error_;
};

ThreadPool& pool() {
    static ThreadPool instance(configured_threads());
    return instance;
}
#endif

}  // namespace

void set_num_threads(int threads) {
    const int n = std::clamp(threads, 1, 256);
    if (threads_read && n != num_threads())
        throw std::logic_error("cpu::set_num_threads after the thread count was first used");
    chosen_threads = n;
}

int num_threads() {
#ifdef IGCAM_PARALLEL_OPENMP
    static const int threads = configured_threads();
    return threads;
#else
    return pool().size();
#endif
}

void parallel_for(int64_t count, int64_t min_per_thread,
                  const std::function<void(int64_t, int64_t)>& body) {
    if (count <= 0) return;
    const int64_t grain = std::max<int64_t>(1, min_per_thread);
    const int64_t max_parts = std::min<int64_t>(num_threads(), (count + grain - 1) / grain);
    if (inside_parallel_region || max_parts <= 1) {
        body(0, count);
        return;
    }
    const int parts = static_cast<int>(max_parts);
    auto run_part = [&](int part) {
        const int64_t begin = count * part / parts;
        const int64_t end = count * (part + 1) / parts;
        if (begin < end) body(begin, end);
    };
#ifdef IGCAM_PARALLEL_OPENMP
    std::exception_ptr error;
    std::mutex error_mutex;
#pragma omp parallel num_threads(parts)
    {
        inside_parallel_region = true;
        // The team may be smaller than asked for; its threads then share the parts.
        for (int part = omp_get_thread_num(); part < parts; part += omp_get_num_threads()) {
            try {
                run_part(part);
            } catch (...) {  // an exception must not leave an OpenMP region
                std::lock_guard<std::mutex> lock(error_mutex);
                if (!error) error = std::current_exception();
            }
        }
        inside_parallel_region = false;
    }
    if (error) std::rethrow_exception(error);
#else
    pool().run(parts, run_part);
#endif
}

}  // namespace igcam::cpu

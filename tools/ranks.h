// The processes of one job: the ranks of `mpirun -np N igcam-eval ...`, or this process
// alone.
//
// A build with MPI (IGCAM_MPI) starts MPI only when an MPI launcher started the process
// (mpirun or srun put the world's size in its environment); started directly, a tool is one
// process of one rank, exactly as in a build without MPI. Every MPI call of igcam is in
// tools/ranks_mpi.cpp; tools/ranks_single.cpp is the one-process build.
//
// Rank 0 writes every output: the other ranks send it what they computed as messages of
// bytes. Waiting is lazy (probe, then sleep), never a spin, so a rank that has finished its
// share does not take a core from a rank of the same node that is still computing.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/device.h"

namespace igcam::tools {

// How often a waiting rank, and rank 0's gathering thread, probe for messages: short next
// to any image's work, long enough that probing costs nothing.
inline constexpr std::chrono::milliseconds kProbeInterval{5};

// True when this build has MPI (IGCAM_MPI found it).
bool mpi_built();

class Ranks {
public:
    // Starts MPI when an MPI launcher started this process; once per process, before
    // anything else runs. Throws std::runtime_error when MPI cannot start.
    static Ranks& start(int& argc, char**& argv);

    int rank() const { return rank_; }
    int size() const { return size_; }
    int local_rank() const { return local_rank_; }  // among the ranks of this node
    int local_size() const { return local_size_; }
    bool root() const { return rank_ == 0; }
    bool many() const { return size_ > 1; }
    // Started by an MPI launcher (mpirun -np 1 too): progress goes out as lines.
    bool launched() const { return launched_; }
    // "rank 1 of 3 on node1" for messages, empty for one process.
    std::string where() const;

    // Collective: every rank runs the same `step`. When it throws on any rank, the lowest
    // such rank rethrows its exception (which prints the error) and the others throw
    // QuietExit (tools/command_line.h) with that exception's exit code, so the job reports
    // one error, once.
    void together(const std::function<void()>& step);
    // Collective: rank 0's `bytes` on every rank.
    std::string broadcast(const std::string& bytes);

    // The job's work has begun: from now until end_work() a rank that leaves with an error
    // stops the whole job (exit() aborts it). The message rank 0 prints when the job is
    // stopped from outside (another rank died, or the job was cancelled: mpirun sends
    // SIGTERM) is `stopped`; while a Gather runs, its thread cleans up first.
    void begin_work(const std::string& stopped);
    void end_work();
    // SIGTERM came while a Gather ran: print the message and leave (exit code 4), now.
    static bool stop_requested();
    [[noreturn]] static void stop_now();
    // What main() returns: with many ranks, a rank leaving with an error while the work
    // runs aborts the job with `code`; otherwise MPI (when started) is finalised and
    // `code` returned.
    int exit(int code);

    // Point to point, for the gathering below.
    struct Message {
        int source = 0, tag = 0;
        std::string bytes;
    };
    void send(int destination, int tag, const std::string& bytes);
    std::optional<Message> poll();           // a message waiting for this rank, if any
    Message wait(int source, int tag);       // lazily, until one comes

private:
    Ranks() = default;
    int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
    bool working_ = false, launched_ = false;
    std::string host_;
};

// The images (positions into `count` items still to do) that rank `rank` of `size`
// computes: item i goes to rank i mod size. Balanced by count to within one item, the same
// for every run of the same items and ranks, and spread so every rank's items run from the
// start of the list to its end.
std::vector<std::size_t> share_of(std::size_t count, int rank, int size);

// Threads for this rank's CPU work: the cores it may run on (its affinity mask, as mpirun
// binds it) divided among the ranks of its node, at least one; IGCAM_NUM_THREADS wins.
int rank_cpu_threads(const Ranks& ranks);
// The device for --device `text` on this rank: "auto" and "cuda" are GPU
// local_rank % visible GPUs where there are GPUs; anything else as resolve_device reads it.
Device rank_device(const std::string& text, const Ranks& ranks);

// The tools' --help paragraph on MPI: how `tool` shares its images among the ranks
// ("each rank <verb> ..."), and what rank 0 does with them ("rank 0 ... and <root_does>").
std::string mpi_help(const std::string& tool, const std::string& verb, const std::string& root_does);

// True while a Gather's thread runs (the SIGTERM handler asks).
bool gather_running();

// Rank 0 gathers what every rank computed, while it computes its own share: a thread takes
// the other ranks' items as they arrive and passes each to `take`, under the same lock as
// rank 0's own items (local()); `tick` runs under that lock about every 200 ms, for a
// progress display. The other ranks call send_item for each item and send_done at the end.
class Gather {
public:
    Gather(Ranks& ranks, std::function<void(const std::string& item)> take, std::function<void()> tick);
    ~Gather();  // stops the thread (after an error: what was taken stays taken)
    Gather(const Gather&) = delete;
    Gather& operator=(const Gather&) = delete;

    // Runs `take_locally` (rank 0's own item) under the lock `take` runs under.
    void local(const std::function<void()>& take_locally);
    // Runs under the lock when the job is stopped from outside, before the process leaves:
    // removes what must not stay behind.
    void on_stop(std::function<void()> cleanup) { cleanup_ = std::move(cleanup); }
    // Waits until every other rank has sent done; rethrows an exception `take` threw.
    void wait();

    static void send_item(Ranks& ranks, const std::string& item);
    static void send_done(Ranks& ranks);
    // After rank 0 is done with everything: every rank leaves with rank 0's exit code.
    static void send_finish(Ranks& ranks, int code);  // rank 0
    static int wait_finish(Ranks& ranks);            // the others

private:
    void run();

    Ranks& ranks_;
    std::function<void(const std::string&)> take_;
    std::function<void()> tick_, cleanup_;
    std::mutex mutex_;
    std::thread thread_;
    std::atomic<bool> closing_{false};   // wait(): leave once every rank is done
    std::atomic<bool> abandoned_{false}; // the destructor: leave now
    int done_ = 0;
    std::exception_ptr error_;
};

}  // namespace igcam::tools

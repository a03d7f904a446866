// Ranks over MPI: the only file of igcam that includes mpi.h.
#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "tools/command_line.h"
#include "tools/ranks.h"

namespace igcam::tools {

namespace {

// An MPI launcher names the world's size in the environment of each process it starts:
// Open MPI's mpirun, and PMIx or PMI-2 launchers such as srun.
bool launched_by_mpi() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
        if (std::getenv(name) != nullptr) return true;
    return false;
}

void check(int code, const char* what) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw std::runtime_error(std::string("MPI: ") + what + " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

// What rank 0 prints when mpirun stops it (SIGTERM: another rank died, or the job was
// cancelled). A fixed buffer: a signal handler may only write().
char stopped_message[1024] = "";
volatile std::sig_atomic_t stop_flag = 0;

[[noreturn]] void print_stopped_and_leave() {
    if (stopped_message[0] != '\0') {
        const ssize_t ignored = ::write(STDERR_FILENO, stopped_message, std::strlen(stopped_message));
        (void)ignored;
    }
    std::_Exit(kExitRuntime);
}

// A Gather's thread (tools/ranks.cpp) cleans up and leaves within milliseconds; without
// one, there is nothing to clean.
extern "C" void on_stop(int) {
    stop_flag = 1;
    if (!gather_running()) print_stopped_and_leave();
}

int to_int(std::size_t n) {
    if (n > static_cast<std::size_t>(INT_MAX)) throw std::runtime_error("MPI: a message over 2 GiB");
    return static_cast<int>(n);
}

}  // namespace

Ranks& Ranks::start(int& argc, char**& argv) {
    static Ranks ranks;
    static bool started = false;
    if (started || !launched_by_mpi()) {
        started = true;
        return ranks;
    }
    started = true;
    int provided = 0;
    // Rank 0 gathers on a second thread while its main thread computes; the two never call
    // MPI at the same time (the main thread only before and after the gathering).
    check(MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
    if (provided < MPI_THREAD_SERIALIZED) throw std::runtime_error("MPI: this MPI library gives no MPI_THREAD_SERIALIZED");
    ranks.launched_ = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &ranks.rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks.size_);
    MPI_Comm node;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, ranks.rank_, MPI_INFO_NULL, &node),
          "MPI_Comm_split_type");
    MPI_Comm_rank(node, &ranks.local_rank_);
    MPI_Comm_size(node, &ranks.local_size_);
    MPI_Comm_free(&node);
    char host[MPI_MAX_PROCESSOR_NAME];
    int length = 0;
    MPI_Get_processor_name(host, &length);
    ranks.host_.assign(host, static_cast<std::size_t>(length));
    // Errors come back as codes (check() turns them into exceptions) instead of aborting
    // inside MPI without a word.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    return ranks;
}

void Ranks::together(const std::function<void()>& step) {
    std::exception_ptr error;
    try {
        step();
    } catch (...) {
        error = std::current_exception();
    }
    if (!many()) {
        if (error) std::rethrow_exception(error);
        return;
    }
    const int mine = error ? rank_ : size_;
    int first = size_;
    check(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "MPI_Allreduce");
    if (first == size_) return;
    int code = error ? exit_code_of(error) : 0;
    check(MPI_Bcast(&code, 1, MPI_INT, first, MPI_COMM_WORLD), "MPI_Bcast");
    if (rank_ == first) std::rethrow_exception(error);
    throw QuietExit{code};
}

std::string Ranks::broadcast(const std::string& bytes) {
    if (!many()) return bytes;
    unsigned long long length = bytes.size();
    check(MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD), "MPI_Bcast");
    std::string out = root() ? bytes : std::string(static_cast<std::size_t>(length), '\0');
    check(MPI_Bcast(out.data(), to_int(out.size()), MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
    return out;
}

void Ranks::begin_work(const std::string& stopped) {
    working_ = true;
    if (!many() || !root()) return;
    std::snprintf(stopped_message, sizeof stopped_message, "error: %s\n", stopped.c_str());
    std::signal(SIGTERM, on_stop);
}

void Ranks::end_work() {
    working_ = false;
    if (many() && root()) std::signal(SIGTERM, SIG_DFL);
}

bool Ranks::stop_requested() { return stop_flag != 0; }

void Ranks::stop_now() { print_stopped_and_leave(); }

int Ranks::exit(int code) {
    if (!launched_) return code;
    if (many() && working_ && code != 0) MPI_Abort(MPI_COMM_WORLD, code);
    MPI_Finalize();
    return code;
}

void Ranks::send(int destination, int tag, const std::string& bytes) {
    check(MPI_Send(bytes.data(), to_int(bytes.size()), MPI_BYTE, destination, tag, MPI_COMM_WORLD), "MPI_Send");
}

namespace {

// A message from `source` with `tag` (MPI_ANY_* allowed), received if one is waiting.
std::optional<Ranks::Message> receive_waiting(int source, int tag) {
    int waiting = 0;
    MPI_Status status;
    check(MPI_Iprobe(source, tag, MPI_COMM_WORLD, &waiting, &status), "MPI_Iprobe");
    if (!waiting) return std::nullopt;
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    Ranks::Message m;
    m.source = status.MPI_SOURCE;
    m.tag = status.MPI_TAG;
    m.bytes.resize(static_cast<std::size_t>(count));
    check(MPI_Recv(m.bytes.data(), count, MPI_BYTE, m.source, m.tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
    return m;
}

}  // namespace

std::optional<Ranks::Message> Ranks::poll() { return receive_waiting(MPI_ANY_SOURCE, MPI_ANY_TAG); }

Ranks::Message Ranks::wait(int source, int tag) {
    for (;;) {
        if (std::optional<Message> m = receive_waiting(source, tag)) return std::move(*m);
        std::this_thread::sleep_for(kProbeInterval);
    }
}

bool mpi_built() { return true; }

}  // namespace igcam::tools

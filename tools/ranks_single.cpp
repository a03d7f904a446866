// Ranks in a build without MPI: one process, rank 0 of 1.
#include <cstdlib>
#include <stdexcept>

#include "tools/ranks.h"

namespace igcam::tools {

Ranks& Ranks::start(int&, char**&) {
    static Ranks ranks;
    return ranks;
}

void Ranks::together(const std::function<void()>& step) { step(); }

std::string Ranks::broadcast(const std::string& bytes) { return bytes; }

void Ranks::begin_work(const std::string&) { working_ = true; }

void Ranks::end_work() { working_ = false; }

int Ranks::exit(int code) { return code; }

bool Ranks::stop_requested() { return false; }

void Ranks::stop_now() { std::abort(); }

// One rank has no one to talk to: nothing calls these without MPI.
void Ranks::send(int, int, const std::string&) { throw std::logic_error("Ranks::send without MPI"); }
std::optional<Ranks::Message> Ranks::poll() { return std::nullopt; }
Ranks::Message Ranks::wait(int, int) { throw std::logic_error("Ranks::wait without MPI"); }

bool mpi_built() { return false; }

}  // namespace igcam::tools

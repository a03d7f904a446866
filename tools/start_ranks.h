// The start of an MPI-aware tool's main(): MPI when an MPI launcher started the process
// (tools/ranks.h), the command line parsed on every rank with rank 0 alone printing --help
// or the mistake, and each rank's share of its node's cores set before any work.
#pragma once

#include <CLI/CLI.hpp>

#include <exception>

#include "core/backend.h"
#include "tools/command_line.h"
#include "tools/ranks.h"

namespace igcam::tools {

// The ranks to go on with; or nullptr, with `exit_code` set to what main() returns.
inline Ranks* start_ranks_and_parse(CLI::App& app, int& argc, char**& argv, int& exit_code) {
    Ranks* ranks = nullptr;
    try {
        ranks = &Ranks::start(argc, argv);
    } catch (const std::exception& e) {
        exit_code = fail(kExitRuntime, e.what());
        return nullptr;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) exit_code = ranks->exit(ranks->root() ? app.exit(e) : 0);  // --help
        else exit_code = ranks->exit(ranks->root() ? fail(kExitUsage, e.what()) : kExitUsage);
        return nullptr;
    }
    if (ranks->many()) set_cpu_threads(rank_cpu_threads(*ranks));
    return ranks;
}

}  // namespace igcam::tools

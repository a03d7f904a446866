#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <iostream>

#include "core/backend.h"

int main(int argc, char** argv) {
    std::cout << "igcam backends: " << igcam::backend_summary() << "\n";
    doctest::Context context(argc, argv);
    return context.run();
}

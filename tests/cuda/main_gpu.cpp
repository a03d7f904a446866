// main() of the GPU suites: without a usable CUDA device they print one line saying why and
// exit with 77, which ctest reports as skipped (SKIP_RETURN_CODE).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <iostream>

#include "core/backend.h"

int main(int argc, char** argv) {
    std::cout << "igcam backends: " << igcam::backend_summary() << "\n";
    if (igcam::cuda_device_count() == 0) {
        std::cout << "skipped: no usable CUDA device (" << igcam::backend_summary() << ")\n";
        return 77;
    }
    std::cout << "device: " << igcam::device_description(igcam::Device::cuda(0)) << "\n";
    doctest::Context context(argc, argv);
    return context.run();
}

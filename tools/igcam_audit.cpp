// igcam-audit: compares igcam's tensors with a reference framework's, tensor by tensor.
//   igcam-run --weights m.h5 --image cat.png --dtype f64 --dump ours.h5
//   tools/reference_torch.py --weights m.h5 --image cat.png --dtype f64 --out ref.h5
//   igcam-audit --ours ours.h5 --reference ref.h5 --rtol 1e-9
//
// Exit codes: 0 every tensor in both files agrees, 1 some tensor (or the layer, or an
// image's class) disagrees or no name is in both files, 2 usage error, 3 a file that cannot
// be read. A failure to read prints one "error:" line.
#include <CLI/CLI.hpp>

#include <iostream>

#include "tools/audit.h"
#include "tools/command_line.h"

int main(int argc, char** argv) {
    CLI::App app{"igcam-audit: compare every tensor of an igcam dump with a reference file (PyTorch, Keras, any "
                 "HDF5 or .npz with the same names)"};
    std::string ours, reference;
    igcam::tools::Tolerance tolerance;
    bool json = false;
    app.add_option("--ours", ours, "igcam's dump (igcam-run --dump FILE.h5), or any HDF5 / .npz file")
        ->required()->check(CLI::ExistingFile);
    app.add_option("--reference", reference, "The reference: HDF5 (tools/reference_torch.py, tools/reference_keras.py, "
                                             "h5py) or .npz (numpy.savez, keys like cat/maps/gradcam)")
        ->required()->check(CLI::ExistingFile);
    app.add_option("--rtol", tolerance.rtol, "Relative tolerance: a tensor passes when max|ours - ref| <= atol + "
                                             "rtol * max|ref|")
        ->check(CLI::NonNegativeNumber)->capture_default_str();
    app.add_option("--atol", tolerance.atol, "Absolute tolerance (for tensors whose reference is all zero)")
        ->check(CLI::NonNegativeNumber)->capture_default_str();
    app.add_flag("--json", json, "Print the comparison as JSON instead of the table");
    app.footer("Compared: every float array whose name (its path, e.g. cat/gradients) is in both files; the layer "
               "and each image's class attributes where both carry them. Names in one file only are listed, not "
               "failed; shapes that differ beyond size-1 dimensions fail.\nExit codes: 0 all pass, 1 a "
               "disagreement, 2 usage error, 3 unreadable file.");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help
        return igcam::tools::fail(igcam::tools::kExitUsage, e.what());
    }
    return igcam::tools::run_with_exit_codes([&]() -> int {
        const igcam::tools::TensorFile a = igcam::tools::read_tensor_file(ours);
        const igcam::tools::TensorFile b = igcam::tools::read_tensor_file(reference);
        const igcam::tools::AuditResult result = igcam::tools::audit(a, b, tolerance);
        if (json) std::cout << igcam::tools::audit_json(result, a, b).dump(2) << "\n";
        else igcam::tools::print_audit(result, a, b, std::cout);
        return result.passes() ? 0 : 1;
    });
}

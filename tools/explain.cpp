#include "tools/explain.h"

#include <filesystem>
#include <memory>
#include <set>

#include "cam/pipeline.h"
#include "cam/target.h"
#include "core/error.h"
#include "core/io/staged_file.h"
#include "models/hdf5_file.h"
#include "tools/explain_files.h"
#include "tools/explain_report.h"
#include "tools/image_files.h"
#include "tools/inputs.h"
#include "tools/progress_bar.h"
#include "tools/usage_error.h"

namespace igcam::tools {

namespace {

// One stem per image: two images of one name would write the same files.
std::vector<std::string> unique_stems(const std::vector<std::string>& paths) {
    std::vector<std::string> stems;
    std::set<std::string> seen;
    for (const std::string& path : paths) {
        stems.push_back(file_stem(path));
        if (!seen.insert(stems.back()).second)
            throw UsageError("two input images share the name '" + stems.back() + "'; their outputs would collide");
    }
    return stems;
}

}  // namespace

void run_explain(const ExplainOptions& o, std::ostream& out) {
    const models::Model model = load_tool_model(o.weights, o.dtype, o.preprocess, o.device);

    cam::ExplainOptions request;
    request.methods = o.methods;
    request.layer = resolve_layer(model, o.layer);
    try {
        request.target = cam::Target::parse(o.class_spec, model.class_names);
    } catch (const ValueError& e) {
        throw UsageError(e.what());
    }
    request.igcam = o.igcam;
    request.baseline = cam::Baseline::parse(o.baseline);
    request.batch = o.batch;
    request.trace = o.trace;
    request.keep_tensors = !o.dump.empty();

    const std::vector<std::string> stems = unique_stems(o.images);
    ImageFiles files(o.images, model.preprocess, o.dtype, o.device);
    // Created for the temporaries, removed again if the run fails.
    io::OutputDirectory out_dir(o.out_dir);
    // Both staged before anything is computed: a --dump path that collides with the report
    // fails now, not after the run.
    io::StagedFiles staged;
    io::StagedFile& report_file = staged.add((std::filesystem::path(o.out_dir) / "report.json").string());
    std::unique_ptr<h5::Writer> dump;
    if (!o.dump.empty()) {
        try {
            dump = std::make_unique<h5::Writer>(staged.add(o.dump));
        } catch (const ValueError& e) {
            throw UsageError(e.what());  // --dump names the report's path: the flags disagree
        }
    }

    // Compute, batch by batch; record and write each image as its batch is done, so only
    // the current batch's tensors are alive.
    std::vector<ImageRecord> records(o.images.size());
    ProgressBar bar(!o.quiet && !o.json);
    cam::ProgressSink progress{[&](const std::string& task) { bar.begin(task); },
                               [&](int64_t done, int64_t total) { bar.update(done, total); }, [&] { bar.end(); }};
    const cam::ExplainStats stats = cam::explain(
        model, files.inputs(), request,
        [&](std::vector<cam::ImageExplanation>& batch) {
            for (const cam::ImageExplanation& e : batch) {
                const std::size_t i = static_cast<std::size_t>(e.index);
                records[i] = record_image(e, o.images[i], stems[i], model, o);
                write_image_files(staged, o.out_dir, files.take_view(e.index), e, records[i], o.colormap, o.alpha);
                if (dump) write_dump(*dump, e, stems[i], o.igcam);
            }
        },
        progress);
    bar.end();

    const nlohmann::json report = report_json(model, request.layer, o, stats, records);
    io::write_text_file(report_file, report.dump(2) + "\n");
    if (dump) {
        dump->attribute("igcam_version", kIgcamVersion);
        dump->attribute("layer", request.layer);
        dump->close();
    }
    staged.commit_all();
    out_dir.keep();
    if (o.json) {
        out << report.dump(2) << "\n";
        return;
    }
    print_summary(out, records, request.layer);
    out << "wrote " << staged.size() << " files to " << o.out_dir << "/\n";
}

}  // namespace igcam::tools

#include "tools/explain.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
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
#include "tools/ranks.h"
#include "tools/report_html.h"
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

namespace {

using json = nlohmann::json;

// A private folder for a rank's files before they are sent to rank 0; removed with them.
class ScratchFolder {
public:
    ScratchFolder() {
        std::string pattern = (std::filesystem::temp_directory_path() / "igcam-rank-XXXXXX").string();
        IGCAM_CHECK(::mkdtemp(pattern.data()) != nullptr, IoError, pattern, ": cannot create a scratch folder");
        path_ = pattern;
    }
    ~ScratchFolder() {
        std::error_code error;
        std::filesystem::remove_all(path_, error);
    }
    ScratchFolder(const ScratchFolder&) = delete;
    ScratchFolder& operator=(const ScratchFolder&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    IGCAM_CHECK(in, IoError, path, ": cannot read back a file just written");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// What a rank sends rank 0 for one image: a JSON line (the image's index, its report entry
// and summary text, its files' names and sizes), then the files' bytes. The last message
// of a rank is {"stats": ...}.
std::string image_message(std::size_t index, const ImageRecord& record, const std::string& layer, bool with_trace,
                          const io::StagedFiles& files) {
    json names = json::array();
    std::string bytes;
    for (const io::StagedFile& f : files.files()) {
        const std::string content = read_bytes(f.temporary());
        names.push_back({std::filesystem::path(f.path()).filename().string(), content.size()});
        bytes += content;
    }
    return json{{"index", index}, {"entry", image_json(record)}, {"summary", image_summary(record, layer, with_trace)},
                {"files", names}}.dump() + "\n" + bytes;
}

}  // namespace

void run_explain(const ExplainOptions& o, std::ostream& out, Ranks& ranks) {
    // Every rank: the model, the request, the names; a problem is reported once.
    std::optional<models::Model> loaded;
    cam::ExplainOptions request;
    std::vector<std::string> stems;
    ranks.together([&] {
        IGCAM_CHECK(!ranks.many() || o.dump.empty(), UsageError,
                    "--dump writes one HDF5 file from one process: run it without mpirun");
        loaded.emplace(load_tool_model(o.weights, o.dtype, o.preprocess, o.device));
        request.methods = o.methods;
        request.layer = resolve_layer(*loaded, o.layer);
        try {
            request.target = cam::Target::parse(o.class_spec, loaded->class_names);
        } catch (const ValueError& e) {
            throw UsageError(e.what());
        }
        request.igcam = o.igcam;
        request.baseline = cam::Baseline::parse(o.baseline);
        request.batch = o.batch;
        request.trace = o.trace || o.report;  // the report draws each image's trace
        request.keep_tensors = !o.dump.empty();
        stems = unique_stems(o.images);
    });
    const models::Model& model = *loaded;

    // This rank's images (all of them in one process): their headers are read now, so a
    // bad file stops the job before anything is computed.
    const std::vector<std::size_t> mine = share_of(o.images.size(), ranks.rank(), ranks.size());
    std::optional<ImageFiles> files;
    ranks.together([&] {
        std::vector<std::string> paths;
        for (std::size_t i : mine) paths.push_back(o.images[i]);
        files.emplace(paths, model.preprocess, o.dtype, o.device);
    });

    // Rank 0: the output folder (created for the temporaries, removed again if the run
    // fails) and the report; a --dump path that collides with the report fails now.
    std::optional<io::OutputDirectory> out_dir;
    io::StagedFiles staged;
    io::StagedFile* report_file = nullptr;
    std::unique_ptr<h5::Writer> dump;
    ranks.together([&] {
        if (!ranks.root()) return;
        out_dir.emplace(o.out_dir);
        report_file = &staged.add((std::filesystem::path(o.out_dir) / "report.json").string());
        if (!o.dump.empty()) {
            try {
                dump = std::make_unique<h5::Writer>(staged.add(o.dump));
            } catch (const ValueError& e) {
                throw UsageError(e.what());  // --dump names the report's path: the flags disagree
            }
        }
    });

    ranks.begin_work("the job stopped before it finished (a rank died, or it was cancelled); nothing was written to " +
                     o.out_dir);
    // Compute, batch by batch; each image is recorded and its files written (or, on the
    // other ranks, sent) as its batch is done, so only the current batch's tensors are alive.
    if (!ranks.root()) {
        ScratchFolder scratch;
        const cam::ExplainStats stats =
            cam::explain(model, files->inputs(), request, [&](std::vector<cam::ImageExplanation>& batch) {
                for (const cam::ImageExplanation& e : batch) {
                    const std::size_t i = mine[static_cast<std::size_t>(e.index)];
                    const ImageRecord record = record_image(e, o.images[i], stems[i], model, o);
                    io::StagedFiles image_files;
                    write_image_files(image_files, scratch.path(), files->take_view(e.index), e, record, o);
                    Gather::send_item(ranks, image_message(i, record, request.layer, o.trace, image_files));
                }
            });
        Gather::send_item(ranks, json{{"stats", stats_json(stats)}}.dump() + "\n");
        Gather::send_done(ranks);
        Gather::wait_finish(ranks);  // rank 0 finishes with 0, or aborts the job
        ranks.end_work();
        return;
    }

    std::vector<json> entries(o.images.size());
    std::vector<std::string> summaries(o.images.size());
    std::vector<json> rank_stats;
    const bool lines = ranks.launched();  // an MPI job's rank 0: lines of the whole job's images
    ProgressBar bar(!o.quiet && !o.json, lines ? ProgressBar::Lines : ProgressBar::Bar);
    const int64_t total = static_cast<int64_t>(o.images.size());
    int64_t images_done = 0;
    if (lines) bar.begin("explaining");
    // Another rank's image: its files staged here, its entry and summary kept.
    auto take = [&](const std::string& message) {
        const std::size_t end = message.find('\n');
        const json head = json::parse(message.substr(0, end));
        if (head.contains("stats")) {
            rank_stats.push_back(head["stats"]);
            return;
        }
        const std::size_t i = head.at("index").get<std::size_t>();
        std::size_t offset = end + 1;
        for (const json& f : head.at("files")) {
            const std::size_t size = f[1].get<std::size_t>();
            io::write_text_file(staged.add((std::filesystem::path(o.out_dir) / f[0].get<std::string>()).string()),
                                message.substr(offset, size));
            offset += size;
        }
        entries[i] = head.at("entry");
        summaries[i] = head.at("summary").get<std::string>();
        bar.update(++images_done, total);
    };
    Gather gather(ranks, take, [&] { bar.update(images_done, total); });
    gather.on_stop([&] {
        staged.discard();
        out_dir->remove();
    });
    cam::ProgressSink progress{[&](const std::string& task) { if (!lines) bar.begin(task); },
                               [&](int64_t done, int64_t all) { if (!lines) bar.update(done, all); },
                               [&] { if (!lines) bar.end(); }};
    cam::ExplainStats stats = cam::explain(
        model, files->inputs(), request,
        [&](std::vector<cam::ImageExplanation>& batch) {
            for (const cam::ImageExplanation& e : batch) {
                const std::size_t i = mine[static_cast<std::size_t>(e.index)];
                const ImageRecord record = record_image(e, o.images[i], stems[i], model, o);
                gather.local([&] {
                    write_image_files(staged, o.out_dir, files->take_view(e.index), e, record, o);
                    if (dump) write_dump(*dump, e, stems[i], o.igcam);
                    entries[i] = image_json(record);
                    summaries[i] = image_summary(record, request.layer, o.trace);
                    if (lines) bar.update(++images_done, total);
                });
            }
        },
        progress);
    gather.wait();
    bar.end();
    for (const json& s : rank_stats) add_stats(stats, s);

    const json report = report_json(model, request.layer, o, stats, entries, ranks.size());
    io::write_text_file(*report_file, report.dump(2) + "\n");
    if (o.report) {
        // The page is made from report.json and the pictures already staged (this rank's
        // and the other ranks'), read back from their temporaries.
        auto read_output = [&](const std::string& name) {
            for (const io::StagedFile& f : staged.files())
                if (std::filesystem::path(f.path()).filename() == name) return read_bytes(f.temporary());
            detail::throw_error<Error>("report.html: ", name, " is not among the run's files");
        };
        const std::string html = report_html(report, read_output);
        io::write_text_file(staged.add((std::filesystem::path(o.out_dir) / "report.html").string()), html);
    }
    if (dump) {
        dump->attribute("igcam_version", kIgcamVersion);
        dump->attribute("layer", request.layer);
        dump->attribute("dtype", dtype_name(o.dtype));
        dump->close();
    }
    staged.commit_all();
    out_dir->keep();
    if (o.json) {
        out << report.dump(2) << "\n";
    } else {
        for (const std::string& s : summaries) out << s;
        out << "wrote " << staged.size() << " files to " << o.out_dir << "/";
        if (ranks.many()) out << " (" << ranks.size() << " ranks)";
        out << "\n";
    }
    Gather::send_finish(ranks, 0);
    ranks.end_work();
}

}  // namespace igcam::tools

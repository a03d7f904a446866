// igcam-eval --sanity N: the cascading-randomisation check (eval/sanity.h) on the first N
// images of the dataset that load, each explained for its top-1 class under the trained
// model. Writes OUT/sanity.jsonl (one line per image, method and step: the block just
// randomised and the three similarities) and OUT/sanity.md (per method and step, the means
// over the images), and with --dump each step's map as <image>.<method>.sanity<step>.npy
// (step 0: the trained model). It is recomputed on every run (it covers a few images);
// --resume does not apply to it.
#pragma once

#include <ostream>
#include <string>

#include "eval/dataset.h"
#include "tools/evaluate.h"

namespace igcam::tools {

void run_sanity(const EvaluateOptions& options, const eval::Dataset& data, const std::string& layer,
                std::ostream& out);

}  // namespace igcam::tools

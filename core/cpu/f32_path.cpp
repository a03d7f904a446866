#include "core/cpu/f32_path.h"

#include <atomic>
#include <cstdlib>

#include "core/cpu/blas.h"
#include "core/error.h"
#ifdef IGCAM_WITH_ONEDNN
#include "core/cpu/onednn.h"
#endif

namespace igcam::cpu {

namespace {

struct Choice {
    bool onednn;
    std::string why;  // for reports when oneDNN is not used
};

const Choice& choice() {
    static const Choice c = [] {
        const char* env = std::getenv("IGCAM_CPU_CONV");
        const std::string asked = env != nullptr ? env : "";
        IGCAM_CHECK(asked.empty() || asked == "blas" || asked == "onednn", ValueError,
                    "IGCAM_CPU_CONV must be 'blas' or 'onednn', got '", asked, "'");
#ifdef IGCAM_WITH_ONEDNN
        if (asked == "blas") return Choice{false, "IGCAM_CPU_CONV=blas"};
        return Choice{true, ""};
#else
        IGCAM_CHECK(asked != "onednn", ValueError,
                    "IGCAM_CPU_CONV=onednn, but this build has no oneDNN (Debian package libdnnl-dev)");
        return Choice{false, "built without oneDNN"};
#endif
    }();
    return c;
}

std::atomic<bool>& winograd_switch() {
    static std::atomic<bool> on = [] {
        const char* env = std::getenv("IGCAM_CONV");
        const std::string asked = env != nullptr ? env : "direct";
        IGCAM_CHECK(asked == "winograd" || asked == "direct", ValueError,
                    "IGCAM_CONV must be 'direct' or 'winograd', got '", asked, "'");
        return asked == "winograd";
    }();
    return on;
}

std::atomic<bool>& bf16_switch() {
    static std::atomic<bool> on{false};
    return on;
}

}  // namespace

bool f32_uses_onednn() { return choice().onednn; }

bool winograd_enabled() { return winograd_switch().load(); }
void set_winograd(bool enabled) { winograd_switch().store(enabled); }

bool bf16_enabled() { return bf16_switch().load(); }

void set_bf16(bool enabled) {
    if (enabled) {
#ifdef IGCAM_WITH_ONEDNN
        IGCAM_CHECK(choice().onednn, ValueError, "bfloat16 convolutions run on oneDNN, but float32 runs on ",
                    choice().why);
        IGCAM_CHECK(onednn::has_bf16(), ValueError, "bfloat16 convolutions need a CPU with AVX512-BF16; oneDNN runs ",
                    onednn::cpu_isa(), " here");
#else
        detail::throw_error<ValueError>("bfloat16 convolutions need oneDNN, which this build does not have");
#endif
    }
    bf16_switch().store(enabled);
}

Layout f32_activation_layout(int64_t channels) {
#ifdef IGCAM_WITH_ONEDNN
    if (choice().onednn) return onednn::activation_layout(channels);
#endif
    (void)channels;
    return Layout::plain();
}

std::string f32_path_name() {
#ifdef IGCAM_WITH_ONEDNN
    if (choice().onednn) {
        // bfloat16 convolutions are direct: oneDNN has no bfloat16 Winograd.
        if (bf16_enabled()) return onednn::version() + ", direct, bfloat16 inputs";
        return onednn::version() + (winograd_enabled() ? ", Winograd for 3x3 stride 1" : ", direct");
    }
#endif
    return detail::concat("im2col + ", blas_name(), " (", choice().why, ")");
}

}  // namespace igcam::cpu

#include "models/stored_tensors.h"

#include <bit>
#include <cstring>

namespace igcam::models {

bool is_step_counter_key(const std::string& key) {
    const std::string suffix = ".num_batches_tracked";
    return key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::size_t element_size(ElementType type) {
    switch (type) {
        case ElementType::F16:
        case ElementType::BF16: return 2;
        case ElementType::F32: return 4;
        case ElementType::F64: return 8;
    }
    return 0;
}

namespace {

static_assert(std::endian::native == std::endian::little, "the weight readers assume a little-endian host");

// IEEE binary16 to float: exact (every half is a float).
float half_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
    uint32_t bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13);  // infinity or NaN
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {  // subnormal: normalise
        exponent = 113;
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            --exponent;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
    }
    return std::bit_cast<float>(bits);
}

double element(const unsigned char* p, ElementType type) {
    switch (type) {
        case ElementType::F16: {
            uint16_t h;
            std::memcpy(&h, p, 2);
            return half_to_float(h);
        }
        case ElementType::BF16: {
            uint16_t h;
            std::memcpy(&h, p, 2);
            return std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
        }
        case ElementType::F32: {
            float f;
            std::memcpy(&f, p, 4);
            return f;
        }
        case ElementType::F64: {
            double d;
            std::memcpy(&d, p, 8);
            return d;
        }
    }
    return 0;
}

template <typename T>
void decode_into(T* out, const unsigned char* base, ElementType type, const std::vector<int64_t>& dims,
                 const std::vector<int64_t>& strides, int64_t offset) {
    const std::size_t size = element_size(type);
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    // Row-major strides (or none given) read straight through.
    bool contiguous = true;
    int64_t expected = 1;
    for (std::size_t k = strides.size(); k-- > 0;) {
        contiguous = contiguous && (dims[k] == 1 || strides[k] == expected);
        expected *= dims[k];
    }
    if (contiguous) {
        const unsigned char* p = base + static_cast<std::size_t>(offset) * size;
        for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(element(p + static_cast<std::size_t>(i) * size, type));
        return;
    }
    std::vector<int64_t> index(dims.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
        int64_t at = offset;
        for (std::size_t k = 0; k < dims.size(); ++k) at += index[k] * strides[k];
        out[i] = static_cast<T>(element(base + static_cast<std::size_t>(at) * size, type));
        for (std::size_t k = dims.size(); k-- > 0;) {
            if (++index[k] < dims[k]) break;
            index[k] = 0;
        }
    }
}

}  // namespace

Tensor decode_elements(const unsigned char* base, ElementType type, const std::vector<int64_t>& dims,
                       const std::vector<int64_t>& strides, int64_t offset, DType dtype) {
    Tensor t = Tensor::empty(Shape(dims), dtype);
    if (dtype == DType::F32)
        decode_into(static_cast<float*>(t.mutable_raw_data()), base, type, dims, strides, offset);
    else
        decode_into(static_cast<double*>(t.mutable_raw_data()), base, type, dims, strides, offset);
    return t;
}

}  // namespace igcam::models

// A restricted reader for the data.pkl of a torch.save archive: it understands the pickle
// opcodes and the few globals a state dict (or a checkpoint dict holding one) is made of,
// and refuses everything else before anything is built, naming the opcode or the global,
// as torch.load(weights_only=True) does. Nothing is ever imported, called or executed: the
// allowed globals are recognised by name and replaced by what they would build.
//
// Allowed globals: collections.OrderedDict, torch._utils._rebuild_tensor_v2,
// torch._utils._rebuild_parameter and the storage types torch.{Float,Double,Half,BFloat16,
// Long,Int,Short,Char,Byte,Bool}Storage (named in persistent ids). Allowed opcodes: those
// of protocols 2 to 5 that build None, booleans, integers, floats, strings, bytes, tuples,
// lists and dicts, the memo, MARK/POP/DUP, GLOBAL/STACK_GLOBAL (checked), REDUCE and BUILD
// (on the allowed globals only), BINPERSID and FRAME.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace igcam::models::pickle {

struct Value;
// Values point at each other without owning: a Document owns them all, so a hostile pickle's
// deep nesting or reference cycles (through the memo) cost neither recursion nor leaks.
using ValuePtr = Value*;

struct Value {
    enum class Kind { None, Bool, Int, Float, String, Bytes, Tuple, List, Dict, Global, Storage, Tensor, Mark };
    Kind kind = Kind::None;
    int64_t integer = 0;      // Bool, Int; Storage: its element count
    double real = 0;          // Float
    std::string text;         // String, Bytes; Global: "module.name"; Storage: its key (the archive's data/<key>)
    std::string storage_type;  // Storage: "FloatStorage", ...
    std::vector<ValuePtr> items;                           // Tuple, List
    std::vector<std::pair<ValuePtr, ValuePtr>> entries;    // Dict, in insertion order
    // Tensor: a view of `items[0]` (a Storage), `integer` elements in, with sizes and strides.
    std::vector<int64_t> sizes, strides;
};

struct Document {
    std::vector<std::unique_ptr<Value>> values;  // every value built, in order
    ValuePtr root = nullptr;
};

// At most this many values are built from one pickle (a torchvision ResNet-152 state dict builds
// about 16,000), so a small hostile pickle cannot claim gigabytes.
constexpr std::size_t kMaxValues = 1u << 20;

// Parses `bytes` (the whole data.pkl). Throws FormatError "<where>: ..." naming the
// refused opcode or global, or the structural problem (stack underflow, truncation, ...).
Document load(const std::string& bytes, const std::string& where);

}  // namespace igcam::models::pickle

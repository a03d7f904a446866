#include "models/torch_pickle.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "core/error.h"

namespace igcam::models::pickle {

namespace {

using Kind = Value::Kind;

constexpr std::size_t kMaxStack = 1u << 22;  // values on the stack and in the memo together
constexpr std::size_t kMaxDims = 16;

const std::set<std::string>& storage_types() {
    static const std::set<std::string> names = {"FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage",
                                                "LongStorage",  "IntStorage",    "ShortStorage", "CharStorage",
                                                "ByteStorage",  "BoolStorage"};
    return names;
}

bool allowed_global(const std::string& module, const std::string& name) {
    if (module == "collections" && name == "OrderedDict") return true;
    if (module == "torch._utils" && (name == "_rebuild_tensor_v2" || name == "_rebuild_parameter")) return true;
    return module == "torch" && storage_types().count(name) > 0;
}

class Reader {
public:
    Reader(const std::string& bytes, const std::string& where) : data_(bytes), where_(where) {}

    Document run() {
        while (true) {
            const unsigned char op = byte();
            switch (op) {
                case 0x80: {  // PROTO
                    const unsigned version = byte();
                    check(version >= 2 && version <= 5, "pickle protocol ", version, " (expected 2 to 5)");
                    break;
                }
                case 0x95: skip(8); break;  // FRAME: a length hint only
                case '.': {                 // STOP
                    check(stack_.size() == 1 && marks_.empty(), "the pickle ends with ", stack_.size(),
                          " values on its stack (expected 1)");
                    document_.root = stack_.back();
                    return std::move(document_);
                }
                case '(':  // MARK
                    check(marks_.size() < kMaxValues, "more than ", kMaxValues, " MARKs");
                    marks_.push_back(stack_.size());
                    break;
                case ')': push(make(Kind::Tuple)); break;
                case 't': push(sequence(Kind::Tuple, pop_mark())); break;
                case 0x85: push(sequence(Kind::Tuple, pop_n(1))); break;
                case 0x86: push(sequence(Kind::Tuple, pop_n(2))); break;
                case 0x87: push(sequence(Kind::Tuple, pop_n(3))); break;
                case ']': push(make(Kind::List)); break;
                case 'a': {  // APPEND
                    ValuePtr v = pop();
                    list_top()->items.push_back(std::move(v));
                    break;
                }
                case 'e': {  // APPENDS
                    std::vector<ValuePtr> values = pop_mark();
                    ValuePtr list = list_top();
                    for (auto& v : values) list->items.push_back(std::move(v));
                    break;
                }
                case '}': push(make(Kind::Dict)); break;
                case 's': {  // SETITEM
                    ValuePtr value = pop(), key = pop();
                    dict_top()->entries.emplace_back(std::move(key), std::move(value));
                    break;
                }
                case 'u': {  // SETITEMS
                    std::vector<ValuePtr> values = pop_mark();
                    check(values.size() % 2 == 0, "SETITEMS with an odd number of values");
                    ValuePtr dict = dict_top();
                    for (std::size_t i = 0; i < values.size(); i += 2)
                        dict->entries.emplace_back(std::move(values[i]), std::move(values[i + 1]));
                    break;
                }
                case 'q': memo_put(byte()); break;   // BINPUT
                case 'r': memo_put(u32()); break;    // LONG_BINPUT
                case 0x94: memo_put(memo_.size()); break;  // MEMOIZE
                case 'h': push(memo_get(byte())); break;   // BINGET
                case 'j': push(memo_get(u32())); break;    // LONG_BINGET
                case 'N': push(make(Kind::None)); break;
                case 0x88: push(boolean(true)); break;
                case 0x89: push(boolean(false)); break;
                case 'J': push(integer(static_cast<int32_t>(u32()))); break;  // BININT
                case 'K': push(integer(byte())); break;                        // BININT1
                case 'M': push(integer(u16())); break;                         // BININT2
                case 0x8a: push(long1()); break;                               // LONG1
                case 'G': {                                                    // BINFLOAT, big-endian
                    uint64_t bits = 0;
                    for (int i = 0; i < 8; ++i) bits = (bits << 8) | byte();
                    auto v = make(Kind::Float);
                    std::memcpy(&v->real, &bits, 8);
                    push(v);
                    break;
                }
                case 'X': push(text(Kind::String, u32())); break;        // BINUNICODE
                case 0x8c: push(text(Kind::String, byte())); break;      // SHORT_BINUNICODE
                case 0x8d: push(text(Kind::String, u64())); break;       // BINUNICODE8
                case 'T': push(text(Kind::String, u32())); break;        // BINSTRING
                case 'U': push(text(Kind::String, byte())); break;       // SHORT_BINSTRING
                case 'B': push(text(Kind::Bytes, u32())); break;         // BINBYTES
                case 'C': push(text(Kind::Bytes, byte())); break;        // SHORT_BINBYTES
                case 0x8e: push(text(Kind::Bytes, u64())); break;        // BINBYTES8
                case 'c': {                                              // GLOBAL "module\nname\n"
                    const std::string module = line(), name = line();
                    push(global(module, name));
                    break;
                }
                case 0x93: {  // STACK_GLOBAL
                    ValuePtr name = pop(), module = pop();
                    check(name->kind == Kind::String && module->kind == Kind::String,
                          "STACK_GLOBAL without two strings");
                    push(global(module->text, name->text));
                    break;
                }
                case 'R': {  // REDUCE
                    ValuePtr args = pop(), callable = pop();
                    push(reduce(callable, args));
                    break;
                }
                case 'b': {  // BUILD: the state of an OrderedDict (its _metadata) is not needed
                    ValuePtr state = pop();
                    (void)state;
                    check(!stack_.empty() && (stack_.back()->kind == Kind::Dict || stack_.back()->kind == Kind::Tensor),
                          "BUILD on something other than a dict or a tensor");
                    break;
                }
                case 'Q': {  // BINPERSID
                    ValuePtr id = pop();
                    push(storage(id));
                    break;
                }
                case '0': pop(); break;  // POP
                case '1': pop_mark(); break;  // POP_MARK
                case '2': {                  // DUP
                    check(!stack_.empty(), "DUP on an empty stack");
                    push(stack_.back());
                    break;
                }
                default: refuse_opcode(op);
            }
        }
    }

private:
    template <typename... Parts>
    void check(bool ok, Parts&&... parts) const {
        if (!ok) detail::throw_error<FormatError>(where_, ": ", std::forward<Parts>(parts)..., " at byte ", pos_);
    }

    [[noreturn]] void refuse_opcode(unsigned char op) const {
        static const std::map<unsigned char, const char*> names = {
            {'i', "INST"},    {'o', "OBJ"},        {0x81, "NEWOBJ"}, {0x92, "NEWOBJ_EX"}, {'P', "PERSID"},
            {0x82, "EXT1"},   {0x83, "EXT2"},      {0x84, "EXT4"},   {'I', "INT"},        {'L', "LONG"},
            {'F', "FLOAT"},   {'S', "STRING"},     {'V', "UNICODE"}, {'l', "LIST"},       {'d', "DICT"},
            {'p', "PUT"},     {'g', "GET"},        {0x8b, "LONG4"},  {0x8f, "EMPTY_SET"}, {0x90, "ADDITEMS"},
            {0x91, "FROZENSET"}, {0x96, "BYTEARRAY8"}, {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"}};
        const auto named = names.find(op);
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        detail::throw_error<FormatError>(where_, ": the pickle opcode ", named != names.end() ? named->second : hex,
                                         " (", hex, ") at byte ", pos_ - 1,
                                         " is not one a state dict is made of; igcam reads tensors only");
    }

    unsigned char byte() {
        check(pos_ < data_.size(), "the pickle is truncated");
        return static_cast<unsigned char>(data_[pos_++]);
    }
    uint64_t little(int n) {
        uint64_t v = 0;
        for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(byte()) << (8 * i);
        return v;
    }
    uint32_t u16() { return static_cast<uint32_t>(little(2)); }
    uint32_t u32() { return static_cast<uint32_t>(little(4)); }
    uint64_t u64() { return little(8); }
    void skip(uint64_t n) {
        check(n <= data_.size() - pos_, "the pickle is truncated");
        pos_ += static_cast<std::size_t>(n);
    }
    std::string line() {
        // Looked for within 256 bytes only: a search to the end for every GLOBAL would make a
        // pickle of many GLOBALs quadratic.
        const std::size_t window = std::min<std::size_t>(data_.size() - pos_, 257);
        const void* end = std::memchr(data_.data() + pos_, '\n', window);
        check(end != nullptr, "GLOBAL without a name line of at most 256 bytes");
        const std::size_t length = static_cast<std::size_t>(static_cast<const char*>(end) - (data_.data() + pos_));
        std::string s = data_.substr(pos_, length);
        pos_ += length + 1;
        return s;
    }
    ValuePtr text(Kind kind, uint64_t n) {
        check(n <= data_.size() - pos_, "the pickle is truncated (a string runs past its end)");
        auto v = make(kind);
        v->text = data_.substr(pos_, static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return v;
    }
    ValuePtr make(Kind kind) {
        check(document_.values.size() < kMaxValues, "more than ", kMaxValues, " values");
        document_.values.push_back(std::make_unique<Value>());
        ValuePtr v = document_.values.back().get();
        v->kind = kind;
        return v;
    }
    ValuePtr integer(int64_t i) {
        auto v = make(Kind::Int);
        v->integer = i;
        return v;
    }
    ValuePtr boolean(bool b) {
        auto v = make(Kind::Bool);
        v->integer = b;
        return v;
    }
    ValuePtr long1() {
        const unsigned n = byte();
        check(n <= 8, "an integer of ", n, " bytes (at most 8 are read)");
        uint64_t bits = little(static_cast<int>(n));
        if (n > 0 && n < 8 && (bits >> (8 * n - 1)) & 1) bits |= ~uint64_t{0} << (8 * n);  // sign-extend
        return integer(static_cast<int64_t>(bits));
    }

    void push(ValuePtr v) {
        check(stack_.size() + memo_.size() < kMaxStack, "more than ", kMaxStack, " values");
        stack_.push_back(std::move(v));
    }
    ValuePtr pop() {
        check(stack_.size() > (marks_.empty() ? 0 : marks_.back()), "the pickle's stack underflows");
        ValuePtr v = std::move(stack_.back());
        stack_.pop_back();
        return v;
    }
    std::vector<ValuePtr> pop_n(std::size_t n) {
        std::vector<ValuePtr> values(n);
        for (std::size_t i = n; i-- > 0;) values[i] = pop();
        return values;
    }
    std::vector<ValuePtr> pop_mark() {
        check(!marks_.empty(), "a MARK is missing");
        const std::size_t mark = marks_.back();
        marks_.pop_back();
        std::vector<ValuePtr> values(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(mark)),
                                     std::make_move_iterator(stack_.end()));
        stack_.resize(mark);
        return values;
    }
    ValuePtr list_top() {
        check(!stack_.empty() && stack_.back()->kind == Kind::List, "APPEND to something other than a list");
        return stack_.back();
    }
    ValuePtr dict_top() {
        check(!stack_.empty() && stack_.back()->kind == Kind::Dict, "SETITEM on something other than a dict");
        return stack_.back();
    }
    void memo_put(uint64_t index) {
        check(!stack_.empty(), "PUT on an empty stack");
        check(index <= kMaxStack, "memo index ", index, " out of range");
        memo_[index] = stack_.back();
    }
    ValuePtr memo_get(uint64_t index) {
        const auto found = memo_.find(index);
        check(found != memo_.end(), "GET of memo entry ", index, ", which was never stored");
        return found->second;
    }
    ValuePtr sequence(Kind kind, std::vector<ValuePtr> items) {
        auto v = make(kind);
        v->items = std::move(items);
        return v;
    }

    ValuePtr global(const std::string& module, const std::string& name) {
        IGCAM_CHECK(allowed_global(module, name), FormatError, where_, ": the pickle names the global ",
                    quoted_value(module + "." + name),
                    ", which a state dict does not need; igcam reads tensors only and refuses it (as "
                    "torch.load(weights_only=True) does; a file written by torch.save(model) holds the whole "
                    "module: save model.state_dict() instead)");
        auto v = make(Kind::Global);
        v->text = module + "." + name;
        return v;
    }

    static std::vector<int64_t> int_tuple(const ValuePtr& v, bool& ok) {
        std::vector<int64_t> out;
        ok = v->kind == Kind::Tuple && v->items.size() <= kMaxDims;
        if (!ok) return out;
        for (const ValuePtr& x : v->items) {
            ok = ok && x->kind == Kind::Int && x->integer >= 0;
            if (ok) out.push_back(x->integer);
        }
        return out;
    }

    ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args) {
        check(callable->kind == Kind::Global, "REDUCE of something other than an allowed global");
        check(args->kind == Kind::Tuple, "REDUCE with arguments that are not a tuple");
        const std::string& name = callable->text;
        const std::vector<ValuePtr>& a = args->items;
        if (name == "collections.OrderedDict") {
            check(a.empty(), "OrderedDict called with arguments");
            return make(Kind::Dict);
        }
        if (name == "torch._utils._rebuild_parameter") {
            check(a.size() == 3 && a[0]->kind == Kind::Tensor, "_rebuild_parameter without a tensor");
            return a[0];
        }
        if (name == "torch._utils._rebuild_tensor_v2") {
            check((a.size() == 6 || a.size() == 7) && a[0]->kind == Kind::Storage && a[1]->kind == Kind::Int &&
                      a[1]->integer >= 0,
                  "_rebuild_tensor_v2 without (storage, offset, size, stride, requires_grad, hooks)");
            bool sizes_ok = false, strides_ok = false;
            auto v = make(Kind::Tensor);
            v->items = {a[0]};
            v->integer = a[1]->integer;
            v->sizes = int_tuple(a[2], sizes_ok);
            v->strides = int_tuple(a[3], strides_ok);
            check(sizes_ok && strides_ok && v->sizes.size() == v->strides.size(),
                  "_rebuild_tensor_v2 with a size or stride that is not a tuple of at most ", kMaxDims,
                  " non-negative integers of the same length");
            return v;
        }
        check(false, "REDUCE of ", quoted_value(name), ", which is not callable here");
        return nullptr;
    }

    ValuePtr storage(const ValuePtr& id) {
        check(id->kind == Kind::Tuple && id->items.size() == 5 && id->items[0]->kind == Kind::String &&
                  id->items[0]->text == "storage" && id->items[1]->kind == Kind::Global &&
                  id->items[2]->kind == Kind::String && id->items[3]->kind == Kind::String &&
                  id->items[4]->kind == Kind::Int && id->items[4]->integer >= 0,
              "a persistent id that is not ('storage', type, key, location, size)");
        const std::string& type = id->items[1]->text;
        check(type.rfind("torch.", 0) == 0 && storage_types().count(type.substr(6)), "a persistent id whose type ",
              quoted_value(type), " is not a storage type");
        const std::string& key = id->items[2]->text;
        check(!key.empty() && key.size() <= 64 && key.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz_") ==
                                                       std::string::npos,
              "a storage key ", quoted_value(key), " that is not a plain name");
        auto v = make(Kind::Storage);
        v->storage_type = type.substr(6);
        v->text = key;
        v->integer = id->items[4]->integer;
        return v;
    }

    const std::string& data_;
    const std::string& where_;
    std::size_t pos_ = 0;
    std::vector<ValuePtr> stack_;
    std::vector<std::size_t> marks_;
    std::map<uint64_t, ValuePtr> memo_;
    Document document_;
};

}  // namespace

Document load(const std::string& bytes, const std::string& where) { return Reader(bytes, where).run(); }

}  // namespace igcam::models::pickle

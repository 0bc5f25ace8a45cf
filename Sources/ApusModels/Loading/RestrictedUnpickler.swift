import ApusTensor

/// A pickle reader that understands exactly what `torch.save(state_dict)` writes and refuses everything else.
///
/// Python's unpickler calls any global a pickle names (`os.system` included), so loading an untrusted `.bin`
/// with it can run code. This one is a small stack machine over the opcodes of protocols 2–5 that build plain
/// data (tuples, lists, dicts, strings, numbers), and resolves only the globals a state dict needs —
/// `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, `torch._utils._rebuild_parameter` and the
/// storage types — into descriptions of tensors. Anything else (another global, `NEWOBJ`, `INST`, `OBJ`,
/// `EXT*`, a `REDUCE` of a non-callable) is an `unsafePickle` error naming it; the pickle never gets to
/// choose what runs. (The same idea as `torch.load(weights_only=True)`, torch/_weights_only_unpickler.py.)
struct RestrictedUnpickler {
    /// A value on the pickle stack.
    indirect enum Value {
        case none
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
        case bytes([UInt8])
        case tuple([Value])
        /// Lists and dicts are references: the memo and the stack share them while they are filled.
        case list(ListBox)
        case dict(DictBox)
        case global(Global)
        case storage(Storage)
        case tensor(PickledTensor)

        /// What the value is, for messages.
        var kind: String {
            switch self {
            case .none: return "None"
            case .bool: return "a bool"
            case .int: return "an int"
            case .float: return "a float"
            case .string: return "a string"
            case .bytes: return "bytes"
            case .tuple: return "a tuple"
            case .list: return "a list"
            case .dict: return "a dict"
            case .global(let global): return "the global \(global)"
            case .storage: return "a storage"
            case .tensor: return "a tensor"
            }
        }
    }

    /// A list being built by `APPEND(S)`.
    final class ListBox {
        var items: [Value] = []
    }

    /// A dict being built by `SETITEM(S)`, in insertion order.
    final class DictBox {
        var items: [(key: Value, value: Value)] = []
    }

    /// The globals a state dict may name.
    enum Global: CustomStringConvertible {
        case orderedDict
        case rebuildTensor
        case rebuildParameter
        /// `torch.FloatStorage` and friends: the element type of a storage.
        case storageType(name: String, dtype: DType?)

        var description: String {
            switch self {
            case .orderedDict: return "collections.OrderedDict"
            case .rebuildTensor: return "torch._utils._rebuild_tensor_v2"
            case .rebuildParameter: return "torch._utils._rebuild_parameter"
            case .storageType(let name, _): return "torch.\(name)"
            }
        }

        /// The storage types a checkpoint names, with the element type Apus reads them as (nil: refused when a
        /// tensor uses it, with its name in the message).
        static let storageTypes: [String: DType?] = [
            "FloatStorage": .float32, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
            "LongStorage": .int64, "IntStorage": .int32, "CharStorage": .int8, "ByteStorage": .uint8, "BoolStorage": .bool,
            "DoubleStorage": nil, "ShortStorage": nil,
        ]

        /// The global `module.name`, or nil when a state dict has no business naming it.
        static func resolve(module: String, name: String) -> Global? {
            switch (module, name) {
            case ("collections", "OrderedDict"): return .orderedDict
            case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensor
            case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
            case ("torch", _):
                guard let dtype = storageTypes[name] else { return nil }
                return .storageType(name: name, dtype: dtype)
            default: return nil
            }
        }
    }

    /// A storage named by a persistent id: `('storage', torch.FloatStorage, key, location, numel)`.
    struct Storage {
        /// The record `data/<key>` holding its bytes.
        let key: String
        let typeName: String
        let dtype: DType?
        let elementCount: Int
    }

    /// A tensor as `_rebuild_tensor_v2(storage, offset, size, stride, …)` describes it.
    struct PickledTensor {
        let storage: Storage
        let storageOffset: Int
        let shape: [Int]
        let strides: [Int]
    }

    private let reader: ByteReader
    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var stack: [Value] = []
    private var markStack: [Int] = []
    private var memo: [Int: Value] = [:]

    /// A reader of the pickle in `bytes`; `path` names the checkpoint in errors.
    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        reader = ByteReader(bytes: bytes, path: path)
    }

    /// Runs the pickle to its `STOP` and returns the value it built.
    mutating func load() throws(LoadingError) -> Value {
        while true {
            let opcodeOffset = position
            let opcode = try byte()
            switch opcode {
            case 0x80: _ = try byte() // PROTO: any of 2...5 builds the same values here
            case 0x95: _ = try take(8) // FRAME: a length hint only
            case 0x2E: // STOP
                guard let result = stack.popLast(), stack.isEmpty else { throw failure("the pickle ends with \(stack.count) values on the stack") }
                return result
            case 0x28: markStack.append(stack.count) // MARK
            case 0x30: _ = try pop() // POP
            case 0x31: _ = try popMark() // POP_MARK
            case 0x32: stack.append(try top()) // DUP
            case 0x4E: stack.append(.none) // NONE
            case 0x88: stack.append(.bool(true)) // NEWTRUE
            case 0x89: stack.append(.bool(false)) // NEWFALSE
            case 0x4A: stack.append(.int(Int(Int32(bitPattern: try uint32())))) // BININT
            case 0x4B: stack.append(.int(Int(try byte()))) // BININT1
            case 0x4D: stack.append(.int(Int(try uint16()))) // BININT2
            case 0x8A: stack.append(.int(try long(byteCount: Int(try byte())))) // LONG1
            case 0x8B: stack.append(.int(try long(byteCount: try length(UInt64(try uint32()))))) // LONG4
            case 0x47: stack.append(.float(Double(bitPattern: UInt64(bigEndian: try take(8).loadUnaligned(as: UInt64.self))))) // BINFLOAT
            case 0x58: stack.append(.string(try utf8(try length(UInt64(try uint32()))))) // BINUNICODE
            case 0x8C: stack.append(.string(try utf8(Int(try byte())))) // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(try utf8(try length(try uint64())))) // BINUNICODE8
            case 0x54: stack.append(.string(try latin1(try length(UInt64(try uint32()))))) // BINSTRING (Python 2 str)
            case 0x55: stack.append(.string(try latin1(Int(try byte())))) // SHORT_BINSTRING
            case 0x42: stack.append(.bytes(Array(try take(try length(UInt64(try uint32())))))) // BINBYTES
            case 0x43: stack.append(.bytes(Array(try take(Int(try byte()))))) // SHORT_BINBYTES
            case 0x8E: stack.append(.bytes(Array(try take(try length(try uint64()))))) // BINBYTES8
            case 0x29: stack.append(.tuple([])) // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popMark())) // TUPLE
            case 0x85: stack.append(.tuple(try pop(1))) // TUPLE1
            case 0x86: stack.append(.tuple(try pop(2))) // TUPLE2
            case 0x87: stack.append(.tuple(try pop(3))) // TUPLE3
            case 0x5D: stack.append(.list(ListBox())) // EMPTY_LIST
            case 0x6C: // LIST
                let list = ListBox()
                list.items = try popMark()
                stack.append(.list(list))
            case 0x61: // APPEND
                let item = try pop()
                try list(at: opcodeOffset).items.append(item)
            case 0x65: // APPENDS
                let items = try popMark()
                try list(at: opcodeOffset).items.append(contentsOf: items)
            case 0x7D: stack.append(.dict(DictBox())) // EMPTY_DICT
            case 0x64: // DICT
                let dict = DictBox()
                try appendPairs(try popMark(), to: dict)
                stack.append(.dict(dict))
            case 0x73: // SETITEM
                let pair = try pop(2)
                try appendPairs(pair, to: try dict(at: opcodeOffset))
            case 0x75: // SETITEMS
                let items = try popMark()
                try appendPairs(items, to: try dict(at: opcodeOffset))
            case 0x71: memo[Int(try byte())] = try top() // BINPUT
            case 0x72: memo[Int(try uint32())] = try top() // LONG_BINPUT
            case 0x94: memo[memo.count] = try top() // MEMOIZE
            case 0x68: stack.append(try memoized(Int(try byte()))) // BINGET
            case 0x6A: stack.append(try memoized(Int(try uint32()))) // LONG_BINGET
            case 0x63: // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                stack.append(.global(try global(module: module, name: name)))
            case 0x93: // STACK_GLOBAL
                let names = try pop(2)
                guard case .string(let module) = names[0], case .string(let name) = names[1] else {
                    throw failure("STACK_GLOBAL at byte \(opcodeOffset) names \(names[0].kind).\(names[1].kind), not two strings")
                }
                stack.append(.global(try global(module: module, name: name)))
            case 0x51: // BINPERSID
                stack.append(try persistentLoad(try pop(), at: opcodeOffset))
            case 0x52: // REDUCE
                let arguments = try pop()
                let callable = try pop()
                stack.append(try reduce(callable, arguments, at: opcodeOffset))
            case 0x62: // BUILD: state for the object below it
                let state = try pop()
                guard case .dict = try top() else {
                    throw unsafe("BUILD at byte \(opcodeOffset) sets state \(state.kind) on \(try top().kind); only a state dict's own attributes (its _metadata) are accepted")
                }
                // OrderedDict's __reduce__ carries the state dict's `_metadata` attribute here; nothing reads it.
            default:
                throw unsafe("opcode 0x\(String(opcode, radix: 16)) at byte \(opcodeOffset) is not one a PyTorch state dict uses")
            }
        }
    }

    // MARK: Globals and calls

    private func global(module: String, name: String) throws(LoadingError) -> Global {
        guard let global = Global.resolve(module: module, name: name) else {
            throw unsafe("the pickle imports \(module).\(name), which a PyTorch state dict never needs; refusing to load it")
        }
        return global
    }

    private func persistentLoad(_ id: Value, at offset: Int) throws(LoadingError) -> Value {
        guard case .tuple(let fields) = id, fields.count == 5, case .string("storage") = fields[0],
              case .global(.storageType(let typeName, let dtype)) = fields[1], case .string(let key) = fields[2],
              case .int(let elementCount) = fields[4], elementCount >= 0 else {
            throw failure("persistent id at byte \(offset) is not ('storage', torch.<Type>Storage, key, location, numel)")
        }
        return .storage(Storage(key: key, typeName: typeName, dtype: dtype, elementCount: elementCount))
    }

    private func reduce(_ callable: Value, _ arguments: Value, at offset: Int) throws(LoadingError) -> Value {
        guard case .global(let global) = callable else { throw unsafe("REDUCE at byte \(offset) calls \(callable.kind)") }
        guard case .tuple(let arguments) = arguments else { throw failure("REDUCE at byte \(offset) passes \(arguments.kind), not a tuple") }
        switch global {
        case .orderedDict:
            let dict = DictBox()
            if let items = arguments.first {
                guard arguments.count == 1, case .list(let list) = items else {
                    throw failure("OrderedDict at byte \(offset) is built from \(arguments.map(\.kind)), expected nothing or a list of pairs")
                }
                for pair in list.items {
                    guard case .tuple(let pair) = pair, pair.count == 2 else { throw failure("OrderedDict at byte \(offset) has an item that is not a pair") }
                    try appendPairs(pair, to: dict)
                }
            }
            return .dict(dict)
        case .rebuildTensor:
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard arguments.count >= 4, case .storage(let storage) = arguments[0], case .int(let storageOffset) = arguments[1],
                  let shape = Self.integers(arguments[2]), let strides = Self.integers(arguments[3]) else {
                throw failure("_rebuild_tensor_v2 at byte \(offset) has arguments \(arguments.map(\.kind)), expected (storage, offset, size, stride, …)")
            }
            return .tensor(PickledTensor(storage: storage, storageOffset: storageOffset, shape: shape, strides: strides))
        case .rebuildParameter:
            guard let data = arguments.first, case .tensor = data else {
                throw failure("_rebuild_parameter at byte \(offset) wraps \(arguments.first?.kind ?? "nothing"), not a tensor")
            }
            return data
        case .storageType(let name, _):
            throw unsafe("REDUCE at byte \(offset) calls torch.\(name); a state dict names storage types only in persistent ids")
        }
    }

    private static func integers(_ value: Value) -> [Int]? {
        guard case .tuple(let items) = value else { return nil }
        var result: [Int] = []
        for item in items {
            guard case .int(let integer) = item else { return nil }
            result.append(integer)
        }
        return result
    }

    // MARK: Stack and memo

    private mutating func pop() throws(LoadingError) -> Value {
        if let mark = markStack.last, stack.count <= mark { throw failure("a value is popped across a MARK at byte \(position)") }
        guard let value = stack.popLast() else { throw failure("the stack is empty at byte \(position)") }
        return value
    }

    private mutating func pop(_ count: Int) throws(LoadingError) -> [Value] {
        var values: [Value] = []
        for _ in 0..<count { values.append(try pop()) }
        return values.reversed()
    }

    private mutating func popMark() throws(LoadingError) -> [Value] {
        guard let mark = markStack.popLast() else { throw failure("no MARK for the opcode before byte \(position)") }
        let values = Array(stack[mark...])
        stack.removeLast(stack.count - mark)
        return values
    }

    private func top() throws(LoadingError) -> Value {
        guard let value = stack.last else { throw failure("the stack is empty at byte \(position)") }
        return value
    }

    private func memoized(_ index: Int) throws(LoadingError) -> Value {
        guard let value = memo[index] else { throw failure("memo entry \(index) is read before it is written (byte \(position))") }
        return value
    }

    private func list(at offset: Int) throws(LoadingError) -> ListBox {
        guard case .list(let list) = try top() else { throw failure("APPEND at byte \(offset) on \(try top().kind), not a list") }
        return list
    }

    private func dict(at offset: Int) throws(LoadingError) -> DictBox {
        guard case .dict(let dict) = try top() else { throw failure("SETITEM at byte \(offset) on \(try top().kind), not a dict") }
        return dict
    }

    private func appendPairs(_ flat: [Value], to dict: DictBox) throws(LoadingError) {
        guard flat.count % 2 == 0 else { throw failure("a dict gets an odd number (\(flat.count)) of keys and values") }
        for index in stride(from: 0, to: flat.count, by: 2) { dict.items.append((flat[index], flat[index + 1])) }
    }

    // MARK: Bytes

    private mutating func take(_ count: Int) throws(LoadingError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - position else {
            throw failure("the pickle ends inside a \(count)-byte argument at byte \(position) (truncated?)")
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    private mutating func byte() throws(LoadingError) -> UInt8 { try take(1)[0] }
    private mutating func uint16() throws(LoadingError) -> UInt16 { UInt16(littleEndian: try take(2).loadUnaligned(as: UInt16.self)) }
    private mutating func uint32() throws(LoadingError) -> UInt32 { UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self)) }
    private mutating func uint64() throws(LoadingError) -> UInt64 { UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self)) }

    private func length(_ value: UInt64) throws(LoadingError) -> Int {
        guard value <= UInt64(bytes.count) else { throw failure("a \(value)-byte argument at byte \(position) is longer than the pickle") }
        return Int(value)
    }

    /// A little-endian two's-complement integer of `byteCount` bytes (LONG1/LONG4), which must fit in `Int`.
    private mutating func long(byteCount: Int) throws(LoadingError) -> Int {
        let digits = try take(byteCount)
        guard byteCount <= 8 else { throw failure("a \(byteCount)-byte integer at byte \(position) does not fit in 64 bits") }
        guard byteCount > 0 else { return 0 }
        var value: UInt64 = 0
        for index in (0..<byteCount).reversed() { value = value << 8 | UInt64(digits[index]) }
        let shift = UInt64(64 - 8 * byteCount)
        return Int(Int64(bitPattern: value << shift) >> Int64(shift)) // sign-extend
    }

    private mutating func utf8(_ count: Int) throws(LoadingError) -> String {
        let raw = try take(count)
        guard let string = String(validating: raw, as: UTF8.self) else { throw failure("a string before byte \(position) is not UTF-8") }
        return string
    }

    private mutating func latin1(_ count: Int) throws(LoadingError) -> String {
        String(String.UnicodeScalarView(try take(count).map { Unicode.Scalar($0) }))
    }

    /// A text line of GLOBAL, without its newline.
    private mutating func line() throws(LoadingError) -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw failure("GLOBAL at byte \(position) has no end of line") }
        let text = try utf8(end - position)
        position += 1
        return text
    }

    private func failure(_ reason: String) -> LoadingError { reader.failure("data.pkl: " + reason) }
    private func unsafe(_ reason: String) -> LoadingError { .unsafePickle(file: reader.path, reason: reason) }
}

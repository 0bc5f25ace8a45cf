/// A dense, row-major fp32 tensor whose memory is owned by a `TensorStorage`.
///
/// Weights loaded from a memory-mapped checkpoint point straight into the mapping (no copy);
/// activations own heap memory. The tensor itself is a value: copying it shares the storage.
public struct Tensor: @unchecked Sendable {
    /// Extent of each dimension, outermost first: `[rows, columns]` for a matrix.
    public let shape: [Int]
    /// The memory this tensor reads from.
    public let storage: TensorStorage

    /// Number of elements (`shape.reduce(1, *)`).
    public var count: Int { shape.reduce(1, *) }

    /// A tensor over existing storage; `storage` must hold at least `count` floats.
    public init(shape: [Int], storage: TensorStorage) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in \(shape)")
        precondition(storage.count >= shape.reduce(1, *), "storage of \(storage.count) floats is too small for \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(allocating: shape.reduce(1, *)))
    }

    /// A tensor holding a copy of `values`.
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        let storage = TensorStorage(allocating: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { storage.pointer.update(from: base, count: values.count) }
        }
        self.init(shape: shape, storage: storage)
    }

    /// Read-only pointer to the first element.
    public var pointer: UnsafePointer<Float> { UnsafePointer(storage.pointer) }

    /// The elements as an array (a copy).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(shape: newShape, storage: storage)
    }
}

/// Memory behind a `Tensor`: either heap memory it owns or a view into memory kept alive by `owner`
/// (for example a memory-mapped checkpoint).
public final class TensorStorage: @unchecked Sendable {
    /// First element; valid for `count` floats while this object lives.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of floats addressable from `pointer`.
    public let count: Int
    private let owner: AnyObject?
    private let ownsMemory: Bool

    /// Zero-initialised heap memory of `count` floats, 64-byte aligned for SIMD kernels.
    public init(allocating count: Int) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        self.count = count
        owner = nil
        ownsMemory = true
    }

    /// A view of `count` floats at `pointer`, valid as long as `owner` is alive.
    /// The pointer must be aligned for `Float`.
    public init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owner = owner
        ownsMemory = false
    }

    deinit {
        if ownsMemory { pointer.deallocate() }
    }
}

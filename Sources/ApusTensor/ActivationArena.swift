/// Scratch memory for the activations of one forward pass, reused from batch to batch.
///
/// A pass calls `reset()` and then takes buffers with `floats(_:)`, which only bumps an offset; nothing is
/// freed individually. When a pass needs more than the current block holds, an extra block is allocated
/// (earlier buffers stay valid), and the next `reset()` replaces all blocks with one block big enough for
/// everything the largest pass so far took. So after the first pass of the largest batch shape, passes make
/// no heap allocations at all: the steady state the kernels issue asks for, checked by an allocation-counting
/// test.
///
/// Not thread-safe: one pass at a time per arena (the model holds one arena per concurrent caller).
public final class ActivationArena: @unchecked Sendable {
    /// Buffers start on 64-byte boundaries (a cache line, one AVX-512 register).
    static let alignment = 64

    private var blocks: [(base: UnsafeMutableRawPointer, capacity: Int)] = []
    /// Bytes used in the last block.
    private var used = 0
    /// Bytes taken since the last `reset()`, over all blocks: the size the next single block needs.
    private var taken = 0
    /// Largest `taken` of any pass.
    private var highWater = 0

    /// Blocks allocated over the arena's life (the test of the steady state reads it).
    public private(set) var blockAllocations = 0

    /// An empty arena; `initialBytes` reserves a first block.
    public init(initialBytes: Int = 0) {
        if initialBytes > 0 { addBlock(bytes: initialBytes) }
    }

    deinit {
        for block in blocks { block.base.deallocate() }
    }

    /// Bytes currently reserved.
    public var capacity: Int { blocks.reduce(0) { $0 + $1.capacity } }

    /// Starts a new pass: every buffer handed out before becomes invalid. Consolidates into one block sized
    /// for the largest pass seen when the last pass overflowed.
    public func reset() {
        highWater = max(highWater, taken)
        if blocks.count > 1 || (blocks.first?.capacity ?? 0) < highWater {
            for block in blocks { block.base.deallocate() }
            blocks.removeAll(keepingCapacity: true)
            addBlock(bytes: highWater)
        }
        used = 0
        taken = 0
    }

    /// `count` uninitialised floats, 64-byte aligned, valid until the next `reset()`.
    public func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = Self.rounded(max(count, 1) * MemoryLayout<Float>.stride)
        taken += bytes
        if let last = blocks.last, used + bytes <= last.capacity {
            defer { used += bytes }
            return (last.base + used).bindMemory(to: Float.self, capacity: count)
        }
        // Overflow: a new block; the consolidated block replaces it at the next reset.
        addBlock(bytes: max(bytes, (blocks.last?.capacity ?? 0)))
        used = bytes
        guard let last = blocks.last else { preconditionFailure("addBlock appends a block") }
        return last.base.bindMemory(to: Float.self, capacity: count)
    }

    /// `count` zero-filled floats.
    public func zeroedFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
        let buffer = floats(count)
        buffer.initialize(repeating: 0, count: count)
        return buffer
    }

    private func addBlock(bytes: Int) {
        let capacity = Self.rounded(max(bytes, Self.alignment))
        blocks.append((UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: Self.alignment), capacity))
        blockAllocations += 1
    }

    private static func rounded(_ bytes: Int) -> Int {
        (bytes + alignment - 1) / alignment * alignment
    }
}

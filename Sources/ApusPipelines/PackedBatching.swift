import ApusModels
import ApusTensor
import ApusTokenizers
import Foundation

/// Calls `body` with the texts' encodings packed `batchSize` at a time, longest first — sentence-transformers'
/// order, which keeps similar lengths together — and with `members`, the input positions of the batch's texts,
/// so callers put results back in input order. `skippingEmpty` leaves out encodings with no tokens.
func forEachPackedBatch(of encodings: [Encoding], batchSize: Int, skippingEmpty: Bool = false,
                        _ body: (_ members: [Int], _ batch: TokenBatch) throws -> Void) throws {
    guard batchSize >= 1 else { throw PipelineError.invalidArgument(name: "batch size", reason: "must be at least 1, got \(batchSize)") }
    let order = encodings.indices.filter { !skippingEmpty || !encodings[$0].ids.isEmpty }
        .sorted { encodings[$0].ids.count > encodings[$1].ids.count }
    var start = 0
    while start < order.count {
        let members = Array(order[start..<min(start + batchSize, order.count)])
        try body(members, try TokenBatch(sequences: members.map { (encodings[$0].ids, encodings[$0].typeIds) }))
        start += batchSize
    }
}

/// `requested` tokens per text if the model's positions allow it, else an error naming the limit; `fallback` when
/// nothing was requested.
func validatedMaxLength(_ requested: Int?, fallback: Int, maxPositions: Int) throws -> Int {
    guard let requested else { return fallback }
    guard requested >= 1 && requested <= maxPositions else {
        throw PipelineError.invalidArgument(name: "max length",
                                            reason: "\(requested) is outside 1...\(maxPositions) (the model's position embeddings)")
    }
    return requested
}

/// The activation memory a pipeline keeps between calls, used by one forward pass at a time.
final class PipelineArena: @unchecked Sendable {
    private let arena = ActivationArena()
    private let lock = NSLock()

    /// Runs `body` with the arena while no other pass of this pipeline uses it.
    func with<Result>(_ body: (ActivationArena) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(arena)
    }
}

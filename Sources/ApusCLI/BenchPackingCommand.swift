import Apus
import ArgumentParser
import Foundation

/// `apus bench packing`: what padding-free batches save on a batch of skewed lengths.
struct BenchPackingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "packing",
        abstract: "Time one forward pass on a packed batch of skewed lengths against the same batch padded.",
        discussion: """
            The batch is --short-texts sequences of --short-length tokens plus one of --long-length tokens. Packed, \
            Apus runs their tokens only; padded, every sequence is --long-length tokens, the work an engine that \
            pads to the longest sequence does (attention over the padding included). Medians of --repeats passes.
            """
    )

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "Number of short sequences.")
    var shortTexts = 31

    @Option(name: .long, help: "Tokens per short sequence.")
    var shortLength = 16

    @Option(name: .long, help: "Tokens of the long sequence (at most the model's positions).")
    var longLength = 512

    @Option(name: .long, help: "Timed passes per layout.")
    var repeats = 5

    func validate() throws {
        if shortTexts < 0 || shortLength < 1 || longLength < 1 || repeats < 1 {
            throw ValidationError("--short-texts must be ≥ 0; --short-length, --long-length and --repeats ≥ 1")
        }
    }

    func run() throws {
        let encoder = try ModelRegistry.loadEncoder(directory: model.directory(), precision: model.precision)
        guard longLength <= encoder.maxPositions, shortLength <= longLength else {
            throw CommandError("--long-length must be at most \(encoder.maxPositions) and at least --short-length")
        }
        let pool = ThreadPool(threadCount: model.threads)
        let arena = ActivationArena()
        // Token ids are arbitrary vocabulary rows: the cost of a pass does not depend on them.
        func sequence(_ length: Int) -> [Int] { (0..<length).map { 1000 + $0 % 1000 } }
        let packed = try TokenBatch(tokenIds: Array(repeating: sequence(shortLength), count: shortTexts) + [sequence(longLength)])
        let padded = try TokenBatch(tokenIds: Array(repeating: sequence(longLength), count: shortTexts + 1))
        func time(_ batch: TokenBatch) throws -> Double {
            let output = UnsafeMutablePointer<Float>.allocate(capacity: batch.totalTokens * encoder.hiddenSize)
            defer { output.deallocate() }
            try encoder.encode(batch, into: output, pool: pool, arena: arena) // warm-up
            var runs: [Double] = []
            for _ in 0..<repeats {
                runs.append(try measureSeconds { try encoder.encode(batch, into: output, pool: pool, arena: arena) })
            }
            return percentile(runs, 0.5)
        }
        let packedSeconds = try time(packed), paddedSeconds = try time(padded)
        print("batch     \(shortTexts) × \(shortLength) tokens + 1 × \(longLength) (\(model.precision), \(model.threads) threads)")
        print("packed    \(packed.totalTokens) tokens, \(fixed(packedSeconds * 1000, 1)) ms")
        print("padded    \(padded.totalTokens) tokens, \(fixed(paddedSeconds * 1000, 1)) ms")
        print("speed-up  \(fixed(paddedSeconds / packedSeconds, 2))×")
    }
}

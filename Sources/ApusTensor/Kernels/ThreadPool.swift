import Dispatch
import Foundation

/// Runs loop iterations on a fixed number of threads (`--threads`).
///
/// Work is spread with `DispatchQueue.concurrentPerform` over at most `threadCount` workers, each taking
/// every `threadCount`-th index (so uneven task costs still balance). Idle workers sleep in Dispatch's
/// pool; nothing spins. The kernels issue may replace this with a dedicated pool.
public final class ThreadPool: Sendable {
    /// Number of threads work is split over.
    public let threadCount: Int

    /// Active processor count of this machine.
    public static var machine: Int { max(ProcessInfo.processInfo.activeProcessorCount, 1) }

    /// A pool of `threadCount` threads (at least 1).
    public init(threadCount: Int) {
        precondition(threadCount >= 1, "threadCount must be at least 1")
        self.threadCount = threadCount
    }

    /// Calls `body(index)` for every index in `0..<count`, spread over the pool; returns when all are done.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        let workers = min(threadCount, count)
        if workers <= 1 {
            for index in 0..<count { body(index) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let task = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var index = worker
                while index < count {
                    task.value(index)
                    index += workers
                }
            }
        }
    }
}

/// Carries a value across threads where the caller guarantees the accesses do not race: the kernels hand
/// each worker disjoint output ranges and read-only inputs.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

import CApusKernels
import Foundation

/// A fixed set of threads that runs the iterations of a loop in parallel (`parallelFor`).
///
/// The calling thread takes part, so a pool of `threadCount` threads starts `threadCount - 1` workers.
/// Idle workers sleep on a condition variable (no spinning). Iterations are handed out in chunks from a
/// shared counter, so the caller starts at once and simply does more of the work while a worker wakes
/// (10–25 µs on the 2-vCPU development VM): small jobs degrade gracefully instead of waiting for a slow
/// thread. Kernels should still only split work worth well over the wake-up cost.
///
/// ```swift
/// let pool = ThreadPool(threadCount: ThreadPool.machine)
/// pool.parallelFor(rows) { row in normalize(row) }   // each iteration writes its own row
/// ```
///
/// One `parallelFor` runs at a time per pool: a call made while another is running — from inside a body
/// (nested) or from a second thread — runs its iterations serially on its own thread instead of waiting,
/// so nesting can never deadlock.
public final class ThreadPool: Sendable {
    /// Number of threads that run iterations, the caller included.
    public let threadCount: Int
    /// Number of processors the system makes available to this process: a sensible `threadCount`.
    public static let machine: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// nil when `threadCount == 1`: everything runs on the caller.
    private let crew: WorkerCrew?

    /// Starts `threadCount - 1` worker threads; `threadCount` must be at least 1.
    public init(threadCount: Int) {
        precondition(threadCount >= 1, "a thread pool needs at least one thread, got \(threadCount)")
        self.threadCount = threadCount
        crew = threadCount > 1 ? WorkerCrew(workerCount: threadCount - 1) : nil
    }

    deinit {
        crew?.stop()
    }

    /// Calls `body(i)` once for every `i` in `0..<count`, spread over the pool's threads; returns when all
    /// calls have returned.
    ///
    /// Calls run concurrently and in no particular order, so `body` must only write memory that no other
    /// iteration reads or writes (for example row `i` of an output). Runs on the caller alone when
    /// `threadCount == 1`, `count == 1`, or the pool is already busy.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        parallelFor(count) { index, _ in body(index) }
    }

    /// `parallelFor` that also tells each call which thread runs it: a number in `0..<threadCount` (0 is the
    /// caller) that no other concurrently running call of this `parallelFor` shares, so iterations can use
    /// per-thread scratch memory indexed by it. A call that runs serially (busy pool, nesting) sees thread 0.
    ///
    /// Sharing a closure with other threads means making it escaping, which costs one small heap allocation per
    /// call; hot loops that must not allocate pass a `ParallelLoopBody` value instead.
    public func parallelFor(_ count: Int, _ body: (_ index: Int, _ thread: Int) -> Void) {
        withoutActuallyEscaping(body) { escapable in parallelFor(count, ClosureLoopBody(body: escapable)) }
    }

    /// `parallelFor` over a `ParallelLoopBody` value, with no heap allocation: workers read `body` through a
    /// pointer to the caller's stack, which stays valid because this call returns only after they finish.
    public func parallelFor<Body: ParallelLoopBody>(_ count: Int, _ body: Body) {
        guard count > 1, let crew else {
            for index in 0..<count { body.run(index: index, thread: 0) }
            return
        }
        let ran = withUnsafePointer(to: body) { pointer in
            crew.run(count: count, context: UnsafeRawPointer(pointer), invoke: Body.invoke)
        }
        if !ran {
            for index in 0..<count { body.run(index: index, thread: 0) }
        }
    }
}

/// The body of an allocation-free `parallelFor`: a value holding what the iterations need.
///
/// Iterations run concurrently, so `run` must only write memory no other iteration touches.
public protocol ParallelLoopBody {
    /// Runs iteration `index` on pool thread `thread` (see `parallelFor(_:_:)` for what `thread` guarantees).
    func run(index: Int, thread: Int)
}

extension ParallelLoopBody {
    /// Calls `run` on the value at `context`; a plain function, so passing it creates no closure context.
    static func invoke(_ context: UnsafeRawPointer, _ index: Int, _ thread: Int) {
        context.assumingMemoryBound(to: Self.self).pointee.run(index: index, thread: thread)
    }
}

/// Adapts a closure to `ParallelLoopBody`.
private struct ClosureLoopBody: ParallelLoopBody {
    let body: (Int, Int) -> Void
    func run(index: Int, thread: Int) { body(index, thread) }
}

/// The worker threads of a `ThreadPool` and the one job they share.
///
/// `@unchecked Sendable`: every mutable field is read and written only while holding `condition`'s lock,
/// except `job`'s closure, which is immutable while a job runs (see `Job`).
private final class WorkerCrew: @unchecked Sendable {
    /// Guards all mutable state below; workers wait on it for a new `generation`, the submitter for `busy == 0`.
    private let condition = NSCondition()
    /// Held by the thread whose job is running; `try()` failing means "busy, run serially".
    private let submission = NSLock()
    private var generation: UInt64 = 0
    private var job: Job?
    /// Workers still allowed to join the current job.
    private var openSlots = 0
    /// Workers currently running iterations of the current job.
    private var busy = 0
    /// Next iteration not yet handed out, and the end of the range.
    private var nextIndex = 0
    private var count = 0
    /// Iterations handed out per grab: big enough to keep lock traffic low, small enough to balance load.
    private var chunk = 1
    private var stopping = false
    /// Copies of `generation` and `busy` that threads watch without the lock while spinning briefly before
    /// sleeping (`apus_spin_until_changed`): a sleeping thread takes 10–25 µs to wake, and a forward pass
    /// submits jobs microseconds apart. Written only under the lock.
    private let watched = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
    private var generationWord: UnsafeMutablePointer<UInt64> { watched }
    private var busyWord: UnsafeMutablePointer<UInt64> { watched + 1 }
    /// How long a thread spins before it sleeps.
    private static let spinSeconds = 100e-6

    /// Workers plus the submitting thread.
    private let threadCount: Int

    init(workerCount: Int) {
        threadCount = workerCount + 1
        watched.initialize(repeating: 0, count: 2)
        for number in 0..<workerCount {
            let thread = Thread { [self] in self.workLoop(thread: number + 1) }
            thread.name = "apus.worker.\(number + 1)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    deinit {
        watched.deallocate()
    }

    /// Runs `invoke(context, index, thread)` over `0..<count` on the caller and the workers; false (nothing
    /// run) if another job is running. `context` is only read until this returns: it does not return before
    /// every worker that took the job has finished (`busy == 0`) and no more may take it (`openSlots == 0`).
    func run(count: Int, context: UnsafeRawPointer, invoke: @escaping Job.Invoke) -> Bool {
        guard submission.try() else { return false }
        defer { submission.unlock() }
        let job = Job(context: context, invoke: invoke)
        condition.lock()
        self.job = job
        self.count = count
        nextIndex = 0
        let participants = min(count, threadCount)
        chunk = max(1, count / (participants * 4))
        openSlots = participants - 1
        generation &+= 1
        apus_atomic_store_u64(generationWord, generation)
        condition.broadcast()
        condition.unlock()

        runIterations(job, thread: 0)

        condition.lock()
        openSlots = 0
        while busy > 0 {
            let seen = UInt64(busy)
            condition.unlock()
            let changed = apus_spin_until_changed(busyWord, seen, Self.spinSeconds) == 1
            condition.lock()
            if !changed { while busy > 0 && UInt64(busy) == seen { condition.wait() } }
        }
        self.job = nil
        condition.unlock()
        return true
    }

    /// Takes chunks of iterations until none are left.
    private func runIterations(_ job: Job, thread: Int) {
        while true {
            condition.lock()
            let start = nextIndex
            let end = min(start + chunk, count)
            nextIndex = end
            condition.unlock()
            if start >= end { return }
            for index in start..<end { job.invoke(job.context, index, thread) }
        }
    }

    private func workLoop(thread: Int) {
        var seenGeneration: UInt64 = 0
        condition.lock()
        while true {
            if generation == seenGeneration && !stopping {
                condition.unlock()
                _ = apus_spin_until_changed(generationWord, seenGeneration, Self.spinSeconds)
                condition.lock()
            }
            while generation == seenGeneration && !stopping { condition.wait() }
            if stopping { break }
            seenGeneration = generation
            guard openSlots > 0, let job else { continue }
            openSlots -= 1
            busy += 1
            apus_atomic_store_u64(busyWord, UInt64(busy))
            condition.unlock()
            runIterations(job, thread: thread)
            condition.lock()
            busy -= 1
            apus_atomic_store_u64(busyWord, UInt64(busy))
            if busy == 0 { condition.broadcast() }
        }
        condition.unlock()
    }

    /// Asks the workers to exit once idle. (The crew itself lives until the last worker exits: each holds it.)
    func stop() {
        condition.lock()
        stopping = true
        generation &+= 1
        apus_atomic_store_u64(generationWord, generation)
        condition.broadcast()
        condition.unlock()
    }
}

/// The loop body of the running job: a function and the caller's loop-body value it reads.
///
/// `@unchecked Sendable`: the context is shared with worker threads for the duration of one `parallelFor`
/// call, whose contract requires iterations to touch disjoint memory; see `WorkerCrew.run`.
struct Job: @unchecked Sendable {
    typealias Invoke = (_ context: UnsafeRawPointer, _ index: Int, _ thread: Int) -> Void
    let context: UnsafeRawPointer
    let invoke: Invoke
}

/// A parsed regex compiled to instructions for `RegexProgram.execute`, a backtracking machine (the design of
/// Oniguruma and Perl, so alternation is leftmost-first and quantifiers backtrack as they do there).
struct RegexProgram: Sendable {
    /// One step of the machine.
    enum Instruction: Sendable {
        /// Match this scalar.
        case scalar(Unicode.Scalar)
        /// Match one scalar of `sets[index]`.
        case set(Int)
        /// Match `sets[set]` between `minimum` and `maximum` times, as many as possible first; a possessive run
        /// never gives any back. (The common `\p{L}+` as one instruction.)
        case repeatSet(set: Int, minimum: Int, maximum: Int, possessive: Bool)
        /// Continue at `preferred`; on failure, come back and continue at `alternative`.
        case split(preferred: Int, alternative: Int)
        /// A `split` in an alternation whose preferred branch must start with a scalar of `sets[firstSet]`: when
        /// the next scalar is not one, go straight to `alternative` (GPT-2-style patterns try six branches that
        /// mostly fail on their first scalar).
        case guardedSplit(preferred: Int, alternative: Int, firstSet: Int)
        /// Continue at `target`.
        case jump(Int)
        /// A zero-width position test.
        case assert(RegexAnchor)
        /// Run the body (the instructions after this one, up to its `succeed`) as a zero-width test, then continue at
        /// `next`. A lookbehind tries the body ending exactly here, from `minimumWidth` to `maximumWidth` scalars back.
        case lookaround(next: Int, direction: LookDirection, negated: Bool, minimumWidth: Int, maximumWidth: Int)
        /// End of a lookaround body: the test passed (a lookbehind body only when it ends where the test started).
        case succeed
        /// Start of an atomic group.
        case atomicBegin
        /// End of an atomic group: forget the alternatives its body left.
        case atomicEnd
        /// Remember the position in `register` (loops whose body can match the empty string).
        case saveProgress(register: Int)
        /// Fail when the loop body matched the empty string since the `saveProgress`, ending the loop.
        case checkProgress(register: Int)
        /// The whole pattern matched.
        case match
    }

    let instructions: [Instruction]
    let sets: [ScalarSet]
    let registerCount: Int
    /// The scalars a match can start with, when the pattern cannot match the empty string.
    let firstScalars: ScalarSet?

    /// Compiles `node`; errors for constructs the machine cannot run (an unbounded lookbehind).
    init(_ node: RegexNode, pattern: String) throws(RegexSyntaxError) {
        var compiler = Compiler(pattern: pattern)
        try compiler.emit(node)
        compiler.instructions.append(.match)
        instructions = compiler.instructions
        sets = compiler.sets
        registerCount = compiler.registerCount
        let (first, nullable) = Self.firstScalars(of: node)
        firstScalars = nullable || first == nil ? nil : ScalarSet(items: (first ?? []).map { .set($0) })
    }

    /// The sets a match of `node` can start with (nil: unknown) and whether it can match the empty string.
    static func firstScalars(of node: RegexNode) -> (sets: [ScalarSet]?, nullable: Bool) {
        switch node {
        case .empty, .anchor, .lookaround: return ([], true)
        case .scalarSet(let set): return ([set], false)
        case .atomic(let body): return firstScalars(of: body)
        case .repetition(let body, let minimum, _, _):
            let (sets, nullable) = firstScalars(of: body)
            return (sets, nullable || minimum == 0)
        case .alternation(let alternatives):
            var union: [ScalarSet] = []
            var nullable = false
            for alternative in alternatives {
                let (sets, alternativeNullable) = firstScalars(of: alternative)
                guard let sets else { return (nil, true) }
                union += sets
                nullable = nullable || alternativeNullable
            }
            return (union, nullable)
        case .concatenation(let parts):
            var union: [ScalarSet] = []
            for part in parts {
                let (sets, nullable) = firstScalars(of: part)
                guard let sets else { return (nil, true) }
                union += sets
                if !nullable { return (union, false) }
            }
            return (union, true)
        }
    }

    /// Smallest and largest number of scalars `node` can match (largest nil: unbounded).
    static func width(of node: RegexNode) -> (minimum: Int, maximum: Int?) {
        switch node {
        case .empty, .anchor, .lookaround: return (0, 0)
        case .scalarSet: return (1, 1)
        case .atomic(let body): return width(of: body)
        case .repetition(let body, let minimum, let maximum, _):
            let (bodyMinimum, bodyMaximum) = width(of: body)
            guard let maximum, let bodyMaximum else { return (bodyMinimum * minimum, bodyMaximum == 0 ? 0 : nil) }
            return (bodyMinimum * minimum, bodyMaximum * maximum)
        case .alternation(let alternatives):
            let widths = alternatives.map(width(of:))
            let minimum = widths.map(\.minimum).min() ?? 0
            let maximum = widths.contains { $0.maximum == nil } ? nil : widths.compactMap(\.maximum).max()
            return (minimum, maximum)
        case .concatenation(let parts):
            var minimum = 0
            var maximum: Int? = 0
            for part in parts {
                let (partMinimum, partMaximum) = width(of: part)
                minimum += partMinimum
                maximum = maximum.flatMap { total in partMaximum.map { total + $0 } }
            }
            return (minimum, maximum)
        }
    }

    private struct Compiler {
        let pattern: String
        var instructions: [Instruction] = []
        var sets: [ScalarSet] = []
        var registerCount = 0
        /// Instructions allowed after expanding counted repetitions.
        static let maximumProgramSize = 200_000

        init(pattern: String) { self.pattern = pattern }

        mutating func addSet(_ set: ScalarSet) -> Int {
            sets.append(set)
            return sets.count - 1
        }

        mutating func emit(_ node: RegexNode) throws(RegexSyntaxError) {
            guard instructions.count < Self.maximumProgramSize else {
                throw RegexSyntaxError(pattern: pattern, position: 0, problem: "the pattern expands to too large a program")
            }
            switch node {
            case .empty:
                break
            case .scalarSet(let set):
                if let scalar = set.singleScalar { instructions.append(.scalar(scalar)) } else { instructions.append(.set(addSet(set))) }
            case .concatenation(let parts):
                for part in parts { try emit(part) }
            case .alternation(let alternatives):
                var jumpsToEnd: [Int] = []
                for (index, alternative) in alternatives.enumerated() {
                    if index < alternatives.count - 1 {
                        let split = instructions.count
                        instructions.append(.split(preferred: split + 1, alternative: -1))
                        try emit(alternative)
                        jumpsToEnd.append(instructions.count)
                        instructions.append(.jump(-1))
                        let (first, nullable) = RegexProgram.firstScalars(of: alternative)
                        if let first, !nullable {
                            let firstSet = addSet(ScalarSet(items: first.map { .set($0) }))
                            instructions[split] = .guardedSplit(preferred: split + 1, alternative: instructions.count, firstSet: firstSet)
                        } else {
                            instructions[split] = .split(preferred: split + 1, alternative: instructions.count)
                        }
                    } else {
                        try emit(alternative)
                    }
                }
                for jump in jumpsToEnd { instructions[jump] = .jump(instructions.count) }
            case .atomic(let body):
                instructions.append(.atomicBegin)
                try emit(body)
                instructions.append(.atomicEnd)
            case .anchor(let anchor):
                instructions.append(.assert(anchor))
            case .lookaround(let body, let direction, let negated):
                let (minimum, maximum) = RegexProgram.width(of: body)
                guard direction == .ahead || maximum != nil else {
                    throw RegexSyntaxError(pattern: pattern, position: 0, problem: "invalid pattern in look-behind (unbounded length)")
                }
                let start = instructions.count
                instructions.append(.succeed)
                try emit(body)
                instructions.append(.succeed)
                instructions[start] = .lookaround(next: instructions.count, direction: direction, negated: negated,
                                                  minimumWidth: minimum, maximumWidth: maximum ?? 0)
            case .repetition(let body, let minimum, let maximum, let mode):
                try emitRepetition(body, minimum: minimum, maximum: maximum, mode: mode)
            }
        }

        mutating func emitRepetition(_ body: RegexNode, minimum: Int, maximum: Int?, mode: RepetitionMode) throws(RegexSyntaxError) {
            if mode != .lazy, case .scalarSet(let set) = body {
                instructions.append(.repeatSet(set: addSet(set), minimum: minimum, maximum: maximum ?? Int.max,
                                               possessive: mode == .possessive))
                return
            }
            if mode == .possessive {
                instructions.append(.atomicBegin)
                try emitRepetition(body, minimum: minimum, maximum: maximum, mode: .greedy)
                instructions.append(.atomicEnd)
                return
            }
            for _ in 0..<minimum { try emit(body) }
            let greedy = mode == .greedy
            if let maximum {
                // Optional copies nested: X(X(X)?)? — each split either takes one more copy or leaves.
                var splits: [Int] = []
                for _ in minimum..<maximum {
                    splits.append(instructions.count)
                    instructions.append(.jump(-1))
                    try emit(body)
                }
                let end = instructions.count
                for split in splits {
                    instructions[split] = greedy ? .split(preferred: split + 1, alternative: end) : .split(preferred: end, alternative: split + 1)
                }
                return
            }
            let nullable = RegexProgram.width(of: body).minimum == 0
            let loop = instructions.count
            instructions.append(.jump(-1))
            var register = 0
            if nullable {
                register = registerCount
                registerCount += 1
                instructions.append(.saveProgress(register: register))
            }
            try emit(body)
            if nullable { instructions.append(.checkProgress(register: register)) }
            instructions.append(.jump(loop))
            let exit = instructions.count
            instructions[loop] = greedy ? .split(preferred: loop + 1, alternative: exit) : .split(preferred: exit, alternative: loop + 1)
        }
    }
}

extension RegexProgram {
    /// A saved alternative of the machine.
    struct Frame {
        enum Kind: UInt8 {
            /// Resume at `instruction` from `position`.
            case retry
            /// A greedy `repeatSet` that can still give back scalars down to `limit`.
            case giveBack
            /// The start of an atomic group.
            case atomicMarker
            /// Undo a `saveProgress`: register `instruction` goes back to `position`.
            case restoreRegister
        }
        var kind: Kind
        var instruction: Int
        var position: Int
        var limit: Int
    }

    /// Storage the machine reuses across the matches of one text.
    struct Scratch {
        var frames: [Frame] = []
        var registers: [Int]

        init(registerCount: Int) {
            frames.reserveCapacity(64)
            registers = [Int](repeating: -1, count: registerCount)
        }
    }

    /// Backtracks allowed for one attempt, Oniguruma's default `retry_limit_in_match`: past it a pathological
    /// pattern (`(a+)+b` on a long run of a's) gives up — no match here — instead of running for hours.
    static let backtrackLimit = 10_000_000

    /// The end of a match of the instructions from `start` beginning at `position`, or nil. `searchStart` is
    /// where the search began (`\G`); `lookbehindEnd` is where a lookbehind body must end.
    func execute(from start: Int, at position: Int, in text: UnsafeBufferPointer<Unicode.Scalar>, searchStart: Int,
                 lookbehindEnd: Int, scratch: inout Scratch) -> Int? {
        let base = scratch.frames.count
        defer { scratch.frames.removeSubrange(base...) }
        var pc = start
        var position = position
        var backtracks = 0
        let count = text.count
        return instructions.withUnsafeBufferPointer { program -> Int? in
            while true {
                var failed = false
                switch program[pc] {
                case .scalar(let scalar):
                    if position < count && text[position] == scalar { position += 1; pc += 1 } else { failed = true }
                case .set(let index):
                    if position < count && sets[index].contains(text[position]) { position += 1; pc += 1 } else { failed = true }
                case .repeatSet(let index, let minimum, let maximum, let possessive):
                    let set = sets[index]
                    let runStart = position
                    let limit = maximum == Int.max ? count : min(count, position &+ maximum)
                    while position < limit && set.contains(text[position]) { position += 1 }
                    if position - runStart < minimum {
                        failed = true
                    } else {
                        if !possessive && position > runStart + minimum {
                            scratch.frames.append(Frame(kind: .giveBack, instruction: pc + 1, position: position, limit: runStart + minimum))
                        }
                        pc += 1
                    }
                case .guardedSplit(let preferred, let alternative, let firstSet):
                    if position < count && sets[firstSet].contains(text[position]) {
                        scratch.frames.append(Frame(kind: .retry, instruction: alternative, position: position, limit: 0))
                        pc = preferred
                    } else {
                        pc = alternative
                    }
                case .split(let preferred, let alternative):
                    scratch.frames.append(Frame(kind: .retry, instruction: alternative, position: position, limit: 0))
                    pc = preferred
                case .jump(let target):
                    pc = target
                case .assert(let anchor):
                    if holds(anchor, at: position, in: text, searchStart: searchStart) { pc += 1 } else { failed = true }
                case .lookaround(let next, let direction, let negated, let minimumWidth, let maximumWidth):
                    var found = false
                    switch direction {
                    case .ahead:
                        found = execute(from: pc + 1, at: position, in: text, searchStart: searchStart,
                                        lookbehindEnd: -1, scratch: &scratch) != nil
                    case .behind:
                        var width = minimumWidth
                        while !found && width <= maximumWidth && width <= position {
                            found = execute(from: pc + 1, at: position - width, in: text, searchStart: searchStart,
                                            lookbehindEnd: position, scratch: &scratch) != nil
                            width += 1
                        }
                    }
                    if found != negated { pc = next } else { failed = true }
                case .succeed:
                    if lookbehindEnd < 0 || position == lookbehindEnd { return position }
                    failed = true
                case .atomicBegin:
                    scratch.frames.append(Frame(kind: .atomicMarker, instruction: 0, position: 0, limit: 0))
                    pc += 1
                case .atomicEnd:
                    while let frame = scratch.frames.last, scratch.frames.count > base {
                        scratch.frames.removeLast()
                        // Register restores go too: they only matter when backtracking into the group's body.
                        if frame.kind == .atomicMarker { break }
                    }
                    pc += 1
                case .saveProgress(let register):
                    scratch.frames.append(Frame(kind: .restoreRegister, instruction: register, position: scratch.registers[register], limit: 0))
                    scratch.registers[register] = position
                    pc += 1
                case .checkProgress(let register):
                    if scratch.registers[register] == position { failed = true } else { pc += 1 }
                case .match:
                    return position
                }
                guard failed else { continue }
                backtracks += 1
                if backtracks > Self.backtrackLimit { return nil }
                // Backtrack to the most recent alternative.
                var resumed = false
                while scratch.frames.count > base {
                    let frame = scratch.frames[scratch.frames.count - 1]
                    switch frame.kind {
                    case .retry:
                        scratch.frames.removeLast()
                        pc = frame.instruction
                        position = frame.position
                        resumed = true
                    case .giveBack:
                        let shorter = frame.position - 1
                        if shorter <= frame.limit {
                            scratch.frames.removeLast()
                        } else {
                            scratch.frames[scratch.frames.count - 1].position = shorter
                        }
                        pc = frame.instruction
                        position = shorter
                        resumed = true
                    case .atomicMarker:
                        scratch.frames.removeLast()
                    case .restoreRegister:
                        scratch.frames.removeLast()
                        scratch.registers[frame.instruction] = frame.position
                    }
                    if resumed { break }
                }
                if !resumed { return nil }
            }
        }
    }

    private func holds(_ anchor: RegexAnchor, at position: Int, in text: UnsafeBufferPointer<Unicode.Scalar>, searchStart: Int) -> Bool {
        let count = text.count
        switch anchor {
        // Oniguruma: no line starts after a final newline.
        case .lineStart: return position == 0 || (text[position - 1] == "\n" && position < count)
        case .lineEnd: return position == count || text[position] == "\n"
        case .textStart: return position == 0
        case .textEnd: return position == count
        case .textEndOrFinalNewline: return position == count || (position == count - 1 && text[position] == "\n")
        case .searchStart: return position == searchStart
        case .wordBoundary, .notWordBoundary:
            let before = position > 0 && RegexUnicodeData.has(.word, text[position - 1].value)
            let after = position < count && RegexUnicodeData.has(.word, text[position].value)
            return (before != after) == (anchor == .wordBoundary)
        }
    }
}

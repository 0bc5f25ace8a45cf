import Foundation
import Testing
@testable import ApusPipelines

/// Each logits processor and transformers' whole processor list against transformers on fixed logits
/// (scripts/make_generation_fixtures.py): penalty, temperature, top-k, top-p and min-p with ties, -inf entries and
/// min_tokens_to_keep; greedy picks transformers' token.
@Suite struct LogitsProcessorTests {
    @Test func eachProcessorMatchesTransformers() throws {
        let (inputs, outputs, cases) = try GenerationFixtures.load()
        var checked = 0
        for (index, testCase) in cases.enumerated() {
            guard let name = testCase.processor, let arguments = testCase.arguments else { continue }
            let vocabulary = inputs[testCase.row].count
            var logits = inputs[testCase.row]
            let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: 2 * vocabulary)
            let keys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: vocabulary)
            let marks = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: vocabulary)
            marks.initialize(repeating: 0)
            defer { scratch.deallocate(); keys.deallocate(); marks.deallocate() }
            let keep = arguments.minTokensToKeep ?? 1
            logits.withUnsafeMutableBufferPointer { buffer in
                switch name {
                case "repetition_penalty":
                    LogitsWarpers.applyRepetitionPenalty(buffer, history: testCase.history, penalty: arguments.penalty ?? 1, marks: marks, stamp: 1)
                case "temperature":
                    LogitsWarpers.applyTemperature(buffer, temperature: arguments.temperature ?? 1)
                case "top_k":
                    LogitsWarpers.applyTopK(buffer, topK: arguments.topK ?? 0, minTokensToKeep: keep, scratch: scratch)
                case "top_p":
                    LogitsWarpers.applyTopP(buffer, topP: arguments.topP ?? 1, minTokensToKeep: keep, keys: keys)
                case "min_p":
                    LogitsWarpers.applyMinP(buffer, minP: arguments.minP ?? 0, minTokensToKeep: keep, scratch: scratch)
                default:
                    Issue.record("unknown processor \(name)")
                }
            }
            let result = name == "top_p" ? logitsMatchUpToTies(logits, outputs[index], original: inputs[testCase.row])
                : logitsMatch(logits, outputs[index])
            #expect(result.matches, "case \(index) (\(name) on row \(testCase.row)): \(result.detail)")
            checked += 1
        }
        #expect(checked == 60)
    }

    @Test func processorListMatchesTransformersGenerate() throws {
        let (inputs, outputs, cases) = try GenerationFixtures.load()
        var checked = 0
        for (index, testCase) in cases.enumerated() {
            guard let pipeline = testCase.pipeline else { continue }
            let parameters = try pipeline.config.resolved()
            let processor = try LogitsProcessor(parameters: parameters, vocabularySize: inputs[testCase.row].count)
            var logits = inputs[testCase.row]
            logits.withUnsafeMutableBufferPointer { processor.process($0, history: testCase.history) }
            let result = logitsMatchUpToTies(logits, outputs[index], original: inputs[testCase.row])
            #expect(result.matches, "case \(index) (\(testCase.processors ?? [])): \(result.detail)")
            if let greedy = testCase.greedy {
                var fresh = inputs[testCase.row]
                let selected = fresh.withUnsafeMutableBufferPointer { processor.select(nextTokenFrom: $0, history: testCase.history) }
                #expect(selected == greedy, "case \(index)")
            }
            checked += 1
        }
        #expect(checked == 24)
    }

    @Test func repetitionPenaltyAppliesOncePerStepAcrossCalls() throws {
        // The stamp scheme must treat each call as fresh: a second step penalises the same ids again, once.
        let processor = try LogitsProcessor(parameters: SamplingParameters(doSample: false, repetitionPenalty: 2), vocabularySize: 4)
        for _ in 0..<3 {
            var logits: [Float] = [4, -4, 1, 8]
            logits.withUnsafeMutableBufferPointer { processor.process($0, history: [0, 1, 0, 1, 7]) }
            #expect(logits == [2, -8, 1, 8])
        }
    }

    @Test func samplingIsReproducibleAndFollowsTheDistribution() throws {
        let parameters = SamplingParameters(doSample: true, temperature: 1, topK: 0)
        let base: [Float] = [log(0.5), log(0.3), log(0.2), -.infinity]
        func draws(seed: UInt64, count: Int) throws -> [Int] {
            let processor = try LogitsProcessor(parameters: parameters, vocabularySize: base.count, seed: seed)
            return (0..<count).map { _ in
                var logits = base
                return logits.withUnsafeMutableBufferPointer { processor.select(nextTokenFrom: $0, history: []) }
            }
        }
        let first = try draws(seed: 42, count: 30_000)
        #expect(first == (try draws(seed: 42, count: 30_000)))
        #expect(first != (try draws(seed: 43, count: 30_000)))
        #expect(!first.contains(3), "a removed token (-inf) is never drawn")
        let expected: [Double] = [0.5, 0.3, 0.2]
        for token in 0..<3 {
            let frequency = Double(first.filter { $0 == token }.count) / Double(first.count)
            // 30k draws: the standard error is below 0.003; 0.015 is five of them.
            #expect(abs(frequency - expected[token]) < 0.015, "token \(token): \(frequency)")
        }
    }

    @Test func greedyTakesTheFirstMaximum() throws {
        let processor = try LogitsProcessor(parameters: .greedy, vocabularySize: 5)
        var logits: [Float] = [1, 3, .nan, 3, 2]
        #expect(logits.withUnsafeMutableBufferPointer { processor.select(nextTokenFrom: $0, history: []) } == 1)
    }

    @Test func topKKeepsTiesAndHandlesLargeVocabularies() {
        var logits: [Float] = [5, 1, 3, 3, 3, 0]
        let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: 12)
        defer { scratch.deallocate() }
        logits.withUnsafeMutableBufferPointer { LogitsWarpers.applyTopK($0, topK: 2, scratch: scratch) }
        #expect(logits == [5, -.infinity, 3, 3, 3, -.infinity])

        // Quickselect agrees with sorting on a vocabulary the size of Gemma's.
        var random = SamplingRandomNumberGenerator(seed: 3)
        var values = (0..<262_144).map { _ in Float(random.nextUnitInterval() * 20 - 10) }
        let sorted = values.sorted(by: >)
        for k in [1, 50, 1000, 5000, 100_000] {
            let kth = values.withUnsafeMutableBufferPointer { LogitsWarpers.kthLargest($0, k) }
            #expect(kth == sorted[k - 1])
        }
        values.removeAll()
    }

    @Test func rejectsSettingsTransformersRejects() {
        #expect(throws: PipelineError.self) { try LogitsProcessor(parameters: SamplingParameters(doSample: true, temperature: 0), vocabularySize: 10) }
        #expect(throws: PipelineError.self) { try LogitsProcessor(parameters: SamplingParameters(doSample: true, topP: 1.5), vocabularySize: 10) }
        #expect(throws: PipelineError.self) { try LogitsProcessor(parameters: SamplingParameters(doSample: true, topK: -1), vocabularySize: 10) }
        #expect(throws: PipelineError.self) { try LogitsProcessor(parameters: SamplingParameters(doSample: false, repetitionPenalty: 0), vocabularySize: 10) }
        #expect(throws: PipelineError.self) { try LogitsProcessor(parameters: .greedy, vocabularySize: 0) }
        // Greedy ignores the sampling-only values, as transformers does.
        #expect(throws: Never.self) { try LogitsProcessor(parameters: SamplingParameters(doSample: false, temperature: 0), vocabularySize: 10) }
    }
}

/// The per-step cost at real vocabulary sizes (printed, not asserted: timings vary by machine).
@Suite struct LogitsProcessorScaleTests {
    @Test(arguments: [151_936, 262_144])
    func selectStaysFastAtLargeVocabularies(vocabularySize: Int) throws {
        var random = SamplingRandomNumberGenerator(seed: 9)
        let base = (0..<vocabularySize).map { _ in Float(random.nextUnitInterval() * 16 - 8) }
        let history = (0..<512).map { ($0 * 7919) % vocabularySize }
        for (label, parameters) in [
            ("greedy + penalty", SamplingParameters(doSample: false, repetitionPenalty: 1.1)),
            ("top-k 50, top-p 0.9", SamplingParameters(doSample: true, temperature: 0.7, topK: 50, topP: 0.9)),
            ("top-p 0.95 over the whole vocabulary (flat logits: the worst case)", SamplingParameters(doSample: true, temperature: 0.7, topK: 0, topP: 0.95, minP: 0.01)),
        ] {
            let processor = try LogitsProcessor(parameters: parameters, vocabularySize: vocabularySize, seed: 1)
            var logits = base
            let steps = 10
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps {
                logits.withUnsafeMutableBufferPointer { buffer in
                    _ = buffer.update(fromContentsOf: base)
                    let token = processor.select(nextTokenFrom: buffer, history: history)
                    #expect(token >= 0 && token < vocabularySize)
                }
            }
            let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(steps)
            print("LogitsProcessor \(label), vocabulary \(vocabularySize): \(String(format: "%.2f", milliseconds)) ms per step")
        }
    }

    @Test func sortKeysOrderByLogitThenTokenAndSortWithoutTheStandardLibrary() {
        var random = SamplingRandomNumberGenerator(seed: 5)
        let logits: [Float] = (0..<2000).map { _ in Float(Int(random.next() % 40) - 20) / 4 } + [-0.0, 0, .infinity, -.infinity]
        var keys = logits.enumerated().map { LogitsWarpers.sortKey($0.element, token: $0.offset) }
        let expected = logits.indices.sorted { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        keys.withUnsafeMutableBufferPointer { LogitsWarpers.heapSort($0) }
        let tokens = keys.map { Int($0 & 0xFFFF_FFFF) }
        #expect(tokens == expected)
        var shuffled = logits.enumerated().map { LogitsWarpers.sortKey($0.element, token: $0.offset) }
        let sortedKeys = shuffled.sorted()
        for nth in [0, 1, 1000, 2003] {
            shuffled.withUnsafeMutableBufferPointer { LogitsWarpers.selectNth($0, nth) }
            #expect(shuffled[nth] == sortedKeys[nth])
        }
    }
}

/// The partitioning top-p against its plain full-sort twin on vocabularies large enough to partition.
@Suite struct TopPReferenceTests {
    @Test(arguments: [0.5, 0.9, 0.95, 0.99])
    func partitionedTopPMatchesTheFullSort(topP: Double) {
        var random = SamplingRandomNumberGenerator(seed: UInt64(topP * 1000))
        for (vocabulary, scale, quantised) in [(20_000, 8.0, false), (50_000, 3.0, true), (3000, 20.0, false)] {
            var logits = (0..<vocabulary).map { _ -> Float in
                let value = Float((random.nextUnitInterval() * 2 - 1) * scale)
                return quantised ? (value * 4).rounded() / 4 : value // many ties
            }
            for index in stride(from: 0, to: vocabulary, by: 7) { logits[index] = -.infinity }
            for keep in [1, 5] {
                var fast = logits, reference = logits
                let keys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: vocabulary)
                defer { keys.deallocate() }
                fast.withUnsafeMutableBufferPointer { LogitsWarpers.applyTopP($0, topP: topP, minTokensToKeep: keep, keys: keys) }
                reference.withUnsafeMutableBufferPointer { LogitsWarpers.applyTopPReference($0, topP: topP, minTokensToKeep: keep) }
                let removed = fast.filter { $0 == -.infinity }.count
                #expect(fast == reference, "vocabulary \(vocabulary), keep \(keep): \(removed) vs \(reference.filter { $0 == -.infinity }.count) removed")
            }
        }
    }
}

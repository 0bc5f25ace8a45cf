import Testing
@testable import ApusTensor

/// RoPE against transformers' `rotate_half` formula, for both pair layouts, partial rotary dimensions, several heads
/// in strided rows and positions into the thousands.
struct RotaryEmbeddingTests {
    @Test func frequenciesFollowTransformers() {
        // 1 / 10000^(i/4) for i = 0, 2: 1 and 0.01.
        let rope = RotaryEmbedding(rotaryDimensions: 4, base: 10_000)
        #expect(rope.inverseFrequencies == [1, 0.01])
        #expect(RotaryEmbedding(rotaryDimensions: 64, base: 500_000).inverseFrequencies.count == 32)
    }

    @Test(arguments: [RotaryEmbedding.Layout.halves, .interleaved])
    func matchesTheReferenceFormula(layout: RotaryEmbedding.Layout) {
        let heads = 3, headSize = 16, rowStride = heads * headSize + 5
        for rotary in [16, 8] { // full, and partial (the last 8 features pass through)
            let rope = RotaryEmbedding(rotaryDimensions: rotary, base: 10_000, layout: layout)
            let positions = [0, 1, 7, 511, 4095, 8191]
            var x = KernelTests.values(positions.count * rowStride, seed: 31)
            let original = x
            positions.withUnsafeBufferPointer { positions in
                x.withUnsafeMutableBufferPointer { x in
                    rope.apply(to: x.baseAddress!, rows: positions.count, rowStride: rowStride, heads: heads, headSize: headSize,
                               positions: positions.baseAddress!)
                }
            }
            for (row, position) in positions.enumerated() {
                for head in 0..<heads {
                    let start = row * rowStride + head * headSize
                    let expected = rope.applyReference(to: Array(original[start..<(start + headSize)]), position: position)
                    let actual = Array(x[start..<(start + headSize)])
                    #expect(KernelTests.maxDifference(actual, expected) <= 2e-7, "\(layout) rotary \(rotary) position \(position)")
                    if rotary < headSize { #expect(actual[rotary...] == original[(start + rotary)..<(start + headSize)]) }
                }
                let gap = (row * rowStride + heads * headSize)..<((row + 1) * rowStride)
                #expect(x[gap] == original[gap], "the stride gap is untouched")
            }
            if layout == .halves && rotary == headSize {
                #expect(Array(x[0..<headSize]) == Array(original[0..<headSize]), "position 0 is the identity")
            }
        }
    }

    /// The precomputed table rotates exactly as the direct computation does.
    @Test(arguments: [RotaryEmbedding.Layout.halves, .interleaved])
    func tableMatchesDirectRotation(layout: RotaryEmbedding.Layout) {
        let rope = RotaryEmbedding(rotaryDimensions: 8, base: 160_000, layout: layout)
        let table = rope.table(positions: 300)
        let heads = 2, headSize = 12, rows = 40, first = 250
        var direct = KernelTests.values(rows * heads * headSize, seed: 41), tabled = direct
        let positions = Array(first..<(first + rows))
        positions.withUnsafeBufferPointer { positions in
            rope.apply(to: &direct, rows: rows, rowStride: heads * headSize, heads: heads, headSize: headSize,
                       positions: positions.baseAddress!)
        }
        table.apply(to: &tabled, rows: rows, rowStride: heads * headSize, heads: heads, headSize: headSize, firstPosition: first)
        #expect(direct == tabled)
    }
}

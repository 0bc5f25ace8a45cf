import ApusTensor
import Foundation
import Testing
@testable import ApusModels

/// RoPE frequencies of every variant against transformers' ROPE_INIT_FUNCTIONS on realistic configurations
/// (Tests/Fixtures/tiny-decoders/rope-variants.json, made by scripts/make_tiny_decoder_fixtures.py).
struct RopeScalingTests {
    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        let name: String
        let headSize: Int
        let maxPositions: Int
        let ropeParameters: RopeScaling.File
        let inverseFrequencies: [Float]
        let attentionScaling: Double
        enum CodingKeys: String, CodingKey {
            case name, headSize = "head_dim", maxPositions = "max_position_embeddings", ropeParameters = "rope_parameters"
            case inverseFrequencies = "inv_freq", attentionScaling = "attention_scaling"
        }
        var testDescription: String { name }
    }
    struct Cases: Decodable { let cases: [Case] }

    static let cases: [Case] = (try? JSONDecoder().decode(Cases.self, from: Data(contentsOf: DecoderFixture.root
        .appendingPathComponent("rope-variants.json"))).cases) ?? []

    /// Largest relative difference of an inverse frequency: one fp32 ulp. transformers' fp32 arithmetic is reproduced
    /// step by step; llama3, linear, dynamic, partial and YaRN with mscale came out bit-exact, plain YaRN one ulp off
    /// in one entry (a blend of two rounded terms).
    static let frequencyRelative: Float = .ulpOfOne

    @Test func everyVariantIsCovered() {
        #expect(Set(Self.cases.map { $0.ropeParameters.ropeType ?? "default" }) == Set(RopeScaling.Kind.allCases.map(\.rawValue)))
    }

    @Test(arguments: cases)
    func frequenciesMatchTransformers(_ variant: Case) throws {
        let rope = try RopeScaling(variant.ropeParameters, defaultTheta: 10_000, maxPositions: variant.maxPositions,
                                   source: "rope-variants.json", key: variant.name)
        let frequencies = rope.frequencies(headSize: variant.headSize)
        #expect(frequencies.inverse.count == variant.inverseFrequencies.count)
        let worst = zip(frequencies.inverse, variant.inverseFrequencies).map { abs($0 - $1) / $1 }.max() ?? .infinity
        #expect(worst <= Self.frequencyRelative, "\(variant.name): relative difference \(worst)")
        #expect(abs(Double(frequencies.scaling) - variant.attentionScaling) <= 1e-7 * variant.attentionScaling, "\(variant.name)")
    }
}

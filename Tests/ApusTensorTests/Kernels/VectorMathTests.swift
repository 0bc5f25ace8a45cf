import Foundation
import Testing
@testable import ApusTensor

/// The SIMD elementary functions behind softmax and the activations, against Double-precision libm.
struct VectorMathTests {
    /// Error bound of `exponential`, in units in the last place of the exact result (measured max: 1.2).
    static let exponentialULPs: Float = 2

    static func unitsInLastPlace(_ actual: Float, _ exact: Double) -> Float {
        let rounded = Float(exact)
        return Float(abs(Double(actual) - exact) / Double(rounded.ulp))
    }

    @Test func exponentialIsWithinTwoULPsAcrossTheFiniteRange() {
        var worst: Float = 0, worstInput: Float = 0
        var value: Float = -87.3
        while value < 88.7 {
            let inputs = SIMD8<Float>((0..<8).map { value + Float($0) * 0.000_913 })
            let outputs = exponential(inputs)
            for lane in 0..<8 {
                let error = Self.unitsInLastPlace(outputs[lane], Foundation.exp(Double(inputs[lane])))
                if error > worst { worst = error; worstInput = inputs[lane] }
            }
            value += 0.0173
        }
        #expect(worst <= Self.exponentialULPs, "worst \(worst) ulp at x = \(worstInput)")
    }

    @Test func exponentialHandlesTheEdges() {
        let inputs = SIMD8<Float>(-.infinity, -1000, -87.5, 0, 1, 89, .infinity, .nan)
        let outputs = exponential(inputs)
        #expect(outputs[0] == 0 && outputs[1] == 0 && outputs[2] == 0, "underflow flushes to 0 (masked softmax entries)")
        #expect(outputs[3] == 1, "e^0 is exactly 1")
        #expect(Self.unitsInLastPlace(outputs[4], M_E) <= Self.exponentialULPs)
        #expect(outputs[5] == .infinity && outputs[6] == .infinity)
        #expect(outputs[7].isNaN)
    }

    @Test func gaussianCDFMatchesErf() {
        // Φ(x) = ½(1 + erf(x/√2)) — checked through x·Φ(x) (GELU), whose absolute error is what a model sees.
        var worst = 0.0
        for step in -12_000...12_000 {
            let x = Float(step) / 1000
            let exact = 0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot()))
            let actual = x * gaussianCDF(SIMD8(repeating: x))[0]
            worst = max(worst, abs(Double(actual) - exact) / max(abs(exact), 1))
        }
        // Scaled by max(|GELU|, 1): 2 ulp of results above 1, an absolute 2.5e-7 below.
        #expect(worst <= Double(ActivationTests.relativeTolerance), "worst scaled error \(worst)")
    }
}

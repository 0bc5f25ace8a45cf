import CApusKernels
import Testing
@testable import ApusTensor

/// Activations against PyTorch and against their Double-precision reference twin.
struct ActivationTests {
    /// Allowed |Δ| relative to |expected|: 2 ulp (measured worst: 1 ulp, for large |x|).
    static let relativeTolerance: Float = 2.5e-7
    /// Allowed extra |Δ| for small results, where argument rounding and 1 + erf cancellation cost relative
    /// accuracy (measured worst: 1.04e-7 at x = -1.4, result -0.114). PyTorch's own fp32 GELU is 1.1e-6
    /// from exact, so this is five times stricter than the peer; a wrong formula is off by ~1e-4.
    static let absoluteTolerance: Float = 2e-7

    static func close(_ actual: Float, _ expected: Float) -> Bool {
        abs(actual - expected) <= relativeTolerance * abs(expected) + absoluteTolerance
    }

    // Expected values: PyTorch 2.13.0 in float64 on the float32 inputs (exact erf/tanh), made with
    //   x = torch.tensor(xs, dtype=torch.float32).double()
    //   F.gelu(x); F.gelu(x, approximate="tanh"); x * torch.sigmoid(1.702 * x); F.silu(x)
    // (PyTorch's own fp32 vectorised GELU is up to 1.1e-6 away from these, so they are the stricter target.)
    static let inputs: [Float] = [-12, -9, -6.5, -4.25, -3, -2, -1.3, -0.7, -0.5, -0.1, -0.001, 0, 1e-06, 0.001, 0.1,
                                  0.5, 0.7, 1, 1.3, 2, 3, 4.25, 6.5, 9, 12, 40]
    static let pyTorch: [(Activation, [Double])] = [
        (.geluErf, [-0.0, -0.0, -2.610399119085116e-10, -4.542623454358019e-05, -0.00404969409489031,
                    -0.04550026389635842, -0.12584063596842512, -0.16937455627736941, -0.15426876936299344,
                    -0.04601721689885652, -0.0004996010814969171, 0.0, 5.000003976798997e-07, 0.0005003989660005341,
                    0.0539827845912596, 0.34573123063700656, 0.5306254318017016, 0.841344746068543, 1.174159316347859,
                    1.9544997361036416, 2.99595030590511, 4.249954573765456, 6.49999999973896, 9.0, 12.0, 40.0]),
        (.geluTanh, [-0.0, -0.0, -6.27831120425526e-13, -2.0142035844883388e-05, -0.0036373920817729943,
                     -0.04540230591222494, -0.1260709936850246, -0.16942986501303928, -0.15428599017485606,
                     -0.0460172495811262, -0.0004996010814972463, 0.0, 5.000003976798997e-07, 0.0005003989660002051,
                     0.05398275190898992, 0.34571400982514394, 0.5305701230660317, 0.8411919906082768,
                     1.1739289586312596, 1.954597694087775, 2.996362607918227, 4.2499798579641554, 6.499999999999372,
                     9.0, 12.0, 40.0]),
        (.quickGelu, [-1.6186417835847626e-08, -2.00317798655851e-06, -0.00010193109573866565, -0.0030662414646888277,
                      -0.01807130970778597, -0.06434137685579186, -0.1282121112931923, -0.1631060480373958,
                      -0.1496115633936199, -0.04575524253524057, -0.0004995745238110212, 0.0, 5.000004242376192e-07,
                      0.0005004255236864301, 0.05424475895487555, 0.35038843660638014, 0.5368939400416752,
                      0.8457957659328212, 1.1717878410230917, 1.9356586231442083, 2.981928690292214, 4.246933758535311,
                      6.499898068904262, 8.999997996822012, 11.999999983813582, 40.0]),
        (.silu, [-7.373009522657661e-05, -0.0011105511838760856, -0.009757684668790446, -0.059770414933793266,
                 -0.14227761953270035, -0.2384058440442351, -0.27841452226510843, -0.23226855737689012,
                 -0.1887703343990727, -0.04750208192278225, -0.0004997500237458102, 0.0, 5.0000024873762e-07,
                 0.0005002500237516411, 0.05249791956733388, 0.3112296656009273, 0.467731430702181, 0.7310585786300049,
                 1.0215854300511757, 1.7615941559557646, 2.8577223804672998, 4.190229585066207, 6.490242315331209,
                 8.998889448816124, 11.999926269904773, 40.0]),
    ]

    /// `close`, NaN where the reference is NaN (−inf into the GELUs and sigmoid forms is ∞·0), the same
    /// infinity where it is infinite.
    static func agrees(_ actual: Float, _ expected: Float) -> Bool {
        if expected.isNaN { return actual.isNaN }
        if expected.isInfinite { return actual == expected }
        return close(actual, expected)
    }

    static let all: [Activation] = [.geluErf, .geluTanh, .quickGelu, .relu, .silu]

    @Test(arguments: KernelISA.available)
    func matchesPyTorchInDoublePrecision(isa: KernelISA) {
        for (activation, expected) in Self.pyTorch {
            var y = Self.inputs
            applyActivation(activation, &y, count: y.count, pool: nil, isa: isa)
            for (index, value) in y.enumerated() {
                #expect(Self.close(value, Float(expected[index])),
                        "\(isa) \(activation)(\(Self.inputs[index])) = \(value), PyTorch \(expected[index])")
            }
        }
        var y = Self.inputs
        applyActivation(.relu, &y, count: y.count, pool: nil, isa: isa)
        #expect(y == Self.inputs.map { max($0, 0) })
    }

    @Test(arguments: all)
    func matchesReferenceOnADenseGridOnEveryISA(activation: Activation) {
        // 40 001 points over [-20, 20], a count that is not a multiple of any vector width.
        let x = (0...40_000).map { Float($0 - 20_000) / 1000 }
        var expected = x
        applyActivationReference(activation, &expected, count: expected.count)
        for isa in KernelISA.available {
            var actual = x
            applyActivation(activation, &actual, count: actual.count, pool: ThreadPool(threadCount: 2), isa: isa)
            let failures = (0..<x.count).filter { !Self.close(actual[$0], expected[$0]) }
            #expect(failures.isEmpty, "\(isa) \(activation): first failure at x = \(failures.first.map { x[$0] } ?? 0)")
        }
    }

    @Test(arguments: all)
    func edgeValuesMatchTheReference(activation: Activation) {
        // NaN must propagate, infinities and huge values must not turn into NaN where the formula is finite.
        let x: [Float] = [.nan, .infinity, -.infinity, 1e30, -1e30, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                          88.8, -88.8, 44.4, -44.4, 0, -0.0, .leastNormalMagnitude, -.leastNonzeroMagnitude, 9.5, -9.5]
        var expected = x
        applyActivationReference(activation, &expected, count: expected.count)
        for isa in KernelISA.available {
            var actual = x
            applyActivation(activation, &actual, count: actual.count, pool: nil, isa: isa)
            for index in x.indices {
                #expect(Self.agrees(actual[index], expected[index]),
                        "\(isa) \(activation)(\(x[index])) = \(actual[index]), reference \(expected[index])")
            }
        }
    }

    @Test func resultDoesNotDependOnPosition() {
        // Full vectors and masked tails go through the same arithmetic, and the scalar form agrees with both.
        for isa in KernelISA.available {
            for activation in [Activation.geluErf, .geluTanh, .silu] {
                for count in [1, 13, 33] {
                    var y = [Float](repeating: -0.8125, count: count)
                    applyActivation(activation, &y, count: y.count, pool: nil, isa: isa)
                    #expect(Set(y).count == 1, "\(isa) \(activation) count \(count)")
                    if isa == .detected { #expect(y[0] == activation(-0.8125), "\(activation)") }
                }
            }
        }
    }

    @Test(arguments: [1, 7, 8, 15, 16, 17, 32, 33])
    func stridedRowsLeaveTheGapUntouched(columns: Int) {
        // The matrix-product epilogue applies the activation to one tile of a wider matrix.
        let rows = 3, stride = columns + 5, sentinel: Float = -3.25
        var source = [Float](repeating: sentinel, count: rows * stride)
        for row in 0..<rows { for column in 0..<columns { source[row * stride + column] = Float(row * 31 + column) / 8 - 4 } }
        for isa in KernelISA.available {
            for activation in Self.all {
                var actual = source
                apus_activation_rows(isa.cValue, activation.cValue, &actual, Int32(stride), Int32(rows), Int32(columns))
                for row in 0..<rows {
                    var expected = Array(source[(row * stride)..<(row * stride + columns)])
                    applyActivationReference(activation, &expected, count: columns)
                    for column in 0..<columns {
                        #expect(Self.close(actual[row * stride + column], expected[column]), "\(isa) \(activation) row \(row)")
                    }
                    #expect(actual[(row * stride + columns)..<((row + 1) * stride)].allSatisfy { $0 == sentinel },
                            "\(isa) \(activation): the gap after row \(row) is untouched")
                }
            }
        }
    }

    @Test func noneAndEmptyShapesWriteNothing() {
        var y: [Float] = [-1, 0.5, 2]
        for isa in KernelISA.available {
            apus_activation_rows(isa.cValue, APUS_ACTIVATION_NONE, &y, 3, 1, 3)
            apus_activation_rows(isa.cValue, APUS_ACTIVATION_GELU_ERF, &y, 3, 0, 3)
            apus_activation_rows(isa.cValue, APUS_ACTIVATION_GELU_ERF, &y, 3, 1, 0)
        }
        #expect(y == [-1, 0.5, 2])
    }

    @Test func multithreadedMatchesSingleThreaded() {
        let x = (0..<100_003).map { Float($0 % 977) / 100 - 4.5 }
        var serial = x, parallel = x
        applyActivation(.geluErf, &serial, count: serial.count, pool: nil)
        applyActivation(.geluErf, &parallel, count: parallel.count, pool: ThreadPool(threadCount: 2))
        #expect(serial == parallel)
    }

    @Test func huggingFaceNames() {
        #expect(Activation(huggingFaceName: "gelu") == .geluErf)
        #expect(Activation(huggingFaceName: "gelu_python") == .geluErf)
        #expect(Activation(huggingFaceName: "gelu_new") == .geluTanh)
        #expect(Activation(huggingFaceName: "gelu_pytorch_tanh") == .geluTanh)
        #expect(Activation(huggingFaceName: "gelu_fast") == .geluTanh)
        #expect(Activation(huggingFaceName: "quick_gelu") == .quickGelu)
        #expect(Activation(huggingFaceName: "relu") == .relu)
        #expect(Activation(huggingFaceName: "silu") == .silu)
        #expect(Activation(huggingFaceName: "swish") == .silu)
        #expect(Activation(huggingFaceName: "mish") == nil)
        #expect(Activation(huggingFaceName: "GELU") == nil, "names are case-sensitive, as in transformers")
        #expect(Activation.huggingFaceNames.allSatisfy { Activation(huggingFaceName: $0) != nil })
    }
}

import ApusTensor

/// A lookup table of `[count, width]` vectors indexed by id (token, position or segment).
public struct Embedding: Sendable {
    /// `[count, width]`.
    public let weight: Tensor
    /// Number of rows (vocabulary size, maximum positions…).
    public var count: Int { weight.shape[0] }
    /// Vector width.
    public var width: Int { weight.shape[1] }

    /// Loads `<name>.weight` with shape `[count, width]`.
    public init(_ weights: WeightScope, _ name: String, count: Int, width: Int) throws {
        weight = try weights.scope(name).tensor("weight", shape: [count, width])
    }

    /// Adds row `id` to the `width` floats at `destination`; `id` must be in `0..<count`.
    @inline(__always)
    public func accumulate(row id: Int, into destination: UnsafeMutablePointer<Float>) {
        let source = weight.pointer + id * width
        for column in 0..<width { destination[column] += source[column] }
    }
}

/// The number format a model's linear layers compute in; chosen per model at load time.
public enum Precision: String, Sendable, CaseIterable, CustomStringConvertible {
    /// IEEE single precision throughout: the reference numerics (matches PyTorch to 1e-4).
    case fp32
    /// Weights converted once to bfloat16 at load, activations rounded to bfloat16 at each product, fp32
    /// accumulation (AVX-512 BF16 where available); about twice the speed at ~3 significant digits per product.
    case bf16

    public var description: String { rawValue }
}

import ApusTensor
import Foundation

/// A file of named tensors that a `WeightStore` serves: safetensors, and any other checkpoint format (GGUF,
/// PyTorch `.bin`) that presents its tensors under the Hub checkpoint's names, in PyTorch's shape order.
public protocol TensorFile: AnyObject, Sendable {
    /// Where the tensors come from, for messages.
    var url: URL { get }
    /// Every tensor's name, sorted.
    var tensorNames: [String] { get }
    /// The stored element type and the shape (outermost first) of tensor `name`, or nil when there is none.
    func tensorDescription(of name: String) -> TensorDescription?
    /// Tensor `name` converted to fp32; throws a `LoadingError` naming the file and tensor.
    func floatTensor(named name: String) throws -> Tensor
}

/// What a checkpoint says about one tensor before it is read: element type and shape.
public struct TensorDescription: Sendable, Equatable {
    /// Element type as stored (a quantised format reports the type `floatTensor` dequantises from, see its file).
    public let dtype: DType
    /// Extents, outermost first; empty for a scalar.
    public let shape: [Int]

    /// A description of a `dtype` tensor of `shape`.
    public init(dtype: DType, shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
    }
}

extension SafetensorsFile: TensorFile {
    public func tensorDescription(of name: String) -> TensorDescription? {
        tensors[name].map { TensorDescription(dtype: $0.dtype, shape: $0.shape) }
    }
}

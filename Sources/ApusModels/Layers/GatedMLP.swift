import ApusTensor

/// The gated feed-forward block of Llama-style decoders: `down(act(gate(x)) · up(x))` — SwiGLU with `silu`
/// (Llama, Mistral, Qwen), GeGLU with `gelu_pytorch_tanh` (Gemma). `gate_proj` and `up_proj` read the same input,
/// so they are fused at load into one product whose rows are `[gate | up]`.
struct GatedMLP: Sendable {
    /// `gate_proj` and `up_proj` side by side: `[hidden] → [2 · intermediate]`.
    let gateUp: Linear
    /// `down_proj`.
    let down: Linear
    let activation: Activation

    var intermediateSize: Int { down.inFeatures }

    /// Loads `gate_proj`, `up_proj` and `down_proj` from `weights` (the layer's `mlp` scope).
    init(_ weights: WeightScope, hiddenSize: Int, intermediateSize: Int, activation: Activation, bias: Bool,
         precision: Precision) throws {
        gateUp = Linear(concatenating: [
            try Linear(weights, "gate_proj", inFeatures: hiddenSize, outFeatures: intermediateSize, bias: bias),
            try Linear(weights, "up_proj", inFeatures: hiddenSize, outFeatures: intermediateSize, bias: bias),
        ], precision: precision)
        down = try Linear(weights, "down_proj", inFeatures: intermediateSize, outFeatures: hiddenSize, bias: bias,
                          precision: precision)
        self.activation = activation
    }

    /// Reads `tokens` rows of `input`, writes `workspace.projected`.
    func forward(_ input: UnsafePointer<Float>, tokens: Int, workspace: DecoderWorkspace, pool: ThreadPool) {
        gateUp.forward(input, rows: tokens, into: workspace.expanded, pool: pool, scratch: workspace.linearScratch)
        // [tokens, gate | up] → [tokens, intermediate]
        gatedActivation(activation, workspace.expanded, rows: tokens, width: intermediateSize, output: workspace.activated)
        down.forward(workspace.activated, rows: tokens, into: workspace.projected, pool: pool, scratch: workspace.linearScratch)
    }
}

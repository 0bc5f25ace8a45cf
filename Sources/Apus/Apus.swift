// The `Apus` library product: one import for applications.
//
//     import Apus
//     let embedder = try SentenceEmbedder(modelDirectory: URL(fileURLWithPath: "all-MiniLM-L6-v2"))
//     let vectors = try embedder.embed(["hello world"])
@_exported import ApusHub
@_exported import ApusModels
@_exported import ApusPipelines
@_exported import ApusTensor
@_exported import ApusTokenizers

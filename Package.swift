// swift-tools-version: 6.0
// Apus: Hugging Face transformer checkpoints on CPU, in Swift.
//
// Modules follow the dependency direction (see docs/architecture.md):
//   ApusTensor ← ApusModels ← ApusPipelines ← Apus (umbrella) ← apus (CLI)
//   ApusTokenizers and ApusHub (Hub ids, the shared cache, downloads) stand alone.
import PackageDescription

let package = Package(
    name: "Apus",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Apus", targets: ["Apus"]),
        .executable(name: "apus", targets: ["ApusCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // The innermost SIMD kernels, with per-function instruction sets chosen at run time (see its header).
        .target(name: "CApusKernels"),
        .target(name: "ApusTensor", dependencies: ["CApusKernels"]),
        .target(name: "ApusTokenizers"),
        .target(name: "ApusModels", dependencies: ["ApusTensor"]),
        .target(name: "ApusPipelines", dependencies: ["ApusTensor", "ApusTokenizers", "ApusModels"]),
        .target(name: "ApusHub"),
        .target(name: "Apus", dependencies: ["ApusTensor", "ApusTokenizers", "ApusModels", "ApusPipelines", "ApusHub"]),
        .executableTarget(
            name: "ApusCLI",
            dependencies: ["Apus", "ApusHub", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "ApusTensorTests", dependencies: ["ApusTensor", "CApusKernels"]),
        .testTarget(name: "ApusTokenizersTests", dependencies: ["ApusTokenizers"]),
        // Test-only: counts heap allocations (interposes malloc) to check the forward pass's steady state.
        .target(name: "CAllocationCounter", path: "Tests/Support/CAllocationCounter"),
        .testTarget(name: "ApusModelsTests", dependencies: ["ApusModels", "CAllocationCounter"]),
        .testTarget(name: "ApusPipelinesTests", dependencies: ["ApusPipelines"]),
        // Test-only: a Hugging Face Hub on 127.0.0.1 (POSIX sockets) for the download tests.
        .target(name: "FakeHub", dependencies: ["ApusHub"], path: "Tests/Support/FakeHub"),
        .testTarget(name: "ApusHubTests", dependencies: ["ApusHub", "FakeHub"]),
        .testTarget(name: "ApusCLITests", dependencies: ["ApusTensor", "FakeHub"]),
    ],
    swiftLanguageModes: [.v6]
)

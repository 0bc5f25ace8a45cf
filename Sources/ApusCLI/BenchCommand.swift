import Apus
import ArgumentParser
import Foundation

/// `apus bench`: measured speed, not asserted in tests — embedding throughput and latency, generation speed, and kernel GFLOP/s.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure embedding throughput and latency, generation speed and bandwidth, matrix-product speed against the machine's peak, or tokenizer throughput.",
        subcommands: [BenchEmbedCommand.self, BenchGenerateCommand.self, BenchMatmulCommand.self, BenchPackingCommand.self, BenchTokenizeCommand.self]
    )
}

/// Wall-clock seconds of `body`.
func measureSeconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// The value at `fraction` (0…1) of sorted `values`, nearest rank.
func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// Peak resident set size of this process in bytes (getrusage's ru_maxrss: KiB on Linux, bytes on macOS).
func peakResidentBytes() -> Int {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Int(usage.ru_maxrss) * 1024
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Int(usage.ru_maxrss)
    #endif
}

/// Formats a number with a fixed count of decimals.
func fixed(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
}

/// JSON text for a flat dictionary of numbers, strings, arrays and nested dictionaries, keys in the given order.
func jsonObject(_ fields: KeyValuePairs<String, Any>) -> String {
    func encode(_ value: Any) -> String {
        switch value {
        case let text as String:
            let data = (try? JSONSerialization.data(withJSONObject: [text], options: [])) ?? Data("[\"\"]".utf8)
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        case let number as Int: return String(number)
        case let number as Double: return number.isFinite ? String(number) : "null"
        case let list as [Double]: return "[" + list.map(encode).joined(separator: ", ") + "]"
        case let list as [Int]: return "[" + list.map(String.init).joined(separator: ", ") + "]"
        case let list as [KeyValuePairs<String, Any>]: return "[" + list.map(jsonObject).joined(separator: ", ") + "]"
        case let object as KeyValuePairs<String, Any>: return jsonObject(object)
        default: return "null"
        }
    }
    return "{" + fields.map { "\(encode($0.key)): \(encode($0.value))" }.joined(separator: ", ") + "}"
}

/// Turns generated tokens into text one token at a time, giving only the text each token adds.
///
/// ```swift
/// var detokenizer = IncrementalDetokenizer(context: promptIds) { tokenizer.decode($0) }
/// for id in generatedIds { print(detokenizer.append(id), terminator: "") }
/// print(detokenizer.finish())
/// ```
///
/// Decoding one token alone is wrong for most tokenizers: a byte-level BPE or byte-fallback token can hold half
/// of a UTF-8 character (decoded alone it is U+FFFD), and decoders drop or add spaces depending on the
/// neighbouring tokens (SentencePiece's leading "▁", WordPiece's "##" and its cleanup). So, as
/// text-generation-inference's `decode_token` does, the window of recent tokens is decoded with and without the
/// new ones, and the difference is given once the decoded text no longer ends in U+FFFD (transformers'
/// TextStreamer holds text back for the same reason). `finish()` gives what is still held.
public struct IncrementalDetokenizer {
    private let decode: ([Int]) -> String
    private var tokens: [Int]
    /// Start of the tokens decoded as context for the next piece.
    private var prefixOffset: Int
    /// Tokens up to here have been given as text.
    private var readOffset: Int
    /// All text given so far.
    public private(set) var text = ""

    /// A detokenizer using `decode` (e.g. `Tokenizer.decode`); the last few `context` tokens (the prompt's end)
    /// are decoded with the first generated ones so the first piece gets its leading space right.
    public init(context: [Int] = [], contextLength: Int = 5, decode: @escaping ([Int]) -> String) {
        self.decode = decode
        tokens = Array(context.suffix(contextLength))
        prefixOffset = 0
        readOffset = tokens.count
    }

    /// Adds `token` and returns the text it completes ("" while a character or word is incomplete).
    public mutating func append(_ token: Int) -> String {
        tokens.append(token)
        let before = decode(Array(tokens[prefixOffset..<readOffset]))
        let after = decode(Array(tokens[prefixOffset...]))
        let beforeCount = before.unicodeScalars.count
        guard after.unicodeScalars.count > beforeCount, after.unicodeScalars.last != "\u{FFFD}" else { return "" }
        let piece = String(String.UnicodeScalarView(after.unicodeScalars.dropFirst(beforeCount)))
        prefixOffset = readOffset
        readOffset = tokens.count
        text += piece
        return piece
    }

    /// The text of the tokens still held back (an incomplete character at the end becomes U+FFFD, as a full
    /// decode gives it).
    public mutating func finish() -> String {
        guard readOffset < tokens.count else { return "" }
        let before = decode(Array(tokens[prefixOffset..<readOffset]))
        let after = decode(Array(tokens[prefixOffset...]))
        let beforeCount = before.unicodeScalars.count
        prefixOffset = readOffset
        readOffset = tokens.count
        guard after.unicodeScalars.count > beforeCount else { return "" }
        let piece = String(String.UnicodeScalarView(after.unicodeScalars.dropFirst(beforeCount)))
        text += piece
        return piece
    }
}

/// The `Strip` decoder: removes up to `start` leading and `stop` trailing occurrences of the scalar `content`
/// from every token (tokenizers/src/decoders/strip.rs). Llama 2's decoder strips the one space its normalizer
/// prepended: `{"type": "Strip", "content": " ", "start": 1, "stop": 0}`.
///
/// Where the Rust code would index out of bounds (a token made only of `content`, shorter than `stop`, or cut
/// from both sides past its middle) the token becomes empty.
struct StripDecoder: TokenDecoder, JSONDecodableStage {
    static let jsonType = "Strip"

    let content: Unicode.Scalar
    let start: Int
    let stop: Int

    init(content: Unicode.Scalar, start: Int, stop: Int) {
        self.content = content
        self.start = start
        self.stop = stop
    }

    /// `content` is a Rust `char`: exactly one scalar.
    init(json: JSONObject) throws {
        let content = try json.string("content")
        guard content.unicodeScalars.count == 1, let scalar = content.unicodeScalars.first else {
            throw json.mismatch("content", expected: "a string of exactly one character")
        }
        self.init(content: scalar, start: try json.count("start"), stop: try json.count("stop"))
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let scalars = Array(token.unicodeScalars)
            var head = 0
            while head < min(start, scalars.count) && scalars[head] == content { head += 1 }
            var tail = scalars.count
            while scalars.count - tail < stop && tail > 0 && scalars[tail - 1] == content { tail -= 1 }
            return head < tail ? Array(scalars[head..<tail]).string : ""
        }
    }
}

import Foundation

extension ChatTemplate {
    /// The special-token names of tokenizer_config.json that transformers passes to every template.
    static let specialTokenNames = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]

    /// Reads a model directory's chat template as transformers 5 does: the files `chat_template.jinja` (the
    /// default) and `additional_chat_templates/<name>.jinja`, when any exists, else tokenizer_config.json's
    /// `chat_template`, a string or a list of `{"name", "template"}` entries. `name` picks one; without it the
    /// default, or `tool_use` when `forTools` and there is one. The special tokens (`bos_token`, `eos_token`…)
    /// come from tokenizer_config.json, then special_tokens_map.json.
    public static func load(modelDirectory: URL, name: String? = nil, forTools: Bool = false) throws(ChatTemplateError) -> ChatTemplate {
        let configurationURL = modelDirectory.appendingPathComponent("tokenizer_config.json")
        let configuration = try readObject(configurationURL, required: false)
        var specialTokens = try readSpecialTokens(configuration, file: configurationURL.path)
        let mapURL = modelDirectory.appendingPathComponent("special_tokens_map.json")
        for (key, token) in try readSpecialTokens(try readObject(mapURL, required: false), file: mapURL.path) where specialTokens[key] == nil {
            specialTokens[key] = token
        }

        // transformers/tokenization_utils_base.py: template files, when present, replace the config's field.
        var fileTemplates: [(name: String, template: String)] = []
        let jinjaURL = modelDirectory.appendingPathComponent("chat_template.jinja")
        if FileManager.default.fileExists(atPath: jinjaURL.path) {
            fileTemplates.append(("default", try readText(jinjaURL)))
        }
        let additionalURL = modelDirectory.appendingPathComponent("additional_chat_templates")
        let additional = (try? FileManager.default.contentsOfDirectory(atPath: additionalURL.path)) ?? []
        for file in additional.sorted() where file.hasSuffix(".jinja") {
            fileTemplates.append((String(file.dropLast(".jinja".count)), try readText(additionalURL.appendingPathComponent(file))))
        }
        let source = fileTemplates.isEmpty
            ? try selectTemplate(configuration?.chatTemplate, name: name, forTools: forTools, file: configurationURL.path)
            : try selectNamed(fileTemplates, name: name, forTools: forTools, source: modelDirectory.path)
        return try ChatTemplate(source: source, specialTokens: specialTokens)
    }

    /// Reads the `chat_template` field of a tokenizer_config.json document (`data`), picking `name` as `load` does.
    public static func templateSource(tokenizerConfiguration data: Data, name: String? = nil, forTools: Bool = false,
                                      source: String = "tokenizer_config.json") throws(ChatTemplateError) -> String {
        try selectTemplate(try parseObject(data, file: source).chatTemplate, name: name, forTools: forTools, file: source)
    }

    private static func readText(_ url: URL) throws(ChatTemplateError) -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw .unreadableFile(file: url.path, reason: error.localizedDescription)
        }
    }

    private static func selectNamed(_ named: [(name: String, template: String)], name: String?, forTools: Bool,
                                    source: String) throws(ChatTemplateError) -> String {
        let wanted = name ?? (forTools && named.contains { $0.name == "tool_use" } ? "tool_use" : "default")
        guard let match = named.last(where: { $0.name == wanted }) else {
            throw .templateNotFound(source: source, name: wanted, available: named.map(\.name))
        }
        return match.template
    }

    private static func selectTemplate(_ field: JSONValue?, name: String?, forTools: Bool, file: String) throws(ChatTemplateError) -> String {
        switch field {
        case .string(let text)?:
            return try selectNamed([("default", text)], name: name, forTools: forTools, source: file)
        case .array(let entries)?:
            var named: [(name: String, template: String)] = []
            for (index, entry) in entries.enumerated() {
                guard case .object(let members) = entry,
                      case .string(let entryName)? = members.last(where: { $0.key == "name" })?.value,
                      case .string(let template)? = members.last(where: { $0.key == "template" })?.value else {
                    throw .invalidField(file: file, field: "chat_template[\(index)]", expected: "an object with string 'name' and 'template'")
                }
                named.append((entryName, template))
            }
            return try selectNamed(named, name: name, forTools: forTools, source: file)
        case nil, .null?:
            throw .templateNotFound(source: file, name: nil, available: [])
        case let other?:
            throw .invalidField(file: file, field: "chat_template", expected: "a string or a list of named templates, found \(other.kind)")
        }
    }

    private static func readSpecialTokens(_ object: [JSONValue.Member]?, file: String) throws(ChatTemplateError) -> [String: String] {
        var tokens: [String: String] = [:]
        for key in specialTokenNames {
            switch object?.last(where: { $0.key == key })?.value {
            case .string(let token)?:
                tokens[key] = token
            case .object(let members)?:
                // A serialised AddedToken: {"content": "<s>", "lstrip": false, …}.
                guard case .string(let token)? = members.last(where: { $0.key == "content" })?.value else {
                    throw .invalidField(file: file, field: "\(key).content", expected: "a string")
                }
                tokens[key] = token
            case nil, .null?:
                break
            case let other?:
                throw .invalidField(file: file, field: key, expected: "a string or an added-token object, found \(other.kind)")
            }
        }
        return tokens
    }

    private static func readObject(_ url: URL, required: Bool) throws(ChatTemplateError) -> [JSONValue.Member]? {
        guard FileManager.default.fileExists(atPath: url.path) else {
            if required { throw .unreadableFile(file: url.path, reason: "no such file") }
            return nil
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadableFile(file: url.path, reason: error.localizedDescription)
        }
        return try parseObject(data, file: url.path)
    }

    private static func parseObject(_ data: Data, file: String) throws(ChatTemplateError) -> [JSONValue.Member] {
        let document: JSONValue
        do {
            document = try data.withUnsafeBytes { raw throws(JSONSyntaxError) in try JSONValue.parse(raw.bindMemory(to: UInt8.self)) }
        } catch let error as JSONSyntaxError {
            throw .unreadableFile(file: file, reason: "not valid JSON: \(error.description)")
        } catch {
            throw .unreadableFile(file: file, reason: "not valid JSON: \(error)")
        }
        guard case .object(let members) = document else {
            throw .invalidField(file: file, field: "(top level)", expected: "an object, found \(document.kind)")
        }
        return members
    }
}

private extension Array where Element == JSONValue.Member {
    var chatTemplate: JSONValue? { last { $0.key == "chat_template" }?.value }
}

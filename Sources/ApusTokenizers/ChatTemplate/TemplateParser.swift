/// Builds the statement tree of a template from its tokens, following jinja2's grammar (jinja2/parser.py):
/// operator precedence from loosest to tightest is `x if c else y`, `or`, `and`, `not`, comparisons and `in`,
/// `+ -`, `~`, `* / // %`, `**`, unary `- +`, then primaries with `.attr`, `[item]`, calls, `|filter` and
/// `is test`.
struct TemplateParser {
    private let tokens: [TemplateToken]
    private let lexer: TemplateLexer
    private var index = 0

    init(tokens: [TemplateToken], lexer: TemplateLexer) {
        self.tokens = tokens
        self.lexer = lexer
    }

    /// The whole template.
    mutating func parseTemplate() throws(ChatTemplateError) -> [TemplateNode] {
        let (nodes, end) = try parseNodes(until: [])
        if let end { throw syntaxError("unexpected '{% \(end) %}'", at: current.offset) }
        return nodes
    }

    // MARK: Tokens

    private var current: TemplateToken { tokens[index] }
    private var next: TemplateToken { tokens[min(index + 1, tokens.count - 1)] }

    private func location(_ token: TemplateToken) -> SourceLocation { lexer.location(of: token.offset) }

    private func syntaxError(_ message: String, at offset: Int) -> ChatTemplateError {
        let location = lexer.location(of: offset)
        return .syntax(message: message, line: location.line, column: location.column)
    }

    private func unsupported(_ construct: String, at offset: Int) -> ChatTemplateError {
        let location = lexer.location(of: offset)
        return .unsupported(construct: construct, line: location.line, column: location.column)
    }

    private func describe(_ token: TemplateToken) -> String {
        switch token.kind {
        case .text: return "text"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "'}}'"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "'%}'"
        case .name(let name): return "'\(name)'"
        case .string: return "a string"
        case .integer, .float: return "a number"
        case .symbol(let symbol): return "'\(symbol)'"
        case .endOfInput: return "the end of the template"
        }
    }

    private mutating func advance() -> TemplateToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func isSymbol(_ symbol: String) -> Bool {
        if case .symbol(let value) = current.kind, value == symbol { return true }
        return false
    }

    private func isName(_ name: String) -> Bool {
        if case .name(let value) = current.kind, value == name { return true }
        return false
    }

    private mutating func skipSymbol(_ symbol: String) -> Bool {
        guard isSymbol(symbol) else { return false }
        index += 1
        return true
    }

    private mutating func skipName(_ name: String) -> Bool {
        guard isName(name) else { return false }
        index += 1
        return true
    }

    private mutating func expectSymbol(_ symbol: String) throws(ChatTemplateError) {
        guard skipSymbol(symbol) else { throw syntaxError("expected '\(symbol)', found \(describe(current))", at: current.offset) }
    }

    private mutating func expectName() throws(ChatTemplateError) -> String {
        guard case .name(let name) = current.kind else {
            throw syntaxError("expected a name, found \(describe(current))", at: current.offset)
        }
        index += 1
        return name
    }

    private mutating func expectBlockEnd() throws(ChatTemplateError) {
        guard case .blockEnd = current.kind else {
            throw syntaxError("expected '%}', found \(describe(current))", at: current.offset)
        }
        index += 1
    }

    // MARK: Statements

    /// Nodes up to a block tag whose keyword is in `endings` (returned, with the tag's `{%` and keyword consumed).
    private mutating func parseNodes(until endings: Set<String>) throws(ChatTemplateError) -> ([TemplateNode], String?) {
        var nodes: [TemplateNode] = []
        while true {
            let token = current
            switch token.kind {
            case .endOfInput:
                if !endings.isEmpty {
                    throw syntaxError("unexpected end of template, expected one of: "
                        + endings.sorted().map { "'{% \($0) %}'" }.joined(separator: ", "), at: token.offset)
                }
                return (nodes, nil)
            case .text(let text):
                index += 1
                nodes.append(.text(text))
            case .variableBegin:
                index += 1
                let expression = try parseTuple()
                guard case .variableEnd = current.kind else {
                    throw syntaxError("expected '}}', found \(describe(current))", at: current.offset)
                }
                index += 1
                nodes.append(.output(expression))
            case .blockBegin:
                guard case .name(let keyword) = next.kind else {
                    throw syntaxError("expected a statement name after '{%', found \(describe(next))", at: next.offset)
                }
                if endings.contains(keyword) {
                    index += 2
                    return (nodes, keyword)
                }
                index += 2
                nodes.append(try parseStatement(keyword, at: token.offset))
            default:
                throw syntaxError("unexpected \(describe(token))", at: token.offset)
            }
        }
    }

    private mutating func parseStatement(_ keyword: String, at offset: Int) throws(ChatTemplateError) -> TemplateNode {
        switch keyword {
        case "if": return try parseIf()
        case "for": return try parseFor(at: offset)
        case "set": return try parseSet(at: offset)
        case "macro": return try parseMacro()
        case "call": return try parseCallBlock()
        case "filter":
            let filters = try parseFilterChain(requireFirstBar: false)
            try expectBlockEnd()
            let (body, _) = try parseNodes(until: ["endfilter"])
            try expectBlockEnd()
            return .filterBlock(filters: filters, body: body)
        case "generation":
            // transformers' AssistantTracker extension: the body renders unchanged.
            try expectBlockEnd()
            let (body, _) = try parseNodes(until: ["endgeneration"])
            try expectBlockEnd()
            return .filterBlock(filters: [], body: body)
        case "break":
            try expectBlockEnd()
            return .breakLoop
        case "continue":
            try expectBlockEnd()
            return .continueLoop
        case "include", "import", "from", "extends", "block", "with", "autoescape", "do", "trans", "pluralize":
            throw unsupported("the '{% \(keyword) %}' statement", at: offset)
        default:
            throw syntaxError("unknown tag '\(keyword)' here", at: offset)
        }
    }

    private mutating func parseIf() throws(ChatTemplateError) -> TemplateNode {
        var branches: [(condition: Expression, body: [TemplateNode])] = []
        var condition = try parseTuple(withConditional: false)
        while true {
            try expectBlockEnd()
            let (body, end) = try parseNodes(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseTuple(withConditional: false)
            case "else":
                try expectBlockEnd()
                let (otherwise, _) = try parseNodes(until: ["endif"])
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: otherwise)
            default:
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: [])
            }
        }
    }

    private mutating func parseFor(at offset: Int) throws(ChatTemplateError) -> TemplateNode {
        let target = try parseAssignTarget(allowAttribute: false)
        guard skipName("in") else { throw syntaxError("expected 'in' in the for statement, found \(describe(current))", at: current.offset) }
        let iterable = try parseTuple(withConditional: false)
        var condition: Expression?
        if skipName("if") { condition = try parseExpression() }
        if isName("recursive") { throw unsupported("a recursive for loop", at: current.offset) }
        try expectBlockEnd()
        let (body, end) = try parseNodes(until: ["endfor", "else"])
        var otherwise: [TemplateNode] = []
        if end == "else" {
            try expectBlockEnd()
            (otherwise, _) = try parseNodes(until: ["endfor"])
        }
        try expectBlockEnd()
        return .forLoop(ForLoop(target: target, iterable: iterable, condition: condition, body: body, otherwise: otherwise,
                                location: lexer.location(of: offset)))
    }

    private mutating func parseSet(at offset: Int) throws(ChatTemplateError) -> TemplateNode {
        let target = try parseAssignTarget(allowAttribute: true)
        if skipSymbol("=") {
            let value = try parseTuple()
            try expectBlockEnd()
            return .set(target, value, lexer.location(of: offset))
        }
        guard case .name(let name) = target else { throw syntaxError("a block set assigns to one name", at: offset) }
        let filters = isSymbol("|") ? try parseFilterChain(requireFirstBar: true) : []
        try expectBlockEnd()
        let (body, _) = try parseNodes(until: ["endset"])
        try expectBlockEnd()
        return .setBlock(name, body: body, filters: filters)
    }

    private mutating func parseMacro() throws(ChatTemplateError) -> TemplateNode {
        let name = try expectName()
        let parameters = try parseParameters()
        try expectBlockEnd()
        let (body, _) = try parseNodes(until: ["endmacro"])
        if case .name = current.kind { index += 1 } // `{% endmacro name %}`
        try expectBlockEnd()
        return .macro(MacroDefinition(name: name, parameters: parameters, body: body))
    }

    private mutating func parseCallBlock() throws(ChatTemplateError) -> TemplateNode {
        let callerParameters = isSymbol("(") ? try parseParameters() : []
        let call = try parseExpression()
        guard case .call = call.kind else { throw syntaxError("expected a macro call after 'call'", at: current.offset) }
        try expectBlockEnd()
        let (body, _) = try parseNodes(until: ["endcall"])
        try expectBlockEnd()
        return .callBlock(call: call, callerParameters: callerParameters, body: body)
    }

    /// `(a, b=default, …)`.
    private mutating func parseParameters() throws(ChatTemplateError) -> [MacroParameter] {
        try expectSymbol("(")
        var parameters: [MacroParameter] = []
        while !skipSymbol(")") {
            if !parameters.isEmpty { try expectSymbol(",") }
            if skipSymbol(")") { break }
            let name = try expectName()
            let defaultValue = skipSymbol("=") ? try parseExpression() : nil
            parameters.append(MacroParameter(name: name, defaultValue: defaultValue))
        }
        return parameters
    }

    /// `name`, `a, b` or (for set) `ns.attribute`.
    private mutating func parseAssignTarget(allowAttribute: Bool) throws(ChatTemplateError) -> AssignmentTarget {
        let parenthesised = skipSymbol("(")
        let first = try expectName()
        if allowAttribute && !parenthesised && skipSymbol(".") {
            return .attribute(object: first, attribute: try expectName())
        }
        var names = [first]
        var sawComma = false
        while skipSymbol(",") {
            sawComma = true
            guard case .name = current.kind else { break }
            names.append(try expectName())
        }
        if parenthesised { try expectSymbol(")") }
        return sawComma || parenthesised && names.count > 1 ? .tuple(names) : .name(first)
    }

    /// `| name(args) | name2 …` for filter blocks and block sets.
    private mutating func parseFilterChain(requireFirstBar: Bool) throws(ChatTemplateError) -> [(name: String, Arguments, SourceLocation)] {
        var filters: [(name: String, Arguments, SourceLocation)] = []
        var first = true
        while (first && !requireFirstBar) || skipSymbol("|") {
            first = false
            let location = location(current)
            let name = try parseDottedName()
            let arguments = isSymbol("(") ? try parseCallArguments() : Arguments()
            filters.append((name, arguments, location))
        }
        return filters
    }

    // MARK: Expressions

    /// Expressions separated by commas: one expression, or a tuple when a comma appears.
    private mutating func parseTuple(withConditional: Bool = true, explicitParentheses: Bool = false) throws(ChatTemplateError) -> Expression {
        let start = location(current)
        var items: [Expression] = []
        var sawComma = false
        while true {
            if !items.isEmpty {
                guard skipSymbol(",") else { break }
                sawComma = true
            }
            if isTupleEnd(explicitParentheses: explicitParentheses) { break }
            items.append(withConditional ? try parseExpression() : try parseOr())
        }
        if !sawComma {
            if let only = items.first { return only }
            if !explicitParentheses { throw syntaxError("expected an expression, found \(describe(current))", at: current.offset) }
        }
        return Expression(kind: .tuple(items), location: start)
    }

    private func isTupleEnd(explicitParentheses: Bool) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .endOfInput: return true
        case .symbol(let symbol): return symbol == ")" && explicitParentheses
        case .name(let name): return name == "in" && !explicitParentheses
        default: return false
        }
    }

    /// A full expression, conditional included.
    private mutating func parseExpression() throws(ChatTemplateError) -> Expression {
        let start = location(current)
        var expression = try parseOr()
        while skipName("if") {
            let condition = try parseOr()
            let otherwise = skipName("else") ? try parseExpression() : nil
            expression = Expression(kind: .conditional(condition: condition, then: expression, otherwise: otherwise), location: start)
        }
        return expression
    }

    private mutating func parseOr() throws(ChatTemplateError) -> Expression {
        var left = try parseAnd()
        while isName("or") {
            let location = location(current)
            index += 1
            left = Expression(kind: .or(left, try parseAnd()), location: location)
        }
        return left
    }

    private mutating func parseAnd() throws(ChatTemplateError) -> Expression {
        var left = try parseNot()
        while isName("and") {
            let location = location(current)
            index += 1
            left = Expression(kind: .and(left, try parseNot()), location: location)
        }
        return left
    }

    private mutating func parseNot() throws(ChatTemplateError) -> Expression {
        if isName("not") {
            let location = location(current)
            index += 1
            return Expression(kind: .not(try parseNot()), location: location)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws(ChatTemplateError) -> Expression {
        let start = location(current)
        let left = try parseAdditive()
        var operations: [(ComparisonOperator, Expression)] = []
        while true {
            if case .symbol(let symbol) = current.kind, let op = ComparisonOperator(rawValue: symbol), op != .contains, op != .notContains {
                index += 1
                operations.append((op, try parseAdditive()))
            } else if skipName("in") {
                operations.append((.contains, try parseAdditive()))
            } else if isName("not"), case .name("in") = next.kind {
                index += 2
                operations.append((.notContains, try parseAdditive()))
            } else {
                break
            }
        }
        return operations.isEmpty ? left : Expression(kind: .compare(left, operations), location: start)
    }

    private mutating func parseBinary(_ symbols: [String], operand: (inout TemplateParser) throws(ChatTemplateError) -> Expression) throws(ChatTemplateError) -> Expression {
        var left = try operand(&self)
        while case .symbol(let symbol) = current.kind, symbols.contains(symbol), let op = BinaryOperator(rawValue: symbol) {
            let location = location(current)
            index += 1
            left = Expression(kind: .binary(op, left, try operand(&self)), location: location)
        }
        return left
    }

    private mutating func parseAdditive() throws(ChatTemplateError) -> Expression {
        try parseBinary(["+", "-"]) { (parser: inout TemplateParser) throws(ChatTemplateError) in try parser.parseConcatenation() }
    }

    private mutating func parseConcatenation() throws(ChatTemplateError) -> Expression {
        try parseBinary(["~"]) { (parser: inout TemplateParser) throws(ChatTemplateError) in try parser.parseMultiplicative() }
    }

    private mutating func parseMultiplicative() throws(ChatTemplateError) -> Expression {
        try parseBinary(["*", "/", "//", "%"]) { (parser: inout TemplateParser) throws(ChatTemplateError) in try parser.parsePower() }
    }

    private mutating func parsePower() throws(ChatTemplateError) -> Expression {
        try parseBinary(["**"]) { (parser: inout TemplateParser) throws(ChatTemplateError) in try parser.parseUnary(withFilter: true) }
    }

    private mutating func parseUnary(withFilter: Bool) throws(ChatTemplateError) -> Expression {
        let start = location(current)
        var expression: Expression
        if skipSymbol("-") {
            expression = Expression(kind: .negate(try parseUnary(withFilter: false)), location: start)
        } else if skipSymbol("+") {
            expression = Expression(kind: .plus(try parseUnary(withFilter: false)), location: start)
        } else {
            expression = try parsePrimary()
        }
        expression = try parsePostfix(expression)
        if withFilter { expression = try parseFilterExpression(expression) }
        return expression
    }

    private mutating func parsePrimary() throws(ChatTemplateError) -> Expression {
        let token = current
        let location = location(token)
        switch token.kind {
        case .name(let name):
            index += 1
            switch name {
            case "true", "True": return Expression(kind: .literal(.boolean(true)), location: location)
            case "false", "False": return Expression(kind: .literal(.boolean(false)), location: location)
            case "none", "None": return Expression(kind: .literal(.none), location: location)
            default: return Expression(kind: .name(name), location: location)
            }
        case .string(var text):
            index += 1
            while case .string(let more) = current.kind {
                text += more
                index += 1
            }
            return Expression(kind: .literal(.string(text)), location: location)
        case .integer(let value):
            index += 1
            return Expression(kind: .literal(.integer(value)), location: location)
        case .float(let value):
            index += 1
            return Expression(kind: .literal(.float(value)), location: location)
        case .symbol("("):
            index += 1
            let expression = try parseTuple(explicitParentheses: true)
            try expectSymbol(")")
            return expression
        case .symbol("["):
            index += 1
            var items: [Expression] = []
            while !skipSymbol("]") {
                if !items.isEmpty { try expectSymbol(",") }
                if skipSymbol("]") { break }
                items.append(try parseExpression())
            }
            return Expression(kind: .list(items), location: location)
        case .symbol("{"):
            index += 1
            var members: [(key: Expression, value: Expression)] = []
            while !skipSymbol("}") {
                if !members.isEmpty { try expectSymbol(",") }
                if skipSymbol("}") { break }
                let key = try parseExpression()
                try expectSymbol(":")
                members.append((key, try parseExpression()))
            }
            return Expression(kind: .dictionary(members), location: location)
        default:
            throw syntaxError("unexpected \(describe(token)), expected an expression", at: token.offset)
        }
    }

    private mutating func parsePostfix(_ base: Expression) throws(ChatTemplateError) -> Expression {
        var expression = base
        while true {
            // A failing `a.b[c](d)` is reported at the start of the chain.
            let location = base.location
            if skipSymbol(".") {
                switch current.kind {
                case .name(let name):
                    index += 1
                    expression = Expression(kind: .attribute(expression, name), location: location)
                case .integer(let value):
                    index += 1
                    expression = Expression(kind: .item(expression, Expression(kind: .literal(.integer(value)), location: location)), location: location)
                default:
                    throw syntaxError("expected a name after '.', found \(describe(current))", at: current.offset)
                }
            } else if skipSymbol("[") {
                expression = try parseSubscript(expression, at: location)
            } else if isSymbol("(") {
                expression = Expression(kind: .call(expression, try parseCallArguments()), location: location)
            } else {
                return expression
            }
        }
    }

    /// After `[`: an index or a slice, up to and including `]`.
    private mutating func parseSubscript(_ base: Expression, at location: SourceLocation) throws(ChatTemplateError) -> Expression {
        func isSliceEnd(_ parser: TemplateParser) -> Bool { parser.isSymbol(":") || parser.isSymbol("]") }
        var start: Expression?
        if !isSymbol(":") { start = try parseExpression() }
        if skipSymbol("]") {
            guard let start else { throw syntaxError("expected an index", at: current.offset) }
            return Expression(kind: .item(base, start), location: location)
        }
        if isSymbol(",") { throw unsupported("a tuple subscript", at: current.offset) }
        try expectSymbol(":")
        let stop = isSliceEnd(self) ? nil : try parseExpression()
        var step: Expression?
        if skipSymbol(":") && !isSymbol("]") { step = try parseExpression() }
        try expectSymbol("]")
        return Expression(kind: .slice(base, start: start, stop: stop, step: step), location: location)
    }

    /// `(a, b, name=value)`.
    private mutating func parseCallArguments() throws(ChatTemplateError) -> Arguments {
        try expectSymbol("(")
        var arguments = Arguments()
        var first = true
        while !skipSymbol(")") {
            if !first { try expectSymbol(",") }
            first = false
            if skipSymbol(")") { break }
            if isSymbol("*") || isSymbol("**") { throw unsupported("'*' or '**' argument unpacking", at: current.offset) }
            if case .name(let name) = current.kind, case .symbol("=") = next.kind {
                index += 2
                arguments.keywords.append((name, try parseExpression()))
            } else {
                if !arguments.keywords.isEmpty {
                    throw syntaxError("a positional argument follows a keyword argument", at: current.offset)
                }
                arguments.positional.append(try parseExpression())
            }
        }
        return arguments
    }

    private mutating func parseDottedName() throws(ChatTemplateError) -> String {
        var name = try expectName()
        while isSymbol("."), case .name(let more) = next.kind {
            index += 2
            name += "." + more
        }
        return name
    }

    private mutating func parseFilterExpression(_ base: Expression) throws(ChatTemplateError) -> Expression {
        var expression = base
        while true {
            let location = location(current)
            if skipSymbol("|") {
                let name = try parseDottedName()
                let arguments = isSymbol("(") ? try parseCallArguments() : Arguments()
                expression = Expression(kind: .filter(expression, name: name, arguments), location: location)
            } else if skipName("is") {
                let negated = skipName("not")
                let name = try parseDottedName()
                var arguments = Arguments()
                if isSymbol("(") {
                    arguments = try parseCallArguments()
                } else if startsTestArgument() {
                    if isName("is") { throw syntaxError("You cannot chain multiple tests with is", at: current.offset) }
                    arguments.positional = [try parsePostfix(try parsePrimary())]
                }
                expression = Expression(kind: .test(expression, name: name, arguments, negated: negated), location: location)
            } else if isSymbol("(") {
                expression = Expression(kind: .call(expression, try parseCallArguments()), location: location)
            } else {
                return expression
            }
        }
    }

    /// Whether a test's single argument follows without parentheses (`x is divisibleby 3`, `x is sameas none`).
    /// As in jinja2, any name but `else`, `or` and `and` is taken as the argument (so `x is defined if c` does
    /// not parse there either).
    private func startsTestArgument() -> Bool {
        switch current.kind {
        case .name(let name): return !["else", "or", "and"].contains(name)
        case .string, .integer, .float: return true
        case .symbol(let symbol): return symbol == "[" || symbol == "{"
        default: return false
        }
    }
}

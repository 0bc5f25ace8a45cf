import Foundation

/// Variables visible at one point of a template. jinja2 gives each for-loop iteration and each macro call a
/// fresh scope (a `set` inside a loop body is gone at the next iteration and after the loop, which is why
/// templates use `namespace()`); `if` blocks share their enclosing scope.
final class TemplateScope {
    private var variables: [String: Value] = [:]
    private let parent: TemplateScope?

    init(parent: TemplateScope?, variables: [String: Value] = [:]) {
        self.parent = parent
        self.variables = variables
    }

    func lookup(_ name: String) -> Value? { variables[name] ?? parent?.lookup(name) }

    func assign(_ name: String, _ value: Value) { variables[name] = value }
}

/// How a loop body ended.
enum LoopControl {
    case proceed, breakLoop, continueLoop
}

/// Walks a parsed template, writing its output.
struct TemplateInterpreter {
    /// The clock behind `strftime_now`.
    let now: @Sendable () -> Date

    /// Runs `nodes`, appending their output; returns early on `break` / `continue`.
    func execute(_ nodes: [TemplateNode], in scope: TemplateScope, into output: inout String) throws(ChatTemplateError) -> LoopControl {
        for node in nodes {
            switch node {
            case .text(let text):
                output += text
            case .output(let expression):
                output += try evaluate(expression, in: scope).pythonString
            case .conditional(let branches, let otherwise):
                var body = otherwise
                for branch in branches where try evaluate(branch.condition, in: scope).isTruthy {
                    body = branch.body
                    break
                }
                let control = try execute(body, in: scope, into: &output)
                if control != .proceed { return control }
            case .forLoop(let loop):
                try executeLoop(loop, in: scope, into: &output)
            case .set(let target, let expression, let location):
                try assign(target, try evaluate(expression, in: scope), in: scope, at: location)
            case .setBlock(let name, let body, let filters):
                var captured = ""
                _ = try execute(body, in: scope, into: &captured)
                scope.assign(name, try applyFilters(filters, to: .string(captured), in: scope))
            case .filterBlock(let filters, let body):
                var captured = ""
                let control = try execute(body, in: scope, into: &captured)
                output += try applyFilters(filters, to: .string(captured), in: scope).pythonString
                if control != .proceed { return control }
            case .macro(let definition):
                scope.assign(definition.name, macro(definition, definedIn: scope))
            case .callBlock(let call, let callerParameters, let body):
                let caller = macro(MacroDefinition(name: "caller", parameters: callerParameters, body: body), definedIn: scope)
                guard case .call(let callee, let arguments) = call.kind else { continue }
                let function = try evaluate(callee, in: scope)
                var evaluated = try evaluateArguments(arguments, in: scope)
                evaluated.keywords.append(("caller", caller))
                output += try invoke(function, evaluated, at: call.location).pythonString
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
        }
        return .proceed
    }

    private func applyFilters(_ filters: [(name: String, Arguments, SourceLocation)], to value: Value, in scope: TemplateScope) throws(ChatTemplateError) -> Value {
        var result = value
        for (name, arguments, location) in filters {
            let evaluated = try evaluateArguments(arguments, in: scope)
            result = try run(at: location) { () throws(TemplateFailure) in try TemplateFilters.apply(name, to: result, evaluated) }
        }
        return result
    }

    private func executeLoop(_ loop: ForLoop, in scope: TemplateScope, into output: inout String) throws(ChatTemplateError) {
        let iterable = try evaluate(loop.iterable, in: scope)
        var items = try run(at: loop.iterable.location) { () throws(TemplateFailure) in try iterable.iterated() }
        if let condition = loop.condition {
            var kept: [Value] = []
            for item in items {
                let filterScope = TemplateScope(parent: scope)
                try assign(loop.target, item, in: filterScope, at: loop.location)
                if try evaluate(condition, in: filterScope).isTruthy { kept.append(item) }
            }
            items = kept
        }
        guard !items.isEmpty else {
            _ = try execute(loop.otherwise, in: TemplateScope(parent: scope), into: &output)
            return
        }
        for (index, item) in items.enumerated() {
            let iterationScope = TemplateScope(parent: scope)
            try assign(loop.target, item, in: iterationScope, at: loop.location)
            iterationScope.assign("loop", loopObject(index: index, items: items))
            if try execute(loop.body, in: iterationScope, into: &output) == .breakLoop { break }
        }
    }

    /// jinja2's `loop` variable (jinja2/runtime.py LoopContext).
    private func loopObject(index: Int, items: [Value]) -> Value {
        var loop = TemplateDictionary()
        let count = items.count
        loop["index"] = .integer(index + 1)
        loop["index0"] = .integer(index)
        loop["revindex"] = .integer(count - index)
        loop["revindex0"] = .integer(count - index - 1)
        loop["first"] = .boolean(index == 0)
        loop["last"] = .boolean(index == count - 1)
        loop["length"] = .integer(count)
        loop["depth"] = .integer(1)
        loop["depth0"] = .integer(0)
        loop["previtem"] = index > 0 ? items[index - 1] : .undefined("there is no previous item")
        loop["nextitem"] = index + 1 < count ? items[index + 1] : .undefined("there is no next item")
        loop["cycle"] = .callable(TemplateCallable(name: "cycle") { arguments throws(TemplateFailure) in
            guard !arguments.positional.isEmpty else { throw .rendering("no items for cycling given") }
            return arguments.positional[index % arguments.positional.count]
        })
        return .dictionary(loop)
    }

    private func assign(_ target: AssignmentTarget, _ value: Value, in scope: TemplateScope, at location: SourceLocation) throws(ChatTemplateError) {
        switch target {
        case .name(let name):
            scope.assign(name, value)
        case .tuple(let names):
            let items = try run(at: location) { () throws(TemplateFailure) in try value.iterated() }
            guard items.count == names.count else {
                throw TemplateFailure.rendering("cannot unpack \(items.count) values into \(names.count) names").at(location)
            }
            for (name, item) in zip(names, items) { scope.assign(name, item) }
        case .attribute(let object, let attribute):
            guard case .namespace(let namespace)? = scope.lookup(object) else {
                throw TemplateFailure.rendering("cannot assign attribute on non-namespace object '\(object)'").at(location)
            }
            guard !attribute.hasPrefix("_") else {
                throw TemplateFailure.rendering("chat templates cannot store underscore-prefixed attributes on a namespace").at(location)
            }
            namespace.attributes[attribute] = value
        }
    }

    private func macro(_ definition: MacroDefinition, definedIn scope: TemplateScope) -> Value {
        .callable(TemplateCallable(name: definition.name) { arguments throws(TemplateFailure) in
            let callScope = TemplateScope(parent: scope)
            guard arguments.positional.count <= definition.parameters.count else {
                throw .rendering("macro '\(definition.name)' takes not more than \(definition.parameters.count) argument(s)")
            }
            for keyword in arguments.keywords where keyword.name != "caller" && !definition.parameters.contains(where: { $0.name == keyword.name }) {
                throw .rendering("macro '\(definition.name)' takes no keyword argument '\(keyword.name)'")
            }
            do throws(ChatTemplateError) {
                for (position, parameter) in definition.parameters.enumerated() {
                    if let value = arguments.value(position, parameter.name) {
                        callScope.assign(parameter.name, value)
                    } else if let defaultValue = parameter.defaultValue {
                        callScope.assign(parameter.name, try evaluate(defaultValue, in: callScope))
                    } else {
                        callScope.assign(parameter.name, .undefined("parameter '\(parameter.name)' was not provided"))
                    }
                }
                if let caller = arguments.keywords.last(where: { $0.name == "caller" }) { callScope.assign("caller", caller.value) }
                var rendered = ""
                _ = try execute(definition.body, in: callScope, into: &rendered)
                return .string(rendered)
            } catch {
                throw .located(error)
            }
        })
    }

    // MARK: Expressions

    /// Runs `body`, giving a failure the location of the expression at fault.
    private func run<Result>(at location: SourceLocation, _ body: () throws(TemplateFailure) -> Result) throws(ChatTemplateError) -> Result {
        do {
            return try body()
        } catch {
            throw error.at(location)
        }
    }

    func evaluate(_ expression: Expression, in scope: TemplateScope) throws(ChatTemplateError) -> Value {
        let location = expression.location
        switch expression.kind {
        case .literal(let value):
            return value
        case .name(let name):
            return scope.lookup(name) ?? .undefined("'\(name)' is undefined")
        case .list(let items):
            var values: [Value] = []
            for item in items { values.append(try evaluate(item, in: scope)) }
            return .list(values)
        case .tuple(let items):
            var values: [Value] = []
            for item in items { values.append(try evaluate(item, in: scope)) }
            return .tuple(values)
        case .dictionary(let members):
            var dictionary = TemplateDictionary()
            for member in members {
                let key = try evaluate(member.key, in: scope)
                guard case .string(let name) = key else {
                    throw TemplateFailure.unsupported("a dict key that is not a string (\(key.typeName))").at(member.key.location)
                }
                dictionary[name] = try evaluate(member.value, in: scope)
            }
            return .dictionary(dictionary)
        case .attribute(let object, let name):
            let base = try evaluate(object, in: scope)
            return try run(at: location) { () throws(TemplateFailure) in try base.attribute(name) }
        case .item(let object, let key):
            let base = try evaluate(object, in: scope)
            let index = try evaluate(key, in: scope)
            return try run(at: location) { () throws(TemplateFailure) in try base.item(index) }
        case .slice(let object, let start, let stop, let step):
            let base = try evaluate(object, in: scope)
            func bound(_ expression: Expression?) throws(ChatTemplateError) -> Int? {
                guard let expression else { return nil }
                let value = try evaluate(expression, in: scope)
                if case .none = value { return nil }
                guard let integer = value.integerValue else {
                    throw TemplateFailure.rendering("slice indices must be integers or None").at(expression.location)
                }
                return integer
            }
            let (from, to, by) = (try bound(start), try bound(stop), try bound(step))
            return try run(at: location) { () throws(TemplateFailure) in try pythonSlice(base, start: from, stop: to, step: by) }
        case .call(let callee, let arguments):
            let function = try evaluate(callee, in: scope)
            return try invoke(function, try evaluateArguments(arguments, in: scope), at: location)
        case .filter(let input, let name, let arguments):
            let value = try evaluate(input, in: scope)
            let evaluated = try evaluateArguments(arguments, in: scope)
            return try run(at: location) { () throws(TemplateFailure) in try TemplateFilters.apply(name, to: value, evaluated) }
        case .test(let input, let name, let arguments, let negated):
            let value = try evaluate(input, in: scope)
            let evaluated = try evaluateArguments(arguments, in: scope)
            let passes = try run(at: location) { () throws(TemplateFailure) in try TemplateTests.apply(name, to: value, evaluated) }
            return .boolean(passes != negated)
        case .not(let operand):
            return .boolean(!(try evaluate(operand, in: scope).isTruthy))
        case .negate(let operand), .plus(let operand):
            let value = try evaluate(operand, in: scope)
            let isNegation: Bool
            if case .negate = expression.kind { isNegation = true } else { isNegation = false }
            return try run(at: location) { () throws(TemplateFailure) in
                switch try value.defined() {
                case .integer(let number): return .integer(isNegation ? -number : number)
                case .boolean(let flag): return .integer(isNegation ? -(flag ? 1 : 0) : (flag ? 1 : 0))
                case .float(let number): return .float(isNegation ? -number : number)
                default: throw .rendering("bad operand type for unary \(isNegation ? "-" : "+"): '\(value.typeName)'")
                }
            }
        case .binary(let op, let left, let right):
            let a = try evaluate(left, in: scope)
            let b = try evaluate(right, in: scope)
            return try run(at: location) { () throws(TemplateFailure) in try pythonArithmetic(op, a, b) }
        case .and(let left, let right):
            let a = try evaluate(left, in: scope)
            return a.isTruthy ? try evaluate(right, in: scope) : a
        case .or(let left, let right):
            let a = try evaluate(left, in: scope)
            return a.isTruthy ? a : try evaluate(right, in: scope)
        case .compare(let first, let operations):
            var left = try evaluate(first, in: scope)
            for (op, operand) in operations {
                let right = try evaluate(operand, in: scope)
                let holds = try run(at: operand.location) { () throws(TemplateFailure) -> Bool in
                    switch op {
                    case .equal: return pythonEqual(left, right)
                    case .notEqual: return !pythonEqual(left, right)
                    case .less: return try pythonLess(left, right, operator: "<")
                    case .lessOrEqual: return try !pythonLess(right, left, operator: "<=")
                    case .greater: return try pythonLess(right, left, operator: ">")
                    case .greaterOrEqual: return try !pythonLess(left, right, operator: ">=")
                    case .contains: return try pythonContains(right, left)
                    case .notContains: return try !pythonContains(right, left)
                    }
                }
                if !holds { return .boolean(false) }
                left = right
            }
            return .boolean(true)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition, in: scope).isTruthy { return try evaluate(then, in: scope) }
            guard let otherwise else { return .undefined("the inline if expression evaluated to false and no else section was defined") }
            return try evaluate(otherwise, in: scope)
        }
    }

    private func evaluateArguments(_ arguments: Arguments, in scope: TemplateScope) throws(ChatTemplateError) -> CallArguments {
        var evaluated = CallArguments()
        for argument in arguments.positional { evaluated.positional.append(try evaluate(argument, in: scope)) }
        for keyword in arguments.keywords { evaluated.keywords.append((keyword.name, try evaluate(keyword.value, in: scope))) }
        return evaluated
    }

    private func invoke(_ function: Value, _ arguments: CallArguments, at location: SourceLocation) throws(ChatTemplateError) -> Value {
        try run(at: location) { () throws(TemplateFailure) in
            switch function {
            case .callable(let callable): return try callable.call(arguments)
            case .undefined(let message): throw .rendering(message)
            default: throw .rendering("'\(function.typeName)' object is not callable")
            }
        }
    }
}

/// An expression of a template, with where it starts for error messages.
struct Expression {
    indirect enum Kind {
        case literal(Value)
        case name(String)
        case list([Expression])
        case tuple([Expression])
        case dictionary([(key: Expression, value: Expression)])
        /// `object.name` (jinja2 tries the attribute first, then the item).
        case attribute(Expression, String)
        /// `object[key]` (jinja2 tries the item first, then the attribute).
        case item(Expression, Expression)
        case slice(Expression, start: Expression?, stop: Expression?, step: Expression?)
        case call(Expression, Arguments)
        case filter(Expression, name: String, Arguments)
        case test(Expression, name: String, Arguments, negated: Bool)
        case not(Expression)
        case negate(Expression)
        case plus(Expression)
        case binary(BinaryOperator, Expression, Expression)
        case and(Expression, Expression)
        case or(Expression, Expression)
        /// `a < b <= c`: each comparison against the previous operand, all must hold.
        case compare(Expression, [(ComparisonOperator, Expression)])
        /// `a if condition else b`; without `else` the value is undefined when the condition fails.
        case conditional(condition: Expression, then: Expression, otherwise: Expression?)
    }

    let kind: Kind
    let location: SourceLocation
}

/// Positional and keyword arguments of a call, filter or test.
struct Arguments {
    var positional: [Expression] = []
    var keywords: [(name: String, value: Expression)] = []
}

enum BinaryOperator: String {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
    case concatenate = "~"
}

enum ComparisonOperator: String {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case contains = "in", notContains = "not in"
}

/// What a `for` or `set` assigns to.
enum AssignmentTarget {
    case name(String)
    /// `a, b` unpacking.
    case tuple([String])
    /// `ns.attribute` (only namespaces accept it).
    case attribute(object: String, attribute: String)
}

/// One statement of a template.
indirect enum TemplateNode {
    case text(String)
    case output(Expression)
    case conditional(branches: [(condition: Expression, body: [TemplateNode])], otherwise: [TemplateNode])
    case forLoop(ForLoop)
    case set(AssignmentTarget, Expression, SourceLocation)
    /// `{% set name %}…{% endset %}` (optionally `{% set name | filter %}`).
    case setBlock(String, body: [TemplateNode], filters: [(name: String, Arguments, SourceLocation)])
    case macro(MacroDefinition)
    /// `{% call macro(args) %}body{% endcall %}`: the body becomes the macro's `caller()`.
    case callBlock(call: Expression, callerParameters: [MacroParameter], body: [TemplateNode])
    case filterBlock(filters: [(name: String, Arguments, SourceLocation)], body: [TemplateNode])
    case breakLoop
    case continueLoop
}

/// A `{% for %}` statement.
struct ForLoop {
    let target: AssignmentTarget
    let iterable: Expression
    let condition: Expression?
    let body: [TemplateNode]
    let otherwise: [TemplateNode]
    let location: SourceLocation
}

/// One parameter of a macro, with its default value if any.
struct MacroParameter {
    let name: String
    let defaultValue: Expression?
}

/// A `{% macro name(parameters) %}` definition.
struct MacroDefinition {
    let name: String
    let parameters: [MacroParameter]
    let body: [TemplateNode]
}

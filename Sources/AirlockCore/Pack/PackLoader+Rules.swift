import CEL
import Yams

extension PackLoader {
    static let ruleKeys = ["id", "description", "resource", "when", "tier", "score", "approvals", "sla", "reason"]
    /// The largest score a rule may add or take away.
    static let largestScore = 1_000_000

    func readRules(_ section: Section, environment: PolicyEnvironment) {
        guard let items = sequence(section.value, "rules") else { return }
        for item in items {
            if let rule = readRule(item, environment: environment) { rules.append(rule) }
        }
    }

    private func readRule(_ at: Located, environment: PolicyEnvironment) -> Rule? {
        guard let e = entries(at, of: "a rule", allowed: Self.ruleKeys) else { return nil }
        guard let idNode = require("id", in: e, of: "a rule"), let id = string(idNode, "id") else { return nil }
        guard Self.isName(id) else {
            report("rule id '\(id)' may hold only letters, digits, '_', '-' and '.'", at: idNode, .invalidValue)
            return nil
        }
        if let first = ruleLocations[id] {
            report("duplicate rule id '\(id)' (first declared at \(first))", at: idNode, .duplicate)
            return nil
        }
        ruleLocations[id] = idNode.location
        let what = "rule '\(id)'"
        let problemsBefore = problems.count

        var scope: [String]?
        var scopeKnown = true
        if let node = e["resource"], let names = strings(node, "resource") {
            var list: [String] = []
            for (name, item) in names {
                if resources[name] != nil {
                    if !list.contains(name) { list.append(name) }
                } else {
                    report(
                        Suggestion.message("\(what) names unknown resource '\(name)'", word: name, candidates: resourceOrder),
                        at: item, .unknownResource)
                    scopeKnown = false
                }
            }
            scope = list
        }
        let tier = e["tier"].flatMap { choice($0, "tier", Tier.self) }
        var score = e["score"].flatMap { int($0, "score") }
        // Bounded so that no sum of rule scores can overflow (and none is silently dropped).
        if let value = score, let node = e["score"], abs(value) > Self.largestScore {
            report("score must be between -\(Self.largestScore) and \(Self.largestScore), not \(value)", at: node, .invalidValue)
            score = nil
        }
        if e["tier"] == nil, e["score"] == nil {
            report("\(what) names neither a tier nor a score, so matching it changes nothing", at: e.at, .missingKey)
        }
        var approvals: [ApprovalGroup] = []
        var rejectAfter: Int?
        if let node = e["approvals"] {
            (approvals, rejectAfter) = readApprovals(node)
            if tier != .medium, tier != .high, e["tier"] != nil || e["score"] != nil {
                report(
                    "approvals apply to rules of tier medium or high; \(what) has \(tier.map { "tier \($0)" } ?? "no tier")",
                    at: node, .invalidValue)
            }
        }
        var slaSeconds: Int?
        if let node = e["sla"] {
            slaSeconds = sla(node, "sla")
            if tier != .medium, tier != .high {
                report(
                    "sla applies to rules of tier medium or high; \(what) has \(tier.map { "tier \($0)" } ?? "no tier")",
                    at: node, .invalidValue)
            }
        }
        let description = e["description"].flatMap { string($0, "description") }
        let env = environment.environment(for: scope)

        var program: Program?
        var whenText = ""
        // With an unknown resource in the scope, the fields are unknown too: checking would
        // only add noise.
        if let node = require("when", in: e, of: what), let text = string(node, "when"), scopeKnown {
            whenText = text
            program = compileCondition(text, at: node, environment: env, rule: id)
        }
        var reasonText = description ?? "matched rule \(id)"
        var template = ReasonTemplate(parts: [.text(reasonText)])
        if let node = e["reason"], let text = string(node, "reason") {
            reasonText = text
            if scopeKnown {
                template = compileTemplate(text, at: node, environment: env, rule: id) ?? template
            }
        }
        guard problems.count == problemsBefore, let program else { return nil }
        return Rule(
            id: id, description: description, resources: scope, when: whenText, tier: tier, score: score,
            approvals: approvals, rejectAfter: rejectAfter, slaSeconds: slaSeconds, reason: reasonText, location: idNode.location, program: program,
            reasonTemplate: template, reads: ReadPath.paths(in: program.expression))
    }

    /// The approvals of a rule (or a test's expectation), in any of three forms: one group
    /// `{pool, count}`, a list of groups, or `{all_of: [groups], reject_after: N}`. Every group
    /// must complete; `reject_after` (the first and last form) is how many distinct rejections
    /// reject the mutation.
    func readApprovals(_ at: Located) -> (groups: [ApprovalGroup], rejectAfter: Int?) {
        var rejectAfter: Int?
        var single = false
        let items: [Located]
        if case .sequence = at.node {
            items = sequence(at, "approvals") ?? []
        } else if let e = entries(at, of: "approvals", allowed: ["pool", "count", "all_of", "reject_after"]) {
            if let node = e["reject_after"], let n = int(node, "reject_after") {
                if n < 1 { report("reject_after must be at least 1", at: node, .invalidValue) }
                rejectAfter = max(1, n)
            }
            if let list = e["all_of"] {
                if let stray = e["pool"] ?? e["count"] {
                    report("approvals name either all_of or one group's pool and count, not both", at: stray, .invalidValue)
                }
                items = sequence(list, "all_of") ?? []
                if items.isEmpty { report("all_of needs at least one group", at: list, .invalidValue) }
            } else {
                items = [at]
                single = true
            }
        } else {
            return ([], nil)
        }
        var groups: [ApprovalGroup] = []
        for item in items {
            guard let e = entries(item, of: "an approval group", allowed: single ? ["pool", "count", "reject_after"] : ["pool", "count"]),
                let poolNode = require("pool", in: e, of: "an approval group"), let pool = poolName(poolNode, "pool")
            else { continue }
            var count = 1
            if let node = e["count"], let n = int(node, "count") {
                if n < 1 { report("count must be at least 1", at: node, .invalidValue) }
                count = n
            }
            if groups.contains(where: { $0.pool == pool }) {
                report("pool '\(pool)' is listed twice in these approvals", at: poolNode, .duplicate)
                continue
            }
            groups.append(ApprovalGroup(pool: pool, count: count))
        }
        return (groups, rejectAfter)
    }

    /// Compiles a condition, placing CEL errors in the file.
    private func compileCondition(_ text: String, at node: Located, environment: Environment, rule: String) -> Program? {
        let program: Program
        do {
            program = try environment.compile(text)
        } catch {
            reportCEL(error, at: node, valueOffset: 0, rule: rule, part: "when")
            return nil
        }
        switch program.resultType {
        case .bool, .dyn, .error, .typeParam:
            return program
        default:
            report(
                "rule '\(rule)': when must be a condition (bool), but it is \(program.resultType)", at: node, .celType)
            return nil
        }
    }

    /// Splits a reason into text and `${expression}` parts (`$$` is a literal `$`), compiling each.
    private func compileTemplate(_ text: String, at node: Located, environment: Environment, rule: String) -> ReasonTemplate? {
        let scalars = Array(text.unicodeScalars)
        var parts: [ReasonTemplate.Part] = []
        var literal = String.UnicodeScalarView()
        var i = 0
        var failed = false
        while i < scalars.count {
            let c = scalars[i]
            if c == "$", i + 1 < scalars.count, scalars[i + 1] == "$" {
                literal.append("$")
                i += 2
                continue
            }
            guard c == "$", i + 1 < scalars.count, scalars[i + 1] == "{" else {
                literal.append(c)
                i += 1
                continue
            }
            let start = i + 2
            guard let end = Self.closingBrace(scalars, from: start) else {
                report(
                    "rule '\(rule)': reason has '${' without a closing '}'",
                    at: locate(node, valueOffset: i), .celSyntax)
                return nil
            }
            if !literal.isEmpty {
                parts.append(.text(String(literal)))
                literal = String.UnicodeScalarView()
            }
            var exprView = String.UnicodeScalarView()
            exprView.append(contentsOf: scalars[start..<end])
            let expression = String(exprView)
            do {
                let program = try environment.compile(expression)
                parts.append(.expression(expression, program))
            } catch {
                reportCEL(error, at: node, valueOffset: start, rule: rule, part: "reason")
                failed = true
            }
            i = end + 1
        }
        if !literal.isEmpty { parts.append(.text(String(literal))) }
        return failed ? nil : ReasonTemplate(parts: parts)
    }

    /// The index of the `}` closing an interpolation that starts at `from`, skipping nested
    /// braces and quoted strings.
    static func closingBrace(_ s: [Unicode.Scalar], from: Int) -> Int? {
        var depth = 0
        var i = from
        var quote: Unicode.Scalar?
        while i < s.count {
            let c = s[i]
            if let q = quote {
                if c == "\\" {
                    i += 2
                    continue
                }
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "{" {
                depth += 1
            } else if c == "}" {
                if depth == 0 { return i }
                depth -= 1
            }
            i += 1
        }
        return nil
    }

    func locate(_ node: Located, valueOffset: Int) -> PackLocation {
        guard case .scalar(let scalar) = node.node else { return node.location }
        return ExpressionLocator.location(ofValueOffset: valueOffset, in: scalar, file: node.file)
    }

    private func reportCEL(_ error: CompileError, at node: Located, valueOffset: Int, rule: String, part: String) {
        let code: PolicyProblem.Code = error.stage == .syntax ? .celSyntax : .celType
        let kind = error.stage == .syntax ? "syntax error" : "type error"
        if error.issues.isEmpty {
            report("rule '\(rule)': \(part): \(kind)", at: node, code)
        }
        for issue in error.issues {
            report(
                "rule '\(rule)': \(part): \(kind): \(issue.message)",
                at: locate(node, valueOffset: valueOffset + issue.location.offset), code)
        }
    }
}

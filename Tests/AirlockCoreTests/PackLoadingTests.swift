import AirlockCore
import CEL
import Foundation
import Testing

@Suite struct PackLoadingTests {
    @Test func loadsTheBasePack() throws {
        let pack = try Fixtures.pack()
        #expect(pack.name == "test-pack")
        #expect(pack.classes == ["public", "internal", "financial", "pii", "restricted"])
        #expect(pack.resourceOrder == ["pay", "person"])
        #expect(pack.resources["pay"]?.amountField == "amount")
        #expect(pack.resources["pay"]?.trackedFields == ["to"])
        #expect(pack.resources["pay"]?.reversible == false)
        #expect(pack.tiers.high.count == 2)
        #expect(pack.tiers.high.slaSeconds == 3600)
        #expect(pack.tiers.high.escalateTo == "leads")
        #expect(pack.tiers.medium.onTimeout == .unreviewed)
        #expect(pack.tiers.blockFromScore == 100)
        #expect(pack.businessHours?.utcOffsetSeconds == 7200)
        #expect(pack.version.count == 64)
    }

    // MARK: Version

    @Test func versionIgnoresFormatting() throws {
        let a = try Fixtures.pack(rules: """
              - id: big
                when: mutation.changes.amount >= 100.0
                tier: high
                reason: "big ${mutation.changes.amount}"
            """)
        let b = try Fixtures.pack(rules: """
              # the same rule, written differently
              - {reason: 'big ${mutation.changes.amount}', tier: "high", id: big,
                 when: "mutation.changes.amount   >=\\n 100.0"}
            """)
        #expect(a.version == b.version)
        let c = try Fixtures.pack(rules: """
              - id: big
                when: mutation.changes.amount >= 1000.0
                tier: high
                reason: "big ${mutation.changes.amount}"
            """)
        #expect(a.version != c.version)
    }

    @Test func versionIgnoresDefaultsWrittenOutAndFileSplit() throws {
        let one = try PolicyPack.load(name: "a.yaml", text: Fixtures.base)
        let explicit = Fixtures.base.replacingOccurrences(of: "operations: [create]", with: "operations: [create]\n    reversible: false")
        #expect(try PolicyPack.load(name: "a.yaml", text: explicit).version == one.version)
        // Moving a resource to another file does not change the version.
        let lines = Fixtures.base.split(separator: "\n", omittingEmptySubsequences: false)
        let split = lines.firstIndex { $0.hasPrefix("  person:") }!
        let first = lines[..<split].joined(separator: "\n")
        let second = "resources:\n" + lines[split...].joined(separator: "\n")
        let two = try PolicyPack.load(files: [("a.yaml", first), ("b.yaml", second)])
        #expect(two.version == one.version)
    }

    @Test func testsAreNotPartOfTheVersion() throws {
        let without = try Fixtures.pack()
        let with = try Fixtures.pack(extra: """
            tests:
              - name: t
                actor: { id: a, kind: agent }
                mutation: { resource: pay, operation: create, changes: { amount: 1, to: acc-3 } }
                expect: { tier: low }
            """)
        #expect(with.version == without.version)
        #expect(with.tests.count == 1)
    }

    // MARK: Bad packs: each kind of problem, with its place

    @Test func yamlSyntaxError() throws {
        let problems = Fixtures.problems("policy: x\nrules:\n  - id: a\n    when: \"true\n")
        let problem = try #require(problems.first)
        #expect(problems.count == 1)
        #expect(problem.code == .yamlSyntax)
        #expect(problem.location.file == "bad.yaml")
    }

    @Test func duplicateYAMLKey() throws {
        let problem = try #require(Fixtures.problems("policy: x\npolicy: y\n").first)
        #expect(problem.code == .yamlSyntax)
        #expect(problem.message.contains("'policy'"))
        #expect(problem.message.contains("first at bad.yaml:1:1"), "\(problem.message)")
        #expect(problem.location.line == 2 && problem.location.column == 1, "\(problem.location)")
    }

    @Test func duplicateYAMLKeyIsPlacedAtItsSecondOccurrence() throws {
        // Nested in block style, after other keys.
        let block = try #require(
            Fixtures.problems("policy: x\nresources:\n  r:\n    operations: [create]\n    reversible: true\n    operations: [update]\n").first)
        #expect(block.location.line == 6 && block.location.column == 5, "\(block)")
        // In a flow mapping, on one line.
        let flow = try #require(Fixtures.problems("policy: x\nresources:\n  r: { operations: [create], operations: [update] }\n").first)
        #expect(flow.location.line == 3 && flow.location.column == 30, "\(flow)")
    }

    @Test func keysThatYAML11TellsApartAreStillDuplicates() throws {
        // Yams's check reads `on` as a boolean; the pack reads every key as a string.
        let problems = Fixtures.problems("policy: x\nresources:\n  r:\n    operations: [create]\n    fields:\n      on: { type: string }\n      \"on\": { type: number }\n")
        let problem = try #require(problems.first)
        #expect(problem.code == .duplicate, "\(problems)")
        #expect(problem.message.contains("duplicated key 'on'") && problem.message.contains("bad.yaml:6:7"), "\(problem.message)")
        #expect(problem.location.line == 7, "\(problem)")
    }

    @Test func unknownKeyWithSuggestion() throws {
        let problems = Fixtures.problems(Fixtures.base + """
            rules:
              - id: a
                when: "true"
                tier: high
                reasn: typo
            """)
        let problem = try #require(problems.first)
        #expect(problem.code == .unknownKey)
        #expect(problem.message == "unknown key 'reasn' in a rule; did you mean 'reason'?")
        #expect(problem.location.line == 33)
        #expect(problem.location.column == 5)
    }

    @Test func unknownTopLevelKeyListsTheKnownOnes() throws {
        let problem = try #require(Fixtures.problems("policy: x\nwidgets: 3\n").first)
        #expect(problem.code == .unknownKey)
        #expect(problem.message.contains("known keys: policy, description"))
        #expect(problem.location.line == 2 && problem.location.column == 1)
    }

    @Test func duplicateRuleIDs() throws {
        let problems = Fixtures.problems(Fixtures.base + """
            rules:
              - id: a
                when: "true"
                tier: high
              - id: a
                when: "false"
                score: 1
            """)
        let problem = try #require(problems.first)
        #expect(problem.code == .duplicate)
        #expect(problem.message == "duplicate rule id 'a' (first declared at bad.yaml:30:9)")
        #expect(problem.location.line == 33)
    }

    @Test(arguments: [
        ("99999999999999d99999999999999d", "sla must be a duration"),  // overflows: was a crash
        ("9223372036854775808s", "sla must be a duration"),
        ("366d", "sla must be at most 365d"),
        ("0s", "sla must be a duration"),
    ])
    func slaOutOfRange(sla: String, message: String) throws {
        let text = Fixtures.base.replacingOccurrences(of: "sla: 1h,", with: "sla: \(sla),")
        let problem = try #require(Fixtures.problems(text).first)
        #expect(problem.code == .invalidValue)
        #expect(problem.message.hasPrefix(message), "\(problem.message)")
        #expect(problem.location.line == 6)
    }

    @Test func thresholdsOutOfOrder() throws {
        let text = Fixtures.base.replacingOccurrences(of: "block: { from_score: 100 }", with: "block: { from_score: 50 }")
        let problem = try #require(Fixtures.problems(text).first)
        #expect(problem.code == .thresholdOrder)
        #expect(problem.message == "tiers.block.from_score (50) must be above tiers.high.from_score (60)")
        #expect(problem.location.line == 7)
    }

    @Test func undeclaredDataClass() throws {
        let text = Fixtures.base.replacingOccurrences(of: "class: financial", with: "class: finacial")
        let problem = try #require(Fixtures.problems(text).first)
        #expect(problem.code == .undeclaredClass)
        #expect(problem.message == "undeclared data class 'finacial'; did you mean 'financial'?")
        #expect(problem.location.line == 15)
    }

    @Test func misspeltFieldInCondition() throws {
        let problems = Fixtures.problems(Fixtures.base + """
            rules:
              - id: a
                resource: pay
                when: mutation.changes.amout > 5.0
                tier: high
            """)
        let problem = try #require(problems.first)
        #expect(problems.count == 1)
        #expect(problem.code == .celType)
        #expect(problem.message.contains("amout"))
        #expect(problem.message.hasPrefix("rule 'a': when: type error:"))
        // `when: ` starts at column 11; the error points into the expression.
        #expect(problem.location.line == 32)
        #expect(problem.location.column > 11)
        #expect(problem.location.column <= 11 + "mutation.changes.amout".count)
    }

    @Test func misspeltFieldOfAnyResourceWhenUnscoped() throws {
        let problem = try #require(
            Fixtures.problems(Fixtures.base + "rules:\n  - id: a\n    when: mutation.changes.nope == 1\n    score: 1\n").first)
        #expect(problem.code == .celType)
        #expect(problem.message.contains("nope"))
    }

    @Test func stringComparedWithNumber() throws {
        let problem = try #require(
            Fixtures.problems(Fixtures.base + "rules:\n  - id: a\n    resource: pay\n    when: mutation.changes.amount > \"x\"\n    tier: high\n").first)
        #expect(problem.code == .celType)
        #expect(problem.location.line == 32)
    }

    @Test func unknownFunction() throws {
        let problem = try #require(
            Fixtures.problems(Fixtures.base + "rules:\n  - id: a\n    when: frobnicate(actor.id)\n    tier: high\n").first)
        #expect(problem.code == .celType)
        #expect(problem.message.contains("frobnicate"))
        #expect(problem.location.line == 31 && problem.location.column == 11)
    }

    @Test func celSyntaxErrorInBlockScalarIsPlacedOnItsLine() throws {
        let problem = try #require(
            Fixtures.problems(Fixtures.base + """
                rules:
                  - id: a
                    when: |
                      actor.kind == "agent" &&
                        (mutation.resource == )
                    tier: high
                """).first)
        #expect(problem.code == .celSyntax)
        #expect(problem.location.line == 33)
        #expect(problem.location.column == 31)  // the ')'
    }

    @Test func celErrorInQuotedScalarAndInReason() throws {
        let problems = Fixtures.problems(Fixtures.base + """
            rules:
              - id: a
                when: "true && actor.idd == 'x'"
                tier: high
                reason: "seen ${actor.nme}"
            """)
        #expect(problems.count == 2)
        // `when: "` puts the expression at column 12; `actor.idd` starts at offset 8.
        #expect(problems[0].location.line == 31)
        #expect(problems[0].location.column == 25)  // the '.' of actor.idd
        #expect(problems[1].message.hasPrefix("rule 'a': reason: type error:"))
        #expect(problems[1].location.line == 33)
        #expect(problems[1].location.column == 26)
    }

    @Test func conditionMustBeBool() throws {
        let problem = try #require(
            Fixtures.problems(Fixtures.base + "rules:\n  - id: a\n    resource: pay\n    when: mutation.changes.amount\n    score: 1\n").first)
        #expect(problem.code == .celType)
        #expect(problem.message.contains("bool"))
    }

    @Test func unknownResourceInRuleAndTest() throws {
        let problems = Fixtures.problems(Fixtures.base + """
            rules:
              - id: a
                resource: pya
                when: "true"
                tier: high
            tests:
              - name: t
                actor: { id: a, kind: agent }
                mutation: { resource: nope, operation: create }
                expect: { tier: low, rules: [b] }
            """)
        #expect(problems.map(\.code) == [.unknownResource, .unknownResource, .unknownRule])
        #expect(problems[0].message == "rule 'a' names unknown resource 'pya'; did you mean 'pay'?")
        #expect(problems[1].message == "test 't' uses unknown resource 'nope'")
        #expect(problems[1].location.line == 37)
    }

    @Test func aTestNamingAFieldItsResourceDoesNotTrackIsAnError() throws {
        let problems = Fixtures.problems(Fixtures.base + """
            tests:
              - name: t
                actor: { id: a, kind: agent }
                mutation: { resource: pay, operation: create, changes: { amount: 1, to: acc-3 } }
                signals: { first_seen: { too: true }, zscores: { amount: 1.0, note: 2.0 } }
                expect: { tier: low }
            """)
        #expect(problems.map(\.code) == [.unknownKey, .unknownKey], "\(problems)")
        #expect(problems.first?.message == "unknown key 'too' in first_seen; did you mean 'to'?", "\(problems)")
        #expect(problems.last?.message.contains("'note' in zscores") == true, "\(problems)")
    }

    @Test func aScoreBeyondAMillionIsAnError() throws {
        let problem = try #require(
            Fixtures.problems(Fixtures.base + "rules:\n  - id: a\n    when: \"true\"\n    score: 9223372036854775807\n").first)
        #expect(problem.code == .invalidValue)
        #expect(problem.message == "score must be between -1000000 and 1000000, not 9223372036854775807", "\(problem)")
        #expect(problem.location.line == 32, "\(problem)")
    }

    @Test func ruleWithNeitherTierNorScore() throws {
        let problem = try #require(Fixtures.problems(Fixtures.base + "rules:\n  - id: a\n    when: \"true\"\n").first)
        #expect(problem.code == .missingKey)
    }

    @Test func approvalsNeedAReviewedTier() throws {
        let problem = try #require(
            Fixtures.problems(
                Fixtures.base + "rules:\n  - id: a\n    when: \"true\"\n    tier: block\n    approvals: { pool: x }\n"
            ).first)
        #expect(problem.code == .invalidValue)
        #expect(problem.message.contains("medium or high"))
    }

    @Test func reachableTierWithoutPool() throws {
        let problems = Fixtures.problems("""
            policy: x
            resources:
              r: { operations: [create] }
            rules:
              - id: a
                when: "true"
                tier: medium
            """)
        #expect(problems.map(\.code) == [.missingPool])
        #expect(problems[0].message.contains("rule 'a'"))
    }

    @Test func aPackWithoutReviewedTiersBlocksFailingRules() throws {
        let pack = try PolicyPack.load(name: "p.yaml", text: "policy: x\nresources:\n  r: { operations: [create] }\n")
        #expect(pack.defaults.onError == .block)
    }

    @Test func fieldSchemaProblems() throws {
        let problems = Fixtures.problems("""
            policy: x
            classes: [public]
            resources:
              r:
                operations: [create, upsert, create]
                amount_field: label
                fields:
                  n: { type: number, min: 5, max: 1, max_length: 3 }
                  label: { type: strng }
                  code: { type: string, pattern: "([a-z" }
                  2bad: { type: string }
                  e: { type: integer, enum: [1, x] }
            """)
        let messages = problems.map(\.message)
        #expect(messages.contains { $0.contains("'upsert'") })
        #expect(messages.contains("operation 'create' is listed twice"))
        #expect(messages.contains("max (1.0) is below min (5.0)"))
        #expect(messages.contains("max_length applies to string fields, not number"))
        #expect(messages.contains { $0.contains("did you mean 'string'") })
        #expect(messages.contains { $0.hasPrefix("pattern is not a valid regular expression") })
        #expect(messages.contains { $0.hasPrefix("field name '2bad'") })
        #expect(messages.contains("enum value 'x' is not a integer"))
        #expect(messages.contains { $0.hasPrefix("amount_field 'label'") })
    }

    @Test func sectionsDeclaredTwiceAcrossFiles() throws {
        do {
            _ = try PolicyPack.load(files: [("a.yaml", "policy: x\nclasses: [a]\n"), ("b.yaml", "classes: [b]\n")])
            Issue.record("loaded")
        } catch {
            #expect(error.problems.map(\.description) == ["b.yaml:1:1: section 'classes' is already declared at a.yaml:2:1"])
        }
    }

    @Test func everyProblemIsReportedNotJustTheFirst() throws {
        let problems = Fixtures.problems(Fixtures.base + """
            rules:
              - id: a
                when: actor.nope
                tier: hgih
              - id: b
                when: 1 +
                score: x
            """)
        #expect(problems.count == 4)
        #expect(problems.map(\.location.line) == problems.map(\.location.line).sorted())
    }

    @Test func businessHoursChecks() throws {
        let problems = Fixtures.problems("""
            policy: x
            business_hours: { days: [mon-fri, funday], from: "18:00", to: "08:00", utc_offset: "+1" }
            """)
        let messages = problems.map(\.message)
        #expect(messages.contains { $0.hasPrefix("'funday' is not a day") })
        #expect(messages.contains { $0.hasPrefix("utc_offset must look like") })
        #expect(messages.contains { $0.contains("spanning midnight") })
    }

    @Test func separateTestsFile() throws {
        let pack = try Fixtures.pack(rules: "  - id: big\n    resource: pay\n    when: mutation.changes.amount > 10.0\n    tier: high\n")
        let tests = try pack.loadTests(name: "more.yaml", text: """
            tests:
              - name: big
                actor: { id: a, kind: agent }
                mutation: { resource: pay, operation: create, changes: { amount: 11, to: acc-3 } }
                expect: { tier: high, rules: [big] }
            """)
        #expect(tests.count == 1)
        let results = PolicyEngine(pack: pack).run(tests)
        #expect(results.allSatisfy { $0.passed })
        #expect(throws: PolicyError.self) {
            _ = try pack.loadTests(name: "more.yaml", text: "- name: x\n  actor: { id: a, kind: agent }\n  mutation: {}\n  expect: { rules: [bgi] }\n")
        }
    }
}

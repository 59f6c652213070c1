import AirlockCore
import CEL
import Testing

@Suite struct ValidatorTests {
    let pack: PolicyPack
    init() throws { pack = try Fixtures.pack() }

    private func issues(_ mutation: Mutation) -> [String] {
        do {
            _ = try Validator.validate(mutation, in: pack)
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    private func pay(_ changes: [String: Value]) -> Mutation {
        Mutation(resource: "pay", operation: .create, changes: changes)
    }

    @Test func aValidMutationIsNormalized() throws {
        let valid = try Validator.validate(pay(["amount": .int(12), "to": .string("acc-1"), "count": .double(3)]), in: pack)
        #expect(CanonicalJSON.encode(.map(valid.changes)) == #"{"amount":12.0,"count":3,"to":"acc-1"}"#)
    }

    @Test func unknownResource() {
        #expect(issues(Mutation(resource: "pya", operation: .create)) == ["resource: unknown resource 'pya'; did you mean 'pay'?"])
    }

    @Test func disallowedOperation() {
        #expect(
            issues(Mutation(resource: "pay", operation: .delete, target: "t1"))
                == ["operation: delete is not allowed on pay (allowed: create)"])
    }

    @Test func everyProblemIsListedWithItsPath() {
        let found = issues(pay(["amount": .string("5"), "note": .string("too long"), "count": .int(11), "kind": .string("c"), "flag": .int(1), "nope": .int(1)]))
        #expect(found.contains("changes.amount: must be a number, not string"))
        #expect(found.contains("changes.note: is 8 characters long, longer than 5"))
        #expect(found.contains("changes.count: 11 is above the maximum 10.0"))
        #expect(found.contains(#"changes.kind: "c" is not one of "a", "b""#))
        #expect(found.contains("changes.flag: must be true or false, not int"))
        #expect(found.contains("changes.nope: unknown field of pay; did you mean 'note'?"))
        #expect(found.contains("changes.to: is required"))
        #expect(found.count == 7)
    }

    @Test func rangeAndPattern() {
        #expect(issues(pay(["amount": .double(-1), "to": .string("acc-1")])) == ["changes.amount: -1.0 is below the minimum 0.0"])
        #expect(issues(pay(["amount": .double(1), "to": .string("ACC-1")])) == ["changes.to: does not match the pattern ^acc-[0-9]+$"])
        #expect(issues(pay(["amount": .double(1), "to": .string("acc-1"), "count": .int(0)])) == ["changes.count: 0 is below the minimum 1.0"])
    }

    @Test func nanInfinityAndHugeNumbers() {
        #expect(issues(pay(["amount": .double(.nan), "to": .string("acc-1")])) == ["changes.amount: must be a finite number"])
        #expect(issues(pay(["amount": .double(.infinity), "to": .string("acc-1")])) == ["changes.amount: must be a finite number"])
        #expect(issues(pay(["amount": .double(1e300), "to": .string("acc-1")])) == ["changes.amount: 1e+300 is above the maximum 1000000000000.0"])
        #expect(issues(pay(["amount": .uint(UInt64.max), "to": .string("acc-1")])).count == 1)
        #expect(issues(pay(["amount": .double(1), "to": .string("acc-1"), "count": .double(1e30)])) == ["changes.count: is out of range for an integer"])
        #expect(issues(pay(["amount": .double(1), "to": .string("acc-1"), "count": .double(2.5)])) == ["changes.count: must be a whole number, not 2.5"])
        #expect(issues(pay(["amount": .double(1), "to": .string("acc-1"), "count": .uint(UInt64.max)])) == ["changes.count: is out of range for an integer"])
    }

    @Test func unicodeValues() {
        // Lengths count characters, not bytes: five characters fit a max_length of 5.
        #expect(issues(pay(["amount": .double(1), "to": .string("acc-1"), "note": .string("Zürič")])) == [])
        #expect(issues(pay(["amount": .double(1), "to": .string("acc-1"), "note": .string("👩‍👩‍👧‍👦✅")])) == [])
        #expect(issues(pay(["amount": .double(1), "to": .string("acc-١٢")])) == ["changes.to: does not match the pattern ^acc-[0-9]+$"])
    }

    @Test func emptyChanges() {
        #expect(issues(pay([:])) == ["changes.amount: is required", "changes.to: is required"])
        #expect(issues(Mutation(resource: "person", operation: .update, target: "p1")) == ["changes: an update changes at least one field"])
        #expect(issues(Mutation(resource: "person", operation: .delete, target: "p1")) == [])
        #expect(
            issues(Mutation(resource: "person", operation: .delete, target: "p1", changes: ["name": .string("x")]))
                == ["changes: a delete carries no changes"])
    }

    @Test func nullClearsAnOptionalField() {
        #expect(issues(Mutation(resource: "person", operation: .update, target: "p1", changes: ["name": .null])) == [])
        #expect(issues(pay(["amount": .null, "to": .string("acc-1")])).first == "changes.amount: is required and cannot be null")
    }

    @Test func targets() {
        #expect(issues(Mutation(resource: "person", operation: .update, changes: ["level": .int(1)])) == ["target: an update needs a target (or targets, for a bulk change)"])
        #expect(
            issues(Mutation(resource: "person", operation: .update, target: "a", targets: ["b"], changes: ["level": .int(1)]))
                == ["targets: give target or targets, not both"])
        #expect(issues(Mutation(resource: "person", operation: .update, targets: [], changes: ["level": .int(1)])) == ["targets: must list at least one record"])
        #expect(
            issues(Mutation(resource: "person", operation: .update, targets: ["a", "b", "a", ""], changes: ["level": .int(1)]))
                == ["targets[2]: 'a' is listed twice", "targets[3]: must not be empty"])
        #expect(issues(Mutation(resource: "pay", operation: .create, targets: ["a"], changes: ["amount": .int(1), "to": .string("acc-1")])).count == 1)
    }

    @Test func beforeIsTypedNotConstrained() throws {
        let m = Mutation(
            resource: "person", operation: .update, target: "p1", changes: ["level": .int(2)],
            before: ["level": .double(1), "name": .string("Zoë"), "updated_at": .string("x")])
        let valid = try Validator.validate(m, in: pack)
        #expect(CanonicalJSON.encode(.map(valid.before!)) == #"{"level":1,"name":"Zoë","updated_at":"x"}"#)
        let bad = Mutation(resource: "person", operation: .update, target: "p1", changes: ["level": .int(2)], before: ["level": .string("one")])
        #expect(issues(bad) == ["before.level: must be a whole number, not string"])
    }

    @Test func mutationJSONStructure() throws {
        let value = try YAMLValue.parse(#"{"resource": "pay", "operation": "create", "target": 12, "changes": {"amount": 1}, "idempotency_key": "k"}"#)
        let m = try Mutation(jsonValue: value)
        #expect(m.target == "12")
        #expect(m.idempotencyKey == "k")
        #expect(CanonicalJSON.encode(m.jsonValue) == #"{"changes":{"amount":1},"idempotency_key":"k","operation":"create","resource":"pay","target":"12"}"#)
        #expect {
            try Mutation(jsonValue: try YAMLValue.parse(#"{"resource": 1, "operation": "upsert", "change": {}}"#))
        } throws: { error in
            (error as? ValidationFailure)?.issues.map(\.description) == [
                "change: unknown key in a mutation; did you mean 'changes'?", "resource: must be a string, not int",
                "operation: must be one of create, update, delete, not 'upsert'",
            ]
        }
    }
}

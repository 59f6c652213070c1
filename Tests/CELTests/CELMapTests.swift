import CEL
import Testing

@Suite struct CELMapTests {
    @Test func keepsInsertionOrderAndGrows() {
        var map = CELMap()
        for i in 0..<40 { map["k\(i)"] = .int(Int64(i)) }
        #expect(map.count == 40)
        #expect(map.keys.first == .string("k0") && map.keys.last == .string("k39"))
        // Past the linear-search size the map keeps an index; lookups still agree.
        for i in 0..<40 {
            guard case .int(let v)? = map["k\(i)"] else {
                Issue.record("k\(i) missing")
                continue
            }
            #expect(v == Int64(i))
        }
        #expect(map["k40"] == nil)
    }

    @Test func removalKeepsTheRestInOrder() {
        var map = CELMap([(.string("a"), .int(1)), (.string("b"), .int(2)), (.string("c"), .int(3))])
        map["b"] = nil
        #expect(map.keys == [.string("a"), .string("c")])
        #expect(map.position(of: .string("c")) == 1)
        var big = CELMap()
        for i in 0..<20 { big[.int(Int64(i))] = .int(Int64(i)) }
        big[.int(3)] = nil
        #expect(big.count == 19)
        #expect(big.position(of: .int(4)) == 3)
        #expect(big[.uint(19)] != nil)  // an int and a uint key of the same value are one key
    }

    @Test func copiesAreIndependent() {
        var original = CELMap(["a": .string("x")])
        let copy = original
        original["a"] = .string("y")
        original["b"] = .null
        #expect(copy.count == 1)
        guard case .string("x")? = copy["a"] else {
            Issue.record("the copy changed")
            return
        }
        var template = CELMap([(.string("resource"), .null), (.string("changes"), .null)])
        let kept = template
        template.setValue(.string("payments.transfer"), at: 0)
        #expect(template.value(at: 0).description == "\"payments.transfer\"")
        #expect(CELMapTests.isNull(kept.value(at: 0)))
    }

    @Test func activationTemplatesAreFilledByPosition() throws {
        var activation = Activation()
        activation["a"] = .null
        activation["b"] = .null
        let position = try #require(activation.position(of: "b"))
        activation.setValue(.int(7), at: position)
        let program = try Environment(variables: ["a": .dyn, "b": .int]).compile("b + 1")
        guard case .int(8) = try program.evaluate(activation) else {
            Issue.record("b + 1 is not 8")
            return
        }
        #expect(activation.position(of: "c") == nil)
    }

    @Test func stringKeysCompareByScalars() throws {
        // Precomposed and decomposed é are different keys in CEL.
        let map = CELMap(["caf\u{E9}": .int(1)])
        #expect(map["cafe\u{301}"] == nil)
        #expect(map["caf\u{E9}"] != nil)
        let long = String(repeating: "x", count: 40)
        let other = String(long.dropLast()) + "y"
        let keyed = CELMap([long: .int(1)])
        #expect(keyed[String(long)] != nil)
        #expect(keyed[other] == nil)
    }

    @Test func mapsAndActivationsAreBuiltFromTemplateKeys() throws {
        var template = CELMap()
        template["changes"] = .null
        template["operation"] = .null
        let map = CELMap(keysOf: template) { i in i == 0 ? .int(1) : .string("update") }
        #expect(map.keys == [.string("changes"), .string("operation")])
        #expect(map["operation"]?.description == "\"update\"")
        #expect(CELMapTests.isNull(template.value(at: 1)))
        struct Refused: Error {}
        #expect(throws: Refused.self) { try CELMap(keysOf: template) { i in if i == 1 { throw Refused() } else { .int(1) } } }

        var names = Activation()
        names["m"] = .null
        names["k"] = .int(5)
        let activation = Activation(namesOf: names) { i in i == 0 ? .map(map) : names.value(at: i) }
        let program = try Environment(variables: ["m": .dyn, "k": .int]).compile("m.operation == 'update' && k == 5")
        guard case .bool(true) = try program.evaluate(activation) else {
            Issue.record("the activation does not hold the values given")
            return
        }
        #expect(activation.count == 2)
    }

    @Test func shortStringsCompareByValueHoweverTheyWereMade() throws {
        // Up to 15 UTF-8 bytes a string lives in the value itself; equal ones must match however
        // they were built, unequal ones of the same length must not.
        let built = String(decoding: Array("acc-200013".utf8), as: UTF8.self)
        let joined = ["acc-", "200013"].joined()
        let program = try Environment(variables: ["a": .string, "b": .string, "l": .list(.string)])
            .compile("a == b && a in l && !('acc-200014' in l) && {a: 1}[b] == 1 && a != 'acc-200012'")
        var activation = Activation()
        activation["a"] = .string(built)
        activation["b"] = .string(joined)
        activation["l"] = .list([.string("acc-000666"), .string(String("xacc-200013".dropFirst()))])
        guard case .bool(true) = try program.evaluate(activation) else {
            Issue.record("short strings built differently do not compare equal")
            return
        }
        // A short string and a long one never share a representation.
        activation["b"] = .string(built + String(repeating: "0", count: 10))
        let differ = try Environment(variables: ["a": .string, "b": .string]).compile("a != b && b.startsWith(a)")
        guard case .bool(true) = try differ.evaluate(activation) else {
            Issue.record("a short and a long string compare equal")
            return
        }
    }

    @Test func valuePathsResolveInPlaceOrGiveNil() {
        var activation = Activation()
        activation["mutation"] = .map(CELMap(["changes": .map(CELMap(["amount": .double(12.5)])), "resource": .string("r")]))
        #expect(ValuePath(["mutation", "changes", "amount"]).resolve(in: activation)?.description == "12.5")
        #expect(ValuePath(["mutation", "resource"]).resolve(in: activation)?.description == "\"r\"")
        #expect(ValuePath(["mutation"]).resolve(in: activation) != nil)
        #expect(ValuePath(["mutation", "changes", "memo"]).resolve(in: activation) == nil)  // absent field
        #expect(ValuePath(["mutation", "resource", "x"]).resolve(in: activation) == nil)  // not a map
        #expect(ValuePath(["actor", "id"]).resolve(in: activation) == nil)  // unbound variable
    }

    private static func isNull(_ value: Value) -> Bool {
        if case .null = value { return true }
        return false
    }
}

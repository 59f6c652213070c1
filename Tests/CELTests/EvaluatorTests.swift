import Testing

@testable import CEL

/// Evaluates unchecked, with the given variables.
private func eval(_ text: String, _ variables: [String: Value] = [:]) throws -> Value {
    let program = try Environment().compile(text, options: CompileOptions(check: false))
    return try program.evaluate(Activation(variables))
}

private func evalError(_ text: String, _ variables: [String: Value] = [:]) -> EvalError? {
    do {
        _ = try eval(text, variables)
        return nil
    } catch let error as EvalError {
        return error
    } catch {
        return nil
    }
}

@Suite struct EvaluatorTests {
    @Test func integerOverflowIsAnError() {
        #expect(evalError("9223372036854775807 + 1")?.kind == .overflow)
        #expect(evalError("-9223372036854775808 - 1")?.kind == .overflow)
        #expect(evalError("-9223372036854775808 / -1")?.kind == .overflow)
        #expect(evalError("0u - 1u")?.kind == .overflow)
        #expect(evalError("1 / 0")?.kind == .divisionByZero)
        #expect(evalError("1 % 0")?.kind == .moduloByZero)
    }

    @Test func heterogeneousNumbersCompareByValue() throws {
        #expect(valuesEqual(try eval("1 == 1.0"), .bool(true)))
        #expect(valuesEqual(try eval("1u == 1"), .bool(true)))
        #expect(valuesEqual(try eval("2 > 1.5"), .bool(true)))
        // The int converts to double first, as the reference implementation does: 2^63 - 1
        // rounds to 2^63.
        #expect(valuesEqual(try eval("9223372036854775807 < 9223372036854775808.0"), .bool(false)))
        #expect(valuesEqual(try eval("9223372036854775807 < 9223372036854777857.0"), .bool(true)))
        #expect(valuesEqual(try eval("[1, 2.0] == [1.0, 2u]"), .bool(true)))
        #expect(valuesEqual(try eval("'a' == 1"), .bool(false)))
        #expect(evalError("'a' < 1")?.kind == .noMatchingOverload)
    }

    @Test func stringsAreNotNormalised() throws {
        #expect(valuesEqual(try eval("'Am\\u00E9lie' == 'Ame\\u0301lie'"), .bool(false)))
        #expect(evalError("{'Am\\u00E9lie': 1}['Ame\\u0301lie']")?.kind == .noSuchKey)
    }

    @Test func durationsAreLimitedToInt64Nanoseconds() {
        #expect(evalError("timestamp('9999-12-31T23:59:59Z') - timestamp('0001-01-01T00:00:00Z')") != nil)
        #expect(evalError("duration('320000000000s')") != nil)
    }

    @Test func logicAbsorbsErrorsFromEitherSide() throws {
        #expect(valuesEqual(try eval("false && (1 / 0 == 1)"), .bool(false)))
        #expect(valuesEqual(try eval("(1 / 0 == 1) && false"), .bool(false)))
        #expect(valuesEqual(try eval("(1 / 0 == 1) || true"), .bool(true)))
        #expect(evalError("(1 / 0 == 1) || false") != nil)
    }

    @Test func memberAccessReadsMaps() throws {
        let mutation = Value.map(CELMap(["changes": .map(CELMap(["amount": .double(12.5)]))]))
        #expect(valuesEqual(try eval("mutation.changes.amount", ["mutation": mutation]), .double(12.5)))
        #expect(evalError("mutation.changes.amout", ["mutation": mutation])?.kind == .noSuchKey)
        #expect(valuesEqual(try eval("has(mutation.changes.amount)", ["mutation": mutation]), .bool(true)))
        #expect(evalError("missing.field")?.kind == .unboundVariable)
    }

    @Test func macrosIterate() throws {
        #expect(valuesEqual(try eval("[1, 2, 3].all(x, x > 0)"), .bool(true)))
        #expect(valuesEqual(try eval("[1, 2, 3].exists_one(x, x > 2)"), .bool(true)))
        #expect(valuesEqual(try eval("[1, 2, 3].map(x, x * 2)"), .list([.int(2), .int(4), .int(6)])))
        #expect(valuesEqual(try eval("[1, 2, 3].map(x, x > 1, x)"), .list([.int(2), .int(3)])))
        #expect(valuesEqual(try eval("{'a': 1, 'b': 2}.filter(k, k == 'b')"), .list([.string("b")])))
        #expect(valuesEqual(try eval("[1, 0].exists(x, 1 / x == 1)"), .bool(true)))
    }

    @Test func costLimitStopsRunawayExpressions() throws {
        let env = Environment()
        let program = try env.compile(
            "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10].map(c, [1,2,3,4,5,6,7,8,9,10].map(d, a))))",
            options: CompileOptions(check: false, costLimit: 5_000))
        #expect(throws: EvalError.self) { try program.evaluate(Activation()) }
        do {
            _ = try program.evaluate(Activation())
        } catch {
            #expect(error.kind == .costLimitExceeded)
        }
    }

    @Test func timestampsAndDurations() throws {
        #expect(valuesEqual(try eval("string(timestamp('2009-02-13T23:31:30.5Z'))"), .string("2009-02-13T23:31:30.5Z")))
        #expect(valuesEqual(try eval("timestamp('2009-02-13T23:31:30Z').getDayOfWeek()"), .int(5)))
        #expect(valuesEqual(try eval("timestamp('2009-02-13T23:31:30Z').getHours('+01:00')"), .int(0)))
        #expect(valuesEqual(try eval("duration('1h30m').getMinutes()"), .int(90)))
        #expect(valuesEqual(try eval("string(duration('-1.5s'))"), .string("-1.5s")))
        #expect(evalError("timestamp('2009-02-30T00:00:00Z')") != nil)
    }

    @Test func stringsAndRegex() throws {
        #expect(valuesEqual(try eval("'hello'.contains('ell')"), .bool(true)))
        #expect(valuesEqual(try eval("'acc-123'.matches('^acc-[0-9]+$')"), .bool(true)))
        #expect(valuesEqual(try eval("size('héllo')"), .int(5)))
        #expect(evalError("'x'.matches('(')") != nil)
    }

    @Test func mapLiteralsRejectRepeatedKeys() {
        #expect(evalError("{'a': 1, 'a': 2}") != nil)
        #expect(evalError("{1: 'a', 1u: 'b'}") != nil)
    }
}

@Suite struct RegexTests {
    @Test func characterClassesAreASCIIAsInRE2() throws {
        let program = try Environment().compile("s.matches('^\\\\d+$')", options: CompileOptions(check: false))
        #expect(valuesEqual(try program.evaluate(Activation(["s": .string("123")])), .bool(true)))
        #expect(valuesEqual(try program.evaluate(Activation(["s": .string("١٢٣")])), .bool(false)))
    }
}

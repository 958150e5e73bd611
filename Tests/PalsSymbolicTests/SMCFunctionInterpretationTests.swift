import PalsCore
import PalsProtocols
import PalsSymbolic
import PalsZ3
import Testing

/// Every built-in SMC function gives the same result over `Symbolic` (on
/// constants, which fold to numerals) as over `Concrete`, and the new Logic
/// operations (add, less, bitField) agree between the interpretations.
@Suite(.timeLimit(.minutes(10))) struct SMCFunctionInterpretationTests {
    @Test func functionsAgreeBetweenInterpretations() throws {
        let z3 = try Z3Context()
        let s = Symbolic(context: z3, valueBits: 12)
        let c = Concrete()
        let b = Concrete.bottomValue
        let vectors: [[Int]] = [[1, 2, 4], [b, 7, 7], [b, b, b], [0, 0, 5], [9, b, 3], [0, 1, 0]]
        for f in SMCFunction.registry {
            for v in vectors {
                let concrete = f.apply(c, v)
                let symbolic = f.apply(s, v.map { s.encode($0) })
                let decoded = try symbolic.map { x -> Int in
                    let k = try #require(x.constant, "\(f.name) on \(v) did not fold to a numeral")
                    return s.decode(k)
                }
                #expect(decoded == concrete, "\(f.name) on \(v)")
            }
        }
    }

    @Test func arithmeticAgreesUnderTheSolver() throws {
        let z3 = try Z3Context()
        let s = Symbolic(context: z3, valueBits: 16)
        let x = Z3BitVector(try z3.constant("x", sort: z3.bitVectorSort(16)))
        let solver = try Z3Solver(z3)
        // x = 0x1234: fields, sums and comparisons as Concrete computes them.
        try solver.assert(s.equal(x, s.value(0x1234)))
        let c = Concrete()
        let checks: [Z3Bool] = [
            s.equal(s.bitField(x, low: 4, count: 4), s.value(c.bitField(0x1234, low: 4, count: 4))),
            s.equal(s.bitField(x, low: 12, count: 8), s.value(c.bitField(0x1234, low: 12, count: 8))),
            s.equal(s.add(x, s.value(5)), s.value(0x1239)),
            s.less(s.value(3), x),
            s.not(s.less(x, s.value(3))),
        ]
        try solver.assert(s.not(s.all(checks)))
        #expect(try solver.check() == .unsat)
    }
}

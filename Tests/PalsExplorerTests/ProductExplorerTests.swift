import PalsCore
import PalsExplorer
import PalsTestSupport
import Testing

/// The product explorer on toy protocols whose state spaces are known by hand.
@Suite(.timeLimit(.minutes(10))) struct ProductExplorerTests {
    /// Each process's state is its input, and it sends it to everybody.
    struct Reveal: RoundProtocol, Sendable {
        typealias L = Concrete
        typealias State = Int
        typealias Message = Int
        let logic = Concrete()
        let n: Int
        let t: Int
        let rounds = 1
        func initial(_ p: ProcessID, input: Int) -> Int { input }
        func message(_ s: Int, round: Int, to q: ProcessID) -> Int { s }
        func receive(_ s: Int, round: Int, inbox: [Delivery<Int, Concrete>]) -> Int { s }
        func decision(_ s: Int) -> Decision<Concrete> { Decision(decided: true, value: [s]) }
    }

    @Test func countsStatesAndFindsTheWorstPattern() throws {
        // Counter n = 2, t = 1, one round. Faulty set {}: 1 + 1 nodes; {p0} and
        // {p1}: 1 + 4 (each count is 1 or 2) — 12 nodes, 1 + 4 + 4 transitions.
        let explorer = ProductExplorer(Counter(n: 2, t: 1, rounds: 1), threads: 1, runs: { _ in [[0, 0]] })
        let r = try explorer.maximize { _, _, node in 4 - node.states[0].reduce(0, +) }
        #expect(r.states == 12)
        #expect(r.transitions == 9)
        #expect(r.best == 2)
        let pattern = try #require(r.pattern)
        #expect(pattern.faulty == ProcessSet([0]))
        #expect(pattern.drops == [Link(round: 1, from: 1, to: 0), Link(round: 1, from: 0, to: 1)].sorted())
        try pattern.validate(n: 2, t: 1, rounds: 1)
    }

    @Test func observationClassesSeparateRunsThatLookDifferent() throws {
        // Two runs that differ in p1's input; a faulty host sees every state.
        let explorer = ProductExplorer(
            Reveal(n: 2, t: 1), threads: 1, runs: { _ in [[0, 0], [0, 1]] },
            observe: { faulty, _, before, _ in faulty.isEmpty ? [] : before })
        let r = try explorer.maximize { _, _, node in node.classes.max() ?? 0 }
        #expect(r.best == 1)
        #expect(r.classes == [0, 1])
        #expect(r.pattern?.faulty.isEmpty == false)
        // Nobody faulty: nobody observes, one class.
        let blind = ProductExplorer(
            Reveal(n: 2, t: 0), threads: 1, runs: { _ in [[0, 0], [0, 1]] },
            observe: { faulty, _, before, _ in faulty.isEmpty ? [] : before })
        #expect(try blind.maximize { _, _, node in node.classes.max() ?? 0 }.best == 0)
    }

    @Test func rejectsBadRuns() {
        let explorer = ProductExplorer(Counter(n: 2, t: 1, rounds: 1), runs: { _ in [[0]] })
        #expect(throws: PalsError.self) { try explorer.maximize { _, _, _ in 0 } }
    }

    @Test func fractionsAreReduced() {
        #expect(Fraction(2, 8).description == "1/4")
        #expect(Fraction(0, 8).description == "0")
        #expect(Fraction(3, 3).description == "1")
    }
}

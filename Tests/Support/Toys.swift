import PalsCore

// Toy protocols whose behaviour and state spaces are known by hand. They test
// the core semantics and the engines themselves (STYLE: every engine has tiny
// toy models).

/// Every process counts the messages it has received so far and decides that
/// count. Under general omission the count reveals exactly how many messages
/// were lost.
public struct Counter: RoundProtocol, ProcessSymmetric, Sendable {
    public typealias L = Concrete
    public typealias State = Int
    public typealias Message = Int
    public let logic = Concrete()
    public let n: Int
    public let t: Int
    public let rounds: Int

    public init(n: Int, t: Int, rounds: Int) {
        self.n = n
        self.t = t
        self.rounds = rounds
    }

    public func initial(_ p: ProcessID, input: Int) -> Int { 0 }
    public func message(_ s: Int, round: Int, to q: ProcessID) -> Int { 1 }
    public func receive(_ s: Int, round: Int, inbox: [Delivery<Int, Concrete>]) -> Int {
        s + inbox.filter(\.arrived).count
    }
    public func decision(_ s: Int) -> Decision<Concrete> { Decision(decided: true, value: [s]) }
    /// States hold no process index and no input: renaming changes nothing.
    public func renamed(_ s: Int, processes: [Int], values: (Int) -> Int) -> Int { s }

    /// "Nothing is ever lost" (always): every non-crashed process has received
    /// n messages per completed round. Fails as soon as one message is lost.
    public static var nothingLost: Property<Counter> {
        Property(name: "NothingLost", kind: .always, definition: "No process ever misses a message.") { p, c in
            (0..<p.n).allSatisfy { i in c.crashed[i] || c.states[i] == c.round * p.n }
        }
    }

    /// "Correct processes decide alike" (at the horizon).
    public static var correctCountsAgree: Property<Counter> {
        Property(name: "CorrectCountsAgree", kind: .atHorizon, definition: "Correct processes decide the same count.") {
            p, c in
            let ds = (0..<p.n).filter { !c.faulty[$0] && c.decisions[$0].decided }.map { c.decisions[$0].value }
            return Set(ds.map { $0[0] }).count <= 1
        }
    }

    /// Witness: some process decides a count below the maximum.
    public static var someLoss: Property<Counter> {
        Property(name: "SomeLoss", kind: .sometimes, definition: "Some process misses a message.") { p, c in
            (0..<p.n).contains { c.decisions[$0].decided && c.decisions[$0].value[0] < p.rounds * p.n }
        }
    }
}

/// A protocol whose state never changes: the explorer's state space is then
/// made only of crash choices.
public struct Still: RoundProtocol, ProcessSymmetric, Sendable {
    public typealias L = Concrete
    public typealias State = Int
    public typealias Message = Int
    public let logic = Concrete()
    public let n: Int
    public let t: Int
    public let rounds: Int

    public init(n: Int, t: Int, rounds: Int) {
        self.n = n
        self.t = t
        self.rounds = rounds
    }

    public func initial(_ p: ProcessID, input: Int) -> Int { 7 }
    public func message(_ s: Int, round: Int, to q: ProcessID) -> Int { s }
    public func receive(_ s: Int, round: Int, inbox: [Delivery<Int, Concrete>]) -> Int { s }
    public func decision(_ s: Int) -> Decision<Concrete> { Decision(decided: true, value: [s]) }
    /// States hold no process index and no input: renaming changes nothing.
    public func renamed(_ s: Int, processes: [Int], values: (Int) -> Int) -> Int { s }

    /// Holds everywhere.
    public static var trivial: Property<Still> {
        Property(name: "Trivial", kind: .atHorizon, definition: "Always true.") { _, _ in true }
    }
}

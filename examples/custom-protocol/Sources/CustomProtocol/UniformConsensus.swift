import PalsCore
import PalsModule
import PalsProtocols

/// Uniform Consensus from Uniform Interactive Consistency (seed §4): run UIC
/// on the inputs, then "output the first non-⊥ element of the decided
/// vector". Written once over `Logic`, so `Concrete` runs it (explicit
/// engine, runtime, oracle) and `Symbolic` turns it into a formula (bounded
/// model checker).
///
/// UIC's state and messages are used unchanged; only the decision differs.
/// Engines read every decision as a vector of n entries, so the consensus
/// value is entry 0, followed by ⊥.
public struct UniformConsensus<L: Logic>: RoundProtocol, StateSelecting {
    public typealias State = UIC<L>.State
    public typealias Message = UIC<L>.Message

    public let uic: UIC<L>

    public init(logic: L, n: Int, t: Int) { uic = UIC(logic: logic, n: n, t: t) }

    public var logic: L { uic.logic }
    public var n: Int { uic.n }
    public var t: Int { uic.t }
    public var rounds: Int { uic.rounds }

    public func initial(_ p: ProcessID, input: L.Value) -> State { uic.initial(p, input: input) }
    public func message(_ s: State, round: Int, to q: ProcessID) -> Message { uic.message(s, round: round, to: q) }
    public func receive(_ s: State, round: Int, inbox: [Delivery<Message, L>]) -> State {
        uic.receive(s, round: round, inbox: inbox)
    }
    public func select(_ c: L.Bit, _ a: State, _ b: State) -> State { uic.select(c, a, b) }

    /// UIC's decision D, reduced to its first non-⊥ entry (⊥ if there is none).
    public func decision(_ s: State) -> Decision<L> {
        let d = uic.decision(s)
        let l = logic
        // No `if` on a Bit: scan from the last entry, each non-⊥ entry replacing the result.
        var first = l.bottom
        for v in d.value.reversed() { first = l.select(l.isBottom(v), first, v) }
        return Decision(decided: d.decided, value: [first] + Array(repeating: l.bottom, count: n - 1))
    }
}

extension UniformConsensus: Sendable where L: Sendable {}

// MARK: - Properties (seed §4, Uniform Consensus)

extension UniformConsensus {
    /// **UC-Termination**: every correct process eventually decides.
    public static func termination() -> Property<Self> {
        Property(name: "UCTermination", kind: .atHorizon, definition: "Every correct process eventually decides.") {
            proto, c in
            let l = proto.logic
            return l.forAll(0..<proto.n) { i in l.or(c.faulty[i], c.decisions[i].decided) }
        }
    }

    /// **UC-Validity**: a decided value is some process's input.
    public static func validity() -> Property<Self> {
        Property(name: "UCValidity", kind: .atHorizon, definition: "If a process decides v, v is some process's input.")
        {
            proto, c in
            let l = proto.logic
            return l.forAll(0..<proto.n) { i in
                let d = c.decisions[i]
                return l.implies(d.decided, l.exists(0..<proto.n) { k in l.equal(d.value[0], c.inputs[k]) })
            }
        }
    }

    /// **UC-Uniform Agreement**: no two processes, correct or faulty, decide
    /// different values.
    public static func uniformAgreement() -> Property<Self> {
        Property(
            name: "UCUniformAgreement", kind: .atHorizon,
            definition: "No two processes, correct or faulty, decide different values."
        ) { proto, c in
            let l = proto.logic
            let n = proto.n
            return l.forAll(0..<n) { i in
                l.forAll((i + 1)..<max(n, i + 1)) { j in
                    l.implies(
                        l.and(c.decisions[i].decided, c.decisions[j].decided),
                        l.equal(c.decisions[i].value[0], c.decisions[j].value[0]))
                }
            }
        }
    }

    /// The three UC properties, and the framework's witness that somebody
    /// decides in some run (so that none of them holds vacuously).
    public static var properties: [Property<Self>] {
        [termination(), validity(), uniformAgreement(), InteractiveConsistency.someoneDecides()]
    }
}

// MARK: - Module codec (for the runtime)

/// UC's messages are UIC's `(view, trusted)` or "silent": one flag byte, n
/// values of 8 bytes (⊥ = `Int.min`), n trust bits packed (unused bits zero).
public struct UniformConsensusCodec: ModuleCodec {
    public let proto: UniformConsensus<Concrete>

    public init(_ proto: UniformConsensus<Concrete>) { self.proto = proto }

    public var instanceName: String { "uniform-consensus n=\(proto.n) t=\(proto.t) rounds=\(proto.rounds)" }

    private var bitBytes: Int { (proto.n + 7) / 8 }
    public var maxMessageBytes: Int { 1 + 8 * proto.n + bitBytes }

    public func encode(_ m: UIC<Concrete>.Message) -> [UInt8] {
        var out: [UInt8] = [m.silent ? 1 : 0]
        for v in m.view { ValueBytes.append(v, to: &out) }
        var bits = [UInt8](repeating: 0, count: bitBytes)
        for (k, b) in m.trusted.enumerated() where b { bits[k / 8] |= 1 << UInt8(k % 8) }
        return out + bits
    }

    public func decode(_ bytes: ArraySlice<UInt8>) -> UIC<Concrete>.Message? {
        let n = proto.n
        guard bytes.count == maxMessageBytes, let flag = bytes.first, flag <= 1 else { return nil }
        var view: [Int] = []
        for k in 0..<n {
            guard let v = ValueBytes.read(bytes, at: 1 + 8 * k) else { return nil }
            view.append(v)
        }
        let bits = Array(bytes.suffix(bitBytes))
        if n % 8 != 0, bits[bitBytes - 1] >> UInt8(n % 8) != 0 { return nil }
        let trusted = (0..<n).map { k in bits[k / 8] >> UInt8(k % 8) & 1 == 1 }
        return UIC<Concrete>.Message(view: view, trusted: trusted, silent: flag == 1)
    }

    public func describe(_ m: UIC<Concrete>.Message) -> String {
        if m.silent { return "silent" }
        let view = m.view.map { $0 == Concrete.bottomValue ? "⊥" : String($0) }.joined(separator: ",")
        let trusted = (0..<proto.n).filter { m.trusted[$0] }.map { "p\($0)" }.joined(separator: ",")
        return "(view [\(view)], trusted {\(trusted)})"
    }
}

import PalsCore
import PalsProtocols
import PalsSymbolic
import PalsZ3
import Testing

/// A small deterministic generator (SplitMix64), so that every test run
/// draws the same cases.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random admissible failure pattern of `model` with at most `t` faulty.
func randomPattern(
    n: Int, t: Int, rounds: Int, model: FaultModel, using g: inout SplitMix
) -> FailurePattern {
    let k = Int.random(in: 0...t, using: &g)
    let faulty = ProcessSet(Array(0..<n).shuffled(using: &g).prefix(k))
    var crashes: [Crash] = []
    for p in faulty where model == .crash || Int.random(in: 0..<3, using: &g) == 0 {
        if model == .crash && Int.random(in: 0..<4, using: &g) == 0 { continue }
        crashes.append(Crash(process: p, round: Int.random(in: 1...(rounds + 1), using: &g)))
    }
    let pattern0 = FailurePattern(faulty: faulty, crashes: crashes)
    var drops: [Link] = []
    for r in stride(from: 1, through: rounds, by: 1) {
        for i in 0..<n {
            for j in 0..<n where i != j && (faulty.contains(i) || faulty.contains(j)) {
                if model == .crash && pattern0.crashRound(of: i) != r + 1 { continue }
                if Int.random(in: 0..<2, using: &g) == 0 { drops.append(Link(round: r, from: i, to: j)) }
            }
        }
    }
    return FailurePattern(faulty: faulty, crashes: crashes, drops: drops)
}

/// The constant a Boolean term folds or simplifies to.
func constantBool(_ z: Z3Context, _ b: Z3Bool) throws -> Bool {
    if let c = b.constant { return c }
    let simplified = try z.simplify(b.term)
    guard let value = z.boolValue(simplified) else { throw NotConstant(term: z.string(b.term)) }
    return value
}

/// The constant a value term folds or simplifies to, decoded (⊥ = `Concrete.bottomValue`).
func constantValue(_ l: Symbolic, _ v: Z3BitVector) throws -> Int {
    if let c = v.constant { return l.decode(c) }
    let simplified = try l.context.simplify(v.term)
    let code = try #require(l.context.numeralValue(simplified), "not a numeral")
    return l.decode(code)
}

/// A term that should have folded to a constant did not.
struct NotConstant: Error, CustomStringConvertible {
    var term: String
    var description: String { "not a constant: \(term)" }
}

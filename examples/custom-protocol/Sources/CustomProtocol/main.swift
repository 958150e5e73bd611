// Checks Uniform Consensus (UniformConsensus.swift) with both engines and runs
// it on the in-memory runtime under the oracle. Exits 1 if any verdict differs
// from "holds iff t < n/2" or the runtime does not conform to the model.
import Foundation
import PalsCore
import PalsExplorer
import PalsModule
import PalsRuntime
import PalsSymbolic
import PalsZ3

var failures = 0
@MainActor func report(n: Int, t: Int, engine: String, _ verdict: String) {
    let expected = 2 * t < n ? "holds" : "violated"
    if verdict != expected { failures += 1 }
    print("n=\(n) t=\(t): \(verdict) (\(engine))" + (verdict == expected ? "" : "   MISMATCH: expected \(expected)"))
}

// 1. The explicit engine: every failure pattern, n = 2…5, every t < n.
var example: (UniformConsensus<Concrete>, Violation)?
for n in 2...5 {
    for t in 0..<n {
        let proto = UniformConsensus(logic: Concrete(), n: n, t: t)
        var options = ExplorerOptions()
        options.stopAtFirstViolation = true
        let result = try Explorer(
            proto, properties: UniformConsensus.properties, inputs: Array(0..<n), options: options
        )
        .run()
        let violation = result.verdicts.compactMap(\.violation).first
        if n == 4, t == 2, let violation { example = (proto, violation) }
        report(n: n, t: t, engine: "explicit", result.verdict.rawValue)
    }
}

// 2. The symbolic engine (Z3): n = 2…7, the largest t that should hold and the smallest that should not.
for n in 2...7 {
    for t in [(n - 1) / 2, (n + 1) / 2] {
        let logic = Symbolic(context: try Z3Context(), valueBits: Symbolic.bits(forValuesBelow: n))
        var options = SymbolicOptions()
        options.stopAtFirstViolation = true
        let result = try SymbolicChecker(
            symbolic: UniformConsensus(logic: logic, n: n, t: t),
            concrete: UniformConsensus(logic: Concrete(), n: n, t: t),
            properties: UniformConsensus.properties, concreteProperties: UniformConsensus.properties, options: options
        ).run()
        report(n: n, t: t, engine: "symbolic", result.verdict.rawValue)
    }
}

// 3. One counterexample (explicit engine, shrunk), replayed with the reference semantics.
if case let (proto, v)? = example {
    let trace = try simulate(proto, inputs: v.inputs, pattern: v.pattern)
    print("\nCounterexample at n=4 t=2: \(v.property) fails after round \(v.afterRound)")
    print("faulty \(v.pattern.faulty), dropped: " + v.pattern.drops.map(\.description).joined(separator: ", "))
    print(Diagram.render(trace, decision: { "\($0[0])" }), terminator: "")
} else {
    failures += 1
    print("MISMATCH: no counterexample at n=4 t=2")
}

// 4. The runtime: four hosts and security modules in memory, t = 1; p0 is faulty
// and its round-1 frames are dropped. The oracle replays the run through the model.
let model = RuntimeModel(
    codec: UniformConsensusCodec(UniformConsensus(logic: Concrete(), n: 4, t: 1)), protocolName: "uniform-consensus",
    variant: "standard", properties: UniformConsensus.properties)
let keys = (0..<4).map { ModuleKey.generate(id: $0) }
let roster = try Roster(peers: keys.map { Roster.Peer(id: $0.id, publicKey: $0.publicKey, address: nil) })
let modules = try keys.map { try SecurityModule(codec: model.codec, key: $0, roster: roster) }
let plan = AdversaryPlan(faulty: ProcessSet([0]), drops: Set((1..<4).map { Link(round: 1, from: 0, to: $0) }))
let run = try MemoryCluster(
    model: model, links: modules, session: SessionID(1), inputs: [10, 11, 12, 13], adversary: plan
)
.run()
let oracle = try Oracle(model: model, roster: roster, keys: keys).check(run)
print("\nRuntime n=4 t=1, inputs [10, 11, 12, 13], p0 faulty, its round-1 frames dropped:")
for (i, log) in run.logs.enumerated() {
    if let d = log?.decision, d.decided {
        print("  p\(i) decides \(d.value[0])")
    } else {
        print("  p\(i) does not decide")
    }
}
print(
    "  oracle: \(oracle.verdict.rawValue)"
        + (oracle.violations.isEmpty ? ", no property violated" : ", violated: \(oracle.violations.map(\.property))"))
if !oracle.conforms || !oracle.violations.isEmpty { failures += 1 }

print(failures == 0 ? "\nAll verdicts as expected." : "\n\(failures) unexpected result(s).")
exit(failures == 0 ? 0 : 1)

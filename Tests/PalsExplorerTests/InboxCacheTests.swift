import PalsCore
import PalsProtocols
import Testing

@testable import PalsExplorer

/// The expansion keeps each receiver's last inbox and rewrites only the
/// messages of senders whose local state changed (`InboxCache`): what it
/// hands to `receive` must be exactly the inbox built afresh.
@Suite struct InboxCacheTests {
    /// Walks through global states that differ from the previous one in a
    /// few positions (as consecutive parents of a search do), every receiver
    /// of each in turn, with crashed senders and changes of round: after `prepare`,
    /// receiver q's inbox holds, for every sender, the message its current
    /// local state (its initial state when crashed) sends to q in that round.
    @Test(arguments: [(3, 1), (4, 1), (5, 2)])
    func keptUICInboxesEqualInboxesBuiltAfresh(n: Int, t: Int) {
        walk(UIC(logic: Concrete(), n: n, t: t), properties: UIC<Concrete>.properties)
    }

    /// The same for fair exchange, whose messages depend on the round (the
    /// items travel in round 1 only): a kept inbox must not outlive its round.
    @Test(arguments: [(3, 1), (4, 1)])
    func keptFairExchangeInboxesEqualInboxesBuiltAfresh(n: Int, t: Int) {
        walk(
            FairExchange(logic: Concrete(), n: n, t: t, mode: .deterministic),
            properties: FairExchange<Concrete>.properties)
    }

    func walk<P: RoundProtocol & Sendable>(_ p: P, properties: [Property<P>])
    where P.L == Concrete, P.State: Hashable, P.Message: Equatable {
        let n = p.n
        let explorer = Explorer(p, properties: properties, inputs: Array(0..<n))
        var search = Explorer<P>.FaultySetSearch(explorer, faulty: ProcessSet(0..<p.t))
        _ = search.run()
        let states = search.localStates
        let stepper = search.stepper
        #expect(states.count > n, "the search interned more than the initial states")
        var cache = Explorer<P>.InboxCache()
        var rng = SplitMix64(seed: UInt64(100 + n))
        var current = (0..<n).map { _ in UInt32(1 + rng.below(states.count)) }
        var r = 1
        var rebuilt = 0
        var handedOut = 0
        for step in 0..<400 {
            for _ in 0..<rng.below(3) { current[rng.below(n)] = UInt32(rng.below(states.count + 1)) }
            if rng.below(16) == 0 { r = 1 + rng.below(p.rounds) }
            // Every receiver of the global state in turn, as `expand` does.
            for q in 0..<n {
                let before = cache.sources
                cache.prepare(receiver: q, current: current, round: r, stepper: stepper) { states[Int($0) - 1] }
                if before.count == cache.sources.count {
                    rebuilt += (0..<n).filter { before[q * n + $0] != cache.sources[q * n + $0] }.count
                }
                handedOut += n
                for j in 0..<n {
                    let sender = current[j] == crashedID ? stepper.initialStates[j] : states[Int(current[j]) - 1]
                    #expect(
                        cache.lists[q][j].message == p.message(sender, round: r, to: ProcessID(q)),
                        "step \(step): receiver \(q), sender \(j), round \(r)")
                    #expect(cache.sources[q * n + j] == current[j], "step \(step): the recorded source")
                }
            }
        }
        // Most messages are reused: far fewer rebuilt than handed out.
        #expect(rebuilt * 2 < handedOut, "\(rebuilt) of \(handedOut) messages rebuilt")
    }
}

import PalsCore
import PalsExplorer
import PalsProtocols
import Testing

/// `SenderIgnoring`: loss patterns that differ only in senders a receiver
/// ignores are stepped once. The search must be the same search: states,
/// transitions, layers, verdicts and counterexamples.
@Suite(.serialized, .timeLimit(.minutes(10))) struct IgnoredSendersTests {
    static func explore(
        _ n: Int, _ t: Int, _ variant: UIC<Concrete>.Variant, ignoring: Bool, symmetry: Bool, canonical: Bool,
        first: Bool = false, model: FaultModel = .generalOmission
    ) throws -> ExplorationResult {
        var o = ExplorerOptions()
        o.ignoredSenders = ignoring
        o.symmetry = symmetry
        o.canonicalStates = canonical
        o.stopAtFirstViolation = first
        o.faultModel = model
        let p = UIC(logic: Concrete(), n: n, t: t, variant: variant)
        return try Explorer(p, properties: UIC<Concrete>.properties, inputs: Array(0..<n), options: o).run()
    }

    static func expectSame(_ a: ExplorationResult, _ b: ExplorationResult, _ what: String) {
        #expect(a.states == b.states, "\(what)")
        #expect(a.transitions == b.transitions, "\(what)")
        #expect(a.largestLayer == b.largestLayer, "\(what)")
        #expect(a.levels == b.levels, "\(what)")
        #expect(a.verdicts.map(\.name) == b.verdicts.map(\.name), "\(what)")
        #expect(a.verdicts.map(\.status) == b.verdicts.map(\.status), "\(what)")
        #expect(a.verdicts.map(\.violation) == b.verdicts.map(\.violation), "\(what)")
    }

    /// Every variant (those that ignore senders and those that do not), on
    /// the full search, the search up to renaming of faulty sets, the
    /// canonical-state search and the depth-first search.
    @Test(arguments: [(3, 1), (4, 1), (4, 2), (5, 2)])
    func sameSearch(n: Int, t: Int) throws {
        for variant in UIC<Concrete>.Variant.allCases {
            for (symmetry, canonical) in [(false, false), (true, false), (true, true)] {
                for first in [false, true] {
                    let what = "\(variant) (\(n),\(t)) symmetry \(symmetry) canonical \(canonical) first \(first)"
                    let on = try Self.explore(
                        n, t, variant, ignoring: true, symmetry: symmetry, canonical: canonical, first: first)
                    let off = try Self.explore(
                        n, t, variant, ignoring: false, symmetry: symmetry, canonical: canonical, first: first)
                    Self.expectSame(on, off, what)
                }
            }
        }
    }

    /// Under crash-stop, where only crashing senders' messages may be lost.
    @Test func sameSearchUnderCrashStop() throws {
        for variant in UIC<Concrete>.Variant.allCases {
            for canonical in [false, true] {
                let on = try Self.explore(
                    4, 2, variant, ignoring: true, symmetry: canonical, canonical: canonical, model: .crash)
                let off = try Self.explore(
                    4, 2, variant, ignoring: false, symmetry: canonical, canonical: canonical, model: .crash)
                Self.expectSame(on, off, "\(variant) crash canonical \(canonical)")
            }
        }
    }

    /// A random state of p_me: a view with some entries known, a trusted
    /// set, and halted (then cleared) now and then.
    static func randomState(_ me: Int, n: Int, _ rng: inout SplitMix64) -> UIC<Concrete>.State {
        let halted = rng.next() % 4 == 0
        if halted {
            return UIC<Concrete>.State(
                me: me, view: Array(repeating: Concrete.bottomValue, count: n),
                trusted: Array(repeating: false, count: n), halted: true)
        }
        let view = (0..<n).map { k in k == me || rng.next() % 2 == 0 ? k : Concrete.bottomValue }
        let trusted = (0..<n).map { k in k == me || rng.next() % 3 != 0 }
        return UIC<Concrete>.State(me: me, view: view, trusted: trusted, halted: false)
    }

    /// UIC's declaration is exact where it says "ignored": changing an
    /// ignored sender's delivery (its arrival, or its message for another
    /// sender state's) never changes the step. And the check has teeth:
    /// where a variant does not ignore an untrusted sender, changing that
    /// sender's delivery does change some step.
    @Test func uicIgnoresOnlyWhatDoesNotMatter() {
        var rng = SplitMix64(seed: 2006)
        let n = 5
        for variant in UIC<Concrete>.Variant.allCases {
            let p = UIC(logic: Concrete(), n: n, t: 2, variant: variant)
            var ignoredSeen = 0
            var untrustedMatters = 0
            for _ in 0..<2000 {
                let me = Int(rng.next() % UInt64(n))
                let s = Self.randomState(me, n: n, &rng)
                let round = 1 + Int(rng.next() % UInt64(p.rounds))
                let inbox = (0..<n).map { j in
                    Delivery<UIC<Concrete>.Message, Concrete>(
                        arrived: j == me || rng.next() % 4 != 0,
                        message: p.message(Self.randomState(j, n: n, &rng), round: round, to: ProcessID(me)))
                }
                let step = p.receive(s, round: round, inbox: inbox)
                for j in 0..<n where j != me {
                    var changed = inbox
                    changed[j].arrived.toggle()
                    var replaced = inbox
                    replaced[j].message = p.message(
                        Self.randomState(j, n: n, &rng), round: round, to: ProcessID(me))
                    replaced[j].arrived = true
                    let differs =
                        p.receive(s, round: round, inbox: changed) != step
                        || p.receive(s, round: round, inbox: replaced) != step
                    if p.ignores(s, round: round, sender: ProcessID(j)) {
                        ignoredSeen += 1
                        #expect(!differs, "\(variant): p\(me) ignores p\(j) but its delivery changes the step")
                    } else if !s.halted && !s.trusted[j] && differs {
                        untrustedMatters += 1
                    }
                }
            }
            #expect(ignoredSeen > 0, "\(variant)")
            switch variant {
            case .noIntersection, .mergeAllReceived: #expect(untrustedMatters > 0, "\(variant)")
            case .standard, .noTrustCheck, .noHalting, .tRounds: #expect(untrustedMatters == 0, "\(variant)")
            }
        }
    }
}

import PalsCore

/// Fair exchange among n parties on security modules, after Avoine,
/// Gärtner, Guerraoui and Vukolić (*Gracefully Degrading Fair Exchange with
/// Security Modules*, EDCC 2005), as in DESIGN §3 and seed §6.
///
/// Each party contributes an item and, for every other party, a description
/// of the item it expects from it. Items and descriptions are small integers
/// (0…15) packed into the party's input (`encode`): bits 0–3 hold the item,
/// bits 4(j+1)…4(j+1)+3 the description of the item expected from `p_j`; the
/// input of `p0` also holds ρ in bits 4(n+1)… (8 bits). An item matches a
/// description when they are equal.
///
/// # The Algorithm
/// Round 1: every module sends its item (and `p0` ρ). A module *votes OK*
/// iff it received every item and each matches its description (in the
/// fake-rounds mode it also needs ρ from `p0`, with 1 ≤ ρ ≤ M).
///
/// - **deterministic** (t < n/2): rounds 2 … t+2 run UIC (`UIC<L>`, wrapped)
///   on the votes (1 = OK, 0 = not OK); a module that decides D hands its
///   host the items iff all n entries of D are 1; a module that halts in UIC
///   hands nothing.
/// - **fake rounds** (any t): rounds 2 … M+1 carry a status (ok / abort).
///   A module that misses a message or sees "abort" in a round ≤ ρ+1 aborts;
///   after round ρ+1 a module that never aborted *commits*; rounds after ρ+1
///   are padding. Every module hands its host the result after round M+1:
///   the items if it committed, nothing otherwise. ρ is drawn uniformly from
///   {1…M} by the environment (an input of `p0`), so a run is deterministic.
///
/// The decision of a module is the vector of the n items (its own included)
/// when it hands them over, all ⊥ when it hands over nothing.
public struct FairExchange<L: Logic>: RoundProtocol {
    /// How the modules agree on whether to hand over the items; the raw value
    /// is the variant's name.
    public enum Mode: String, CaseIterable, Sendable {
        /// UIC on the votes in rounds 2 … t+2 (needs t < n/2).
        case deterministic
        /// Fake rounds with a secret ρ ∈ {1…M}, for any t.
        case fakeRounds = "fake-rounds"
        /// Fake rounds, but a module stops sending frames once it has
        /// committed: its host sees the round ρ+1 (leaky, for the checks).
        case fakeRoundsLeaky = "fake-rounds-leaky"
    }

    /// The state of one party's module.
    public struct State {
        /// The index of the party whose module this is, in 0 ..< n.
        public var me: Int
        /// The packed input (item, descriptions, and ρ for p0).
        public var input: L.Value
        /// Items received in round 1 (own item at `me`), ⊥ where missing.
        public var items: [L.Value]
        /// ρ as learned in round 1 (⊥ before, or when p0's message is lost).
        public var rho: L.Value
        /// Fake rounds: aborted. Deterministic: the vote was not OK.
        public var aborted: L.Bit
        /// Fake rounds: committed after round ρ+1.
        public var committed: L.Bit
        /// Deterministic mode: the UIC instance on the votes.
        public var uic: UIC<L>.State

        /// A state of module `me` from its fields, as `initial`, `receive` and
        /// `select` build them.
        @inlinable
        public init(
            me: Int, input: L.Value, items: [L.Value], rho: L.Value, aborted: L.Bit, committed: L.Bit,
            uic: UIC<L>.State
        ) {
            self.me = me
            self.input = input
            self.items = items
            self.rho = rho
            self.aborted = aborted
            self.committed = committed
            self.uic = uic
        }
    }

    /// One frame: the item and ρ in round 1, the status later, the UIC
    /// message in the deterministic mode's rounds 2 … t+2.
    public struct Message {
        /// The sender's own item in round 1; ⊥ in later rounds.
        public var item: L.Value
        /// ρ in p0's round-1 frames; ⊥ in every other frame.
        public var rho: L.Value
        /// The sender's status, true for "abort" (its `aborted`); read in the
        /// fake-rounds modes' rounds 2 … M+1.
        public var abort: L.Bit
        /// The sender's UIC message on the votes for UIC round r − 1; read in
        /// the deterministic mode's rounds 2 … t+2.
        public var uic: UIC<L>.Message

        /// A frame from its four fields.
        @inlinable
        public init(item: L.Value, rho: L.Value, abort: L.Bit, uic: UIC<L>.Message) {
            self.item = item
            self.rho = rho
            self.abort = abort
            self.uic = uic
        }
    }

    /// The interpretation this instance computes with: concrete values or
    /// solver terms.
    public let logic: L
    /// The number of parties, p0 … p(n-1).
    public let n: Int
    /// The bound on faulty parties (the deterministic mode needs t < n/2).
    public let t: Int
    /// Deterministic, or fake rounds (leaky or not).
    public let mode: Mode
    /// The largest ρ (fake rounds); the run has M + 1 rounds.
    public let M: Int
    /// The number of rounds: t + 2 in the deterministic mode, M + 1 with fake
    /// rounds.
    public let rounds: Int
    /// UIC on the votes (deterministic mode).
    public let uic: UIC<L>

    /// Bits per item or description, and of ρ.
    public static var fieldBits: Int { 4 }
    /// The width of ρ in p0's input, in bits: ρ ≤ 255.
    public static var rhoBits: Int { 8 }

    /// - Parameters:
    ///   - M: fake rounds: ρ ∈ {1…M}, M ≥ 1 (at most 63: the run has M + 1 ≤ 64 rounds); ignored by the
    ///     deterministic mode.
    @inlinable
    public init(logic: L, n: Int, t: Int, mode: Mode, M: Int = 1) {
        self.logic = logic
        self.n = n
        self.t = t
        self.mode = mode
        self.M = M
        self.uic = UIC(logic: logic, n: n, t: t)
        self.rounds = mode == .deterministic ? 1 + (t + 1) : M + 1
    }

    /// Packs an input: `item`, `expects[j]` (ignored at j = own index), and ρ
    /// for p0. Items and descriptions must be in 0…15, ρ in 0…255.
    public static func encode(item: Int, expects: [Int], rho: Int = 0) -> Int {
        var v = item
        for (j, d) in expects.enumerated() { v |= d << (fieldBits * (j + 1)) }
        return v | rho << (fieldBits * (expects.count + 1))
    }

    /// Inputs in which every item matches every description: p_i offers item
    /// i + 1 and expects j + 1 from p_j; p0's input holds `rho`.
    public static func matchingInputs(n: Int, rho: Int) -> [Int] {
        (0..<n).map { i in encode(item: i + 1, expects: (0..<n).map { $0 + 1 }, rho: i == 0 ? rho : 0) }
    }

    /// Checks packed inputs: fields in range, ρ ∈ {1…M} for the fake-rounds
    /// modes. Returns a message saying what is wrong, or nil.
    public static func inputProblem(_ inputs: [Int], n: Int, mode: Mode, M: Int) -> String? {
        let limit = 1 << (fieldBits * (n + 1) + (mode == .deterministic ? 0 : rhoBits))
        for (i, v) in inputs.enumerated() where v < 0 || v >= limit || (i > 0 && v >= 1 << (fieldBits * (n + 1))) {
            return "input \(v) of p\(i) is not a packed fair-exchange input for n = \(n)"
        }
        if mode != .deterministic, let first = inputs.first {
            let rho = first >> (fieldBits * (n + 1))
            guard rho >= 1 && rho <= M else { return "ρ = \(rho) in p0's input is not in 1…\(M)" }
        }
        return nil
    }

    @inlinable func item(of input: L.Value) -> L.Value { logic.bitField(input, low: 0, count: Self.fieldBits) }
    @inlinable func expected(of input: L.Value, from j: Int) -> L.Value {
        logic.bitField(input, low: Self.fieldBits * (j + 1), count: Self.fieldBits)
    }
    @inlinable func rho(of input: L.Value) -> L.Value {
        logic.bitField(input, low: Self.fieldBits * (n + 1), count: Self.rhoBits)
    }

    /// The module's own item in `items`, ρ from the input at p0, neither
    /// aborted nor committed, and a UIC state with no vote yet.
    @inlinable
    public func initial(_ p: ProcessID, input: L.Value) -> State {
        let l = logic
        var items = Array(repeating: l.bottom, count: n)
        items[p.index] = item(of: input)
        return State(
            me: p.index, input: input, items: items, rho: p.index == 0 ? rho(of: input) : l.bottom,
            aborted: l.no, committed: l.no, uic: uic.initial(p, input: l.bottom))
    }

    /// Round 1: the item (and ρ from p0); every round: the status and the UIC
    /// message of the round before.
    @inlinable
    public func message(_ s: State, round: Int, to q: ProcessID) -> Message {
        let l = logic
        return Message(
            item: round == 1 ? s.items[s.me] : l.bottom, rho: round == 1 && s.me == 0 ? s.rho : l.bottom,
            abort: s.aborted, uic: uic.message(s.uic, round: max(1, round - 1), to: q))
    }

    /// Round 1 collects the items (and ρ) and sets the vote; later rounds run
    /// UIC on the votes (deterministic) or the live rounds up to ρ+1, in which
    /// a missing frame or an "abort" aborts (fake rounds). A module that aborts
    /// forgets the items and ρ.
    @inlinable
    public func receive(_ s: State, round: Int, inbox: [Delivery<Message, L>]) -> State {
        let l = logic
        var next = s
        if round == 1 {
            var ok: [L.Bit] = []
            for j in 0..<n where j != s.me {
                let v = inbox[j].message.item
                next.items[j] = l.select(inbox[j].arrived, v, l.bottom)
                ok.append(l.and(inbox[j].arrived, l.equal(v, expected(of: s.input, from: j))))
            }
            if mode == .deterministic {
                let vote = l.all(ok)
                next.aborted = l.not(vote)
                next.uic = uic.initial(ProcessID(s.me), input: l.select(vote, l.value(1), l.value(0)))
            } else {
                let rho = s.me == 0 ? s.rho : l.select(inbox[0].arrived, inbox[0].message.rho, l.bottom)
                let rhoOK = l.and(
                    l.not(l.isBottom(rho)), l.and(l.less(l.value(0), rho), l.not(l.less(l.value(M), rho))))
                next.rho = rho
                next.aborted = l.not(l.and(rhoOK, l.all(ok)))
            }
            // A module that will never hand anything over forgets the items
            // and ρ (equal behaviours, equal states).
            for k in 0..<n { next.items[k] = l.select(next.aborted, l.bottom, next.items[k]) }
            next.rho = l.select(next.aborted, l.bottom, next.rho)
            return next
        }
        if mode == .deterministic {
            next.uic = uic.receive(
                s.uic, round: round - 1, inbox: inbox.map { Delivery(arrived: $0.arrived, message: $0.message.uic) })
            return next
        }
        // Fake rounds: round r ≤ ρ+1 is live; r = ρ+1 is the commit round.
        let live = l.not(l.less(s.rho, l.value(round - 1)))
        let disrupted = l.exists(0..<n) { j in l.or(l.not(inbox[j].arrived), inbox[j].message.abort) }
        let aborted = l.or(s.aborted, l.and(live, disrupted))
        next.aborted = aborted
        for k in 0..<n { next.items[k] = l.select(aborted, l.bottom, s.items[k]) }
        next.rho = l.select(aborted, l.bottom, s.rho)
        next.committed = l.or(s.committed, l.and(l.equal(s.rho, l.value(round - 1)), l.not(aborted)))
        return next
    }

    /// Whether the module hands its host the items at the end.
    @inlinable
    public func exchanges(_ s: State) -> L.Bit {
        let l = logic
        guard mode == .deterministic else { return s.committed }
        let d = uic.decision(s.uic)
        return l.and(d.decided, l.forAll(0..<n) { k in l.equal(d.value[k], l.value(1)) })
    }

    /// The items when the module hands them over, all ⊥ otherwise; undecided
    /// only when UIC halted the module (deterministic mode).
    @inlinable
    public func decision(_ s: State) -> Decision<L> {
        let l = logic
        let give = exchanges(s)
        let decided = mode == .deterministic ? uic.decision(s.uic).decided : l.yes
        return Decision(decided: decided, value: s.items.map { l.select(give, $0, l.bottom) })
    }
}

extension FairExchange: Observable {
    /// Every module sends to every module in every round — except, in the
    /// leaky mode, a module that has committed.
    @inlinable
    public func sends(_ s: State, round: Int, to q: ProcessID) -> L.Bit {
        mode == .fakeRoundsLeaky ? logic.not(s.committed) : logic.yes
    }

    /// Every frame is padded to the same size: 4 + 9(n + 1) bytes.
    @inlinable
    public func frameSize(_ m: Message) -> L.Value { logic.value(4 + 9 * (n + 1)) }

    /// The result is handed over after the last round (M + 1, or t + 2), by a
    /// module that decides.
    @inlinable
    public func handsResult(_ s: State, round: Int) -> L.Bit {
        round == rounds ? decision(s).decided : logic.no
    }
}

extension FairExchange: StateSelecting {
    /// `c ? a : b` on every field, UIC's state included (`me` is `a`'s: both
    /// states are of the same module).
    @inlinable
    public func select(_ c: L.Bit, _ a: State, _ b: State) -> State {
        let l = logic
        return State(
            me: a.me, input: l.select(c, a.input, b.input),
            items: a.items.indices.map { l.select(c, a.items[$0], b.items[$0]) }, rho: l.select(c, a.rho, b.rho),
            aborted: l.ite(c, a.aborted, b.aborted), committed: l.ite(c, a.committed, b.committed),
            uic: uic.select(c, a.uic, b.uic))
    }
}
extension FairExchange: Sendable where L: Sendable {}
extension FairExchange.State: Equatable where L.Value: Equatable, L.Bit: Equatable {}
extension FairExchange.State: Hashable where L.Value: Hashable, L.Bit: Hashable {}
extension FairExchange.Message: Equatable where L.Value: Equatable, L.Bit: Equatable {}

// MARK: - Properties (after Avoine et al.; DESIGN §3)

extension FairExchange {
    /// `p_i`'s host obtains items: its module decided and hands over some
    /// other party's item.
    @inlinable
    public func obtains(_ c: PropertyContext<FairExchange<L>>, _ i: Int) -> L.Bit {
        let l = logic
        let d = c.decisions[i]
        return l.and(d.decided, l.exists(0..<n) { k in k == i ? l.no : l.not(l.isBottom(d.value[k])) })
    }

    /// **Fairness**: "if any host, faulty or not, obtains the items, every
    /// correct host does".
    @inlinable
    public static func fairness() -> Property<FairExchange<L>> {
        Property(
            name: "Fairness", kind: .atHorizon,
            definition: "If any host (faulty or not) obtains the others' items, every correct host obtains them."
        ) { proto, c in
            let l = proto.logic
            let someone = l.exists(0..<proto.n) { i in proto.obtains(c, i) }
            return l.implies(
                someone, l.forAll(0..<proto.n) { j in l.or(c.faulty[j], proto.obtains(c, j)) })
        }
    }

    /// The items match every description of a correct party's module:
    /// `item_j = description_{i,j}` for every correct `p_i` and every j ≠ i.
    @inlinable
    public func matchesAtCorrect(_ c: PropertyContext<FairExchange<L>>) -> L.Bit {
        let l = logic
        return l.forAll(0..<n) { i in
            l.or(
                c.faulty[i],
                l.forAll(0..<n) { j in
                    j == i ? l.yes : l.equal(item(of: c.inputs[j]), expected(of: c.inputs[i], from: j))
                })
        }
    }

    /// **Validity**: (1) when every process is correct and every item matches
    /// every description, every host obtains the items; (2) when a correct
    /// module's description does not match the item offered to it, no host
    /// obtains anything; (3) a host that obtains items obtains the items the
    /// parties offered.
    @inlinable
    public static func validity() -> Property<FairExchange<L>> {
        Property(
            name: "Validity", kind: .atHorizon,
            definition:
                "All correct and all items match → every host obtains the items; a mismatch at a correct module → no host obtains anything; obtained items are the offered ones."
        ) { proto, c in
            let l = proto.logic
            let n = proto.n
            let noneFaulty = l.forAll(0..<n) { i in l.not(c.faulty[i]) }
            let matches = proto.matchesAtCorrect(c)
            let everyone = l.forAll(0..<n) { i in proto.obtains(c, i) }
            let nobody = l.forAll(0..<n) { i in l.not(proto.obtains(c, i)) }
            let genuine = l.forAll(0..<n) { i in
                l.implies(
                    proto.obtains(c, i),
                    l.forAll(0..<n) { k in l.equal(c.decisions[i].value[k], proto.item(of: c.inputs[k])) })
            }
            return l.all([
                l.implies(l.and(noneFaulty, matches), everyone), l.implies(l.not(matches), nobody), genuine,
            ])
        }
    }

    /// **Termination**: every correct module hands its host a result.
    @inlinable
    public static func termination() -> Property<FairExchange<L>> {
        Property(
            name: "Termination", kind: .atHorizon,
            definition: "Every correct module hands its host a result (the items or nothing)."
        ) { proto, c in
            let l = proto.logic
            return l.forAll(0..<proto.n) { i in l.or(c.faulty[i], c.decisions[i].decided) }
        }
    }

    /// Witness: some host obtains the items in some run.
    @inlinable
    public static func someoneObtains() -> Property<FairExchange<L>> {
        Property(
            name: "SomeProcessDecides", kind: .sometimes,
            definition: "In some run some host obtains the items (non-vacuity witness)."
        ) { proto, c in
            let l = proto.logic
            return l.exists(0..<proto.n) { i in proto.obtains(c, i) }
        }
    }

    /// Fairness, Validity, Termination, and the witness that some host obtains
    /// the items.
    @inlinable
    public static var properties: [Property<FairExchange<L>>] {
        [fairness(), validity(), termination(), someoneObtains()]
    }
}

import PalsCore

/// Uniform Interactive Consistency under general omission, after Parvédy &
/// Raynal (IPDPS 2003), as reconstructed in DESIGN §3. Fort et al. (ESORICS
/// 2006, §4) reduce secure multi-party computation among security modules to
/// this problem; it is solvable iff t < n/2.
///
/// # The Algorithm
/// ```
/// state of p_i: view_i[0..n-1] (value or ⊥), trusted_i ⊆ Π, halted_i
/// init: view_i = ⊥…⊥ with view_i[i] = v_i ; trusted_i = Π ; halted_i = false
/// round r = 1 … t+1:
///   send (view_i, trusted_i) to every process   (a halted process sends "silent")
///   REC       = { j : message from p_j arrived, is not silent, and i ∈ trusted_j }
///   trusted_i = trusted_i ∩ REC                    -- monotone: never re-trusted
///   if |trusted_i| < n − t: halted_i = true         -- p_i knows it is faulty
///   else view_i = entrywise merge of view_j, j ∈ trusted_i
/// after round t+1: a process that has not halted decides view_i
/// ```
/// A halted process's view and trusted set are irrelevant from then on (it
/// sends "silent" and never decides); they are cleared so that equal
/// behaviours have equal states.
public struct UIC<L: Logic>: RoundProtocol {
    /// The protocol as specified, or one of the mutants the engines must catch.
    public enum Variant: String, CaseIterable, Sendable {
        /// The algorithm above, unmodified.
        case standard
        /// trusted_i := REC instead of trusted_i ∩ REC (processes are re-trusted).
        case noIntersection = "no-intersection"
        /// REC drops the test `i ∈ trusted_j`.
        case noTrustCheck = "no-trust-check"
        /// A process never halts, however few it trusts.
        case noHalting = "no-halting"
        /// view_i merges the views of every sender in REC, not of trusted_i.
        case mergeAllReceived = "merge-all-received"
        /// t rounds instead of t + 1.
        case tRounds = "t-rounds"
    }

    /// The state of one process p_i: view_i, trusted_i and halted_i of the
    /// algorithm.
    public struct State {
        /// This process's index.
        public var me: Int
        /// `view[k]` is p_k's input as p_i knows it, ⊥ while unknown; all ⊥
        /// once p_i has halted.
        public var view: [L.Value]
        /// `trusted[j]` is true iff p_i still trusts p_j (trusted_i); all false
        /// once p_i has halted.
        public var trusted: [L.Bit]
        /// True once p_i has trusted fewer than n − t processes: it knows it is
        /// faulty, sends "silent" and never decides.
        public var halted: L.Bit

        /// A state of process `me` with the given view, trusted set and halted
        /// flag.
        @inlinable
        public init(me: Int, view: [L.Value], trusted: [L.Bit], halted: L.Bit) {
            self.me = me
            self.view = view
            self.trusted = trusted
            self.halted = halted
        }
    }

    /// `(view_j, trusted_j)`, or "silent" when `silent` is true.
    public struct Message {
        /// The sender's view: n entries, ⊥ where it knows nothing.
        public var view: [L.Value]
        /// The sender's trusted set: `trusted[i]` is true iff the sender still
        /// trusts p_i.
        public var trusted: [L.Bit]
        /// True when the sender has halted: the message carries nothing, and
        /// every receiver stops trusting the sender.
        public var silent: L.Bit

        /// A message with the given view, trusted set and silence flag.
        @inlinable
        public init(view: [L.Value], trusted: [L.Bit], silent: L.Bit) {
            self.view = view
            self.trusted = trusted
            self.silent = silent
        }
    }

    /// The interpretation this instance computes with: concrete values or
    /// solver terms.
    public let logic: L
    /// The number of processes, p0 … p(n-1).
    public let n: Int
    /// The bound on faulty processes (UIC is solvable iff t < n/2); a process
    /// halts when it trusts fewer than n − t.
    public let t: Int
    /// The number of rounds: t + 1 (t for `.tRounds`) unless given.
    public let rounds: Int
    /// The algorithm as specified, or the mutant this instance runs.
    public let variant: Variant

    /// UIC for `n` processes of which at most `t` are faulty, running
    /// `variant`.
    /// - Parameters:
    ///   - rounds: overrides the number of rounds (t + 1, or t for `.tRounds`).
    @inlinable
    public init(logic: L, n: Int, t: Int, variant: Variant = .standard, rounds: Int? = nil) {
        self.logic = logic
        self.n = n
        self.t = t
        self.variant = variant
        self.rounds = rounds ?? (variant == .tRounds ? t : t + 1)
    }

    /// View ⊥…⊥ with `input` at `p`'s own entry, every process trusted, not
    /// halted.
    @inlinable
    public func initial(_ p: ProcessID, input: L.Value) -> State {
        var view = Array(repeating: logic.bottom, count: n)
        view[p.index] = input
        return State(me: p.index, view: view, trusted: Array(repeating: logic.yes, count: n), halted: logic.no)
    }

    /// `(view, trusted)` to every receiver; "silent" once the sender has
    /// halted.
    @inlinable
    public func message(_ s: State, round: Int, to q: ProcessID) -> Message {
        Message(view: s.view, trusted: s.trusted, silent: s.halted)
    }

    /// One round of the algorithm (as the variant changes it): trusted_i ∩ REC,
    /// halting when fewer than n − t processes remain trusted, and otherwise
    /// the entrywise merge of the trusted senders' views.
    @inlinable
    public func receive(_ s: State, round: Int, inbox: [Delivery<Message, L>]) -> State {
        let l = logic
        let me = s.me
        // trusted_i ∩ REC, where REC = senders heard (arrived, not silent) that
        // still trust p_i; `sources` are the senders whose views are merged.
        var trusted: [L.Bit] = []
        trusted.reserveCapacity(n)
        var sources: [L.Bit] = []
        if variant == .mergeAllReceived { sources.reserveCapacity(n) }
        for j in 0..<n {
            // The message's fields are read in place: binding the message
            // would copy it (and count references to its arrays) per sender.
            let heard = l.and(inbox[j].arrived, l.not(inbox[j].message.silent))
            let rec = variant == .noTrustCheck ? heard : l.and(heard, inbox[j].message.trusted[me])
            trusted.append(variant == .noIntersection ? rec : l.and(s.trusted[j], rec))
            if variant == .mergeAllReceived { sources.append(heard) }
        }
        let haltNow: L.Bit = variant == .noHalting ? l.no : l.not(l.atLeast(n - t, trusted))
        // Once halted (before or now), the state is cleared and stays so.
        let halted = l.or(s.halted, haltNow)
        var view: [L.Value] = []
        view.reserveCapacity(n)
        for k in 0..<n {
            var acc = l.bottom
            for j in 0..<n {
                let v = inbox[j].message.view[k]
                let source = variant == .mergeAllReceived ? sources[j] : trusted[j]
                acc = l.select(l.and(source, l.not(l.isBottom(v))), v, acc)
            }
            view.append(l.select(halted, l.bottom, acc))
        }
        for j in 0..<n { trusted[j] = l.and(l.not(halted), trusted[j]) }
        return State(me: me, view: view, trusted: trusted, halted: halted)
    }

    /// A process that has not halted decides its view; a halted one never
    /// decides.
    @inlinable
    public func decision(_ s: State) -> Decision<L> {
        Decision(decided: logic.not(s.halted), value: s.view)
    }

    /// **A correct process never halts** (DESIGN §3): halting is how a
    /// process learns that it is faulty, so a correct one must never do it.
    @inlinable
    public static func correctNeverHalts() -> Property<UIC<L>> {
        Property(
            name: "CorrectNeverHalts", kind: .always,
            definition: "A correct process never halts."
        ) { proto, c in
            let l = proto.logic
            return l.forAll(0..<proto.n) { i in l.implies(l.not(c.faulty[i]), l.not(c.states[i].halted)) }
        }
    }

    /// Witness: some process halts in some run (the halting branch is reachable).
    @inlinable
    public static func someProcessHalts() -> Property<UIC<L>> {
        Property(
            name: "SomeProcessHalts", kind: .sometimes,
            definition: "In some run some process halts (the halting rule is exercised)."
        ) { proto, c in
            let l = proto.logic
            return l.exists(0..<proto.n) { i in c.states[i].halted }
        }
    }

    /// UIC-Termination, UIC-Validity, UIC-Uniform Agreement, Agreement among
    /// correct processes, "a correct process never halts", and witnesses.
    @inlinable
    public static var properties: [Property<UIC<L>>] {
        InteractiveConsistency.all() + [correctNeverHalts(), someProcessHalts()]
    }
}

extension UIC: ProcessSymmetric {
    /// `p_me` becomes `p_π[me]`; view entry and trusted bit k move to π[k],
    /// values are renamed (⊥ stays ⊥).
    @inlinable
    public func renamed(_ s: State, processes π: [Int], values: (L.Value) -> L.Value) -> State {
        var view = s.view
        var trusted = s.trusted
        for k in 0..<n {
            view[π[k]] = values(s.view[k])
            trusted[π[k]] = s.trusted[k]
        }
        return State(me: π[s.me], view: view, trusted: trusted, halted: s.halted)
    }
}
extension UIC: SenderIgnoring {
    /// Every sender once p_i has halted (its state stays cleared whatever
    /// arrives); otherwise the senders p_i no longer trusts, whose messages
    /// neither restore trust nor reach the merge — except under the
    /// variants that re-trust (`noIntersection`) or merge from every
    /// sender heard (`mergeAllReceived`), where no sender is ignored.
    @inlinable
    public func ignores(_ s: State, round: Int, sender: ProcessID) -> L.Bit {
        let l = logic
        switch variant {
        case .noIntersection, .mergeAllReceived: return s.halted
        case .standard, .noTrustCheck, .noHalting, .tRounds:
            return l.or(s.halted, l.not(s.trusted[sender.index]))
        }
    }
}
extension UIC: StateSelecting {
    /// `c ? a : b` on every field (`me` is `a`'s: both states are of the
    /// same process).
    @inlinable
    public func select(_ c: L.Bit, _ a: State, _ b: State) -> State {
        let l = logic
        var view: [L.Value] = []
        view.reserveCapacity(a.view.count)
        var trusted: [L.Bit] = []
        trusted.reserveCapacity(a.trusted.count)
        for k in a.view.indices {
            view.append(l.select(c, a.view[k], b.view[k]))
            trusted.append(l.ite(c, a.trusted[k], b.trusted[k]))
        }
        return State(me: a.me, view: view, trusted: trusted, halted: l.ite(c, a.halted, b.halted))
    }
}
extension UIC: Sendable where L: Sendable {}
extension UIC.State: Equatable where L.Value: Equatable, L.Bit: Equatable {
    /// Equal when of the same process with equal views, trusted sets and halted
    /// flags.
    @inlinable
    public static func == (a: Self, b: Self) -> Bool {
        guard a.me == b.me, a.halted == b.halted, a.view.count == b.view.count else { return false }
        for k in a.view.indices where a.view[k] != b.view[k] || a.trusted[k] != b.trusted[k] { return false }
        return true
    }
}
extension UIC.State: Hashable where L.Value: Hashable, L.Bit: Hashable {
    /// Hashes every field, consistently with `==`.
    @inlinable
    public func hash(into h: inout Hasher) {
        h.combine(me)
        h.combine(halted)
        for k in view.indices {
            h.combine(view[k])
            h.combine(trusted[k])
        }
    }
}
extension UIC.State: Sendable where L.Value: Sendable, L.Bit: Sendable {}
extension UIC.Message: Equatable where L.Value: Equatable, L.Bit: Equatable {}
extension UIC.Message: Hashable where L.Value: Hashable, L.Bit: Hashable {}

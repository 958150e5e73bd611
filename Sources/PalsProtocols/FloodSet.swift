import PalsCore

/// FloodSet, the classic crash-tolerant interactive consistency protocol
/// (Lynch, *Distributed Algorithms*, §6.2), as the baseline of DESIGN §3.
///
/// # The Algorithm
/// ```
/// state of p_i: view_i[0..n-1], initially ⊥…⊥ with view_i[i] = v_i
/// round r = 1 … t+1: send view_i to every process;
///                    view_i = entrywise merge of all views received
/// after round t+1: decide view_i
/// ```
/// Correct under crash failures with t + 1 rounds; under general omission it
/// violates even agreement among correct processes (n = 3, t = 1: p0 is silent
/// in round 1 and reaches only p1 in round 2).
public struct FloodSet<L: Logic>: RoundProtocol {
    /// The state of one process: whose it is, and what it has learned of the
    /// inputs.
    public struct State {
        /// The index of the process this state belongs to, in 0 ..< n.
        public var me: Int
        /// `view[k]` is p_k's input as far as this process has learned it, ⊥
        /// while unknown.
        public var view: [L.Value]

        /// A state of process `me` holding `view` (n entries).
        @inlinable
        public init(me: Int, view: [L.Value]) {
            self.me = me
            self.view = view
        }
    }

    /// A message is the sender's whole view: n entries, ⊥ where it knows
    /// nothing.
    public typealias Message = [L.Value]

    /// The interpretation this instance computes with: concrete values or
    /// solver terms.
    public let logic: L
    /// The number of processes, p0 … p(n-1).
    public let n: Int
    /// The bound on faulty processes; the run has t + 1 rounds unless told
    /// otherwise.
    public let t: Int
    /// The number of rounds before every process decides: t + 1 unless given.
    public let rounds: Int

    /// FloodSet for `n` processes of which at most `t` are faulty.
    /// - Parameters:
    ///   - rounds: overrides the number of rounds (t + 1 when nil).
    @inlinable
    public init(logic: L, n: Int, t: Int, rounds: Int? = nil) {
        self.logic = logic
        self.n = n
        self.t = t
        self.rounds = rounds ?? t + 1
    }

    /// A view holding `input` at `p`'s own entry and ⊥ everywhere else.
    @inlinable
    public func initial(_ p: ProcessID, input: L.Value) -> State {
        var view = Array(repeating: logic.bottom, count: n)
        view[p.index] = input
        return State(me: p.index, view: view)
    }

    /// The sender's current view, the same to every receiver in every round.
    @inlinable
    public func message(_ s: State, round: Int, to q: ProcessID) -> Message { s.view }

    /// Merges every view that arrived into `s`, entry by entry: an entry takes
    /// a value that is not ⊥ from an arrived view (the highest-indexed sender's
    /// where several carry one) and otherwise keeps its own.
    @inlinable
    public func receive(_ s: State, round: Int, inbox: [Delivery<Message, L>]) -> State {
        let l = logic
        var view = s.view
        for k in 0..<n {
            var acc = s.view[k]
            for j in 0..<n {
                let v = inbox[j].message[k]
                acc = l.select(l.and(inbox[j].arrived, l.not(l.isBottom(v))), v, acc)
            }
            view[k] = acc
        }
        return State(me: s.me, view: view)
    }

    /// Every process decides its current view after the last round.
    @inlinable
    public func decision(_ s: State) -> Decision<L> {
        Decision(decided: logic.yes, value: s.view)
    }

    /// Termination, Validity, Uniform Agreement, Agreement and the decision witness.
    @inlinable
    public static var properties: [Property<FloodSet<L>>] { InteractiveConsistency.all() }
}

extension FloodSet: ProcessSymmetric {
    /// `p_me` becomes `p_π[me]`; view entry k moves to π[k], values are
    /// renamed (⊥ stays ⊥).
    @inlinable
    public func renamed(_ s: State, processes π: [Int], values: (L.Value) -> L.Value) -> State {
        var view = s.view
        for k in 0..<n { view[π[k]] = values(s.view[k]) }
        return State(me: π[s.me], view: view)
    }
}
extension FloodSet: StateSelecting {
    /// `c ? a : b` on every view entry (`me` is `a`'s: both states are of the
    /// same process).
    @inlinable
    public func select(_ c: L.Bit, _ a: State, _ b: State) -> State {
        let l = logic
        var view: [L.Value] = []
        view.reserveCapacity(a.view.count)
        for k in a.view.indices { view.append(l.select(c, a.view[k], b.view[k])) }
        return State(me: a.me, view: view)
    }
}
extension FloodSet: Sendable where L: Sendable {}
extension FloodSet.State: Equatable where L.Value: Equatable {
    /// Equal when of the same process with equal views, entry by entry.
    @inlinable
    public static func == (a: Self, b: Self) -> Bool {
        guard a.me == b.me, a.view.count == b.view.count else { return false }
        for k in a.view.indices where a.view[k] != b.view[k] { return false }
        return true
    }
}
extension FloodSet.State: Hashable where L.Value: Hashable {
    /// Hashes the process and every view entry, consistently with `==`.
    @inlinable
    public func hash(into h: inout Hasher) {
        h.combine(me)
        for v in view { h.combine(v) }
    }
}
extension FloodSet.State: Sendable where L.Value: Sendable {}

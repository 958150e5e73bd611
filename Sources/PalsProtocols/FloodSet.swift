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
    public struct State {
        public var me: Int
        public var view: [L.Value]

        @inlinable
        public init(me: Int, view: [L.Value]) {
            self.me = me
            self.view = view
        }
    }

    public typealias Message = [L.Value]

    public let logic: L
    public let n: Int
    public let t: Int
    public let rounds: Int

    @inlinable
    public init(logic: L, n: Int, t: Int, rounds: Int? = nil) {
        self.logic = logic
        self.n = n
        self.t = t
        self.rounds = rounds ?? t + 1
    }

    @inlinable
    public func initial(_ p: ProcessID, input: L.Value) -> State {
        var view = Array(repeating: logic.bottom, count: n)
        view[p.index] = input
        return State(me: p.index, view: view)
    }

    @inlinable
    public func message(_ s: State, round: Int, to q: ProcessID) -> Message { s.view }

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
    @inlinable
    public static func == (a: Self, b: Self) -> Bool {
        guard a.me == b.me, a.view.count == b.view.count else { return false }
        for k in a.view.indices where a.view[k] != b.view[k] { return false }
        return true
    }
}
extension FloodSet.State: Hashable where L.Value: Hashable {
    @inlinable
    public func hash(into h: inout Hasher) {
        h.combine(me)
        for v in view { h.combine(v) }
    }
}
extension FloodSet.State: Sendable where L.Value: Sendable {}

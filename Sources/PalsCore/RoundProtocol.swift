/// What process `q` receives from one sender in one round: the message the
/// sender sent, and whether it arrived (general omission may lose it).
public struct Delivery<Message, L: Logic> {
    /// True iff the message arrived.
    public var arrived: L.Bit
    /// The message the sender sent; meaningful only when `arrived`.
    public var message: Message

    /// A delivery of `message`, which arrived iff `arrived`.
    @inlinable
    public init(arrived: L.Bit, message: Message) {
        self.arrived = arrived
        self.message = message
    }
}

/// Whether a process has decided, and on what vector of values.
public struct Decision<L: Logic> {
    /// True iff the process has decided; `value` means nothing otherwise.
    public var decided: L.Bit
    /// The decided vector (for UIC: one entry per process, ⊥ for a missing one).
    public var value: [L.Value]

    /// A decision with flag `decided` and vector `value`.
    @inlinable
    public init(decided: L.Bit, value: [L.Value]) {
        self.decided = decided
        self.value = value
    }
}

extension Decision where L == Concrete {
    /// "Has not decided", with an all-⊥ vector of length `n`.
    @inlinable
    public static func none(_ n: Int) -> Decision<Concrete> {
        Decision(decided: false, value: Array(repeating: Concrete.bottomValue, count: n))
    }
}

/// A synchronous round-based protocol as a pure transition system
/// (DESIGN §1–2). The protocol does no I/O: it returns messages and states,
/// and an engine, the runtime or the oracle carries them.
///
/// The communication pattern is constant: in every round every process sends
/// exactly one message to every process, itself included. "Nothing to say" is
/// a value of `Message`, never a missing message.
public protocol RoundProtocol: SendableMetatype {
    /// The interpretation the protocol computes with: `Concrete` or a symbolic one.
    associatedtype L: Logic
    /// The local state of one process.
    associatedtype State
    /// What one process sends to one process in one round.
    associatedtype Message

    /// The interpretation this instance computes with.
    var logic: L { get }
    /// The number of processes.
    var n: Int { get }
    /// The bound on faulty processes the protocol is instantiated for.
    var t: Int { get }
    /// The number of rounds R; decisions are read after round R.
    var rounds: Int { get }

    /// The state of `p` before round 1 when its input is `input`.
    func initial(_ p: ProcessID, input: L.Value) -> State
    /// The message `s` sends to `q` in `round` (1-based).
    func message(_ s: State, round: Int, to q: ProcessID) -> Message
    /// The state after `round`, given one delivery per sender (`inbox[j]` is
    /// from `p_j`; `inbox.count == n`).
    func receive(_ s: State, round: Int, inbox: [Delivery<Message, L>]) -> State
    /// The decision of a process that completed all `rounds` in state `s`.
    func decision(_ s: State) -> Decision<L>
}

/// A protocol whose behaviour commutes with renaming processes (and whose
/// values are only copied, never computed on: data independence), so that an
/// engine may search faulty sets up to renaming and use distinct inputs only.
///
/// `renamed(s, processes: π, values: m)` is the state `s` after renaming every
/// process `p` to `π[p]` — the process `s` belongs to, and every process index
/// it holds (view entries, trusted sets, message fields) — and every value `v`
/// to `m(v)` (an injective renaming that keeps ⊥). The protocol must commute
/// with it: renaming the states and the inbox (sender `j` becomes `π[j]`) of a
/// step gives the renamed result. An engine then keeps one global state per
/// orbit under the renamings that preserve the faulty set (DESIGN §4).
public protocol ProcessSymmetric: RoundProtocol {
    /// `s` with processes renamed by `processes` (`processes[p]` is the new
    /// name of `p`, a permutation of `0 ..< n`) and values by `values`.
    func renamed(_ s: State, processes: [Int], values: (L.Value) -> L.Value) -> State
}

/// A protocol whose processes disregard some senders: whenever
/// `ignores(s, round: r, sender: j)` is true, the state of a process in state
/// `s` after round `r` is the same whatever `p_j`'s delivery is (arrived or
/// lost, and whatever message). UIC, for one, ignores the senders a process
/// no longer trusts, and every sender once it has halted.
///
/// An engine may then treat the loss patterns that differ only in ignored
/// senders as one: a receiver's successors are the same, found with fewer
/// steps (DESIGN §4). The declaration must be exact or err towards `false`:
/// a sender declared ignored that is not would hide behaviours from the
/// search.
public protocol SenderIgnoring: RoundProtocol {
    /// True when `receive(s, round: round, inbox:)` does not depend on
    /// `inbox[sender]`.
    func ignores(_ s: State, round: Int, sender: ProcessID) -> L.Bit
}

/// A protocol whose states can be chosen between under a condition of its
/// `Logic`: `select(c, a, b)` is `c ? a : b`, field by field (`logic.ite` on
/// every `Bit` field, `logic.select` on every `Value` field; fields that are
/// plain Swift values, such as a process index, are taken from `a`, and must
/// be equal in `a` and `b`).
///
/// Protocol states are opaque to an engine, but an engine that computes with
/// symbolic bits cannot branch with `if` on whether a process has crashed: a
/// crashed process keeps its state (DESIGN §1), so the symbolic unrolling
/// writes the next state of `p` as `select(alive, stepped, current)`. Engines
/// that keep a crashed process's state this way require this conformance.
public protocol StateSelecting: RoundProtocol {
    /// `c ? a : b`, field by field.
    func select(_ c: L.Bit, _ a: State, _ b: State) -> State
}

extension Decision: Sendable where L.Bit: Sendable, L.Value: Sendable {}
extension Decision: Equatable where L.Bit: Equatable, L.Value: Equatable {}

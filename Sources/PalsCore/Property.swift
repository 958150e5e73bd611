/// When a property is evaluated (DESIGN §2).
public enum PropertyKind: String, Sendable, Codable {
    /// An invariant: must hold in every reachable state, after every round.
    case always
    /// Must hold in every state reached after the last round R.
    case atHorizon
    /// A witness: must be true in *some* reachable state after round R, so that a
    /// vacuous pass (e.g. nobody ever decides) shows up.
    case sometimes
}

/// Everything a property may look at in one (global) state of one run.
public struct PropertyContext<P: RoundProtocol> {
    /// The number of rounds completed (0 = initial states).
    public var round: Int
    /// `inputs[i]`: the input of `p_i`.
    public var inputs: [P.L.Value]
    /// `faulty[i]`: `p_i` is in the faulty set of the failure pattern.
    public var faulty: [P.L.Bit]
    /// `crashed[i]`: `p_i` crashed in some round ≤ `round`.
    public var crashed: [P.L.Bit]
    /// The local states. The state of a crashed process is unspecified
    /// (`simulate` keeps its last state, the explicit engine its initial one):
    /// properties must not depend on it.
    public var states: [P.State]
    /// After round R: what each process decided (a crashed process never
    /// decides). Before that: nobody has decided.
    public var decisions: [Decision<P.L>]

    /// The context of one global state; every array has one entry per process.
    @inlinable
    public init(
        round: Int, inputs: [P.L.Value], faulty: [P.L.Bit], crashed: [P.L.Bit],
        states: [P.State], decisions: [Decision<P.L>]
    ) {
        self.round = round
        self.inputs = inputs
        self.faulty = faulty
        self.crashed = crashed
        self.states = states
        self.decisions = decisions
    }
}

/// A named property, written over `Logic` so that every engine checks the same
/// definition. `holds` returns the bit "the property holds in this state".
public struct Property<P: RoundProtocol>: Sendable {
    /// The paper's name, e.g. `UniformAgreement`.
    public let name: String
    /// When the property is evaluated: after every round, at the horizon, or as a witness.
    public let kind: PropertyKind
    /// The definition in words (quoted from the seed where it has one).
    public let definition: String
    /// The bit "the property holds in this state", given the protocol and the context.
    public let holds: @Sendable (P, PropertyContext<P>) -> P.L.Bit

    /// A property named `name` of kind `kind` whose definition in words is `definition`.
    public init(
        name: String, kind: PropertyKind, definition: String,
        holds: @escaping @Sendable (P, PropertyContext<P>) -> P.L.Bit
    ) {
        self.name = name
        self.kind = kind
        self.definition = definition
        self.holds = holds
    }
}

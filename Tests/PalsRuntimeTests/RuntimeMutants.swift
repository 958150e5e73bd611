import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime
import TrustedPals

/// A UIC module that deviates from the specified protocol: it runs a mutant
/// variant, or seals a stale or altered message on one link, while speaking
/// under the specified instance's name (so its frames open and the oracle
/// must find the deviation in their content).
struct MutantUIC: RoundProtocol {
    enum Fault: Sendable {
        case none
        /// In `round`, the message to `to` is the one of the round before.
        case stale(round: Int, to: Int)
        /// In `round`, the message to `to` has view entry 0 replaced.
        case altered(round: Int, to: Int)
    }

    struct State {
        var current: UIC<Concrete>.State
        var previous: UIC<Concrete>.State?
    }

    let base: UIC<Concrete>
    let fault: Fault

    var logic: Concrete { base.logic }
    var n: Int { base.n }
    var t: Int { base.t }
    var rounds: Int { base.rounds }

    func initial(_ p: ProcessID, input: Int) -> State { State(current: base.initial(p, input: input), previous: nil) }

    func message(_ s: State, round: Int, to q: ProcessID) -> UIC<Concrete>.Message {
        switch fault {
        case .stale(let r, let to) where r == round && to == q.index && round > 1:
            return base.message(s.previous!, round: round - 1, to: q)
        case .altered(let r, let to) where r == round && to == q.index:
            var m = base.message(s.current, round: round, to: q)
            m.view[0] = m.view[0] == 999 ? 998 : 999
            return m
        default:
            return base.message(s.current, round: round, to: q)
        }
    }

    func receive(_ s: State, round: Int, inbox: [Delivery<UIC<Concrete>.Message, Concrete>]) -> State {
        State(current: base.receive(s.current, round: round, inbox: inbox), previous: s.current)
    }

    func decision(_ s: State) -> Decision<Concrete> { base.decision(s.current) }
}

/// The codec of `MutantUIC`: UIC's byte form, under a given instance name.
struct MutantCodec: ModuleCodec {
    let proto: MutantUIC
    let instanceName: String
    private var uic: UICModuleCodec { UICModuleCodec(proto.base) }

    var maxMessageBytes: Int { uic.maxMessageBytes }
    func encode(_ m: UIC<Concrete>.Message) -> [UInt8] { uic.encode(m) }
    func decode(_ bytes: ArraySlice<UInt8>) -> UIC<Concrete>.Message? { uic.decode(bytes) }
    func describe(_ m: UIC<Concrete>.Message) -> String { uic.describe(m) }
}

extension Deployment {
    /// Modules where `mutants` run `MutantUIC` (variant and fault) and the
    /// others the specified protocol.
    func modules(mutants: [Int], variant: UIC<Concrete>.Variant = .standard, fault: MutantUIC.Fault = .none) throws
        -> [ModuleLink]
    {
        let base = UIC(logic: Concrete(), n: model.n, t: model.t, variant: variant, rounds: model.rounds)
        let codec = MutantCodec(proto: MutantUIC(base: base, fault: fault), instanceName: model.codec.instanceName)
        return try keys.map { k -> ModuleLink in
            mutants.contains(k.id)
                ? try SecurityModule(codec: codec, key: k, roster: roster)
                : try SecurityModule(codec: model.codec, key: k, roster: roster)
        }
    }
}

import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime
import TrustedPals

/// A deployment of n modules with fresh keys, for tests.
struct Deployment {
    let model: RuntimeModel<UICModuleCodec>
    let keys: [ModuleKey]
    let hostKeys: [HostKey]
    let roster: Roster

    init(n: Int, t: Int, variant: String = "standard") throws {
        model = try uicRuntimeModel(ModelSpec(protocolName: "uic", variant: variant, n: n, t: t))
        keys = (0..<n).map { ModuleKey.generate(id: $0) }
        let hk = (0..<n).map { HostKey.generate(id: $0) }
        hostKeys = hk
        roster = try Roster(
            peers: keys.map {
                Roster.Peer(id: $0.id, publicKey: $0.publicKey, address: nil, hostKey: hk[$0.id].publicKey)
            })
    }

    func modules() throws -> [SecurityModule<UICModuleCodec>] {
        try keys.map { try SecurityModule(codec: model.codec, key: $0, roster: roster) }
    }

    func cluster(
        session: UInt64 = 7, inputs: [Int]? = nil, adversary: AdversaryPlan = .none
    ) throws -> MemoryCluster<UICModuleCodec> {
        try MemoryCluster(
            model: model, links: modules(), session: SessionID(session),
            inputs: inputs ?? Array(10..<(10 + model.n)), adversary: adversary)
    }

    func oracle() throws -> Oracle<UICModuleCodec> { try Oracle(model: model, roster: roster, keys: keys) }
}

extension Deployment {
    /// Host p_i's TLS identity with the deployment's pinned host keys.
    func tls(_ i: Int) throws -> HostTLS {
        try HostTLS(key: hostKeys[i], pinned: hostKeys.map { Optional($0.publicKey) })
    }

    func parameters(session: UInt64, input: Int, plan: AdversaryPlan = .none, start: Int64, roundLength: Int64)
        -> SessionParameters
    {
        SessionParameters(
            session: SessionID(session), instance: model.codec.instanceName, input: input, rounds: model.rounds,
            plan: plan,
            schedule: RoundSchedule(start: start, roundLength: roundLength))
    }

    func trace(session: UInt64, inputs: [Int], plan: AdversaryPlan = .none, logs: [PeerLog?]) -> RunTrace {
        RunTrace(
            protocolName: "uic", variant: "standard", n: model.n, t: model.t, rounds: model.rounds,
            instance: model.codec.instanceName, session: SessionID(session), inputs: inputs, adversary: plan, logs: logs
        )
    }
}

import PalsCLI
import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime

/// A deployment of n modules with fresh keys, for tests.
struct Deployment {
    let model: RuntimeModel<UICModuleCodec>
    let keys: [ModuleKey]
    let roster: Roster

    init(n: Int, t: Int, variant: String = "standard") throws {
        model = try uicRuntimeModel(ModelSpec(protocolName: "uic", variant: variant, n: n, t: t))
        keys = (0..<n).map { ModuleKey.generate(id: $0) }
        roster = try Roster(peers: keys.map { Roster.Peer(id: $0.id, publicKey: $0.publicKey, address: nil) })
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

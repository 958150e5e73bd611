import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime
import Testing
import TrustedPals

@Suite("SMC and fair exchange in the security module", .timeLimit(.minutes(10)))
struct SMCRuntimeTests {
    @Test("a module given another function refuses the session, and its frames never open elsewhere")
    func mismatchedFunction() throws {
        let n = 3
        let sum = SMCModuleCodec(
            SMC(logic: Concrete(), n: n, t: 1, variant: SMC<Concrete>.Variant(function: SMCFunction(.sum))))
        let max = SMCModuleCodec(
            SMC(logic: Concrete(), n: n, t: 1, variant: SMC<Concrete>.Variant(function: SMCFunction(.max))))
        #expect(sum.instanceName != max.instanceName)
        let keys = (0..<n).map { ModuleKey.generate(id: $0) }
        let roster = try Roster(peers: keys.map { Roster.Peer(id: $0.id, publicKey: $0.publicKey, address: nil) })
        let odd = ModuleClient(try SecurityModule(codec: max, key: keys[0], roster: roster))
        let good = ModuleClient(try SecurityModule(codec: sum, key: keys[1], roster: roster))
        // The host asks for the agreed instance (sum): the module configured with max refuses.
        #expect(throws: ModuleError.self) { try odd.begin(session: SessionID(3), input: 1, instance: sum.instanceName) }
        // Even started on its own instance, its frames fail authentication at a sum module.
        try odd.begin(session: SessionID(3), input: 1, instance: max.instanceName)
        try good.begin(session: SessionID(3), input: 2, instance: sum.instanceName)
        let frames = try odd.roundOut(1)
        let own = try good.roundOut(1)
        let verdicts = try good.roundIn(1, frames: [frames[1], own[1], nil])
        #expect(verdicts == [.forged, .accepted, .absent])
    }

    @Test("p0's fair-exchange module draws ρ in 1…M itself and tells it only after the session")
    func rhoDrawnByModule() throws {
        let model = try fairExchangeRuntimeModel(
            ModelSpec(protocolName: "fair-exchange", variant: "fake-rounds", n: 2, t: 1, rounds: 9))
        let keys = (0..<2).map { ModuleKey.generate(id: $0) }
        let roster = try Roster(peers: keys.map { Roster.Peer(id: $0.id, publicKey: $0.publicKey, address: nil) })
        var seen = Set<Int>()
        var g = SplitMix64(seed: 9)
        for k in 0..<200 {
            let draw = g.next()
            let modules = try keys.map {
                try SecurityModule(codec: model.codec, key: $0, roster: roster, random: { draw })
            }
            let trace = try MemoryCluster(
                model: model, links: modules, session: SessionID(UInt64(k)), inputs: model.defaultInputs,
                adversary: .none
            ).run()
            let rho = try #require(trace.logs[0]?.moduleInput) >> 12
            #expect((1...8).contains(rho))
            #expect(trace.logs[0]?.input == model.defaultInputs[0])
            seen.insert(rho)
        }
        #expect(seen == Set(1...8))
    }
}

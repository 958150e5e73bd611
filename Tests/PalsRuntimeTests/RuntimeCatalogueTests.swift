import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime
import Testing
import TrustedPals

/// The runtime finds its protocols in the catalogue: those whose entry has a module codec.
@Suite(.timeLimit(.minutes(10))) struct RuntimeCatalogueTests {
    @Test func theRuntimeRunsTheProtocolsWithAModuleCodec() throws {
        #expect(runtimeProtocols == ["uic", "smc", "fair-exchange"])
        struct Name: RuntimeModelVisitor {
            func visit<C: ModuleCodec>(_ model: RuntimeModel<C>) throws -> String { model.protocolName }
        }
        for name in runtimeProtocols {
            #expect(try withRuntimeModel(ModelSpec(protocolName: name, n: 3, t: 1), Name()) == name)
        }
        #expect(throws: PalsError.self) {
            try withRuntimeModel(ModelSpec(protocolName: "floodset", n: 3, t: 1), Name())
        }
    }
}

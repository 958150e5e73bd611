import Foundation
import PalsCore
import PalsProtocols
import Testing

/// What a visit saw: the instance's size, rounds and property names.
private struct Shape: ConcreteModelVisitor {
    typealias Result = (n: Int, t: Int, rounds: Int, properties: [String])
    func visit<P: RoundProtocol & Sendable>(
        _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
    ) throws -> (n: Int, t: Int, rounds: Int, properties: [String]) where P.L == Concrete, P.State: Hashable {
        (proto.n, proto.t, proto.rounds, properties.map(\.name))
    }
}

/// The same over a logic of the visitor's choice (here `Concrete` twice).
private struct PairShape: LogicModelVisitor {
    typealias Result = [String]
    let logic = Concrete()
    func visit<S: StateSelecting, C: RoundProtocol & Sendable>(
        _ proto: S, properties: [Property<S>], concrete: C, concreteProperties: [Property<C>]
    ) throws -> [String] where S.L == Concrete, C.L == Concrete, C.State: Hashable {
        #expect(proto.rounds == concrete.rounds)
        #expect(proto.n == concrete.n)
        #expect(properties.map(\.name) == concreteProperties.map(\.name))
        return properties.map(\.name)
    }
}

private struct ObservedRounds: ObservableModelVisitor {
    typealias Result = Int
    func visit<P: Observable & Sendable>(
        _ proto: P, describe: @escaping (P.State) -> String
    ) throws -> Int where P.L == Concrete, P.State: Hashable {
        proto.rounds
    }
}

/// Counts the registered protocols a `CatalogueVisitor` is handed.
private struct Names: CatalogueVisitor {
    func visit<E: CataloguedProtocol>(_ entry: E.Type) -> String { E.name }
}

@Suite(.timeLimit(.minutes(10))) struct CatalogueRegistryTests {
    @Test func theRegistryListsEachProtocolOnceInListingOrder() throws {
        let names = try Catalog.registry(Names())
        #expect(names == ["uic", "floodset", "smc", "fair-exchange"])
        #expect(Catalog.registered.map { $0.name } == names)
        #expect(Catalog.entries.map(\.name) == names)
        #expect(Catalog.observable == ["smc", "fair-exchange"])
        for name in names { #expect(Catalog.entry(named: name)?.name == name) }
        #expect(Catalog.entry(named: "paxos") == nil)
    }

    @Test func everyVariantOfEveryProtocolIsInstantiatedAsItsEntrySays() throws {
        for entry in Catalog.registered {
            for variant in entry.variants {
                for n in 2...4 {
                    for t in 0..<n {
                        let spec = ModelSpec(protocolName: entry.name, variant: variant, n: n, t: t)
                        let shape = try Catalog.visit(spec, Shape())
                        #expect(shape.n == n && shape.t == t, "\(spec)")
                        #expect(shape.rounds == (try Catalog.rounds(spec)), "\(spec)")
                        #expect(try Catalog.visit(spec, logic: PairShape()) == shape.properties, "\(spec)")
                        let inputs = Catalog.defaultInputs(spec)
                        #expect(inputs.count == n, "\(spec)")
                        try Catalog.checkInputs(spec, inputs)
                        #expect(entry.valueBound(Catalog.resolved(spec), inputs: inputs) > inputs.max() ?? 0)
                        if entry.isObservable {
                            #expect(try Catalog.visitObservable(spec, ObservedRounds()) == shape.rounds)
                            #expect(
                                !Catalog.entry(named: entry.name)!.interferenceRuns(
                                    Catalog.resolved(spec), values: nil)(ProcessSet()).isEmpty)
                        } else {
                            #expect(throws: PalsError.self) { try Catalog.visitObservable(spec, ObservedRounds()) }
                        }
                    }
                }
            }
        }
    }

    @Test func standardStandsForEachProtocolsDefaultVariant() {
        #expect(Catalog.resolved(ModelSpec(protocolName: "smc", n: 3, t: 1)).variant == "sum")
        #expect(Catalog.resolved(ModelSpec(protocolName: "fair-exchange", n: 3, t: 1)).variant == "fake-rounds")
        #expect(Catalog.resolved(ModelSpec(protocolName: "uic", n: 3, t: 1)).variant == "standard")
        #expect(Catalog.resolved(ModelSpec(protocolName: "paxos", n: 3, t: 1)).variant == "standard")
    }

    @Test func unknownNamesAndBadValuesAreRefusedByName() {
        #expect(throws: PalsError.self) { try Catalog.validate(ModelSpec(protocolName: "paxos", n: 3, t: 1)) }
        #expect(throws: PalsError.self) {
            try Catalog.visit(ModelSpec(protocolName: "paxos", n: 3, t: 1), Shape())
        }
        #expect(throws: PalsError.self) {
            try Catalog.validate(ModelSpec(protocolName: "uic", variant: "sum", n: 3, t: 1))
        }
        #expect(throws: PalsError.self) {
            try Catalog.validate(ModelSpec(protocolName: "fair-exchange", n: 6, t: 1))
        }
        #expect(throws: PalsError.self) {
            try Catalog.checkInputs(ModelSpec(protocolName: "smc", n: 2, t: 0), [Int.max, 1])
        }
    }

    /// A protocol is known by its entry; nothing else in the sources
    /// dispatches on a protocol's name.
    @Test func noSourceOutsideTheEntriesSwitchesOverProtocolNames() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let names = Catalog.registered.map { NSRegularExpression.escapedPattern(for: $0.name) }
        let pattern = try NSRegularExpression(
            pattern:
                "(case|==|!=)\\s*\"(\(names.joined(separator: "|")))\"|\"(\(names.joined(separator: "|")))\"\\s*(==|!=)"
        )
        guard let files = FileManager.default.enumerator(atPath: root.path) else {
            Issue.record("cannot list \(root.path)")
            return
        }
        var scanned = 0
        var found: [String] = []
        for case let file as String in files where file.hasSuffix(".swift") && !file.hasSuffix("Entry.swift") {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            scanned += 1
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let s = String(line)
                if pattern.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil {
                    found.append("\(file):\(i + 1): \(s.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(scanned > 50)
        #expect(found.isEmpty, "\(found.sorted().joined(separator: "\n"))")
    }
}

import Foundation
import PalsCore
import PalsExplorer
import PalsProtocols
import Testing

/// `specs/manifest.json`: for every explicit entry, the verdict, the set of
/// violated properties and the exact numbers of distinct states and
/// transitions — a regression test of the explorer and the protocols. Set
/// `PALS_RECORD_MANIFEST=1` to print the entries as measured now (to review
/// and paste after an intended change). Entries marked `large` (minutes of
/// search, e.g. UIC (7,3) under symmetry) run only with
/// `PALS_MANIFEST_LARGE=1`.
@Suite(.timeLimit(.minutes(30))) struct ManifestTests {
    struct Entry: Sendable, CustomStringConvertible {
        var json: JSON
        var description: String { json.compact }
    }

    static var manifestURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("specs/manifest.json")
    }

    static var entries: [Entry] {
        guard let data = FileManager.default.contents(atPath: manifestURL.path),
            let json = try? JSON.parse(String(decoding: data, as: UTF8.self))
        else { return [] }
        let large = ProcessInfo.processInfo.environment["PALS_MANIFEST_LARGE"] != nil
        return (json["entries"]?.arrayValue ?? []).filter {
            $0["engine"]?.stringValue == "explicit" && (large || $0["large"]?.boolValue != true)
        }.map(Entry.init)
    }

    /// Runs the explorer on one manifest entry.
    struct Run: ConcreteModelVisitor {
        typealias Result = ExplorationResult
        var options: ExplorerOptions
        /// The catalogue's default inputs (0…n−1 for uic and floodset).
        var inputs: [Int]
        func visit<P: RoundProtocol & Sendable>(
            _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
        ) throws -> ExplorationResult where P.L == Concrete, P.State: Hashable {
            try Explorer(proto, properties: properties, inputs: inputs, options: options).run()
        }
    }

    @Test func manifestHasExplicitEntries() {
        #expect(Self.entries.count >= 20)
    }

    @Test(arguments: entries)
    func entryMatches(entry: Entry) throws {
        let j = entry.json
        // An entry pinned only under symmetry: its full search is out of reach.
        if j["states"] == nil {
            #expect(j["symmetricStates"] != nil, "\(entry) pins no counts")
            return
        }
        let spec = ModelSpec(
            protocolName: try #require(j["protocol"]?.stringValue), variant: j["variant"]?.stringValue ?? "standard",
            n: try #require(j["n"]?.intValue), t: try #require(j["t"]?.intValue), rounds: j["rounds"]?.intValue)
        var options = ExplorerOptions()
        options.symmetry = j["symmetry"]?.boolValue ?? false
        options.stopAtFirstViolation = j["first"]?.boolValue ?? false
        options.faultModel = FaultModel(rawValue: j["faults"]?.stringValue ?? "omission") ?? .generalOmission
        let result = try Catalog.visit(spec, Run(options: options, inputs: Catalog.defaultInputs(spec)))
        let violated = result.verdicts.filter { $0.status == .violated }.map(\.name).sorted()
        if ProcessInfo.processInfo.environment["PALS_RECORD_MANIFEST"] != nil {
            print("MANIFEST \(spec): states \(result.states) transitions \(result.transitions) violated \(violated)")
        }
        #expect(j["expect"]?.stringValue == result.verdict.rawValue, "\(spec)")
        #expect((j["violated"]?.arrayValue ?? []).compactMap(\.stringValue) == violated, "\(spec)")
        #expect(j["states"]?.intValue == result.states, "\(spec)")
        #expect(j["transitions"]?.intValue == result.transitions, "\(spec)")
        // Witnesses must show the model is not vacuous.
        #expect(
            result.verdicts.contains { $0.name == "SomeProcessDecides" && $0.status == .witnessed } || !result.complete)
    }

    /// Whether the catalogued protocol declares `ProcessSymmetric`.
    struct IsSymmetric: ConcreteModelVisitor {
        typealias Result = Bool
        func visit<P: RoundProtocol & Sendable>(
            _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
        ) throws -> Bool where P.L == Concrete, P.State: Hashable {
            proto is any ProcessSymmetric
        }
    }

    /// Full symmetry reduction (faulty sets up to renaming and canonical
    /// global states) on every explicit cell of a symmetric protocol: the
    /// same verdicts and violated properties as the full search, and the
    /// exact reduced counts pinned as `symmetricStates` and
    /// `symmetricTransitions`. Every counterexample is a concrete run that
    /// the reference semantics replays to the same violation.
    /// Every cell but the `large` ones takes seconds; the limit leaves room
    /// for UIC (7,3) (about four minutes on two cores).
    @Test(.timeLimit(.minutes(30)), arguments: entries)
    func symmetricEntryMatches(entry: Entry) throws {
        let j = entry.json
        let spec = ModelSpec(
            protocolName: try #require(j["protocol"]?.stringValue), variant: j["variant"]?.stringValue ?? "standard",
            n: try #require(j["n"]?.intValue), t: try #require(j["t"]?.intValue), rounds: j["rounds"]?.intValue)
        guard try Catalog.visit(spec, IsSymmetric()) else {
            #expect(j["symmetricStates"] == nil, "\(spec) is not process-symmetric")
            return
        }
        var options = ExplorerOptions()
        options.symmetry = true
        options.canonicalStates = true
        options.stopAtFirstViolation = j["first"]?.boolValue ?? false
        options.faultModel = FaultModel(rawValue: j["faults"]?.stringValue ?? "omission") ?? .generalOmission
        let result = try Catalog.visit(spec, Run(options: options, inputs: Catalog.defaultInputs(spec)))
        let violated = result.verdicts.filter { $0.status == .violated }.map(\.name).sorted()
        if ProcessInfo.processInfo.environment["PALS_RECORD_MANIFEST"] != nil {
            print(
                "MANIFEST-SYMMETRIC \(spec) \(j["faults"]?.stringValue ?? "") first=\(options.stopAtFirstViolation): states \(result.states) transitions \(result.transitions) violated \(violated)"
            )
        }
        #expect(j["expect"]?.stringValue == result.verdict.rawValue, "\(spec)")
        #expect((j["violated"]?.arrayValue ?? []).compactMap(\.stringValue) == violated, "\(spec)")
        #expect(j["symmetricStates"]?.intValue == result.states, "\(spec)")
        #expect(j["symmetricTransitions"]?.intValue == result.transitions, "\(spec)")
        #expect(
            result.verdicts.contains { $0.name == "SomeProcessDecides" && $0.status == .witnessed } || !result.complete)
        for v in result.verdicts {
            guard let violation = v.violation else { continue }
            let replay = try Catalog.visit(
                spec, Replay(property: v.name, inputs: violation.inputs, pattern: violation.unshrunk, options: options))
            #expect(replay, "\(spec): the unshrunk pattern of \(v.name) does not replay to a violation")
        }
    }

    /// Does a pattern violate the named property when replayed by `simulate`?
    struct Replay: ConcreteModelVisitor {
        typealias Result = Bool
        var property: String
        var inputs: [Int]
        var pattern: FailurePattern
        var options: ExplorerOptions
        func visit<P: RoundProtocol & Sendable>(
            _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
        ) throws -> Bool where P.L == Concrete, P.State: Hashable {
            guard let prop = properties.first(where: { $0.name == property }) else { return false }
            return Shrinker.violates(proto, prop, inputs: inputs, pattern: pattern, model: options.faultModel) != nil
        }
    }
}

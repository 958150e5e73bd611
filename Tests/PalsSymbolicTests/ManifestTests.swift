import Foundation
import PalsCore
import PalsProtocols
import PalsSymbolic
import Testing
import TrustedPals

/// One entry of `specs/manifest.json`: an instance, the engine that checks
/// it, and the expected outcome with a time budget.
struct ManifestEntry: CustomStringConvertible {
    var protocolName: String
    var variant: String
    var n: Int
    var t: Int
    var faults: FaultModel
    var engine: String
    var symmetry: Bool
    /// holds or violated.
    var expect: String
    /// The sorted names of the violated properties.
    var violated: [String]
    var budgetSeconds: Double

    var description: String {
        "\(protocolName)/\(variant) n=\(n) t=\(t) \(faults.rawValue) \(engine)\(symmetry ? "" : " (no symmetry)")"
    }

    init(_ j: JSON) throws {
        func field(_ key: String) throws -> JSON {
            guard let v = j[key] else {
                throw PalsError(.malformedFile, "manifest entry lacks \"\(key)\": \(j.compact)")
            }
            return v
        }
        func string(_ key: String) throws -> String {
            guard let s = try field(key).stringValue else {
                throw PalsError(.malformedFile, "\"\(key)\" is not a string")
            }
            return s
        }
        func int(_ key: String) throws -> Int {
            guard let i = try field(key).intValue else {
                throw PalsError(.malformedFile, "\"\(key)\" is not an integer")
            }
            return i
        }
        protocolName = try string("protocol")
        variant = try string("variant")
        n = try int("n")
        t = try int("t")
        guard let f = FaultModel(rawValue: try string("faults")) else {
            throw PalsError(.malformedFile, "unknown faults in \(j.compact)")
        }
        faults = f
        engine = try string("engine")
        symmetry = try field("symmetry").boolValue ?? false
        expect = try string("expect")
        guard ["holds", "violated"].contains(expect) else { throw PalsError(.malformedFile, "bad expect \(expect)") }
        guard let names = try field("violated").arrayValue?.compactMap(\.stringValue) else {
            throw PalsError(.malformedFile, "\"violated\" is not an array of names")
        }
        violated = names
        switch try field("budgetSeconds") {
        case .int(let i): budgetSeconds = Double(i)
        case .double(let d): budgetSeconds = d
        default: throw PalsError(.malformedFile, "\"budgetSeconds\" is not a number")
        }
    }

    /// The entries of `specs/manifest.json` checked by `engine` (entries of
    /// other engines may carry other fields and are not parsed), found from
    /// this source file's location.
    static func load(engine: String) throws -> [ManifestEntry] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let url = root.appendingPathComponent("specs/manifest.json")
        let data = try Data(contentsOf: url)
        let json = try JSON.parse(String(decoding: data, as: UTF8.self))
        guard json["schema"]?.stringValue == "trustedpals/manifest/v1" else {
            throw PalsError(.unsupportedSchema, "\(url.path) is not a trustedpals/manifest/v1 file")
        }
        guard let entries = json["entries"]?.arrayValue else {
            throw PalsError(.malformedFile, "\(url.path) has no entries array")
        }
        return try entries.filter { $0["engine"]?.stringValue == engine }.map(ManifestEntry.init)
    }
}

/// Every symbolic entry of `specs/manifest.json` gives its expected verdict
/// and violated set, within five times its time budget (timings are
/// printed; the factor absorbs machine noise). Every "holds" comes with its
/// witnesses witnessed, and the UIC mutants are listed up to (9,4), so a
/// vacuous encoding (no runs, or runs that never decide) cannot pass.
@Suite(.timeLimit(.minutes(10))) struct ManifestTests {
    @Test func symbolicEntries() throws {
        let entries = try ManifestEntry.load(engine: "symbolic")
        #expect(entries.count >= 20, "the manifest should list the symbolic cells of issue 3")
        for (n, t) in [(7, 3), (9, 4)] {
            for v in UIC<Concrete>.Variant.allCases where v != .standard {
                #expect(
                    entries.contains {
                        $0.protocolName == "uic" && $0.variant == v.rawValue && $0.n == n && $0.t == t
                            && $0.expect == "violated"
                    }, "the manifest should list uic/\(v.rawValue) at (\(n),\(t)) as violated")
            }
        }
        var lines: [String] = []
        for e in entries {
            let r = try runSymbolicCheck(
                spec: ModelSpec(protocolName: e.protocolName, variant: e.variant, n: e.n, t: e.t), faultModel: e.faults,
                symmetry: e.symmetry)
            let violated = r.properties.filter { $0.status == .violated }.map(\.name).sorted()
            #expect(r.verdict.rawValue == e.expect, "\(e): \(r.verdict.rawValue)")
            #expect(violated == e.violated, "\(e)")
            // A "holds" is worth something only if the encoding has runs at
            // all: every witness property (some process decides, some faulty
            // process halts) must be witnessed at the same n, t.
            if e.expect == "holds" {
                let witnesses = r.properties.filter { $0.kind == .sometimes }
                #expect(!witnesses.isEmpty || e.protocolName != "uic", "\(e): no witness properties")
                for w in witnesses {
                    #expect(w.status == .witnessed, "\(e): \(w.name) is \(w.status.rawValue)")
                }
            }
            #expect(r.seconds <= e.budgetSeconds * 5, "\(e): \(r.seconds) s, budget \(e.budgetSeconds) s")
            lines.append(
                "\(e): \(r.verdict.rawValue) \(String(format: "%.3f", r.seconds)) s (budget \(e.budgetSeconds) s)")
        }
        print("manifest, symbolic entries:\n" + lines.joined(separator: "\n"))
    }
}

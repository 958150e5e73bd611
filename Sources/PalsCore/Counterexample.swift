/// A counterexample file: one run (inputs and failure pattern) in which a named
/// property fails. Schema `specs/counterexample.schema.json`; files are
/// written with a fixed key order so equal counterexamples are equal bytes.
public struct CounterexampleFile: Equatable, Sendable {
    /// The schema identifier written in every file; other versions are refused.
    public static let schemaID = "trustedpals/counterexample/v1"

    /// The catalogue name of the protocol, e.g. `uic` or `floodset`.
    public var protocolName: String
    /// `standard` or the name of a mutant, e.g. `no-halting`; `wasm:` and a digest for a user's function.
    public var variant: String
    /// The number of processes `p0 … p(n-1)` (1 … 64 in a file `parse` accepts).
    public var n: Int
    /// The bound on faulty processes (`0 ≤ t < n` in a file `parse` accepts).
    public var t: Int
    /// The number of rounds R the protocol runs.
    public var rounds: Int
    /// The failures the pattern may contain; a file without `faultModel` means general omission.
    public var faultModel: FaultModel
    /// One input per process, `p0` first.
    public var inputs: [Int]
    /// The faulty set, crashes and dropped links of the run.
    public var pattern: FailurePattern
    /// The name of the violated property.
    public var property: String
    /// The round after which the property fails.
    public var violatedAfterRound: Int
    /// Per process: nil if it did not decide, else its vector (nil entries = ⊥).
    public var decisions: [[Int?]?]
    /// Which engine found it ("explicit", "symbolic", "explicit-product",
    /// "backend"). Only "backend" is written to the file: a run of the model
    /// is the same file whichever engine found it (one name, one content);
    /// a file without the field reads back as "model".
    public var engine: String
    /// A user's function F (smc with `--function PATH.wasm`): where it was
    /// read and the SHA-256 of its bytes. Replay refuses other bytes.
    public var function: (path: String, sha256: String)?

    /// Two counterexamples are equal iff they write the same file.
    public static func == (a: CounterexampleFile, b: CounterexampleFile) -> Bool {
        a.json == b.json
    }

    /// A counterexample with every field given; `function` starts nil.
    public init(
        protocolName: String, variant: String, n: Int, t: Int, rounds: Int,
        faultModel: FaultModel = .generalOmission, inputs: [Int], pattern: FailurePattern,
        property: String, violatedAfterRound: Int, decisions: [[Int?]?], engine: String
    ) {
        self.protocolName = protocolName
        self.variant = variant
        self.n = n
        self.t = t
        self.rounds = rounds
        self.faultModel = faultModel
        self.inputs = inputs
        self.pattern = pattern
        self.property = property
        self.violatedAfterRound = violatedAfterRound
        self.decisions = decisions
        self.engine = engine
    }

    /// The file name used when writing into a folder, e.g.
    /// `uic-no-halting-n3-t1-UniformAgreement.json`.
    public var suggestedFileName: String {
        let model = faultModel == .generalOmission ? "" : "-\(faultModel.rawValue)"
        // A user's function is named by digest: keep 16 hexadecimal digits.
        let variant = self.variant.hasPrefix("wasm:") ? "wasm-" + self.variant.dropFirst(5).prefix(16) : self.variant
        return "\(protocolName)-\(variant)-n\(n)-t\(t)-r\(rounds)\(model)-\(property).json"
    }

    /// Decisions of a concrete run, in the file's form.
    public static func decisions(_ ds: [Decision<Concrete>]) -> [[Int?]?] {
        ds.map { d in
            d.decided ? d.value.map { $0 == Concrete.bottomValue ? nil : $0 } : nil
        }
    }

    /// The file as a JSON object, keys in the schema's fixed order (`function` only when set).
    public var json: JSON {
        .object(
            [
                ("schema", .string(Self.schemaID)),
                ("protocol", .string(protocolName)),
                ("variant", .string(variant)),
                ("n", .int(n)),
                ("t", .int(t)),
                ("rounds", .int(rounds)),
                ("faultModel", .string(faultModel.rawValue)),
                ("property", .string(property)),
                ("violatedAfterRound", .int(violatedAfterRound)),
            ] + (engine == "backend" ? [("engine", JSON.string(engine))] : []) + [
                ("inputs", .array(inputs.map { .int($0) }))
            ] + pattern.jsonFields + [
                (
                    "decisions",
                    .array(
                        decisions.map { d in
                            guard let d else { return .null }
                            return .array(d.map { $0.map { .int($0) } ?? .null })
                        })
                )
            ]
                + (function.map { f in
                    [("function", JSON.object([("path", .string(f.path)), ("sha256", .string(f.sha256))]))]
                } ?? []))
    }

    /// The file's text.
    public var text: String { json.pretty }

    /// Parses a counterexample file. Checks the schema version and the shape of
    /// every field; admissibility of the pattern is checked by `simulate`.
    public static func parse(_ text: String) throws(PalsError) -> CounterexampleFile {
        let j = try JSON.parse(text)
        guard case .object = j else { throw PalsError(.malformedFile, "a counterexample file is a JSON object") }
        guard let schema = j["schema"]?.stringValue else {
            throw PalsError(.malformedFile, "missing \"schema\" (expected \"\(schemaID)\")")
        }
        guard schema == schemaID else {
            throw PalsError(
                .unsupportedSchema, "schema \"\(schema)\" is not supported; this version reads \"\(schemaID)\"")
        }
        func field<T>(_ key: String, _ get: (JSON) -> T?, _ what: String) throws(PalsError) -> T {
            guard let v = j[key] else { throw PalsError(.malformedFile, "missing field \"\(key)\"") }
            guard let r = get(v) else { throw PalsError(.malformedFile, "field \"\(key)\" must be \(what)") }
            return r
        }
        func ints(_ v: JSON) -> [Int]? {
            guard let a = v.arrayValue else { return nil }
            var out: [Int] = []
            for x in a {
                guard let i = x.intValue else { return nil }
                out.append(i)
            }
            return out
        }
        let proto = try field("protocol", { $0.stringValue }, "a string")
        let variant = try field("variant", { $0.stringValue }, "a string")
        let n = try field("n", { $0.intValue }, "an integer")
        let t = try field("t", { $0.intValue }, "an integer")
        let rounds = try field("rounds", { $0.intValue }, "an integer")
        guard n >= 1 && n <= ProcessSet.maxProcesses else {
            throw PalsError(.malformedFile, "n = \(n) is outside 1…\(ProcessSet.maxProcesses)")
        }
        guard t >= 0 && t < n else { throw PalsError(.malformedFile, "t = \(t) is outside 0…\(n - 1)") }
        guard rounds >= 0 && rounds <= 1000 else {
            throw PalsError(.malformedFile, "rounds = \(rounds) is out of range")
        }
        // Optional fields, when present, must have their type: a value of
        // another type is an error, never read as the default.
        func optional<T>(_ key: String, _ get: (JSON) -> T?, _ what: String) throws(PalsError) -> T? {
            guard let v = j[key] else { return nil }
            guard let r = get(v) else { throw PalsError(.malformedFile, "field \"\(key)\" must be \(what)") }
            return r
        }
        let modelName =
            try optional("faultModel", { $0.stringValue }, "a string") ?? FaultModel.generalOmission.rawValue
        guard let model = FaultModel(rawValue: modelName) else {
            throw PalsError(.malformedFile, "unknown faultModel \"\(modelName)\"")
        }
        let property = try field("property", { $0.stringValue }, "a string")
        let after = try optional("violatedAfterRound", { $0.intValue }, "an integer") ?? rounds
        guard after >= 0 && after <= rounds else {
            throw PalsError(.malformedFile, "violatedAfterRound = \(after) is outside 0…\(rounds)")
        }
        let engine = try optional("engine", { $0.stringValue }, "a string") ?? "model"
        let inputs = try field("inputs", ints, "an array of integers")
        // The pattern is read by its one reader; here its three lists are required.
        for key in ["faulty", "crashes", "drops"] where j[key] == nil {
            throw PalsError(.malformedFile, "missing field \"\(key)\"")
        }
        let pattern = try FailurePattern(json: j, what: "the pattern")
        if let p = pattern.faulty.first(where: { $0 >= n }) {
            throw PalsError(.malformedFile, "faulty process \(p) is outside 0…\(n - 1)")
        }
        var decisions: [[Int?]?] = []
        if let ds = try optional("decisions", { $0.isNull ? [] : $0.arrayValue }, "an array (one entry per process)") {
            for d in ds {
                if d.isNull {
                    decisions.append(nil)
                    continue
                }
                guard let entries = d.arrayValue else {
                    throw PalsError(.malformedFile, "each decision is null or an array")
                }
                var row: [Int?] = []
                for e in entries {
                    if e.isNull {
                        row.append(nil)
                    } else if let i = e.intValue {
                        row.append(i)
                    } else {
                        throw PalsError(.malformedFile, "decision entries are integers or null")
                    }
                }
                decisions.append(row)
            }
            guard decisions.isEmpty || decisions.count == n else {
                throw PalsError(.malformedFile, "field \"decisions\" has \(decisions.count) entries for n = \(n)")
            }
        }
        var file = CounterexampleFile(
            protocolName: proto, variant: variant, n: n, t: t, rounds: rounds, faultModel: model,
            inputs: inputs, pattern: pattern,
            property: property, violatedAfterRound: after, decisions: decisions, engine: engine)
        if let f = j["function"], !f.isNull {
            guard let path = f["path"]?.stringValue, let sha = f["sha256"]?.stringValue else {
                throw PalsError(.malformedFile, "\"function\" needs strings \"path\" and \"sha256\"")
            }
            file.function = (path, sha)
        }
        return file
    }
}

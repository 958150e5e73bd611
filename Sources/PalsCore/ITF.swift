/// A value of the Informal Trace Format (ITF, Apalache ADR-015), the JSON
/// form in which Apalache, Quint, itf-rs and itf-py exchange traces.
///
/// Integers are always written as `{"#bigint": "…"}`, sets as `#set`, maps
/// as `#map` (a list of key–value pairs), tuples as `#tup`, records as plain
/// objects and tagged unions as `{"tag": …, "value": …}`. An optional value
/// (a vector entry that may be ⊥) is a set of at most one element: `{v}`, or
/// `{}` for ⊥ (tagged unions whose value is an object are read as records by
/// some ITF readers, so they are avoided).
public indirect enum ITFValue: Equatable, Sendable {
    /// An ITF Boolean, written as a JSON `true` or `false`.
    case bool(Bool)
    /// An integer, written as `{"#bigint": "…"}`.
    case int(Int)
    /// A string, written as a JSON string.
    case string(String)
    /// A sequence, written as a JSON array.
    case list([ITFValue])
    /// A set, written as `{"#set": […]}` with the elements in the order given.
    case set([ITFValue])
    /// A map, written as `{"#map": [[key, value], …]}` with the pairs in the order given.
    case map([(ITFValue, ITFValue)])
    /// A tuple, written as `{"#tup": […]}`.
    case tuple([ITFValue])
    /// A record, written as a plain JSON object with the fields in the order given.
    case record([(String, ITFValue)])
    /// A tagged union, written as `{"tag": …, "value": …}`.
    case variant(tag: String, value: ITFValue)

    /// Two values are equal iff they are written as the same JSON.
    public static func == (a: ITFValue, b: ITFValue) -> Bool { a.json == b.json }

    /// `{v}` for a present value, `{}` for ⊥.
    public static func option(_ v: Int?) -> ITFValue { .set(v.map { [.int($0)] } ?? []) }

    /// A set of processes as a set of integers, in increasing order.
    public static func processes(_ s: ProcessSet) -> ITFValue { .set(s.map { .int($0) }) }

    /// A per-process map `p_i ↦ values[i]`.
    public static func perProcess(_ values: [ITFValue]) -> ITFValue {
        .map(values.enumerated().map { (.int($0.offset), $0.element) })
    }

    /// The value in ITF's JSON form.
    public var json: JSON {
        switch self {
        case .bool(let b): return .bool(b)
        case .int(let i): return .object([("#bigint", .string(String(i)))])
        case .string(let s): return .string(s)
        case .list(let xs): return .array(xs.map(\.json))
        case .set(let xs): return .object([("#set", .array(xs.map(\.json)))])
        case .map(let kvs): return .object([("#map", .array(kvs.map { .array([$0.0.json, $0.1.json]) }))])
        case .tuple(let xs): return .object([("#tup", .array(xs.map(\.json)))])
        case .record(let fields): return .object(fields.map { ($0.0, $0.1.json) })
        case .variant(let tag, let value): return .object([("tag", .string(tag)), ("value", value.json)])
        }
    }

    /// Reads an ITF value. Every object is a `#bigint`, `#set`, `#map`,
    /// `#tup`, a tagged union or a record; a JSON number that fits is taken
    /// as an integer too (ITF allows both forms).
    public init(json j: JSON, what: String) throws(PalsError) {
        switch j {
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .string(let s): self = .string(s)
        case .array(let xs):
            var out: [ITFValue] = []
            for x in xs { out.append(try ITFValue(json: x, what: what)) }
            self = .list(out)
        case .object(let fields):
            if fields.count == 1, fields[0].0 == "#bigint" {
                guard let s = fields[0].1.stringValue, let i = Int(s) else {
                    throw PalsError(.malformedFile, "\(what): a #bigint must be a decimal string of a 64-bit integer")
                }
                self = .int(i)
            } else if fields.count == 1, ["#set", "#tup"].contains(fields[0].0) {
                guard let xs = fields[0].1.arrayValue else {
                    throw PalsError(.malformedFile, "\(what): \(fields[0].0) must hold an array")
                }
                var out: [ITFValue] = []
                for x in xs { out.append(try ITFValue(json: x, what: what)) }
                self = fields[0].0 == "#set" ? .set(out) : .tuple(out)
            } else if fields.count == 1, fields[0].0 == "#map" {
                guard let pairs = fields[0].1.arrayValue else {
                    throw PalsError(.malformedFile, "\(what): #map must hold an array of pairs")
                }
                var out: [(ITFValue, ITFValue)] = []
                for p in pairs {
                    guard let kv = p.arrayValue, kv.count == 2 else {
                        throw PalsError(.malformedFile, "\(what): every #map entry must be a [key, value] pair")
                    }
                    out.append((try ITFValue(json: kv[0], what: what), try ITFValue(json: kv[1], what: what)))
                }
                self = .map(out)
            } else if fields.count == 2, let tag = j["tag"]?.stringValue, let value = j["value"] {
                self = .variant(tag: tag, value: try ITFValue(json: value, what: what))
            } else if let bad = fields.first(where: { $0.0.hasPrefix("#") }) {
                throw PalsError(.malformedFile, "\(what): unsupported ITF value \(bad.0)")
            } else {
                var out: [(String, ITFValue)] = []
                for (k, v) in fields { out.append((k, try ITFValue(json: v, what: what))) }
                self = .record(out)
            }
        case .null, .double:
            throw PalsError(.malformedFile, "\(what): ITF has no null or fractional values")
        case .uint:
            throw PalsError(.malformedFile, "\(what): an integer outside the 64-bit signed range")
        }
    }

    /// The integer, or nil.
    public var intValue: Int? {
        if case .int(let i) = self { return i }
        return nil
    }

    /// The elements of a set or list, or nil.
    public var elements: [ITFValue]? {
        switch self {
        case .set(let xs), .list(let xs), .tuple(let xs): return xs
        default: return nil
        }
    }

    /// The pairs of a map, or nil.
    public var pairs: [(ITFValue, ITFValue)]? {
        if case .map(let kvs) = self { return kvs }
        return nil
    }

    /// `{v}` → v, `{}` → nil (⊥); anything else is not an option.
    public func optionValue(what: String) throws(PalsError) -> Int? {
        switch self {
        case .set(let xs) where xs.isEmpty: return nil
        case .set(let xs) where xs.count == 1 && xs[0].intValue != nil: return xs[0].intValue
        default: throw PalsError(.malformedFile, "\(what): expected a set of at most one integer")
        }
    }
}

/// A protocol whose states can be written as ITF variables: for each process
/// state, named fields (the same names in every state). The ITF writer turns
/// each field into one variable, a map from process to value.
public protocol ITFDescribable: RoundProtocol where L == Concrete {
    /// The fields of `s`, in a fixed order.
    func itfFields(_ s: State) -> [(name: String, value: ITFValue)]
}

/// A run as an ITF trace: one state before round 1 and one after each round.
///
/// Every state holds the parameters `n` and `t` and the variables `round`,
/// `input`, `faulty`, `crashed` (processes that took no step in that round or
/// earlier), the protocol's fields (one map from process to value each) and
/// `decision` (a map from each process that has decided to its vector: empty
/// until the last state). The `#meta` of state r > 0 lists the messages of round r that were
/// delivered and dropped (`[from, to]` pairs) and the processes that crashed in
/// round r; the last state's `#meta` lists those that crashed before deciding.
/// The trace's own `#meta` names the format, protocol, variant, rounds, fault
/// model and, for a counterexample, its property.
public struct ITFTrace: Sendable {
    /// The format identifier written in the trace's `#meta`.
    public static let formatID = "trustedpals/itf/v1"

    /// The trace's own `#meta`: the format identifier first, then the header (protocol, variant, rounds, …).
    public var meta: [(String, JSON)]
    /// The names of the variables that never change along the trace (`n` and `t`).
    public var params: [String]
    /// The names of the variables that may change from state to state, in the order they are written.
    public var vars: [String]
    /// Per state: its `#meta` and its variables in `params + vars` order.
    public var states: [(meta: [(String, JSON)], values: [(String, ITFValue)])]

    /// A trace with the given `#meta`, variable names and states; nothing is checked.
    public init(
        meta: [(String, JSON)], params: [String], vars: [String],
        states: [(meta: [(String, JSON)], values: [(String, ITFValue)])]
    ) {
        self.meta = meta
        self.params = params
        self.vars = vars
        self.states = states
    }

    /// The trace as ITF JSON: `#meta`, `params`, `vars` and `states`, each state's `#meta` starting with its index.
    public var json: JSON {
        .object([
            ("#meta", .object(meta)),
            ("params", .array(params.map { .string($0) })),
            ("vars", .array(vars.map { .string($0) })),
            (
                "states",
                .array(
                    states.enumerated().map { k, s in
                        .object(
                            [("#meta", .object([("index", .int(k))] + s.meta))] + s.values.map { ($0.0, $0.1.json) })
                    })
            ),
        ])
    }

    /// The ITF trace of one run of `proto`. `header` goes into the trace's
    /// `#meta` after the format identifier.
    public static func of<P: ITFDescribable>(
        _ trace: Trace<P>, protocol proto: P, t: Int, header: [(String, JSON)]
    ) -> ITFTrace {
        let n = trace.inputs.count
        let rounds = trace.rounds
        let fieldNames = trace.states[0].isEmpty ? [] : proto.itfFields(trace.states[0][0]).map(\.name)
        let vars = ["round", "input", "faulty", "crashed"] + fieldNames + ["decision"]
        var states: [(meta: [(String, JSON)], values: [(String, ITFValue)])] = []
        for r in 0...rounds {
            var values: [(String, ITFValue)] = [
                ("n", .int(n)), ("t", .int(t)), ("round", .int(r)),
                ("input", .perProcess(trace.inputs.map { .int($0) })),
                ("faulty", .processes(trace.pattern.faulty)),
                ("crashed", .processes(trace.crashed[r])),
            ]
            let fields = trace.states[r].map { proto.itfFields($0) }
            for (k, name) in fieldNames.enumerated() {
                values.append((name, .perProcess(fields.map { $0[k].value })))
            }
            var decisions: [(ITFValue, ITFValue)] = []
            for i in 0..<n where r == rounds && trace.decisions[i].decided {
                let vector = trace.decisions[i].value.map { ITFValue.option($0 == Concrete.bottomValue ? nil : $0) }
                decisions.append((.int(i), .list(vector)))
            }
            values.append(("decision", .map(decisions)))
            var meta: [(String, JSON)] = []
            if r > 0 {
                // Only messages between processes that both took the round's
                // step count: a crashed process neither sends nor receives.
                var delivered: [JSON] = []
                var dropped: [JSON] = []
                let alive = ProcessSet.all(n).subtracting(trace.crashed[r])
                for to in alive {
                    for from in alive {
                        let link = JSON.array([.int(from), .int(to)])
                        if trace.delivered[r - 1][to].contains(from) {
                            delivered.append(link)
                        } else {
                            dropped.append(link)
                        }
                    }
                }
                meta = [
                    ("delivered", .array(delivered)), ("dropped", .array(dropped)),
                    ("crashedInRound", .array(trace.crashed[r].subtracting(trace.crashed[r - 1]).map { .int($0) })),
                ]
            }
            if r == rounds {
                meta.append(
                    (
                        "crashedBeforeDeciding",
                        .array(trace.crashed[rounds + 1].subtracting(trace.crashed[rounds]).map { .int($0) })
                    ))
            }
            states.append((meta, values))
        }
        return ITFTrace(
            meta: [("format", .string(formatID))] + header, params: ["n", "t"], vars: vars, states: states)
    }
}

extension ITFTrace {
    /// A run read back from an ITF trace this tool wrote: the trace's header
    /// and the inputs, failure pattern and decisions it records.
    public struct Run: Sendable {
        /// The trace's own `#meta`, as written.
        public var header: JSON
        /// The number of processes, read from the first state.
        public var n: Int
        /// The bound on faulty processes, read from the first state.
        public var t: Int
        /// The number of rounds R: one less than the number of states.
        public var rounds: Int
        /// One input per process, `p0` first.
        public var inputs: [Int]
        /// The faulty set, crashes and dropped links the trace records.
        public var pattern: FailurePattern
        /// Per process: nil if it did not decide, else its vector (nil entries = ⊥).
        public var decisions: [[Int?]?]
    }

    /// Whether `j` looks like an ITF trace (has `states` and `vars`).
    public static func isITF(_ j: JSON) -> Bool { j["states"] != nil && j["vars"] != nil }

    /// Reads the run an ITF trace of this tool describes; refuses traces of
    /// another format and traces whose states disagree with each other.
    public static func run(from j: JSON, what: String) throws(PalsError) -> Run {
        guard let header = j["#meta"], header["format"]?.stringValue == formatID else {
            throw PalsError(
                .malformedFile, "\(what): not an ITF trace written by pals (#meta.format is not \"\(formatID)\")")
        }
        guard let states = j["states"]?.arrayValue, !states.isEmpty else {
            throw PalsError(.malformedFile, "\(what): \"states\" must be a non-empty array")
        }
        func value(_ s: JSON, _ name: String, _ k: Int) throws(PalsError) -> ITFValue {
            guard let v = s[name] else {
                throw PalsError(.malformedFile, "\(what): state \(k) has no variable \"\(name)\"")
            }
            return try ITFValue(json: v, what: "\(what): state \(k), \(name)")
        }
        func int(_ s: JSON, _ name: String, _ k: Int) throws(PalsError) -> Int {
            guard let i = try value(s, name, k).intValue else {
                throw PalsError(.malformedFile, "\(what): state \(k), \(name) must be an integer")
            }
            return i
        }
        let n = try int(states[0], "n", 0)
        let t = try int(states[0], "t", 0)
        guard n >= 1, n <= ProcessSet.maxProcesses, t >= 0, t < n else {
            throw PalsError(.malformedFile, "\(what): n = \(n), t = \(t) out of range")
        }
        let rounds = states.count - 1
        func processList(_ j: JSON?, _ k: Int, _ name: String) throws(PalsError) -> [Int] {
            guard let xs = j?.arrayValue else {
                throw PalsError(.malformedFile, "\(what): state \(k) #meta.\(name) must be an array")
            }
            var out: [Int] = []
            for x in xs {
                guard let p = x.intValue, p >= 0, p < n else {
                    throw PalsError(
                        .malformedFile, "\(what): state \(k) #meta.\(name) holds a process that does not exist")
                }
                out.append(p)
            }
            return out
        }
        func processSet(_ v: ITFValue, _ k: Int, _ name: String) throws(PalsError) -> ProcessSet {
            guard case .set(let xs) = v else {
                throw PalsError(.malformedFile, "\(what): state \(k), \(name) must be a #set")
            }
            var s = ProcessSet()
            for x in xs {
                guard let p = x.intValue, p >= 0, p < n else {
                    throw PalsError(.malformedFile, "\(what): state \(k), \(name) holds a process that does not exist")
                }
                s.insert(p)
            }
            return s
        }
        func perProcess(_ v: ITFValue, _ k: Int, _ name: String) throws(PalsError) -> [ITFValue] {
            guard let kvs = v.pairs, kvs.count == n, kvs.enumerated().allSatisfy({ $0.element.0.intValue == $0.offset })
            else {
                throw PalsError(.malformedFile, "\(what): state \(k), \(name) must map p0…p\(n - 1), in order")
            }
            return kvs.map(\.1)
        }
        let inputs = try perProcess(try value(states[0], "input", 0), 0, "input").map { v throws(PalsError) -> Int in
            guard let i = v.intValue else { throw PalsError(.malformedFile, "\(what): an input must be an integer") }
            return i
        }
        let faulty = try processSet(try value(states[0], "faulty", 0), 0, "faulty")
        var drops: [Link] = []
        var crashes: [Crash] = []
        for k in 0...rounds {
            let s = states[k]
            guard try int(s, "n", k) == n, try int(s, "t", k) == t, try int(s, "round", k) == k else {
                throw PalsError(
                    .malformedFile, "\(what): state \(k) disagrees with state 0 on n or t, or is not round \(k)")
            }
            guard try processSet(try value(s, "faulty", k), k, "faulty") == faulty else {
                throw PalsError(.malformedFile, "\(what): state \(k) has another faulty set than state 0")
            }
            guard k > 0 else { continue }
            let meta = s["#meta"]
            guard let dropped = meta?["dropped"]?.arrayValue else {
                throw PalsError(
                    .malformedFile, "\(what): state \(k) #meta.dropped must be an array of [from, to] pairs")
            }
            for link in dropped {
                guard let ends = link.arrayValue, ends.count == 2, let a = ends[0].intValue, let b = ends[1].intValue,
                    a >= 0, a < n, b >= 0, b < n
                else { throw PalsError(.malformedFile, "\(what): state \(k) #meta.dropped holds a malformed link") }
                drops.append(Link(round: k, from: a, to: b))
            }
            for p in try processList(meta?["crashedInRound"], k, "crashedInRound") {
                crashes.append(Crash(process: p, round: k))
            }
        }
        let last = states[rounds]
        for p in try processList(last["#meta"]?["crashedBeforeDeciding"], rounds, "crashedBeforeDeciding") {
            crashes.append(Crash(process: p, round: rounds + 1))
        }
        guard let decided = try value(last, "decision", rounds).pairs else {
            throw PalsError(.malformedFile, "\(what): state \(rounds), decision must be a #map from process to vector")
        }
        var decisions = [[Int?]?](repeating: nil, count: n)
        for (key, vector) in decided {
            guard let p = key.intValue, p >= 0, p < n, decisions[p] == nil, case .list(let xs) = vector else {
                throw PalsError(.malformedFile, "\(what): decision maps each process at most once to a list")
            }
            var out: [Int?] = []
            for x in xs { out.append(try x.optionValue(what: "\(what): a decision entry")) }
            decisions[p] = out
        }
        return Run(
            header: header, n: n, t: t, rounds: rounds, inputs: inputs,
            pattern: FailurePattern(faulty: faulty, crashes: crashes.sorted(), drops: drops.sorted()),
            decisions: decisions)
    }
}

extension CounterexampleFile {
    /// The `#meta` header of this counterexample's ITF trace.
    public var itfHeader: [(String, JSON)] {
        [
            ("source", .string(CounterexampleFile.schemaID)),
            ("protocol", .string(protocolName)),
            ("variant", .string(variant)),
            ("rounds", .int(rounds)),
            ("faultModel", .string(faultModel.rawValue)),
            ("property", .string(property)),
            ("violatedAfterRound", .int(violatedAfterRound)),
            ("engine", .string(engine)),
        ]
            + (function.map { f in
                [("function", JSON.object([("path", .string(f.path)), ("sha256", .string(f.sha256))]))]
            } ?? [])
    }

    /// Reads a counterexample back from an ITF trace that `ITFTrace.of` wrote
    /// for one (its `#meta` carries the protocol and the property; its states
    /// carry the inputs, the failure pattern and the decisions).
    public init(itf j: JSON, what: String) throws(PalsError) {
        let run = try ITFTrace.run(from: j, what: what)
        let h = run.header
        guard h["source"]?.stringValue == CounterexampleFile.schemaID else {
            throw PalsError(.malformedFile, "\(what): this ITF trace does not describe a counterexample (#meta.source)")
        }
        func string(_ key: String) throws(PalsError) -> String {
            guard let s = h[key]?.stringValue else {
                throw PalsError(.malformedFile, "\(what): #meta.\(key) must be a string")
            }
            return s
        }
        guard let rounds = h["rounds"]?.intValue, rounds == run.rounds else {
            throw PalsError(
                .malformedFile, "\(what): #meta.rounds must equal the number of states minus one (\(run.rounds))")
        }
        guard let model = FaultModel(rawValue: try string("faultModel")) else {
            throw PalsError(.malformedFile, "\(what): unknown #meta.faultModel")
        }
        guard let after = h["violatedAfterRound"]?.intValue, after >= 0, after <= rounds else {
            throw PalsError(.malformedFile, "\(what): #meta.violatedAfterRound must be a round in 0…\(rounds)")
        }
        self.init(
            protocolName: try string("protocol"), variant: try string("variant"), n: run.n, t: run.t, rounds: rounds,
            faultModel: model, inputs: run.inputs, pattern: run.pattern, property: try string("property"),
            violatedAfterRound: after, decisions: run.decisions, engine: try string("engine"))
        if let f = h["function"], !f.isNull {
            guard let path = f["path"]?.stringValue, let sha = f["sha256"]?.stringValue else {
                throw PalsError(.malformedFile, "\(what): #meta.function needs strings \"path\" and \"sha256\"")
            }
            self.function = (path, sha)
        }
    }

    /// Reads a counterexample file or an ITF trace of one.
    public static func read(_ text: String, what: String) throws(PalsError) -> CounterexampleFile {
        let j = try JSON.parse(text)
        if ITFTrace.isITF(j) { return try CounterexampleFile(itf: j, what: what) }
        return try parse(text)
    }
}

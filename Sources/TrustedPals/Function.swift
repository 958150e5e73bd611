import Foundation
import PalsCore
import PalsFunction
import PalsProtocols

// MARK: - `--function PATH.wasm`

/// True when `--function` names a file rather than a catalogued variant.
public func namesFunctionFile(_ function: String) -> Bool {
    SMC<Concrete>.Variant(name: function) == nil && !function.hasPrefix("wasm:")
}

/// Loads the function module at `path`, registers it and returns the smc
/// variant that names it (`wasm:<sha256>`, with `@fuel=N` for a fuel other
/// than the default).
public func loadFunctionVariant(_ path: String, fuel: UInt64?) throws(PalsError) -> String {
    guard FileManager.default.isReadableFile(atPath: path) else {
        throw PalsError(
            .invalidArgument,
            "⟪function⟫ \(path) is neither a built-in (\(SMCFunction.registry.map(\.name).joined(separator: ", "))) nor a readable .wasm file"
        )
    }
    let f = try WasmFunction.load(path: path, fuel: fuel ?? FunctionABI.defaultFuel)
    return SMCFunction.register(f).name
}

/// The registered user's function of an smc spec, if it names one.
public func userFunction(_ spec: ModelSpec) -> WasmFunction? {
    guard spec.protocolName == SMCEntry.name else { return nil }
    return SMCFunction.registered(spec.variant)?.user as? WasmFunction
}

/// The fuel a variant `wasm:<sha256>[@fuel=N]` names.
public func fuelOfVariant(_ variant: String) -> UInt64? {
    guard let r = variant.range(of: "@fuel=") else { return FunctionABI.defaultFuel }
    return UInt64(variant[r.upperBound...])
}

/// The options that give a child process the same function: the module's
/// absolute path and its fuel (the child checks the digest again: it is part
/// of the instance name its keys are bound to).
public func functionChildArguments(_ spec: ModelSpec) -> [String]? {
    guard let f = userFunction(spec) else { return nil }
    let path = URL(fileURLWithPath: f.path).standardizedFileURL.path
    return ["--function", path] + (f.fuel == FunctionABI.defaultFuel ? [] : ["--fuel", "\(f.fuel ?? 0)"])
}

/// Adds F's path and digest to a counterexample of an smc instance with a
/// user's function.
public func attachFunction(_ file: inout CounterexampleFile) {
    let spec = ModelSpec(protocolName: file.protocolName, variant: file.variant, n: file.n, t: file.t)
    if let f = userFunction(spec) { file.function = (f.path, f.sha256) }
}

/// Before replaying a counterexample or trace of smc with a user's function:
/// loads the module (`--function`, else the recorded path, else that path
/// next to the file) and refuses one whose digest differs.
public func loadRecordedFunction(variant: String, recorded: String?, given: String?, file: String) throws(PalsError) {
    guard variant.hasPrefix("wasm:") else {
        if given != nil {
            throw PalsError(
                .invalidArgument, "\(file) was found with the built-in \(variant); ⟪function⟫ does not apply")
        }
        return
    }
    var candidates: [String] = []
    if let given { candidates.append(given) }
    if let recorded {
        candidates.append(recorded)
        let dir = parentFolder(file)
        if !recorded.hasPrefix("/") {
            candidates.append((dir as NSString).appendingPathComponent(lastPathName(recorded)))
        }
    }
    guard let path = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
        throw PalsError(
            .invalidArgument,
            "\(file) needs the function module with SHA-256 \(variant.dropFirst(5).prefix(64)) (recorded at \(recorded ?? "no path")): give ⟪function⟫ PATH.wasm"
        )
    }
    let f = try WasmFunction.load(path: path, fuel: fuelOfVariant(variant))
    guard f.name == variant else {
        throw PalsError(
            .invalidArgument,
            "\(path) has SHA-256 \(f.sha256), but \(file) was found with \(variant.dropFirst(5).prefix(64)): refusing to replay with another F"
        )
    }
    SMCFunction.register(f)
}

/// `--fuel`: parsed and checked.
public func parseFuel(_ fuel: UInt64?) throws(PalsError) -> UInt64? {
    if let fuel, fuel == 0 { throw PalsError(.invalidArgument, "⟪fuel⟫ must be at least 1") }
    return fuel
}

/// Renders a decision of smc with a user's function: `[r0,…]` or `F failed`.
public func renderUserResult(_ value: [Int]) -> String? {
    value.count == SMCFunction.userResultCount ? SMCFunction.describeUserResult(value) : nil
}

// MARK: - `pals function`

/// The parameters of `pals functioninspect` as a value; `run()` performs it.
public struct FunctionInspectRequest {
    /// The path of the .wasm module.
    public var file: String
    /// Whether the inspection is printed as one JSON object instead of text.
    public var json: Bool = false

    /// Parameters with the command line's defaults.
    public init(file: String, json: Bool = false) {
        self.file = file
        self.json = json
    }

    /// Performs the command and prints its output (`perform()`, then
    /// `CommandResult.emit()`).
    ///
    /// - Throws: what `perform()` throws; `ExitStatus` for a non-zero status.
    public func run() throws { try perform().emit() }

    /// Inspects the module, returns every rule's status, its digest, exports and
    /// memory, and refuses a module that breaks a rule.
    ///
    /// - Throws: `PalsError` for an unreadable file; a module that is not
    ///   loadable is reported, then refused (`CommandResult.error`: the first
    ///   broken rule).
    public func perform() throws -> CommandResult {
        var shown = CommandResult()
        let bytes = try WasmFunction.readModule(file)
        let ins = WasmFunction.inspect(bytes: bytes, path: file)
        if json {
            shown.line(inspectionJSON(ins).compact)
        } else {
            shown.output += inspectionText(ins)
        }
        if let f = ins.firstFailure {
            return shown.failing(
                PalsError(
                    .malformedFile, "\(file): refused (rule \(f.rule.rawValue)): \(f.detail); \(f.rule.summary)"))
        }
        return shown
    }
}

/// A module inspection as the JSON object of `pals function inspect --json`.
public func inspectionJSON(_ ins: WasmInspection) -> JSON {
    .object([
        ("file", .string(ins.path)),
        ("abi", .string(FunctionABI.version)),
        ("bytes", .int(ins.byteCount)),
        ("sha256", .string(ins.sha256)),
        ("loadable", .bool(ins.firstFailure == nil)),
        ("exports", .array(ins.exports.map { .object([("name", .string($0.name)), ("kind", .string($0.kind))]) })),
        ("memoryMinPages", ins.memoryMinPages.map { .int(Int($0)) } ?? .null),
        ("memoryMaxPages", ins.memoryMaxPages.map { .int(Int($0)) } ?? .null),
        ("functions", .int(ins.functionCount)),
        ("instructions", .int(ins.instructionCount)),
        (
            "rules",
            .array(
                ins.rules.map { r in
                    .object([
                        ("rule", .string(r.rule.rawValue)), ("status", .string(r.status.rawValue)),
                        ("detail", r.detail.isEmpty ? .null : .string(r.detail)),
                    ])
                })
        ),
    ])
}

/// A module inspection as the text of `pals function inspect`: digest,
/// memory, functions, exports and one line per rule.
public func inspectionText(_ ins: WasmInspection) -> String {
    var s = "\(ins.path): \(ins.byteCount) bytes, ABI \(FunctionABI.version)\n"
    s += "  sha256        \(ins.sha256)\n"
    let memory =
        ins.memoryMinPages.map { min in "\(min) … \(ins.memoryMaxPages.map(String.init) ?? "no maximum") pages" }
        ?? "none"
    s += "  memory        \(memory)\n"
    s += "  functions     \(ins.functionCount), \(ins.instructionCount) instructions\n"
    s += "  exports       \(ins.exports.map { "\($0.name) (\($0.kind))" }.joined(separator: ", "))\n"
    s += "  rules\n"
    let width = WasmRule.allCases.map(\.rawValue.count).max() ?? 0
    for r in ins.rules {
        s += "    \(r.rule.rawValue.padding(toLength: width, withPad: " ", startingAt: 0))  \(r.status.rawValue)"
        s += r.detail.isEmpty ? "" : "  (\(r.detail))"
        s += "\n"
    }
    s += ins.firstFailure == nil ? "loadable: yes\n" : "loadable: no\n"
    return s
}

/// The parameters of `pals functioncheck` as a value; `run()` performs it.
public struct FunctionCheckRequest {
    /// The path of the .wasm module.
    public var file: String
    /// The number of entries of the decided vector D, 1…64.
    public var n: Int
    /// Random presence masks and random value vectors tried besides the
    /// systematic ones, 0…1000.
    public var samples: Int = 4
    /// The seed of the random vectors: the same seed tries the same vectors.
    public var seed: UInt64 = 1
    /// The fuel of one evaluation; nil: `FunctionABI.defaultFuel`.
    public var fuel: UInt64?
    /// Whether the verdict is printed as one JSON object instead of text.
    public var json: Bool = false

    /// Parameters with the command line's defaults.
    public init(file: String, n: Int, samples: Int = 4, seed: UInt64 = 1, fuel: UInt64? = nil, json: Bool = false) {
        self.file = file
        self.n = n
        self.samples = samples
        self.seed = seed
        self.fuel = fuel
        self.json = json
    }

    /// Performs the command and prints its output (`perform()`, then
    /// `CommandResult.emit()`).
    ///
    /// - Throws: what `perform()` throws; `ExitStatus` for a non-zero status.
    public func run() throws { try perform().emit() }

    /// Evaluates F on the vectors of `checkTotality` and returns the verdict,
    /// "total" or every vector on which F failed.
    ///
    /// - Throws: `PalsError` for a module that does not load or bad options;
    ///   the result has exit status 1 when F failed on some vector.
    public func perform() throws -> CommandResult {
        var shown = CommandResult()
        let f = try WasmFunction.load(path: file, fuel: try parseFuel(fuel) ?? FunctionABI.defaultFuel)
        let report = try f.checkTotality(n: n, samples: samples, seed: seed)
        func render(_ d: [Int?]) -> String { "[" + d.map { $0.map(String.init) ?? "⊥" }.joined(separator: ",") + "]" }
        if json {
            shown.line(
                JSON.object([
                    ("verdict", .string(report.total ? "total" : "F failed")),
                    ("file", .string(file)), ("sha256", .string(f.sha256)), ("n", .int(n)),
                    ("evaluated", .int(report.evaluated)),
                    (
                        "failures",
                        .array(
                            report.failures.map { x in
                                .object([
                                    ("input", .array(x.input.map { $0.map { .int($0) } ?? .null })),
                                    ("reason", .string(x.reason)),
                                ])
                            })
                    ),
                ]).compact)
        } else {
            shown.line("\(file) (sha256 \(f.sha256)), n = \(n): \(report.evaluated) vectors evaluated")
            for x in report.failures.prefix(50) { shown.line("  F failed on \(render(x.input)): \(x.reason)") }
            if report.failures.count > 50 { shown.line("  … and \(report.failures.count - 50) more") }
            shown.line(report.total ? "verdict: total" : "verdict: F failed on \(report.failures.count) vector(s)")
        }
        if !report.total { return shown.ending(1) }
        return shown
    }
}

/// The note a run trace carries for a user's F: `F: PATH sha256 HEX`.
public func functionNotes(_ protocolName: String, _ variant: String) -> [String] {
    guard let f = userFunction(ModelSpec(protocolName: protocolName, variant: variant, n: 1, t: 0)) else { return [] }
    return ["F: \(f.path) sha256 \(f.sha256)"]
}

/// The path of F recorded in a trace's notes, if any.
public func recordedFunctionPath(_ notes: [String]) -> String? {
    for note in notes where note.hasPrefix("F: ") {
        guard let r = note.range(of: " sha256 ", options: .backwards) else { continue }
        return String(note[note.index(note.startIndex, offsetBy: 3)..<r.lowerBound])
    }
    return nil
}

/// The parameters of `pals functionbench` as a value; `run()` performs it.
public struct FunctionBenchRequest {
    /// The path of a .wasm module computing the same function as `builtin`.
    public var file: String
    /// The name of the built-in F it re-implements (e.g. "sum").
    public var builtin: String = "sum"
    /// The number of entries of D, 1…64.
    public var n: Int = 4
    /// Evaluations per timing round.
    public var iterations: Int = 2000
    /// Timing rounds; the median is reported.
    public var rounds: Int = 5

    /// Parameters with the command line's defaults.
    public init(file: String, builtin: String = "sum", n: Int = 4, iterations: Int = 2000, rounds: Int = 5) {
        self.file = file
        self.builtin = builtin
        self.n = n
        self.iterations = iterations
        self.rounds = rounds
    }

    /// Performs the command and prints its output (`perform()`, then
    /// `CommandResult.emit()`).
    ///
    /// - Throws: what `perform()` throws; `ExitStatus` for a non-zero status.
    public func run() throws { try perform().emit() }

    /// Times loading the module and one evaluation, metered and unmetered,
    /// memoized, and the built-in, and returns them as JSON (microseconds).
    ///
    /// - Throws: `PalsError` for an unknown built-in, a module that does not
    ///   load, bad options, or a vector on which module and built-in disagree.
    public func perform() throws -> CommandResult {
        var shown = CommandResult()
        guard let f = SMCFunction(name: builtin), f.user == nil else {
            throw PalsError(
                .invalidArgument, "⟪builtin⟫ must be one of \(SMCFunction.registry.map(\.name).joined(separator: ", "))"
            )
        }
        let t = try WasmFunction.measure(
            bytes: try WasmFunction.readModule(file), path: file, builtIn: f, n: n, iterations: iterations,
            rounds: rounds)
        func r(_ x: Double) -> JSON { .double((x * 100).rounded() / 100) }
        shown.line(
            JSON.object([
                ("file", .string(file)), ("builtin", .string(builtin)), ("n", .int(n)),
                ("iterations", .int(iterations)),
                ("loadMicroseconds", r(t.loadMicroseconds)), ("evaluateMicroseconds", r(t.evaluateMicroseconds)),
                ("evaluateUnmeteredMicroseconds", r(t.evaluateUnmeteredMicroseconds)),
                ("memoizedMicroseconds", r(t.memoizedMicroseconds)), ("builtInMicroseconds", r(t.builtInMicroseconds)),
            ]).compact)
        return shown
    }
}

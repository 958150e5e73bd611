import Foundation
import PalsCore
import PalsExplorer
import PalsProtocols

/// A disagreement between two parts of the tool (an engine and the
/// reference semantics): a bug, reported with exit status 4.
public struct InternalError: Error {
    /// What disagreed, in one line.
    public var message: String
    /// An internal error described by `message`.
    public init(_ message: String) { self.message = message }
}

/// Options shared by the commands that explore a model.
public struct ModelParameters {
    /// The protocol's variant (uic: "standard" or a mutant; smc: the function;
    /// fair-exchange: the mode).
    public var variant: String = "standard"
    /// smc: a built-in F by name or a WebAssembly module PATH.wasm; nil: the
    /// variant decides.
    public var function: String?
    /// smc with a WebAssembly F: the fuel of one evaluation of F; nil: the
    /// default (`FunctionABI.defaultFuel`).
    public var fuel: UInt64?
    /// fair-exchange: "deterministic", "fake-rounds" or "fake-rounds-leaky";
    /// nil: the variant decides.
    public var mode: String?
    /// fair-exchange with fake rounds: ρ is drawn from 1…M and the run has M + 1
    /// rounds; nil: `Catalog.defaultM`.
    public var M: Int?
    /// The number of rounds R; nil: the protocol's own (t+1 for uic).
    public var rounds: Int?
    /// General omission (with crashes) or crash-stop.
    public var faults: FaultModel = .generalOmission
    /// Full symmetry reduction in the explicit engine: faulty sets up to
    /// renaming and one global state per orbit (symmetric protocols, distinct
    /// inputs). true: required (refused where unsound); false: the full
    /// search; nil: the command's default — `check` reduces wherever it is
    /// sound (a protocol that declares process symmetry, distinct inputs),
    /// `bounds` searches in full.
    public var symmetry: Bool?
    /// Which engine checks a cell: explicit, symbolic or auto.
    public var engine: EngineChoice = .explicit
    /// The wall-clock limit of each solver query in seconds; nil: none. Only for
    /// the symbolic and auto engines.
    public var timeout: Double?
    /// Worker threads, 1…256.
    public var threads: Int = 2
    /// The explicit engine's resident-memory budget as a size such as "512M" or
    /// "8G"; nil: `ResourceGuard.defaultMaxMemory`.
    public var maxMemory: String?
    /// Whether the command prints one JSON object instead of text.
    public var json: Bool = false

    /// Parameters with the command line's defaults.
    public init(
        variant: String = "standard", function: String? = nil, fuel: UInt64? = nil, mode: String? = nil, M: Int? = nil,
        rounds: Int? = nil, faults: FaultModel = .generalOmission, symmetry: Bool? = nil,
        engine: EngineChoice = .explicit, timeout: Double? = nil, threads: Int = 2, maxMemory: String? = nil,
        json: Bool = false
    ) {
        self.variant = variant
        self.function = function
        self.fuel = fuel
        self.mode = mode
        self.M = M
        self.rounds = rounds
        self.faults = faults
        self.symmetry = symmetry
        self.engine = engine
        self.timeout = timeout
        self.threads = threads
        self.maxMemory = maxMemory
        self.json = json
    }

    /// The memory budget of --max-memory, or the default.
    public func memoryBudget() throws(PalsError) -> Int {
        guard let maxMemory else { return ResourceGuard.defaultMaxMemory }
        guard let bytes = ResourceGuard.parseSize(maxMemory) else {
            throw PalsError(
                .invalidArgument, "⟪maxMemory⟫ must be a positive size such as 512M or 8G, got '\(maxMemory)'")
        }
        return bytes
    }

    /// The fault model of --faults.
    public func faultModel() throws(PalsError) -> FaultModel { faults }

    /// The variant named by --variant, --function or --mode.
    public func variantName(_ protocolName: String) throws(PalsError) -> String {
        try spec(protocolName, n: 1, t: 0).variant
    }

    /// The instance named on the command line.
    public func spec(_ protocolName: String, n: Int, t: Int) throws(PalsError) -> ModelSpec {
        try instanceSpec(
            protocolName, n: n, t: t, variant: variant, function: function, mode: mode, M: M, rounds: rounds, fuel: fuel
        )
    }

    /// The engine that checks an instance with `n` processes; rejects a
    /// `--timeout` that no cell could use and a timeout that is not positive.
    public func engine(forN n: Int) throws(PalsError) -> Engine {
        if let timeout {
            guard timeout > 0 && timeout.isFinite else {
                throw PalsError(.invalidArgument, "⟪timeout⟫ must be a positive number of seconds, got \(timeout)")
            }
            guard engine != .explicit else {
                throw PalsError(
                    .invalidArgument, "⟪timeout⟫ limits solver queries; use it with ⟪engine⟫ symbolic or auto")
            }
        }
        switch engine {
        case .explicit: return .explicit
        case .symbolic: return .symbolic
        case .auto: return n <= EngineChoice.autoExplicitLimit ? .explicit : .symbolic
        }
    }

    /// The engine that checks the instance (n, t); `auto` decides by the
    /// branching of the explicit search (`EngineChoice.automatic`).
    public func engine(n: Int, t: Int) throws(PalsError) -> Engine {
        let byN = try engine(forN: n)
        guard engine == .auto else { return byN }
        return EngineChoice.automatic(n: n, t: t, faultModel: faults).engine
    }
}

/// The instance named by `--variant`, `--function` (smc), `--mode`
/// (fair-exchange), `--M` (fair-exchange: M + 1 rounds) and `--rounds`.
public func instanceSpec(
    _ protocolName: String, n: Int, t: Int, variant: String, function: String?, mode: String?, M: Int?, rounds: Int?,
    fuel: UInt64? = nil
) throws(PalsError) -> ModelSpec {
    let entry = Catalog.entry(named: protocolName)
    for (option, given) in [("function", function), ("mode", mode)] where given != nil && entry?.variantOption != option
    {
        throw PalsError(
            .invalidArgument,
            "⟪\(option)⟫ applies to \(Catalog.registered.filter { $0.variantOption == option }.map { $0.name }.joined(separator: ", ")) only"
        )
    }
    var name = variant
    if let f = function ?? mode {
        guard variant == "standard" || variant == f else {
            throw PalsError(
                .invalidArgument, "give either ⟪variant⟫ or \(function != nil ? "⟪function⟫" : "⟪mode⟫"), not both")
        }
        name = f
    }
    if let f = function, namesFunctionFile(f) {
        name = try loadFunctionVariant(f, fuel: try parseFuel(fuel))
    } else if fuel != nil {
        throw PalsError(.invalidArgument, "⟪fuel⟫ applies to smc with ⟪function⟫ PATH.wasm only")
    }
    var r = rounds
    if let M {
        guard entry?.roundsAreFakeRounds == true else {
            throw PalsError(.invalidArgument, "⟪M⟫ applies to fair-exchange only")
        }
        guard M >= 1 && M <= 63 else {
            throw PalsError(
                .invalidArgument, "M = \(M) is out of range: need 1 ≤ M ≤ 63 (the run has M + 1 ≤ 64 rounds)")
        }
        guard rounds == nil || rounds == M + 1 else { throw PalsError(.invalidArgument, "give either ⟪M⟫ or ⟪rounds⟫") }
        r = M + 1
    }
    let resolved = Catalog.resolved(ModelSpec(protocolName: protocolName, variant: name, n: n, t: t)).variant
    return ModelSpec(protocolName: protocolName, variant: resolved, n: n, t: t, rounds: r)
}

/// `--engine`: which checker runs a cell.
public enum EngineChoice: String, CaseIterable, Sendable {
    /// Exhaustive search over global states.
    case explicit
    /// Bounded model checking with Z3.
    case symbolic
    /// Chosen per cell: `automatic(n:t:faultModel:)` for check and bounds,
    /// `autoExplicitLimit` for unobservability.
    case auto

    /// `auto` for analyses without a fault bound (unobservability): the
    /// explicit engine up to this n, the symbolic one beyond.
    public static let autoExplicitLimit = 5

    /// `auto` for `check` and `bounds`: the explicit engine while a global
    /// state has at most 2^autoBranchingLimit successors in a round.
    public static let autoBranchingLimit = 16

    /// The links whose messages one round may lose with t faulty processes
    /// among n: under general omission every ordered pair with a faulty end
    /// (n(n−1) − (n−t)(n−t−1)); under crash-stop the links of the crashing
    /// processes' last round (t(n−1)). A global state has up to 2^links
    /// successors per round, which is what makes the explicit search grow.
    public static func branchingLinks(n: Int, t: Int, faultModel: FaultModel) -> Int {
        let k = min(max(t, 0), max(n, 0))
        switch faultModel {
        case .generalOmission: return n * (n - 1) - (n - k) * (n - k - 1)
        case .crash: return k * max(n - 1, 0)
        }
    }

    /// What `auto` runs for (n, t) and why, in one clause: explicit while
    /// `branchingLinks` ≤ `autoBranchingLimit`, symbolic (Z3) beyond, where
    /// the explicit search would take minutes to hours (uic (5,3): 16.6
    /// million states; (5,4): hours) and the solver takes seconds.
    /// Deterministic: it depends on n, t and the fault model only.
    public static func automatic(n: Int, t: Int, faultModel: FaultModel) -> (engine: Engine, reason: String) {
        let links = branchingLinks(n: n, t: t, faultModel: faultModel)
        let what = faultModel == .crash ? "links of crashing processes" : "droppable links"
        if links <= autoBranchingLimit {
            return (
                .explicit,
                "explicit: \(links) \(what) per round with \(t) faulty of \(n), at most 2^\(autoBranchingLimit)"
            )
        }
        return (
            .symbolic,
            "symbolic: \(links) \(what) per round with \(t) faulty of \(n) give a global state up to 2^\(links) successors, beyond the explicit engine's 2^\(autoBranchingLimit)"
        )
    }
}

/// The engine actually used for one (n, t) cell.
public enum Engine: String {
    /// The explicit state explorer.
    case explicit
    /// The symbolic bounded model checker (Z3).
    case symbolic
}

/// Reads a `--faults` value.
public func parseFaultModel(_ name: String) throws(PalsError) -> FaultModel {
    guard let m = FaultModel(rawValue: name) else {
        throw PalsError(.invalidArgument, "unknown failure model \"\(name)\"; use omission or crash")
    }
    return m
}

/// Writes a line to standard error (control characters escaped:
/// `PalsError.printable`).
public func printError(_ s: String) {
    FileHandle.standardError.write(Data((PalsError.printable(s) + "\n").utf8))
}

/// Parses "A...B", "A..B", "A-B" or "A" into a closed range.
public func parseRange(_ s: String) throws(PalsError) -> ClosedRange<Int> {
    for sep in ["...", "..", "-"] {
        let parts = s.components(separatedBy: sep)
        if parts.count == 2, let a = Int(parts[0].trimmingCharacters(in: .whitespaces)),
            let b = Int(parts[1].trimmingCharacters(in: .whitespaces))
        {
            guard a <= b else { throw PalsError(.invalidArgument, "empty range \(s)") }
            return a...b
        }
    }
    if let a = Int(s) { return a...a }
    throw PalsError(.invalidArgument, "cannot read \"\(s)\" as a range; write e.g. 2...6")
}

/// Parses a comma-separated list of integers.
public func parseInts(_ s: String, what: String) throws(PalsError) -> [Int] {
    var out: [Int] = []
    for part in s.split(separator: ",", omittingEmptySubsequences: false) {
        guard let v = Int(part.trimmingCharacters(in: .whitespaces)) else {
            throw PalsError(.invalidArgument, "cannot read \"\(part)\" in \(what) as an integer")
        }
        out.append(v)
    }
    return out
}

/// Reads a whole text file, as a `PalsError` on failure. A pipe or a
/// device is read to its end: `/dev/stdin` reads standard input, once (a
/// second read of it in the same process gets the same text).
public func readText(_ path: String) throws(PalsError) -> String {
    var contents = FileManager.default.contents(atPath: path)
    if contents == nil { contents = try StreamCache.shared.read(path) }
    guard let data = contents else {
        throw PalsError(.malformedFile, "cannot read \(path)")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw PalsError(.malformedFile, "\(path) is not UTF-8 text")
    }
    return text
}

/// Writes `text` to `dir/name`, creating `dir`; returns the path.
public func writeFile(dir: String, name: String, text: String) throws(PalsError) -> String {
    do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = (dir as NSString).appendingPathComponent(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    } catch {
        throw PalsError(.invalidArgument, "cannot write into \(dir): \(error.localizedDescription)")
    }
}

/// Seconds with three decimals, for reports.
public func fmt(_ x: Double) -> String { String(format: "%.3f", x) }

/// Worker threads: 1…256.
public func checkThreads(_ threads: Int) throws(PalsError) {
    guard threads >= 1 && threads <= 256 else {
        throw PalsError(.invalidArgument, "⟪threads⟫ must be 1…256, got \(threads)")
    }
}

/// The text of streams (pipes, standard input) read by `readText`, kept
/// because a stream can be read only once.
private final class StreamCache: @unchecked Sendable {
    static let shared = StreamCache()
    private let lock = NSLock()
    private var data: [String: Data] = [:]

    /// The most a stream may hold: a file the tool reads is far smaller.
    static let limit = 256 << 20

    func read(_ path: String) throws(PalsError) -> Data? {
        lock.lock()
        defer { lock.unlock() }
        if let d = data[path] { return d }
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var d = Data()
        while true {
            let next: Data?
            do { next = try handle.read(upToCount: 1 << 16) } catch { return nil }
            guard let chunk = next, !chunk.isEmpty else { break }
            d.append(chunk)
            guard d.count <= Self.limit else {
                throw PalsError(
                    .malformedFile, "\(path) holds more than \(Self.limit >> 20) MiB; not a file this tool writes")
            }
        }
        data[path] = d
        return d
    }
}

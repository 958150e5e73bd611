import ArgumentParser
import Foundation
import PalsCore
import PalsExplorer
import PalsProtocols
import PalsZ3

/// `pals`: the TrustedPals model checker and test oracle.
public struct PalsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pals",
        abstract: "TrustedPals: a model checker and test oracle for secure multi-party computation on security modules.",
        discussion: """
            With no subcommand, runs the main job: the UIC resilience table for n = 2…5, \
            writing counterexamples under counterexamples/ (same as `pals bounds uic --n 2...5`).

            Exit status: 0 when every property holds, 1 when a property is violated, \
            2 for a usage or input error, 3 when the symbolic engine could not decide \
            a property (a solver query hit --timeout or gave up: unknown, never \
            holds), 4 for an internal error (the solver's counterexample and the \
            reference semantics disagree, or Z3 reported an error).
            """,
        subcommands: [
            BoundsCommand.self, CheckCommand.self, FairnessCommand.self, UnobservabilityCommand.self, ReplayCommand.self, ExportCommand.self, ExploreCommand.self,
            SimulateCommand.self, TestBackendCommand.self, BackendCommand.self,
            FunctionCommand.self, KeygenCommand.self, PeerCommand.self, ClusterCommand.self, CampaignCommand.self, OracleCommand.self, ModuleCommand.self, MergeCommand.self,
        ],
        defaultSubcommand: BoundsCommand.self
    )

    public init() {}

    /// Runs the command line and exits with the documented status.
    public static func runMain(_ arguments: [String]? = nil) -> Never {
        // A peer or module that went away must not kill us through a pipe.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Foundation.exit(0)
        } catch let error as PalsError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            Foundation.exit(2)
        } catch let error as InternalError {
            FileHandle.standardError.write(Data("internal error: \(error.message)\n".utf8))
            Foundation.exit(4)
        } catch let error as Z3Error {
            FileHandle.standardError.write(Data("internal error: \(error)\n".utf8))
            Foundation.exit(4)
        } catch let exitCode as ExitCode {
            Foundation.exit(exitCode.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue == 1 ? 2 : code.rawValue)
        }
    }
}

/// A disagreement between two parts of the tool (an engine and the
/// reference semantics): a bug, reported with exit status 4.
struct InternalError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Options shared by the commands that explore a model.
struct ModelOptions: ParsableArguments {
    @Option(help: "Variant of the protocol (uic: standard, no-intersection, no-trust-check, no-halting, merge-all-received, t-rounds; smc: the function, see --function; fair-exchange: the mode, see --mode).")
    var variant = "standard"

    @Option(help: "smc: the function F from the registry (sum, max, majority, auction, identity; also sum-unpadded, sum-mismatched), or a WebAssembly module PATH.wasm (specs/function-abi.md). Same as --variant for a built-in.")
    var function: String?

    @Option(help: "smc with --function PATH.wasm: fuel of one evaluation of F (default 10000000); running out is \"F failed\".")
    var fuel: UInt64?

    @Option(help: "fair-exchange: deterministic, fake-rounds (default) or fake-rounds-leaky. Same as --variant.")
    var mode: String?

    @Option(name: .customLong("M"), help: "fair-exchange, fake rounds: ρ is drawn from 1…M; the run has M + 1 rounds (default \(Catalog.defaultM)).")
    var M: Int?

    @Option(help: "Override the number of rounds (default: the protocol's, t+1 for uic).")
    var rounds: Int?

    @Option(help: "Failure model: omission (general omission, with crashes) or crash (crash-stop).")
    var faults = "omission"

    @Flag(help: "Full symmetry reduction (symmetric protocols, distinct inputs): faulty sets up to renaming, and one global state per orbit under the renamings of processes that preserve the faulty set. Explicit engine; the symbolic engine always fixes the faulty set within {p0 … p(t-1)} when the inputs are distinct.")
    var symmetry = false

    @Option(help: "Engine: explicit (exhaustive state search), symbolic (Z3 bounded model checking) or auto (explicit while n ≤ \(EngineChoice.autoExplicitLimit), symbolic beyond).")
    var engine: EngineChoice = .explicit

    @Option(help: "Wall-clock limit of each solver query in seconds (symbolic engine). A query that hits it is reported unknown (exit 3), never holds.")
    var timeout: Double?

    @Option(help: "Worker threads.")
    var threads = 2

    @Option(help: "Explicit engine: stop with the partial result once resident memory exceeds this size (e.g. 512M, 8G; default 4G or three quarters of physical memory, whichever is less).")
    var maxMemory: String?

    /// The memory budget of --max-memory, or the default.
    func memoryBudget() throws(PalsError) -> Int {
        guard let maxMemory else { return ResourceGuard.defaultMaxMemory }
        guard let bytes = ResourceGuard.parseSize(maxMemory) else {
            throw PalsError(.invalidArgument, "--max-memory must be a positive size such as 512M or 8G, got '\(maxMemory)'")
        }
        return bytes
    }

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        try checkThreads(threads)
    }

    func faultModel() throws(PalsError) -> FaultModel { try parseFaultModel(faults) }

    /// The variant named by --variant, --function or --mode.
    func variantName(_ protocolName: String) throws(PalsError) -> String {
        try spec(protocolName, n: 1, t: 0).variant
    }

    /// The instance named on the command line.
    func spec(_ protocolName: String, n: Int, t: Int) throws(PalsError) -> ModelSpec {
        try instanceSpec(
            protocolName, n: n, t: t, variant: variant, function: function, mode: mode, M: M, rounds: rounds, fuel: fuel)
    }

    /// The engine that checks an instance with `n` processes; rejects a
    /// `--timeout` that no cell could use and a timeout that is not positive.
    func engine(forN n: Int) throws(PalsError) -> Engine {
        if let timeout {
            guard timeout > 0 && timeout.isFinite else {
                throw PalsError(.invalidArgument, "--timeout must be a positive number of seconds, got \(timeout)")
            }
            guard engine != .explicit else {
                throw PalsError(
                    .invalidArgument, "--timeout limits solver queries; use it with --engine symbolic or auto")
            }
        }
        switch engine {
        case .explicit: return .explicit
        case .symbolic: return .symbolic
        case .auto: return n <= EngineChoice.autoExplicitLimit ? .explicit : .symbolic
        }
    }
}

/// The instance named by `--variant`, `--function` (smc), `--mode`
/// (fair-exchange), `--M` (fair-exchange: M + 1 rounds) and `--rounds`.
func instanceSpec(
    _ protocolName: String, n: Int, t: Int, variant: String, function: String?, mode: String?, M: Int?, rounds: Int?,
    fuel: UInt64? = nil
) throws(PalsError) -> ModelSpec {
    if function != nil && protocolName != "smc" {
        throw PalsError(.invalidArgument, "--function applies to smc only")
    }
    if mode != nil && protocolName != "fair-exchange" {
        throw PalsError(.invalidArgument, "--mode applies to fair-exchange only")
    }
    var name = variant
    if let f = function ?? mode {
        guard variant == "standard" || variant == f else {
            throw PalsError(.invalidArgument, "give either --variant or \(function != nil ? "--function" : "--mode"), not both")
        }
        name = f
    }
    if let f = function, protocolName == "smc", namesFunctionFile(f) {
        name = try loadFunctionVariant(f, fuel: try parseFuel(fuel))
    } else if fuel != nil {
        throw PalsError(.invalidArgument, "--fuel applies to smc with --function PATH.wasm only")
    }
    var r = rounds
    if let M {
        guard protocolName == "fair-exchange" else { throw PalsError(.invalidArgument, "--M applies to fair-exchange only") }
        guard M >= 1 && M <= 63 else {
            throw PalsError(.invalidArgument, "M = \(M) is out of range: need 1 ≤ M ≤ 63 (the run has M + 1 ≤ 64 rounds)")
        }
        guard rounds == nil || rounds == M + 1 else { throw PalsError(.invalidArgument, "give either --M or --rounds") }
        r = M + 1
    }
    let resolved = Catalog.resolved(ModelSpec(protocolName: protocolName, variant: name, n: n, t: t)).variant
    return ModelSpec(protocolName: protocolName, variant: resolved, n: n, t: t, rounds: r)
}

/// `--engine`: which checker runs a cell.
enum EngineChoice: String, CaseIterable, ExpressibleByArgument {
    case explicit
    case symbolic
    case auto

    /// `auto` uses the explicit engine up to this n, the symbolic one beyond.
    static let autoExplicitLimit = 5
}

/// The engine actually used for one (n, t) cell.
enum Engine: String {
    case explicit
    case symbolic
}

/// Reads a `--faults` value.
func parseFaultModel(_ name: String) throws(PalsError) -> FaultModel {
    guard let m = FaultModel(rawValue: name) else {
        throw PalsError(.invalidArgument, "unknown failure model \"\(name)\"; use omission or crash")
    }
    return m
}

/// Writes a line to standard error.
func printError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Parses "A...B", "A..B", "A-B" or "A" into a closed range.
func parseRange(_ s: String) throws(PalsError) -> ClosedRange<Int> {
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
func parseInts(_ s: String, what: String) throws(PalsError) -> [Int] {
    var out: [Int] = []
    for part in s.split(separator: ",", omittingEmptySubsequences: false) {
        guard let v = Int(part.trimmingCharacters(in: .whitespaces)) else {
            throw PalsError(.invalidArgument, "cannot read \"\(part)\" in \(what) as an integer")
        }
        out.append(v)
    }
    return out
}

/// Reads a whole text file, as a `PalsError` on failure.
func readText(_ path: String) throws(PalsError) -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw PalsError(.malformedFile, "cannot read \(path)")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw PalsError(.malformedFile, "\(path) is not UTF-8 text")
    }
    return text
}

/// Writes `text` to `dir/name`, creating `dir`; returns the path.
func writeFile(dir: String, name: String, text: String) throws(PalsError) -> String {
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
func fmt(_ x: Double) -> String { String(format: "%.3f", x) }

/// Worker threads: 1…256.
func checkThreads(_ threads: Int) throws(PalsError) {
    guard threads >= 1 && threads <= 256 else {
        throw PalsError(.invalidArgument, "--threads must be 1…256, got \(threads)")
    }
}

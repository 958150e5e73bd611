import Foundation
import PalsCore
import PalsProtocols

/// Simulates a counterexample's run and writes it as an ITF trace.
public struct ITFExportVisitor: ConcreteModelVisitor {
    /// The ITF trace of the counterexample's run.
    public typealias Result = ITFTrace
    /// The counterexample file whose run is simulated.
    public var counterexample: CounterexampleFile

    /// Simulates the counterexample's run of `proto` under its pattern and returns it as an ITF trace.
    /// - Throws: `PalsError` when the protocol has no ITF description of its states.
    public func visit<P: RoundProtocol & Sendable>(
        _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
    ) throws -> ITFTrace where P.L == Concrete, P.State: Hashable {
        guard let describable = proto as? any ITFDescribable else {
            throw PalsError(.invalidArgument, "\(counterexample.protocolName) has no ITF description of its states")
        }
        return try trace(describable)
    }

    private func trace<Q: ITFDescribable>(_ q: Q) throws -> ITFTrace {
        let cx = counterexample
        let run = try simulate(q, inputs: cx.inputs, pattern: cx.pattern, model: cx.faultModel)
        return ITFTrace.of(run, protocol: q, t: cx.t, header: cx.itfHeader)
    }
}

/// The parameters of `pals export` as a value; `run()` performs it.
public struct ExportRequest {
    /// The output format; only "itf" (an ITF trace, JSON) is known.
    public var format: String
    /// The path of the counterexample file to export.
    public var file: String
    /// The file to write the trace to; nil: standard output.
    public var out: String?
    /// smc with a user's F: the .wasm module (nil: the path the file records); refused unless its SHA-256 is the
    /// file's.
    public var function: String?

    /// Parameters with the command line's defaults.
    public init(format: String, file: String, out: String? = nil, function: String? = nil) {
        self.format = format
        self.file = file
        self.out = out
        self.function = function
    }

    /// Performs the command and prints its output (`perform()`, then
    /// `CommandResult.emit()`).
    ///
    /// - Throws: what `perform()` throws; `ExitStatus` for a non-zero status.
    public func run() throws { try perform().emit() }

    /// Reads the counterexample, loads a recorded user F, simulates the run and writes it as an ITF trace.
    /// - Throws: `PalsError` for an unknown format, a malformed or unknown-protocol file, or an unwritable `out`.
    public func perform() throws -> CommandResult {
        var shown = CommandResult()
        guard format == "itf" else {
            throw PalsError(.invalidArgument, "unknown format \"\(format)\"; known: itf")
        }
        let cx = try CounterexampleFile.read(try readText(file), what: file)
        guard cx.inputs.count == cx.n else {
            throw PalsError(.malformedFile, "\(file): \(cx.inputs.count) inputs for n = \(cx.n)")
        }
        try loadRecordedFunction(variant: cx.variant, recorded: cx.function?.path, given: function, file: file)
        let spec = ModelSpec(protocolName: cx.protocolName, variant: cx.variant, n: cx.n, t: cx.t, rounds: cx.rounds)
        let itf: ITFTrace
        do {
            itf = try Catalog.visit(spec, ITFExportVisitor(counterexample: cx))
        } catch let e as PalsError {
            throw PalsError(e.kind == .unknownProtocol ? .unknownProtocol : .malformedFile, "\(file): \(e.template)")
        }
        let text = itf.json.pretty + "\n"
        if let out {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out))
            } catch {
                throw PalsError(.invalidArgument, "cannot write \(out): \(error.localizedDescription)")
            }
        } else {
            shown.output += text
        }
        return shown
    }
}

import ArgumentParser
import Foundation
import PalsCore
import PalsExplorer
import PalsProtocols
import PalsZ3
import TrustedPals

/// `pals`: the TrustedPals model checker and test oracle.
public struct PalsCommand: ParsableCommand {
    /// The name, summary, exit statuses and subcommands of `pals`; `bounds` runs when no subcommand is given.
    public static let configuration = CommandConfiguration(
        commandName: "pals",
        abstract:
            "TrustedPals: a model checker and test oracle for secure multi-party computation on security modules.",
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
            BoundsCommand.self, CheckCommand.self, FairnessCommand.self, UnobservabilityCommand.self,
            ReplayCommand.self, ExportCommand.self, ExploreCommand.self,
            SimulateCommand.self, TestBackendCommand.self, BackendCommand.self,
            FunctionCommand.self, KeygenCommand.self, PeerCommand.self, ClusterCommand.self, CampaignCommand.self,
            OracleCommand.self, ModuleCommand.self, CardCommand.self, TimingCommand.self, MergeCommand.self,
        ],
        defaultSubcommand: BoundsCommand.self
    )

    /// The root command, with nothing to parse of its own.
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
            printErrorLine("error: \(error.message(naming: flagName))")
            Foundation.exit(2)
        } catch let status as ExitStatus {
            Foundation.exit(status.rawValue)
        } catch let error as InternalError {
            printErrorLine("internal error: \(error.message)")
            Foundation.exit(4)
        } catch let error as Z3Error {
            printErrorLine("internal error: \(error)")
            Foundation.exit(4)
        } catch let exitCode as ExitCode {
            Foundation.exit(exitCode.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            printErrorLine(fullMessage(for: error))
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue == 1 ? 2 : code.rawValue)
        }
    }
}

extension EngineChoice: ExpressibleByArgument {}
extension FaultModel: ExpressibleByArgument {}
extension ModulePlacement: ExpressibleByArgument {
    /// Where a module may run, as `--module` accepts it.
    public static var allValueStrings: [String] { spellings }
}
extension CampaignTransport: ExpressibleByArgument {}

/// Writes an error line to standard error, every control or invisible
/// format character of it escaped (`PalsError.printable`): the one place
/// where the command line prints its errors.
func printErrorLine(_ message: String) {
    FileHandle.standardError.write(Data((PalsError.printable(message) + "\n").utf8))
}

/// The command-line flag of a library parameter named in an error: its name
/// in kebab case, as the options are declared (`roundTimeout` →
/// `--round-timeout`; a one-letter name such as `M` stays as it is).
func flagName(_ parameter: String) -> String {
    guard parameter.count > 1 else { return "--" + parameter }
    return "--" + parameter.map { $0.isUppercase ? "-" + $0.lowercased() : String($0) }.joined()
}

extension CommandResult {
    /// Prints the command's output on standard output and ends with its error
    /// (exit 2) or its exit status (0: returns; otherwise `ExitStatus`, which
    /// `main` turns into the process's status).
    func show() throws {
        print(output, terminator: "")
        if let error { throw error }
        if exitStatus != 0 { throw ExitStatus(exitStatus) }
    }
}

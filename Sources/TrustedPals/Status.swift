import PalsCore

/// How an analysis ended when that is not "every property holds": the exit
/// status the `pals` commands document (1 a property is violated or a run
/// failed, 3 unknown, a misbehaving backend or a run outside the model,
/// 128 + a signal when interrupted). Thrown by the requests' `run()` after
/// their report is printed.
public struct ExitStatus: Error, Equatable, Sendable {
    /// The process exit status.
    public let rawValue: Int32

    /// A status; 0 is never thrown.
    public init(_ rawValue: Int32) { self.rawValue = rawValue }
}

/// What a command has to show: its standard output and its exit status
/// (0 holds, 1 violated, 3 unknown, 4 internal disagreement). The requests'
/// `perform()` computes it, writing files and progress on standard error as
/// they go; a front end shows it (the command line prints `output` and exits
/// with `exitStatus`); `run()` does the same for a caller who wants it printed.
public struct CommandResult: Equatable, Sendable {
    /// The text for standard output, each line ending in a line feed.
    public var output: String
    /// The process exit status.
    public var exitStatus: Int32
    /// An input error found once the output was made (e.g. the report of a
    /// WebAssembly module that is then refused): a front end shows the output,
    /// then the error, and exits 2.
    public var error: PalsError?

    /// A result with `output` and `exitStatus` (default: nothing, 0).
    public init(_ output: String = "", exitStatus: Int32 = 0) {
        self.output = output
        self.exitStatus = exitStatus
    }

    /// Appends `text` and a line feed, as `print` would write it.
    public mutating func line(_ text: String) { output += text + "\n" }

    /// The result with `status` as its exit status.
    public func ending(_ status: Int32) -> CommandResult {
        var r = self
        r.exitStatus = status
        return r
    }

    /// The result with `output` and `error`.
    public func failing(_ error: PalsError) -> CommandResult {
        var r = self
        r.error = error
        return r
    }

    /// Prints `output`, then throws `error` if there is one, else
    /// `ExitStatus` unless the status is 0.
    public func emit() throws {
        print(output, terminator: "")
        if let error { throw error }
        if exitStatus != 0 { throw ExitStatus(exitStatus) }
    }
}

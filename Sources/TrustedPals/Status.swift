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

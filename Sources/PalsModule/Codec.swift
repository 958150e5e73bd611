import PalsCore

/// How a protocol's messages are written inside a frame. Every message of an
/// instance must fit in `maxMessageBytes`; the frame pads it to that size, so
/// the frame size depends on the instance (protocol, n) only.
public protocol ModuleCodec: Sendable {
    /// The protocol, over concrete values, whose messages the codec writes; messages compare with `==`.
    associatedtype P: RoundProtocol where P.L == Concrete, P.Message: Equatable
    /// The instance the module runs.
    var proto: P { get }
    /// A short name of the instance (protocol, variant, n, t, rounds), bound
    /// into every session so that modules running different instances never
    /// accept each other's frames.
    var instanceName: String { get }
    /// An upper bound on `encode(m).count` for every message of the instance.
    var maxMessageBytes: Int { get }
    /// The message's bytes, at most `maxMessageBytes` of them.
    func encode(_ message: P.Message) -> [UInt8]
    /// Reads a message; nil when the bytes are not one (the frame is then
    /// rejected like a forged one).
    func decode(_ bytes: ArraySlice<UInt8>) -> P.Message?
    /// A readable form of a message, for disagreement reports.
    func describe(_ message: P.Message) -> String
    /// The input the module of `process` runs with, given its host's. A
    /// protocol whose environment draws a secret (fair exchange's ρ, drawn
    /// by p0's module) draws it here, inside the module, from `random`, so
    /// that no host learns it during the run. Default: the host's input.
    func moduleInput(_ hostInput: Int, process: Int, random: () -> UInt64) -> Int
}

extension ModuleCodec {
    /// The host's input, unchanged: the default for protocols whose modules draw no secret.
    public func moduleInput(_ hostInput: Int, process: Int, random: () -> UInt64) -> Int { hostInput }
}

/// The byte form of values: 8 bytes big-endian, ⊥ = `Int.min`.
public enum ValueBytes {
    /// Appends `v` as 8 bytes big-endian (⊥ as `Int.min`).
    public static func append(_ v: Int, to out: inout [UInt8]) { Bytes.append(Int64(v), to: &out) }

    /// Reads the 8-byte value at `offset` from the slice's start; nil when the bytes run out.
    public static func read(_ bytes: ArraySlice<UInt8>, at offset: Int) -> Int? {
        Bytes.read(Int64.self, from: bytes, at: offset).map { Int($0) }
    }
}

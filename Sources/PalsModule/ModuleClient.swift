import PalsCore

/// Where a host's APDUs go: a module in the same process, or one in a child
/// process behind a pipe.
public protocol ModuleLink: AnyObject {
    /// Sends one command APDU, returns the response APDU.
    func transmit(_ command: [UInt8]) throws(ModuleError) -> [UInt8]
}

extension SecurityModule: ModuleLink {
    /// Hands `command` to `process`; a module in the same process always answers.
    public func transmit(_ command: [UInt8]) throws(ModuleError) -> [UInt8] {
        process(command)
    }
}

/// A module that answered with an error status, garbage, or not at all.
public struct ModuleError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in one line.
    public let message: String
    /// An error with the one-line `message`.
    public init(_ message: String) { self.message = message }
    /// The error prints as its message alone.
    public var description: String { message }
}

/// The host's side of the APDU interface: typed calls over a `ModuleLink`.
public final class ModuleClient {
    /// The channel to the module.
    public let link: ModuleLink
    /// The size of every frame of the current session, as BEGIN answered it (0 before BEGIN).
    public private(set) var frameSize = 0
    /// The instance's number of rounds R, as BEGIN answered it (0 before BEGIN).
    public private(set) var rounds = 0
    /// The number of modules n, as BEGIN answered it (0 before BEGIN).
    public private(set) var n = 0

    /// A client that talks to the module behind `link`; call `begin` first.
    public init(_ link: ModuleLink) {
        self.link = link
    }

    private func call(_ ins: ModuleInstruction, _ data: [UInt8] = []) throws(ModuleError) -> [UInt8] {
        let raw = try link.transmit(CommandAPDU(ins, data: data).bytes)
        guard let r = ResponseAPDU.parse(raw) else {
            throw ModuleError("the module answered \(raw.count) bytes, not an APDU response")
        }
        guard r.status == .ok else { throw ModuleError("the module refused \(ins): status \(r.status)") }
        return r.data
    }

    /// Starts a session; returns the frame size.
    @discardableResult
    public func begin(session: SessionID, input: Int, instance: String) throws(ModuleError) -> Int {
        var data = session.bytes
        Bytes.append(Int64(input), to: &data)
        data.append(contentsOf: Array(instance.utf8))
        let r = try call(.begin, data)
        guard r.count == 6, let size = Bytes.read(UInt16.self, from: r, at: 0),
            let roundCount = Bytes.read(UInt16.self, from: r, at: 2),
            let processes = Bytes.read(UInt16.self, from: r, at: 4)
        else { throw ModuleError("BEGIN answered \(r.count) bytes, expected 6") }
        frameSize = Int(size)
        rounds = Int(roundCount)
        n = Int(processes)
        guard frameSize > 0, n > 0 else { throw ModuleError("BEGIN answered frame size \(frameSize), n \(n)") }
        return frameSize
    }

    /// The module's frames of `round`, the j-th for p_j.
    public func roundOut(_ round: Int) throws(ModuleError) -> [[UInt8]] {
        var data: [UInt8] = []
        Bytes.append(UInt32(round), to: &data)
        let r = try call(.roundOut, data)
        guard r.count == n * frameSize else {
            throw ModuleError("ROUND OUT answered \(r.count) bytes, expected \(n) frames of \(frameSize)")
        }
        return (0..<n).map { j in Array(r[(j * frameSize)..<((j + 1) * frameSize)]) }
    }

    /// Hands the module what arrived in `round` (nil = nothing from that
    /// sender); returns the module's verdict on each slot.
    public func roundIn(_ round: Int, frames: [[UInt8]?]) throws(ModuleError) -> [FrameVerdict] {
        var data: [UInt8] = []
        Bytes.append(UInt32(round), to: &data)
        for f in frames {
            if let f {
                data.append(1)
                Bytes.append(UInt16(min(f.count, Int(UInt16.max))), to: &data)
                data.append(contentsOf: f.prefix(Int(UInt16.max)))
            } else {
                data.append(0)
            }
        }
        let r = try call(.roundIn, data)
        guard r.count == frames.count else {
            throw ModuleError("ROUND IN answered \(r.count) verdicts for \(frames.count) slots")
        }
        var verdicts: [FrameVerdict] = []
        for b in r {
            guard let v = FrameVerdict(rawValue: b) else { throw ModuleError("ROUND IN answered verdict code \(b)") }
            verdicts.append(v)
        }
        return verdicts
    }

    /// The module's result after the last round, and the input it ran with.
    public func result() throws(ModuleError) -> (decision: Decision<Concrete>, input: Int) {
        let r = try call(.result)
        guard r.count >= 9, (r.count - 9) % 8 == 0, r[0] <= 1 else {
            throw ModuleError("RESULT answered \(r.count) bytes, not decided flag + input + 8-byte values")
        }
        let fields = (0..<((r.count - 1) / 8)).compactMap { k in Bytes.read(Int64.self, from: r, at: 1 + 8 * k) }
        guard let input = fields.first, fields.count == (r.count - 1) / 8 else {
            throw ModuleError("RESULT answered \(r.count) bytes that do not split into 8-byte values")
        }
        return (Decision(decided: r[0] == 1, value: fields.dropFirst().map { Int($0) }), Int(input))
    }

    /// Ends the session; returns the input the module ran with, if one was open.
    @discardableResult
    public func abort() throws(ModuleError) -> Int? {
        let r = try call(.abort)
        guard r.count == 8, let input = Bytes.read(Int64.self, from: r, at: 0) else { return nil }
        return Int(input)
    }
}

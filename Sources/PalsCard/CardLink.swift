import PalsModule

/// Where a host's ISO 7816-4 APDUs go: a card in a PC/SC reader, or an
/// applet in memory (tests, measurements).
public protocol CardChannel: AnyObject {
    /// Sends one command APDU, returns the response APDU (data, SW1, SW2).
    func transmitAPDU(_ command: [UInt8]) throws(ModuleError) -> [UInt8]
}

/// An applet in this process as a card channel.
public final class AppletChannel: CardChannel {
    /// The applet every APDU goes to.
    public let applet: CardApplet
    /// A channel to `applet`.
    public init(_ applet: CardApplet) { self.applet = applet }
    /// The applet's answer to `command`; never throws: every byte sequence gets
    /// a status word.
    public func transmitAPDU(_ command: [UInt8]) throws(ModuleError) -> [UInt8] { applet.process(command) }
}

/// The host's module link to a TrustedPals card (specs/apdu.md): selects
/// the applet, then carries each module command as short APDUs: data over
/// 255 bytes by command chaining, answers over 256 bytes by GET RESPONSE.
/// Short APDUs work with every reader and card; the applet accepts the
/// extended form too.
public final class CardModuleLink: ModuleLink {
    /// Where the APDUs go: a card in a reader, or an applet in memory.
    public let channel: CardChannel
    /// Every APDU exchanged and the bytes each way (SW included).
    public private(set) var apdus = 0
    /// Bytes sent to the card in every APDU so far, SELECT included.
    public private(set) var bytesSent = 0
    /// Bytes received from the card in every APDU so far, status words
    /// included.
    public private(set) var bytesReceived = 0

    /// Selects the TrustedPals applet by its AID on `channel`.
    /// - Throws: a `ModuleError` when the card refuses SELECT or answers
    ///   something that is not a response APDU.
    public init(channel: CardChannel) throws(ModuleError) {
        self.channel = channel
        let r = try exchange(
            ISOCommand(
                cla: CardApplet.interindustry, ins: CardApplet.selectINS, p1: 0x04, p2: 0x0C, data: CardApplet.aid
            ).bytes)
        let sw = CardStatus(r[r.count - 2], r[r.count - 1])
        guard sw == .ok else { throw ModuleError("the card refused SELECT of the TrustedPals applet: status \(sw)") }
    }

    private func exchange(_ command: [UInt8]) throws(ModuleError) -> [UInt8] {
        let r = try channel.transmitAPDU(command)
        apdus += 1
        bytesSent += command.count
        bytesReceived += r.count
        guard r.count >= 2 else { throw ModuleError("the card answered \(r.count) bytes, not a response APDU") }
        return r
    }

    /// Takes a module command (`CommandAPDU` bytes), returns the module's
    /// whole answer (data then the status word).
    public func transmit(_ command: [UInt8]) throws(ModuleError) -> [UInt8] {
        guard case .success(let c) = CommandAPDU.parse(command) else {
            throw ModuleError("not a module command APDU (\(command.count) bytes)")
        }
        var pieces: [[UInt8]] = []
        var offset = 0
        repeat {
            let end = min(c.data.count, offset + 255)
            pieces.append(Array(c.data[offset..<end]))
            offset = end
        } while offset < c.data.count
        var response: [UInt8] = []
        for (k, piece) in pieces.enumerated() {
            let last = k == pieces.count - 1
            let apdu = ISOCommand(
                cla: last ? c.cla : c.cla | CardApplet.chainingBit, ins: c.ins, p1: c.p1, p2: c.p2, data: piece,
                ne: last ? 256 : nil)
            response = try exchange(apdu.bytes)
            if !last {
                let sw = CardStatus(response[response.count - 2], response[response.count - 1])
                guard sw == .ok else { return sw.bytes }
            }
        }
        var data: [UInt8] = []
        while true {
            let sw = CardStatus(response[response.count - 2], response[response.count - 1])
            data += response.dropLast(2)
            guard sw.sw1 == 0x61 else { return sw == .ok ? data + sw.bytes : sw.bytes }
            guard data.count <= CommandAPDU.maxData + 65536 else { throw ModuleError("the card's answer does not end") }
            let ne = sw.sw2 == 0 ? 256 : Int(sw.sw2)
            response = try exchange(
                ISOCommand(cla: CardApplet.interindustry, ins: CardApplet.getResponseINS, ne: ne).bytes)
        }
    }
}

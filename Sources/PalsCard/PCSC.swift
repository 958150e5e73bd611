import CPCSCLite
import PalsModule

/// A card in a PC/SC reader, reached through libpcsclite
/// (SCardEstablishContext, SCardConnect, SCardTransmit). The reader may be
/// vpcd's virtual reader or a real one: only its name differs.
///
/// libpcsclite finds pcscd through the socket named by the environment
/// variable PCSCLITE_CSOCK_NAME (default /run/pcscd/pcscd.comm), read once
/// per process.
public final class PCSCChannel: CardChannel {
    public let reader: String
    private var context: SCARDCONTEXT = 0
    private var card: SCARDHANDLE = 0
    private var proto: DWORD = 0
    private var connected = false

    /// Connects to the card in `reader`: a reader's full name, or a prefix
    /// of exactly one reader's name; nil: the only reader there is.
    /// Waits up to `cardTimeout` seconds for a card in the reader.
    public init(reader: String?, cardTimeout: Double = 5) throws(ModuleError) {
        var ctx: SCARDCONTEXT = 0
        try Self.check(SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &ctx), "SCardEstablishContext")
        context = ctx
        let names: [String]
        do {
            names = try Self.readers(context: ctx)
        } catch {
            SCardReleaseContext(ctx)
            throw error
        }
        let chosen: String
        let matches = reader.map { r in names.contains(r) ? [r] : names.filter { $0.hasPrefix(r) } } ?? names
        guard matches.count == 1 else {
            SCardReleaseContext(ctx)
            let list = names.isEmpty ? "none" : names.map { "\"\($0)\"" }.joined(separator: ", ")
            if let reader {
                throw ModuleError(
                    matches.isEmpty ? "no PC/SC reader named \"\(reader)\" (readers: \(list))" : "\"\(reader)\" names \(matches.count) PC/SC readers (readers: \(list))")
            }
            throw ModuleError(names.isEmpty ? "no PC/SC reader" : "\(names.count) PC/SC readers: name one with pcsc:READER (readers: \(list))")
        }
        chosen = matches[0]
        self.reader = chosen
        do {
            try Self.waitForCard(context: ctx, reader: chosen, timeout: cardTimeout)
        } catch {
            SCardReleaseContext(ctx)
            throw error
        }
        var handle: SCARDHANDLE = 0
        var active: DWORD = 0
        let rc = SCardConnect(ctx, chosen, DWORD(SCARD_SHARE_EXCLUSIVE), pals_scard_protocol_any(), &handle, &active)
        guard rc == pals_scard_success() else {
            SCardReleaseContext(ctx)
            throw ModuleError("SCardConnect to \"\(chosen)\": \(Self.describe(rc))")
        }
        card = handle
        proto = active
        connected = true
    }

    private static func waitForCard(context: SCARDCONTEXT, reader: String, timeout: Double) throws(ModuleError) {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(timeout * 1000)))
        var current = DWORD(SCARD_STATE_UNAWARE)
        while true {
            let left = deadline - ContinuousClock.now
            let ms = max(0, Int(left.components.seconds) * 1000 + Int(left.components.attoseconds / 1_000_000_000_000_000))
            var event: DWORD = 0
            let rc: LONG = reader.withCString { name in
                var state = SCARD_READERSTATE()
                state.szReader = name
                state.dwCurrentState = current
                let rc = SCardGetStatusChange(context, current == DWORD(SCARD_STATE_UNAWARE) ? 0 : DWORD(ms), &state, 1)
                event = state.dwEventState
                return rc
            }
            if rc == pals_scard_success() {
                if event & DWORD(SCARD_STATE_PRESENT) != 0 && event & DWORD(SCARD_STATE_MUTE) == 0 { return }
                current = event & ~DWORD(SCARD_STATE_CHANGED)
            } else if rc != pals_scard_timeout() {
                throw ModuleError("SCardGetStatusChange on \"\(reader)\": \(describe(rc))")
            }
            if ContinuousClock.now >= deadline {
                throw ModuleError("no card in \"\(reader)\" within \(timeout) s")
            }
        }
    }

    deinit {
        if connected { SCardDisconnect(card, DWORD(SCARD_LEAVE_CARD)) }
        SCardReleaseContext(context)
    }

    /// The names of the readers pcscd offers.
    public static func readerNames() throws(ModuleError) -> [String] {
        var ctx: SCARDCONTEXT = 0
        try check(SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &ctx), "SCardEstablishContext")
        defer { SCardReleaseContext(ctx) }
        return try readers(context: ctx)
    }

    private static func readers(context: SCARDCONTEXT) throws(ModuleError) -> [String] {
        var length: DWORD = 0
        let rc = SCardListReaders(context, nil, nil, &length)
        if rc == pals_scard_no_readers() { return [] }
        try check(rc, "SCardListReaders")
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        let rc2 = SCardListReaders(context, nil, &buffer, &length)
        if rc2 == pals_scard_no_readers() { return [] }
        try check(rc2, "SCardListReaders")
        // A multi-string: names separated by NUL, ended by an empty one.
        var names: [String] = []
        var current: [UInt8] = []
        for c in buffer.prefix(Int(length)) {
            if c == 0 {
                if current.isEmpty { break }
                names.append(String(decoding: current, as: UTF8.self))
                current = []
            } else {
                current.append(UInt8(bitPattern: c))
            }
        }
        return names
    }

    public func transmitAPDU(_ command: [UInt8]) throws(ModuleError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(pals_scard_max_buffer()))
        var length = DWORD(out.count)
        let rc = command.withUnsafeBufferPointer { cmd in
            out.withUnsafeMutableBufferPointer { buf in
                SCardTransmit(card, pals_scard_pci(proto), cmd.baseAddress, DWORD(cmd.count), nil, buf.baseAddress, &length)
            }
        }
        guard rc == pals_scard_success() else {
            throw ModuleError("the card in \"\(reader)\" is gone: SCardTransmit: \(Self.describe(rc))")
        }
        guard length >= 2 else {
            throw ModuleError("the card in \"\(reader)\" is gone: it answered \(length) bytes, not a response APDU")
        }
        return Array(out.prefix(Int(length)))
    }

    private static func check(_ rc: LONG, _ what: String) throws(ModuleError) {
        guard rc == pals_scard_success() else { throw ModuleError("\(what): \(describe(rc))") }
    }

    static func describe(_ rc: LONG) -> String {
        let text = String(cString: pcsc_stringify_error(rc))
        return "\(text) (0x\(String(UInt32(bitPattern: Int32(truncatingIfNeeded: rc)), radix: 16, uppercase: true)))"
    }
}

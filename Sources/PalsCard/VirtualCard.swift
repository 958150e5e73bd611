import Foundation
import PalsCore
import PalsModule

#if canImport(Glibc)
    import Glibc
#endif

/// A card in vsmartcard's virtual reader (vpcd): the card connects to the
/// reader's TCP port and then answers what pcscd sends. Every message is a
/// 2-byte big-endian length and its bytes; a 1-byte message is a control
/// code (0 power off, 1 power on, 2 reset, 4 send the ATR), anything longer
/// a command APDU, answered with the response APDU.
public final class VirtualCard {
    /// The control codes of vpcd's 1-byte messages.
    public enum Control: UInt8 {
        /// Power off; the applet is reset and the card answers nothing.
        case powerOff = 0
        /// Power on; the applet is reset and the card answers nothing.
        case powerOn = 1
        /// Reset; the applet is reset and the card answers nothing.
        case reset = 2
        /// Send the answer to reset; the card answers `CardApplet.atr`.
        case atr = 4
    }

    /// The applet that answers the reader's APDUs.
    public let applet: CardApplet
    /// The IPv4 address of the reader's machine.
    public let host: String
    /// The reader's TCP port for this card.
    public let port: Int

    /// A card for `applet` that connects to the reader at `host`:`port` once
    /// `serve` or `run` is called.
    public init(applet: CardApplet, host: String = "127.0.0.1", port: Int) {
        self.applet = applet
        self.host = host
        self.port = port
    }

    /// What the card answers to one message from the reader (nil: nothing).
    public func answer(_ message: [UInt8]) -> [UInt8]? {
        if message.count == 1 {
            switch Control(rawValue: message[0]) {
            case .powerOff?, .powerOn?, .reset?:
                applet.reset()
                return nil
            case .atr?: return CardApplet.atr
            case nil: return nil
            }
        }
        return applet.process(message)
    }

    /// Serves the reader until the reader closes the connection; connects
    /// first, trying again every 50 ms for up to `connectTimeout` seconds
    /// (the reader's pcscd may start after the card).
    public func serve(connectTimeout: Double) throws(PalsError) {
        let fd = try connect(timeout: connectTimeout)
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        while true {
            guard let header = readExactly(fd, 2) else { return }
            let length = Int(header[0]) << 8 | Int(header[1])
            guard let body = readExactly(fd, length) else { return }
            guard let reply = answer(body) else { continue }
            // The link carries at most 65535 bytes per message.
            let capped = reply.count <= 65535 ? reply : CardStatus.wrongLength.bytes
            var out = [UInt8(capped.count >> 8), UInt8(capped.count & 0xff)]
            out += capped
            guard writeAll(fd, out) else { return }
        }
    }

    /// Serves the reader again and again: after the reader closes the
    /// connection (pcscd restarted), connects anew. Returns when no reader
    /// accepts within `connectTimeout` seconds (the error says so).
    public func run(connectTimeout: Double) throws(PalsError) {
        while true {
            try serve(connectTimeout: connectTimeout)
            applet.reset()
        }
    }

    private func connect(timeout: Double) throws(PalsError) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        repeat {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else {
                throw PalsError(.invalidArgument, "cannot create a socket: \(String(cString: strerror(errno)))")
            }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
                close(fd)
                throw PalsError(.invalidArgument, "the reader host must be an IPv4 address, got \"\(host)\"")
            }
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if rc == 0 { return fd }
            last = String(cString: strerror(errno))
            close(fd)
            usleep(50_000)
        } while Date() < deadline
        throw PalsError(.invalidArgument, "no virtual reader at \(host):\(port): \(last)")
    }

    private func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out.withUnsafeMutableBytes { buffer in
                guard let base = buffer.baseAddress else { return 0 }
                return recv(fd, base + got, count - got, 0)
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            got += n
        }
        return out
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}

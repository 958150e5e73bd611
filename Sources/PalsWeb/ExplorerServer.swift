import Foundation
import Hummingbird
import Logging
import PalsCore

/// The web explorer's HTTP server (Hummingbird): the page and a small JSON
/// API, on loopback unless told otherwise.
///
/// - `GET /`: the page.
/// - `GET /api/catalog`: protocols and variants.
/// - `GET /api/view?QUERY`: the view of an `ExplorerPosition`.
/// - `GET /api/opened`: the file given at start (if any), as `/api/open` describes it.
/// - `GET /api/open?file=PATH`: a file in that file's folder.
///
/// Errors are `{"error": "…"}` with status 400; the server keeps serving.
/// While bound to loopback, a request whose `Host` is not a loopback name is
/// refused (a page elsewhere cannot reach the explorer through DNS rebinding).
public struct ExplorerServer: Sendable {
    /// The address to listen on; a loopback one unless the explorer is to be served elsewhere.
    public var host: String
    /// The port to listen on; 0 picks a free one.
    public var port: Int
    /// The files the API may open.
    public var files: ExplorerFiles

    /// A server for `files` on `host:port`; by default on 127.0.0.1 at a free port.
    public init(host: String = "127.0.0.1", port: Int = 0, files: ExplorerFiles) {
        self.host = host
        self.port = port
        self.files = files
    }

    /// Whether `host` names this machine's loopback interface.
    public static func isLoopback(_ host: String) -> Bool {
        host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.")
    }

    /// Query parameters in order, percent-decoded (`+` is a space).
    public static func decode(_ query: String) -> [(String, String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { item in
            let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            return (unescape(kv[0]), kv.count > 1 ? unescape(kv[1]) : "")
        }
    }

    /// Query parameters as a query string.
    public static func encode(_ query: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~,:@>")
        func escape(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
        return query.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    /// The JSON answer of one API request (`path` without the query).
    public func answer(path: String, query: String) -> (status: Int, body: JSON) {
        do {
            switch path {
            case "/api/catalog":
                return (200, ExplorerModel.catalogue)
            case "/api/view":
                return (200, try ExplorerModel.view(try ExplorerPosition(query: Self.decode(query))).json)
            case "/api/opened":
                guard let initial = files.initial else { return (200, .object([("file", .null)])) }
                return (200, try files.open(initial))
            case "/api/open":
                let file = Self.decode(query).last { $0.0 == "file" }?.1 ?? ""
                return (200, try files.open(file))
            default:
                return (404, .object([("error", .string("no such endpoint: \(path)"))]))
            }
        } catch let e as PalsError {
            return (400, .object([("error", .string(e.message))]))
        } catch {
            return (400, .object([("error", .string("\(error)"))]))
        }
    }

    /// Serves until SIGINT or SIGTERM. `onReady` gets the bound port.
    public func run(onReady: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router()
        let me = self
        let loopback = Self.isLoopback(host)
        @Sendable func allowed(_ request: Request) -> Bool {
            guard loopback else { return true }
            guard let authority = request.head.authority else { return false }
            var name = Substring(authority)
            if name.hasPrefix("[") {
                name = name.dropFirst().prefix { $0 != "]" }
            } else if let colon = name.lastIndex(of: ":") {
                name = name[..<colon]
            }
            return Self.isLoopback(String(name))
        }
        @Sendable func response(_ status: Int, _ type: String, _ text: String) -> Response {
            var headers: HTTPFields = [.contentType: type, .cacheControl: "no-store"]
            // Both names are valid header tokens: the failable initializer succeeds.
            if let name = HTTPFields.Element.Name("X-Content-Type-Options") { headers[name] = "nosniff" }
            if let name = HTTPFields.Element.Name("Content-Security-Policy") {
                headers[name] =
                    "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:"
            }
            return Response(
                status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        let refused = "this explorer answers loopback requests only (start it with --host to serve elsewhere)"
        router.get("/") { request, _ -> Response in
            guard allowed(request) else { return response(403, "text/plain; charset=utf-8", refused) }
            return response(200, "text/html; charset=utf-8", ExplorerPage.html)
        }
        for endpoint in ["api/catalog", "api/view", "api/opened", "api/open"] {
            router.get(RouterPath(endpoint)) { request, _ -> Response in
                guard allowed(request) else {
                    return response(403, "application/json", JSON.object([("error", .string(refused))]).compact)
                }
                let (status, body) = me.answer(path: "/" + endpoint, query: request.uri.query ?? "")
                return response(status, "application/json", body.compact)
            }
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "pals-explore"),
            onServerRunning: { channel in onReady(channel.localAddress?.port ?? 0) },
            logger: {
                var logger = Logger(label: "pals-explore")
                logger.logLevel = .warning
                return logger
            }())
        try await app.runService()
    }
}

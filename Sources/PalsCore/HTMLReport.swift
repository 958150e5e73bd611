/// A self-contained HTML report: one file with its CSS and SVG inline that
/// fetches nothing (no scripts, fonts or images from anywhere).
public struct HTMLReport: Sendable {
    /// The document's title, shown in the browser tab and as its first heading (escaped).
    public var title: String
    /// Body parts, already HTML.
    private var parts: [String] = []

    /// An empty report titled `title`.
    public init(title: String) { self.title = title }

    /// A heading and a paragraph of text (escaped).
    public mutating func section(_ heading: String, _ text: String? = nil) {
        parts.append("<h2>\(SpaceTimeSVG.escape(heading))</h2>")
        if let text { paragraph(text) }
    }

    /// A paragraph of text (escaped).
    public mutating func paragraph(_ text: String) {
        parts.append("<p>\(SpaceTimeSVG.escape(text))</p>")
    }

    /// Preformatted text (escaped), e.g. a terminal diagram.
    public mutating func preformatted(_ text: String) {
        parts.append("<pre>\(SpaceTimeSVG.escape(text))</pre>")
    }

    /// A table; `classes[k]`, when given, is the CSS class of row k
    /// (`holds`, `violated`, `unknown` colour the row).
    public mutating func table(header: [String], rows: [[String]], classes: [String]? = nil) {
        var s =
            "<table><thead><tr>" + header.map { "<th>\(SpaceTimeSVG.escape($0))</th>" }.joined()
            + "</tr></thead><tbody>"
        for (k, row) in rows.enumerated() {
            let cls =
                classes.flatMap { k < $0.count ? $0[k] : nil }.map { " class=\"\(SpaceTimeSVG.escape($0))\"" } ?? ""
            s += "<tr\(cls)>" + row.map { "<td>\(SpaceTimeSVG.escape($0))</td>" }.joined() + "</tr>"
        }
        parts.append(s + "</tbody></table>")
    }

    /// A run's space-time diagram with its legend.
    public mutating func diagram(_ run: SpaceTimeRun, caption: String, highlightRound: Int? = nil) {
        parts.append(
            "<figure>" + SpaceTimeSVG.render(run, highlightRound: highlightRound)
                + "<figcaption>\(SpaceTimeSVG.escape(caption))</figcaption>" + SpaceTimeSVG.legendHTML(run)
                + "</figure>")
    }

    /// Raw HTML produced by this module's renderers (not user text).
    public mutating func raw(_ html: String) { parts.append(html) }

    static let style = """
        body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
        h1{font-size:22px}h2{font-size:17px;margin-top:28px}
        table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-family:monospace}
        tr.holds td{background:#e8f5e9}tr.violated td{background:#fdecea}tr.unknown td{background:#fff8e1}
        tr.differs td{background:#fff3c4;font-weight:bold}
        pre{background:#f6f6f6;padding:8px;overflow-x:auto}figure{margin:8px 0;overflow-x:auto}
        figcaption{font-size:13px;color:#444}ul.legend{font-size:13px;color:#444}
        .side{display:flex;gap:24px;flex-wrap:wrap}
        """

    /// The whole document.
    public var html: String {
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(SpaceTimeSVG.escape(title))</title>"
            + "<style>\(Self.style)</style></head>\n<body><h1>\(SpaceTimeSVG.escape(title))</h1>\n"
            + parts.joined(separator: "\n") + "\n</body></html>\n"
    }
}

import PalsCore

extension ShardMerge {
    /// A failing run of a campaign shard, among the shard's first failing runs.
    public struct CampaignFailureShard: Sendable {
        /// The run's number in the whole campaign, from 0.
        public var run: Int
        /// What the run's `findings` line says (process transport), or nil.
        public var finding: String?
        /// The files the shard saved for the run.
        public var saved: [String]

        /// A failing run's merge data.
        public init(run: Int, finding: String?, saved: [String]) {
            self.run = run
            self.finding = finding
            self.saved = saved
        }
    }

    /// `pals campaign --shard`: the shard's first failing runs (with their
    /// numbers in the whole campaign, so that the merge keeps the whole
    /// campaign's first ones), the rejected-frame reasons in print order, and
    /// every sample behind a printed median or 99th percentile, as the printed
    /// (rounded) value with its count, so that the merged quantiles are those
    /// of all the runs' samples.
    public static func campaignSection(
        _ shard: Shard, run: JSON, failures: [CampaignFailureShard], rejectedOrder: [String],
        samples: [(field: String, rounded: [Double])]
    ) -> JSON {
        section(
            shard, command: "campaign", run: run,
            [
                (
                    "failures",
                    .array(
                        failures.map { f in
                            .object([
                                ("run", .int(f.run)), ("finding", f.finding.map { .string($0) } ?? .null),
                                ("saved", .array(f.saved.map { .string($0) })),
                            ])
                        })
                ),
                ("rejectedOrder", .array(rejectedOrder.map { .string($0) })),
                (
                    "samples",
                    .object(
                        samples.map { s in
                            (s.field, .array(histogram(s.rounded).map { .array([.double($0.value), .int($0.count)]) }))
                        })
                ),
            ])
    }

    /// The distinct values of `xs`, ascending, with their counts.
    static func histogram(_ xs: [Double]) -> [(value: Double, count: Int)] {
        var out: [(value: Double, count: Int)] = []
        for x in xs.sorted() {
            if let last = out.last, last.value == x {
                out[out.count - 1].count += 1
            } else {
                out.append((x, 1))
            }
        }
        return out
    }

    /// The `q`-quantile by the nearest-rank method (as the campaign prints it) of the samples counted in
    /// `histogram` (ascending values); 0 for no samples.
    static func quantile(_ histogram: [(value: Double, count: Int)], _ q: Double) -> Double {
        let total = histogram.reduce(0) { $0 + $1.count }
        guard total > 0 else { return 0 }
        let rank = min(max(Int((q * Double(total)).rounded(.up)), 1), total)
        var seen = 0
        for h in histogram {
            seen += h.count
            if seen >= rank { return h.value }
        }
        return histogram[histogram.count - 1].value
    }

    static func number(_ json: JSON?) -> Double? {
        switch json {
        case .double(let d)?: return d
        case .int(let i)?: return Double(i)
        default: return nil
        }
    }

    // MARK: campaign

    static func mergeCampaign(_ parts: [Part]) throws(PalsError) -> MergedOutput {
        let first = parts[0]
        let process = first.json["killed"] != nil
        let counted =
            process
            ? [
                "runs", "killed", "finishedBeforeKill", "undecidedRuns", "disagreements", "outsideModel", "violations",
                "lostFrames", "failedPeers",
            ]
            : ["runs", "violations", "disagreements", "outsideModel"]
        var updates: [(String, JSON)] = []
        var totals: [String: Int] = [:]
        for key in counted {
            var sum = 0
            for p in parts {
                guard let v = try p.top(key).intValue, v >= 0 else {
                    throw malformed(p.name, "\"\(key)\" is not a count")
                }
                sum = try add(sum, v, in: p.name)
            }
            totals[key] = sum
            updates.append((key, .int(sum)))
        }
        let runs = totals["runs"] ?? 0
        guard let expected = first.run["runs"]?.intValue else {
            throw malformed(first.name, "its run has no number of runs")
        }
        guard runs == expected else {
            throw PalsError(
                .invalidArgument,
                "the shards made \(runs) runs in all, but the campaign has \(expected): not its shards")
        }
        // Objects of counts summed key by key: the first shard's keys in its
        // order (rejectedFrames: the print order, keys that some shard has).
        func summed(_ key: String, order: [String]?) throws(PalsError) -> JSON {
            var sums: [String: Int] = [:]
            var keys: [String] = []
            for p in parts {
                guard case .object(let fields) = try p.top(key) else {
                    throw malformed(p.name, "\"\(key)\" is not an object")
                }
                for (k, v) in fields {
                    guard let c = v.intValue else { throw malformed(p.name, "\"\(key)\".\(k) is not a count") }
                    if sums[k] == nil { keys.append(k) }
                    sums[k] = try add(sums[k] ?? 0, c, in: p.name)
                }
            }
            if let order {
                for k in keys where !order.contains(k) { throw malformed(first.name, "unknown \"\(key)\" entry \(k)") }
                keys = order.filter { sums[$0] != nil }
            }
            return .object(keys.map { ($0, .int(sums[$0] ?? 0)) })
        }
        if !process {
            let order = try first.array("rejectedOrder").compactMap(\.stringValue)
            updates.append(("injected", try summed("injected", order: nil)))
            updates.append(("rejectedFrames", try summed("rejectedFrames", order: order)))
            updates.append(("violationsByProperty", try summed("violationsByProperty", order: nil)))
            if try first.top("unfairRuns") != .null {
                var unfair = 0
                for p in parts {
                    guard let u = try p.top("unfairRuns").intValue else {
                        throw malformed(p.name, "\"unfairRuns\" is not a count")
                    }
                    unfair = try add(unfair, u, in: p.name)
                }
                updates.append(("unfairRuns", .int(unfair)))
                updates.append(("unfairRate", .double(Double(unfair) / Double(max(1, runs)))))
            }
        }
        // Quantiles over every shard's samples.
        guard case .object(let fields) = try first.field("samples") else {
            throw malformed(first.name, "\"samples\" is not an object")
        }
        for (field, _) in fields {
            var counts: [Double: Int] = [:]
            for p in parts {
                guard let list = try p.field("samples")[field]?.arrayValue else {
                    throw malformed(p.name, "it has no samples of \(field)")
                }
                for entry in list {
                    guard let pair = entry.arrayValue, pair.count == 2, let v = number(pair[0]),
                        let c = pair[1].intValue, c > 0
                    else { throw malformed(p.name, "a sample of \(field) is not [value, count]") }
                    counts[v] = try add(counts[v] ?? 0, c, in: p.name)
                }
            }
            let h = counts.keys.sorted().map { (value: $0, count: counts[$0] ?? 0) }
            var samples = 0
            for e in h { samples = try add(samples, e.count, in: first.name) }
            updates.append(
                (field, .object([("median", .double(quantile(h, 0.5))), ("p99", .double(quantile(h, 0.99)))])))
        }
        // The whole campaign's first failing runs, from the shards' first ones.
        var failures: [(run: Int, finding: String?, saved: [String])] = []
        for p in parts {
            for f in try p.array("failures") {
                guard let run = f["run"]?.intValue, let saved = f["saved"]?.arrayValue else {
                    throw malformed(p.name, "a failing run lacks its number or saved files")
                }
                failures.append((run, f["finding"]?.stringValue, saved.compactMap(\.stringValue)))
            }
        }
        failures.sort { $0.run < $1.run }
        var saved: [String] = []
        if process {
            for f in failures where saved.count < 5 { saved += f.saved }
            updates.append(("findings", .array(failures.prefix(10).compactMap { $0.finding.map { .string($0) } })))
        } else {
            for f in failures.prefix(5) { saved += f.saved }
        }
        updates.append(("saved", .array(saved.map { .string($0) })))
        let total = seconds(parts)
        updates.append(("seconds", total))
        if !process, let s = number(total) {
            updates.append(("runsPerSecond", .double(s > 0 ? (Double(runs) / s).rounded() : 0)))
        }
        let failed = ["violations", "disagreements", "outsideModel", "undecidedRuns"].contains {
            (totals[$0] ?? 0) > 0
        }
        return MergedOutput(json: replacing(first.json, updates), files: [], exitStatus: failed ? 1 : 0)
    }
}

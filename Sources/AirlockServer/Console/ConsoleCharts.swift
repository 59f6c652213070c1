import AirlockEngine
import Foundation

/// The dashboard's charts, drawn on the server as inline SVG: no script, no outside library, and
/// a text equivalent in each chart's `aria-label` and `<title>`.
enum ConsoleCharts {
    static let tiers = ["low", "medium", "high", "block", "invalid"]
    static let colors = ["low": "#2e7d4f", "medium": "#b7791f", "high": "#b42318", "block": "#3a3a3a", "invalid": "#6b7280"]

    /// Horizontal bars, one per tier.
    static func tierBars(_ decisions: [String: Int]) -> String {
        let width = 360.0
        let rowHeight = 26.0
        let labelWidth = 70.0
        let countWidth = 50.0
        let maximum = max(1, decisions.values.max() ?? 0)
        let label = "Decisions per tier: " + tiers.map { "\($0) \(decisions[$0] ?? 0)" }.joined(separator: ", ")
        var svg = """
            <svg role="img" aria-label="\(escape(label))" viewBox="0 0 \(Int(width)) \(Int(rowHeight * Double(tiers.count) + 8))" \
            xmlns="http://www.w3.org/2000/svg"><title>\(escape(label))</title>
            """
        for (index, tier) in tiers.enumerated() {
            let count = decisions[tier] ?? 0
            let y = 4 + Double(index) * rowHeight
            let barWidth = (width - labelWidth - countWidth) * Double(count) / Double(maximum)
            svg += """
                <text x="0" y="\(format(y + 17))" font-size="13" fill="#1a1a1a">\(tier)</text>\
                <rect x="\(format(labelWidth))" y="\(format(y + 4))" width="\(format(max(barWidth, count > 0 ? 2 : 0)))" \
                height="\(format(rowHeight - 8))" fill="\(colors[tier] ?? "#6b7280")"/>\
                <text x="\(format(labelWidth + barWidth + 6))" y="\(format(y + 17))" font-size="13" fill="#1a1a1a">\(count)</text>
                """
        }
        return svg + "</svg>"
    }

    /// Stacked columns, one per bucket of the window, oldest on the left.
    static func series(_ buckets: [KPIReport.Bucket], period: KPIPeriod) -> String {
        let width = 480.0
        let height = 180.0
        let bottom = 24.0
        let maximum = max(1, buckets.map(\.total).max() ?? 0)
        let slot = width / Double(max(buckets.count, 1))
        let total = buckets.reduce(0) { $0 + $1.total }
        let peak = buckets.max { $0.total < $1.total }
        var label = "\(total) decisions over the last \(period.rawValue) in \(buckets.count) intervals"
        if let peak, peak.total > 0 { label += "; the busiest had \(peak.total)" }
        var svg = """
            <svg role="img" aria-label="\(escape(label))" viewBox="0 0 \(Int(width)) \(Int(height))" \
            xmlns="http://www.w3.org/2000/svg"><title>\(escape(label))</title>\
            <line x1="0" y1="\(format(height - bottom))" x2="\(Int(width))" y2="\(format(height - bottom))" stroke="#6b7280"/>
            """
        for (index, bucket) in buckets.enumerated() {
            var top = height - bottom
            for tier in tiers {
                let count = bucket.tiers[tier] ?? 0
                guard count > 0 else { continue }
                let h = (height - bottom - 8) * Double(count) / Double(maximum)
                top -= h
                svg += """
                    <rect x="\(format(Double(index) * slot + 1))" y="\(format(top))" width="\(format(max(slot - 2, 1)))" \
                    height="\(format(h))" fill="\(colors[tier] ?? "#6b7280")"/>
                    """
            }
        }
        if let first = buckets.first, let last = buckets.last {
            svg += """
                <text x="0" y="\(format(height - 6))" font-size="12" fill="#1a1a1a">\(escape(clock(first.start, period)))</text>\
                <text x="\(Int(width))" y="\(format(height - 6))" font-size="12" fill="#1a1a1a" text-anchor="end">\(escape(clock(last.start, period)))</text>\
                <text x="0" y="12" font-size="12" fill="#1a1a1a">max \(maximum)</text>
                """
        }
        return svg + "</svg>"
    }

    private static func clock(_ date: Date, _ period: KPIPeriod) -> String {
        let text = MutationView.format(date)  // 2026-12-06T15:05:00.000Z
        return period == .week ? String(text.prefix(13)).replacingOccurrences(of: "T", with: " ") + "h" : String(text.dropFirst(11).prefix(5))
    }

    private static func format(_ x: Double) -> String {
        String(format: "%.1f", x)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}

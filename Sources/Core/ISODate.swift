import Foundation

/// A calendar date (proleptic Gregorian), read from ISO 8601 `YYYY-MM-DD` or DICOM DA `YYYYMMDD`
/// and written as `YYYY-MM-DD`: the one date rule of the study database, the reports and their charts.
public struct ISODate: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let year: Int, month: Int, day: Int

    /// nil unless `text` is exactly `YYYY-MM-DD` with a valid month and day.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2 else { return nil }
        self.init(year: parts[0], month: parts[1], day: parts[2])
    }

    /// Reads DICOM DA (`YYYYMMDD`) or ISO (`YYYY-MM-DD`), ignoring surrounding spaces (DICOM pads
    /// values to even length); nil for anything else, including month 13 or February 30.
    public init?(dicomOrISO text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.count == 8, !t.contains("-") {
            self.init(year: t.prefix(4), month: t.dropFirst(4).prefix(2), day: t.suffix(2))
        } else {
            self.init(t)
        }
    }

    /// The calendar date of `date` in UTC.
    public init(_ date: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        year = parts.year!; month = parts.month!; day = parts.day!
    }

    private init?(year y: Substring, month m: Substring, day d: Substring) {
        guard [y, m, d].allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let year = Int(y), let month = Int(m), let day = Int(d),
              (1...12).contains(month), day >= 1, day <= ISODate.daysIn(month: month, year: year) else { return nil }
        self.year = year; self.month = month; self.day = day
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String { let s = String(n); return String(repeating: "0", count: max(0, width - s.count)) + s }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func < (a: ISODate, b: ISODate) -> Bool { a.dayNumber < b.dayNumber }
}

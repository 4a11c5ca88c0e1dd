/// The service's rules, with its error codes. Messages are written in our own words except
/// where scripts commonly match the service's wording (identifiers, passwords, final snapshot).
enum Rules {
    /// 1-63 characters: a letter, then letters, digits and single hyphens, no trailing hyphen.
    static func isValidIdentifier(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard (1...63).contains(b.count), isLetter(b[0]), b.last != UInt8(ascii: "-") else { return false }
        var previousHyphen = false
        for c in b {
            if c == UInt8(ascii: "-") {
                if previousHyphen { return false }
                previousHyphen = true
            } else {
                guard isLetter(c) || (c >= 0x30 && c <= 0x39) else { return false }
                previousHyphen = false
            }
        }
        return true
    }

    static func isLetter(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }

    static func identifier(_ value: String, parameter: String) throws(CLIError) -> String {
        guard isValidIdentifier(value) else {
            throw invalid("The parameter \(parameter) is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.")
        }
        // The service keeps identifiers in lower case.
        return value.lowercased()
    }

    static func invalid(_ message: String) -> CLIError { .service("InvalidParameterValue", "", message) }
    static func combination(_ message: String) -> CLIError { .service("InvalidParameterCombination", "", message) }

    /// 8-128 printable ASCII characters other than `/`, `"`, `@` and space.
    static func checkPassword(_ p: String) throws(CLIError) {
        let b = Array(p.utf8)
        if b.count < 8 {
            throw invalid("The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.")
        }
        if b.count > 128 {
            throw invalid("The parameter MasterUserPassword is not a valid password because it is longer than 128 characters.")
        }
        for c in b where c < 0x20 || c > 0x7E || c == UInt8(ascii: "/") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "@") || c == UInt8(ascii: " ") {
            throw invalid("The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '\"', ' ' may be used.")
        }
    }

    /// PostgreSQL master user: a letter, then letters, digits or underscores; at most 63; not reserved.
    static func checkUsername(_ u: String) throws(CLIError) {
        let b = Array(u.utf8)
        guard (1...63).contains(b.count), isLetter(b[0]),
              b.allSatisfy({ isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") }) else {
            throw invalid("The parameter MasterUsername is not a valid user name: use 1 to 63 letters, digits or underscores, starting with a letter.")
        }
        let reserved = ["rdsadmin", "rdsrepladmin", "rds_superuser", "postgres", "public", "pg_monitor"]
        if reserved.contains(u.lowercased()) {
            throw invalid("MasterUsername \(u) cannot be used as it is a reserved word used by the engine")
        }
    }

    /// `16.x-limitless`.
    static func isLimitlessVersion(_ v: String) -> Bool {
        guard v.hasPrefix("16."), v.hasSuffix("-limitless") else { return false }
        let minor = v.dropFirst(3).dropLast("-limitless".count)
        return !minor.isEmpty && minor.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// Every enum-typed value in `value` must be one of its shape's values.
    static func checkEnums(_ value: JSON, _ shape: Shape, path: String) throws(CLIError) {
        switch (shape, value) {
        case let (.enumeration(allowed), .string(s)):
            if !allowed.contains(s) {
                throw invalid("Invalid value \(s) for \(path). Valid values: \(allowed.joined(separator: ", ")).")
            }
        case let (.list(item), .array(items)):
            for x in items { try checkEnums(x, item, path: path) }
        case let (.structure(members), .object(fields)):
            for (k, v) in fields {
                if let m = members.first(where: { $0.name == k }) { try checkEnums(v, m.shape, path: k) }
            }
        default: break
        }
    }

    /// Routers and shards for a MaxACU, fixed when the shard group is created.
    static func topology(maxACU: Double) -> (routers: Int, shards: Int) {
        let table: [(Double, Int, Int)] = [
            (400, 2, 2), (500, 2, 3), (600, 2, 4), (700, 3, 4), (800, 3, 5), (900, 3, 6), (1000, 4, 6),
            (1100, 4, 7), (1200, 4, 8), (1300, 5, 8), (1400, 5, 9), (1500, 5, 10), (1600, 6, 10),
            (1700, 6, 11), (1800, 6, 12), (1900, 7, 12), (2000, 7, 13), (2100, 7, 14), (2200, 8, 14),
            (2300, 8, 15),
        ]
        for (limit, routers, shards) in table where maxACU <= limit { return (routers, shards) }
        return (8, 16)
    }

    /// MaxACU 16-6144, MinACU 16..MaxACU, ComputeRedundancy 0-2.
    static func checkCapacity(maxACU: Double, minACU: Double, redundancy: Int64) throws(CLIError) {
        guard maxACU.isFinite, maxACU >= 16, maxACU <= 6144 else {
            throw invalid("MaxACU must be between 16 and 6144; \(JSON.formatDouble(maxACU)) was given.")
        }
        guard minACU.isFinite, minACU >= 16 else {
            throw invalid("MinACU must be at least 16; \(JSON.formatDouble(minACU)) was given.")
        }
        guard minACU <= maxACU else {
            throw invalid("MinACU (\(JSON.formatDouble(minACU))) must not be greater than MaxACU (\(JSON.formatDouble(maxACU))).")
        }
        guard (0...2).contains(redundancy) else {
            throw invalid("ComputeRedundancy must be 0, 1 or 2; \(redundancy) was given.")
        }
    }
}

import LimitlessSupport

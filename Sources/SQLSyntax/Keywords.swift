/// Keywords known to the lexer. The spelling of a keyword is its case name in upper case.
/// Whether a keyword may also serve as an identifier follows SQLite's `%fallback ID` list
/// (see `Keyword.isReserved` and `Keyword.isJoinKeyword`); the PostgreSQL additions are all
/// non-reserved, so they only act as keywords where the grammar expects them.
public enum Keyword: UInt8, CaseIterable, Sendable {
    case none = 0
    case abort, action, add, after, all, alter, always, analyze, and, `as`, asc, attach, autoincrement
    case before, begin, between, by
    case cascade, `case`, cast, check, collate, column, commit, conflict, constraint, create, cross
    case current, current_date, current_time, current_timestamp
    case database, `default`, deferrable, deferred, delete, desc, detach, distinct, `do`, drop
    case each, `else`, end, escape, except, exclude, exclusive, exists, explain
    case fail, filter, first, following, `for`, foreign, from, full
    case generated, glob, group, groups
    case having
    case `if`, ignore, immediate, `in`, index, indexed, initially, inner, insert, instead, intersect, into, `is`, isnull
    case join
    case key
    case last, left, like, limit
    case match, materialized
    case natural, no, not, nothing, notnull, null, nulls
    case of, offset, on, or, order, others, outer, over
    case partition, plan, pragma, preceding, primary
    case query
    case raise, range, recursive, references, regexp, reindex, release, rename, replace, restrict, returning, right, rollback, row, rows
    case savepoint, select, set
    case table, temp, temporary, then, ties, to, transaction, trigger
    case unbounded, union, unique, update, using
    case vacuum, values, view, virtual
    case when, `where`, window, with, without
    // Not keywords in SQLite (identifiers there), recognised by context only.
    case stored, strict, `true`, `false`, rowid
    // PostgreSQL additions, all non-reserved.
    case ilike, array, start, show, reset, call, session, local, isolation, level, read, write
    case committed, uncommitted, repeatable, serializable, only, work, verbose

    /// Upper-case spelling.
    public var spelling: String { Keyword.spellings[Int(rawValue)] }

    /// Reserved words of SQLite: never an identifier unless quoted.
    public var isReserved: Bool {
        switch self {
        case .add, .all, .alter, .and, .as, .autoincrement, .between, .case, .check, .collate,
             .commit, .constraint, .create, .default, .deferrable, .delete, .distinct, .drop,
             .else, .escape, .except, .exists, .foreign, .from, .group, .having, .in, .index,
             .insert, .intersect, .into, .is, .isnull, .join, .limit, .not, .nothing, .notnull,
             .null, .on, .or, .order, .primary, .references, .returning, .select, .set, .table,
             .then, .to, .transaction, .union, .unique, .update, .using, .values, .when, .where,
             // join keywords: names, but handled separately
             .cross, .full, .inner, .left, .natural, .outer, .right:
            return true
        default:
            return false
        }
    }

    /// CROSS, FULL, INNER, LEFT, NATURAL, OUTER, RIGHT: names, but never implicit aliases.
    public var isJoinKeyword: Bool {
        switch self {
        case .cross, .full, .inner, .left, .natural, .outer, .right: return true
        default: return false
        }
    }

    static let spellings: [String] = Keyword.allCases.map { String(describing: $0).uppercased() }

    // Open-addressing table keyed by a case-folded hash of the spelling.
    static let tableSize = 1024
    static let hashTable: [UInt8] = {
        var t = [UInt8](repeating: 0, count: tableSize)
        for k in Keyword.allCases where k != .none {
            let bytes = Array(k.spelling.utf8)
            var h = hashBytes(bytes, 0, bytes.count) & (tableSize - 1)
            while t[h] != 0 { h = (h + 1) & (tableSize - 1) }
            t[h] = k.rawValue
        }
        return t
    }()
    /// All spellings back to back; `spellingStart[k]..<spellingStart[k + 1]` is keyword k's.
    static let spellingFlat: [UInt8] = spellings.flatMap { Array($0.utf8) }
    static let spellingStart: [Int] = {
        var starts: [Int] = [0]
        for sp in spellings { starts.append(starts.last! + sp.utf8.count) }
        return starts
    }()

    /// The lookup tables, fetched once per tokenize call rather than once per word.
    struct Tables {
        let hash = Keyword.hashTable
        let flat = Keyword.spellingFlat
        let start = Keyword.spellingStart
    }

    @inline(__always)
    static func hashBytes(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        var h = end - start
        var i = start
        while i < end { h = (h &* 31) &+ Int(p[i] & 0xDF); i += 1 }
        return h & 0x7fff_ffff
    }
    static func hashBytes(_ a: [UInt8], _ start: Int, _ end: Int) -> Int {
        a.withUnsafeBufferPointer { hashBytes($0, start, end) }
    }

    /// Looks a word up (ASCII case-insensitive); `.none` when it is not a keyword.
    static func lookup(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Keyword {
        lookup(p, start, end, Tables())
    }

    @inline(__always)
    static func lookup(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ t: Tables) -> Keyword {
        let n = end - start
        if n < 2 || n > 17 { return .none }
        var h = hashBytes(p, start, end) & (tableSize - 1)
        while true {
            let raw = t.hash[h]
            if raw == 0 { return .none }
            let s = t.start[Int(raw)]
            if t.start[Int(raw) + 1] - s == n {
                var i = 0
                while i < n {
                    let c = p[start + i]
                    let u = (c >= 97 && c <= 122) ? c - 32 : c
                    if u != t.flat[s + i] { break }
                    i += 1
                }
                if i == n { return Keyword(rawValue: raw).unsafelyUnwrapped }
            }
            h = (h + 1) & (tableSize - 1)
        }
    }

    /// The lexer's lookup tables: a keyword is found by its length and its first eight bytes
    /// (ASCII letters folded to upper case with `& 0xDF`, packed little-endian into a UInt64),
    /// hashed into an open-addressing table; bytes past the eighth are compared one by one.
    /// Folding with `& 0xDF` is safe because keyword spellings hold only A-Z and `_`, and only
    /// `a-z`/`A-Z`/`_` fold onto those bytes among the bytes that can occur in a word.
    struct FastTables {
        /// slot -> keyword raw value (0: empty)
        let slots: UnsafePointer<UInt8>
        /// keyword raw value -> packed first eight bytes
        let prefix: UnsafePointer<UInt64>
        /// keyword raw value -> spelling length
        let length: UnsafePointer<UInt8>
        /// keyword raw value -> offset of its spelling in `flat`
        let offset: UnsafePointer<Int32>
        let flat: UnsafePointer<UInt8>
    }
    static let fastSlotBits = 10
    @inline(__always) static func fastHash(_ prefix: UInt64, _ length: Int) -> Int {
        Int(truncatingIfNeeded: ((prefix &+ UInt64(length)) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - fastSlotBits))
    }
    nonisolated(unsafe) static let fastTables: FastTables = {
        let count = Keyword.allCases.count
        let slotCount = 1 << fastSlotBits
        let slots = UnsafeMutablePointer<UInt8>.allocate(capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
        let prefix = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
        let length = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
        let offset = UnsafeMutablePointer<Int32>.allocate(capacity: count)
        let flatBytes = spellingFlat
        let flat = UnsafeMutablePointer<UInt8>.allocate(capacity: flatBytes.count + 1)
        flat.initialize(from: flatBytes, count: flatBytes.count)
        for k in Keyword.allCases {
            let r = Int(k.rawValue)
            let bytes = Array(k.spelling.utf8)
            var v: UInt64 = 0
            for (j, c) in bytes.prefix(8).enumerated() { v |= UInt64(c & 0xDF) << UInt64(8 * j) }
            prefix[r] = v
            length[r] = UInt8(bytes.count)
            offset[r] = Int32(spellingStart[r])
            if k == .none { continue }
            var h = fastHash(v, bytes.count)
            while slots[h] != 0 { h = (h + 1) & (slotCount - 1) }
            slots[h] = k.rawValue
        }
        return FastTables(slots: slots, prefix: prefix, length: length, offset: offset, flat: flat)
    }()

    /// Looks a word up (ASCII case-insensitive); `.none` when it is not a keyword.
    @inline(__always)
    static func lookupFast(_ q: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ total: Int, _ t: FastTables) -> Keyword {
        let n = end - start
        if n < 2 || n > 17 { return .none }
        var v: UInt64 = 0
        if start + 8 <= total {
            // one unaligned load, bytes past the word masked off
            v = UnsafeRawPointer(q + start).loadUnaligned(as: UInt64.self).littleEndian
            if n < 8 { v &= (1 &<< UInt64(8 * n)) &- 1 }
            v &= 0xDFDF_DFDF_DFDF_DFDF
        } else {
            let m = min(n, 8)
            var j = 0
            while j < m { v |= UInt64(q[start + j] & 0xDF) &<< UInt64(8 * j); j += 1 }
        }
        var h = fastHash(v, n)
        while true {
            let raw = t.slots[h]
            if raw == 0 { return .none }
            let r = Int(raw)
            if t.prefix[r] == v && Int(t.length[r]) == n {
                if n <= 8 { return Keyword(rawValue: raw).unsafelyUnwrapped }
                let o = Int(t.offset[r])
                var i = 8
                while i < n && (q[start + i] & 0xDF) == t.flat[o + i] { i += 1 }
                if i == n { return Keyword(rawValue: raw).unsafelyUnwrapped }
            }
            h = (h + 1) & ((1 << fastSlotBits) - 1)
        }
    }

    /// Looks up a Swift string (used by the printer to decide quoting).
    public static func lookup(_ word: String) -> Keyword {
        var s = word
        return s.withUTF8 { lookup($0, 0, $0.count) }
    }
}

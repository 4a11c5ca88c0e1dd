import LimitlessSupport

/// Session settings: the three `rds_aurora.limitless_create_table_*` variables the engine acts
/// on, and any other PostgreSQL setting, which is remembered and shown back but changes nothing.
struct SessionSettings {
    static let mode = "rds_aurora.limitless_create_table_mode"
    static let shardKey = "rds_aurora.limitless_create_table_shard_key"
    static let collocateWith = "rds_aurora.limitless_create_table_collocate_with"
    static let explainOptions = "rds_aurora.limitless_explain_options"
    static let limitless: [String] = [mode, shardKey, collocateWith, explainOptions]

    /// Defaults PostgreSQL reports for settings a client commonly asks for.
    static let postgresDefaults: [String: String] = [
        "search_path": "\"$user\", public", "timezone": "UTC", "datestyle": "ISO, MDY",
        "client_encoding": "UTF8", "server_encoding": "UTF8", "server_version": "16.6",
        "standard_conforming_strings": "on", "application_name": "", "transaction_isolation": "read committed",
        "default_transaction_isolation": "read committed", "statement_timeout": "0", "lock_timeout": "0",
        "intervalstyle": "postgres", "extra_float_digits": "1", "client_min_messages": "notice",
        "max_connections": "5000", "work_mem": "4MB", "synchronous_commit": "on", "is_superuser": "off",
        "transaction_read_only": "off", "default_transaction_read_only": "off",
    ]

    var session: [String: String] = [:]
    var local: [String: String] = [:]

    func value(_ name: String) -> String? {
        if let v = local[name] { return v }
        if let v = session[name] { return v }
        switch name {
        case SessionSettings.mode: return "standard"
        case SessionSettings.shardKey, SessionSettings.collocateWith: return ""
        case SessionSettings.explainOptions: return "single_shard_optimization"
        default: return SessionSettings.postgresDefaults[name]
        }
    }

    var createMode: String { value(SessionSettings.mode) ?? "standard" }
    var shardKeyColumns: [String] { (try? SessionSettings.parseArray(value(SessionSettings.shardKey) ?? "")) ?? [] }
    var collocateWith: String { value(SessionSettings.collocateWith) ?? "" }
    var explainOptionList: Set<String> {
        Set((value(SessionSettings.explainOptions) ?? "").split(separator: ",").map(String.init))
    }

    mutating func endTransaction() { local.removeAll() }

    /// Checks a value for one of the limitless variables; returns it normalised.
    static func validate(_ name: String, _ value: String) throws(EngineError) -> String {
        switch name {
        case mode:
            let v = value.lowercased()
            guard ["standard", "sharded", "reference"].contains(v) else {
                throw EngineError("invalid value for parameter \"\(name)\": \"\(value)\"", code: "22023")
            }
            return v
        case shardKey:
            if value.isEmpty { return value }
            let cols = try parseArray(value)
            if cols.isEmpty { throw EngineError("invalid value for parameter \"\(name)\": \"\(value)\"", code: "22023") }
            return value
        case collocateWith:
            return value
        case explainOptions:
            // A comma-separated subset of Aurora's EXPLAIN options.
            let items = value.split(separator: ",").map { String($0).trimmingSpaces.lowercased() }.filter { !$0.isEmpty }
            for item in items where !["single_shard_optimization", "shard_plans"].contains(item) {
                throw EngineError("invalid value for parameter \"\(name)\": \"\(value)\"", code: "22023")
            }
            return items.joined(separator: ",")
        default:
            throw EngineError("unrecognized configuration parameter \"\(name)\"", code: "42704")
        }
    }

    static func checkKnown(_ name: String) throws(EngineError) {
        if name.hasPrefix("rds_aurora.") && !limitless.contains(name) {
            throw EngineError("unrecognized configuration parameter \"\(name)\"", code: "42704")
        }
    }

    /// A PostgreSQL array literal of names: `{a,"b c"}`.
    static func parseArray(_ text: String) throws(EngineError) -> [String] {
        let t = text.trimmingSpaces
        if t.isEmpty { return [] }
        guard t.hasPrefix("{"), t.hasSuffix("}") else {
            throw EngineError("malformed array literal: \"\(text)\"", code: "22P02")
        }
        var items: [String] = []
        var cur = ""
        var quoted = false, wasQuoted = false
        var chars = Array(t.dropFirst().dropLast())
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\\", i + 1 < chars.count { cur.append(chars[i + 1]); i += 2; continue }
                if c == "\"" { quoted = false; i += 1; continue }
                cur.append(c)
            } else if c == "\"" {
                quoted = true; wasQuoted = true
            } else if c == "," {
                items.append(wasQuoted ? cur : cur.trimmingSpaces); cur = ""; wasQuoted = false
            } else {
                cur.append(c)
            }
            i += 1
        }
        if quoted { throw EngineError("malformed array literal: \"\(text)\"", code: "22P02") }
        if !cur.trimmingSpaces.isEmpty || wasQuoted || !items.isEmpty { items.append(wasQuoted ? cur : cur.trimmingSpaces) }
        chars.removeAll()
        if items.contains(where: { $0.isEmpty }) { throw EngineError("malformed array literal: \"\(text)\"", code: "22P02") }
        return items
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}

extension ClusterEngine {
    /// The setting name at `i`: words joined by dots (`rds_aurora.limitless_create_table_mode`).
    private func settingName(_ sql: String, _ toks: [Token], _ i: inout Int) -> String? {
        guard i < toks.count, toks[i].isName else { return nil }
        var name = Tokens.name(sql, toks[i]).lowercased()
        i += 1
        while i + 1 < toks.count, toks[i].kind == .punct, toks[i].text == ".", toks[i + 1].isName {
            name += "." + Tokens.name(sql, toks[i + 1]).lowercased()
            i += 2
        }
        return name
    }

    func set(_ sql: String, _ toks: [Token]) throws(EngineError) -> StatementResult {
        var i = 1
        var isLocal = false
        if i < toks.count, toks[i].isWord("LOCAL") { isLocal = true; i += 1 }
        else if i < toks.count, toks[i].isWord("SESSION") { i += 1 }
        if i < toks.count, toks[i].isWord("TRANSACTION") { return try setTransaction(toks) }
        if i < toks.count, toks[i].isWord("CONSTRAINTS") { return .command(tag: "SET", rowsAffected: nil) }
        // SET SESSION CHARACTERISTICS AS TRANSACTION … sets the session's default.
        if i + 2 < toks.count, toks[i].isWord("CHARACTERISTICS"), toks[i + 1].isWord("AS"), toks[i + 2].isWord("TRANSACTION") {
            if toks.contains(where: { $0.isWord("ISOLATION") }) {
                settings.session["default_transaction_isolation"] = try isolationLevel(toks)
                settings.local["default_transaction_isolation"] = nil
            }
            if let readOnly = ClusterEngine.readOnlyMode(toks) {
                settings.session["default_transaction_read_only"] = readOnly ? "on" : "off"
                settings.local["default_transaction_read_only"] = nil
            }
            return .command(tag: "SET", rowsAffected: nil)
        }
        guard var name = settingName(sql, toks, &i) else {
            throw EngineError("syntax error at end of input", code: "42601")
        }
        if name == "time" && i < toks.count && toks[i].isWord("ZONE") { name = "timezone"; i += 1 }
        else {
            guard i < toks.count, toks[i].isWord("TO") || (toks[i].kind == .punct && toks[i].text == "=") else {
                throw EngineError("syntax error at or near \"\(i < toks.count ? Tokens.name(sql, toks[i]) : "")\"", code: "42601")
            }
            i += 1
        }
        var parts: [String] = []
        var isDefault = false
        while i < toks.count {
            let t = toks[i]
            if t.kind == .punct && t.text == ";" { break }
            if t.kind == .punct && t.text == "," { i += 1; continue }
            if t.isWord("DEFAULT") { isDefault = true }
            parts.append(t.kind == .word ? Tokens.name(sql, t) : t.text)
            i += 1
        }
        guard !parts.isEmpty else { throw EngineError("syntax error at end of input", code: "42601") }
        let value = parts.joined(separator: ", ")
        if name.hasPrefix("rds_aurora.") {
            if isDefault {
                try SessionSettings.checkKnown(name)
                settings.session[name] = nil; settings.local[name] = nil
                return .command(tag: "SET", rowsAffected: nil)
            }
            let v = try SessionSettings.validate(name, value)
            if isLocal {
                if explicitTransaction { settings.local[name] = v }
                else { Console.err("WARNING:  SET LOCAL can only be used in transaction blocks\n") }
            } else {
                settings.session[name] = v
                settings.local[name] = nil
            }
            return .command(tag: "SET", rowsAffected: nil)
        }
        if name == "transaction_isolation" && !isDefault {
            return try setTransactionIsolation(try normalizedIsolation(value))
        }
        var stored = name == "default_transaction_isolation" && !isDefault ? try normalizedIsolation(value) : value
        if name == "default_transaction_read_only" && !isDefault {
            switch value.lowercased() {
            case "on", "true", "yes", "1", "t", "y": stored = "on"
            case "off", "false", "no", "0", "f", "n": stored = "off"
            default: throw EngineError("parameter \"\(name)\" requires a Boolean value", code: "22023")
            }
        }
        if isDefault { settings.session[name] = nil; settings.local[name] = nil }
        else if isLocal { if explicitTransaction { settings.local[name] = stored } }
        else { settings.session[name] = stored }
        return .command(tag: "SET", rowsAffected: nil)
    }

    func reset(_ sql: String, _ toks: [Token]) throws(EngineError) -> StatementResult {
        var i = 1
        if i < toks.count, toks[i].isWord("ALL") {
            settings.session.removeAll(); settings.local.removeAll()
            return .command(tag: "RESET", rowsAffected: nil)
        }
        guard let name = settingName(sql, toks, &i) else { throw EngineError("syntax error at end of input", code: "42601") }
        try SessionSettings.checkKnown(name)
        settings.session[name] = nil
        settings.local[name] = nil
        return .command(tag: "RESET", rowsAffected: nil)
    }

    func show(_ sql: String, _ toks: [Token]) throws(EngineError) -> StatementResult {
        var i = 1
        guard let name = settingName(sql, toks, &i) else { throw EngineError("syntax error at end of input", code: "42601") }
        if name == "all" {
            var rows: [[SQLValue]] = []
            for n in (SessionSettings.limitless + SessionSettings.postgresDefaults.keys.sorted()) {
                rows.append([.text(n), .text(settings.value(n) ?? "")])
            }
            return .rows(command: "SHOW", columns: ["name", "setting"], rows: rows)
        }
        try SessionSettings.checkKnown(name)
        if name == "transaction_read_only" {
            let on = explicitTransaction ? blockReadOnly : (settings.value("default_transaction_read_only") ?? "off") == "on"
            return .rows(command: "SHOW", columns: [name], rows: [[.text(on ? "on" : "off")]])
        }
        if name == "transaction_isolation" {
            // The level in effect: the block's own, else the session default a block would get.
            let level = explicitTransaction ? (repeatableRead ? "repeatable read" : "read committed")
                : (settings.value("default_transaction_isolation") ?? "read committed")
            return .rows(command: "SHOW", columns: [name], rows: [[.text(level)]])
        }
        guard let v = settings.value(name) else {
            throw EngineError("unrecognized configuration parameter \"\(name)\"", code: "42704")
        }
        return .rows(command: "SHOW", columns: [name], rows: [[.text(v)]])
    }

    /// `SET TRANSACTION …`: only the isolation level matters here (READ ONLY / READ WRITE /
    /// DEFERRABLE are accepted and change nothing).
    func setTransaction(_ toks: [Token]) throws(EngineError) -> StatementResult {
        if !explicitTransaction {
            // As PostgreSQL: a warning, and the modes last for no transaction.
            Console.err("WARNING:  SET TRANSACTION can only be used in transaction blocks\n")
            return .command(tag: "SET", rowsAffected: nil)
        }
        if let readOnly = ClusterEngine.readOnlyMode(toks) {
            if !readOnly && blockReadOnly && blockRanQuery {
                throw EngineError("transaction read-write mode must be set before any query", code: "25001")
            }
            blockReadOnly = readOnly
        }
        guard toks.contains(where: { $0.isWord("ISOLATION") }) else { return .command(tag: "SET", rowsAffected: nil) }
        return try setTransactionIsolation(try isolationLevel(toks))
    }

    /// Changes the open block's isolation level, which PostgreSQL allows until its first query.
    func setTransactionIsolation(_ level: String) throws(EngineError) -> StatementResult {
        if !explicitTransaction {
            Console.err("WARNING:  SET TRANSACTION can only be used in transaction blocks\n")
            return .command(tag: "SET", rowsAffected: nil)
        }
        if blockRanQuery && (level == "repeatable read") != repeatableRead {
            throw EngineError("SET TRANSACTION ISOLATION LEVEL must be called before any query", code: "25001")
        }
        if level == "repeatable read" { repeatableRead = true } else { endTransactionSnapshot() }
        return .command(tag: "SET", rowsAffected: nil)
    }
}

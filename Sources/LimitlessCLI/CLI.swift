import LimitlessSupport
import LimitlessEngine

/// The command-line front door: parses arguments, runs a command, returns the exit status.
public enum CLI {
    public static let version = "0.1.0"

    public static func run(_ arguments: [String]) -> Int32 {
        Interrupts.install()
        do {
            switch try ArgumentParser().parse(arguments) {
            case .version:
                Console.out("limitless \(version) (SQLite \(LimitlessEngine.sqliteVersion))\n")
                Console.flush()
                return 0
            case let .help(name):
                Console.out(try Help.text(for: name))
                Console.flush()
                return 0
            case let .run(invocation):
                let status = try execute(invocation)
                Console.flush()
                return status
            }
        } catch {
            Console.flush()
            Console.err(error.text)
            return error.status
        }
    }

    static func execute(_ inv: ArgumentParser.Invocation) throws(CLIError) -> Int32 {
        switch inv.command.name {
        case "sql": return try runSQL(inv)
        case "__complete": return Completer.main()  // candidates for the shell, one per line
        default: return try runAWS(inv)
        }
    }

    /// The region for ARNs and endpoints: --region, AWS_REGION, AWS_DEFAULT_REGION, us-east-1.
    static func region(_ inv: ArgumentParser.Invocation) -> String {
        for candidate in [inv.string("--region"), Environment.get("AWS_REGION"), Environment.get("AWS_DEFAULT_REGION")] {
            if let r = candidate, !r.isEmpty { return r }
        }
        return "us-east-1"
    }

    static func runAWS(_ inv: ArgumentParser.Invocation) throws(CLIError) -> Int32 {
        let command = inv.command
        let operation = command.operation ?? command.name
        let debug = inv.flag("--debug")
        let log: (String) -> Void = { message in
            if debug { Console.err("\(Clock.nowISO8601()) - limitless - DEBUG - \(message)\n") }
        }
        var format = AWSOutputFormat.json
        if let o = inv.string("--output") ?? Environment.get("AWS_DEFAULT_OUTPUT"), let f = AWSOutputFormat(rawValue: o) {
            format = f
        }
        var query: JMESPathExpression?
        if let q = inv.string("--query") {
            do { query = try JMESPathExpression(q) } catch { throw .parameter(error.message) }
        }
        if let url = inv.string("--endpoint-url"), !hasURLScheme(url) {
            throw .parameter("Bad value for --endpoint-url \"\(url)\": scheme is missing.  Must be of the form http://<hostname>/ or https://<hostname>/")
        }
        if let which = inv.string("--generate-cli-skeleton") {
            let shape = which == "output" ? (command.output ?? .structure([])) : Parameters.inputShape(command)
            Console.out(AWSRender.json(Parameters.skeleton(shape)))
            return 0
        }
        var request = try Parameters().build(inv)
        let region = region(inv)
        log("limitless \(version); command \(command.name) (\(operation)); region \(region); LIMITLESS_HOME \(Environment.limitlessHome)")
        if let url = inv.string("--endpoint-url") { log("--endpoint-url \(url) ignored: everything runs locally") }
        if request["MasterUserPassword"] != nil {
            var masked = request
            masked.set("MasterUserPassword", .string("****"))
            log("request \(masked.serialized(.compact))")
        } else {
            log("request \(request.serialized(.compact))")
        }
        let plane = ControlPlane(store: Store(home: Environment.limitlessHome), region: region, log: log)
        let response = try plane.run(command, request)
        request = .null
        var shown = response
        if let query {
            // A query that compiles can still fail on the data (an unknown function, a wrong
            // argument type): aws prints the JMESPath message and exits 255.
            do { shown = try query.search(response) } catch { throw .other(error.message) }
        }
        Console.out(AWSRender.render(shown, format: format, operation: operation))
        return 0
    }

    /// Python's `urlparse(url).scheme` is non-empty: a letter, then letters, digits, `+-.`, then `:`.
    static func hasURLScheme(_ url: String) -> Bool {
        guard let colon = url.firstIndex(of: ":") else { return false }
        let scheme = url[..<colon]
        guard let first = scheme.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII else { return false }
        return scheme.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0)) }
    }

    static func runSQL(_ inv: ArgumentParser.Invocation) throws(CLIError) -> Int32 {
        let given = inv.string("--db-cluster-identifier") ?? ""
        let id = given.lowercased()
        var inputs: [SQLInput] = []
        for a in inv.appended where a.member == "inputs" {
            inputs.append(a.option == "--command" ? .command(a.value) : .file(a.value))
        }
        let options = SQLOptions(
            clusterIdentifier: id,
            inputs: inputs,
            output: SQLOutputFormat(rawValue: inv.string("--output") ?? "table") ?? .table,
            onError: SQLOnError(rawValue: inv.string("--on-error") ?? "stop") ?? .stop,
            singleTransaction: inv.flag("--single-transaction"),
            quiet: inv.flag("--quiet"))
        let store = Store(home: Environment.limitlessHome)
        guard Rules.isValidIdentifier(given) else {
            throw CLIError(.local("\(pyRepr(given)) is not a valid DB cluster identifier", status: 2))
        }
        let data: String
        do {
            let lock = try store.lock(exclusive: false)
            defer { lock?.unlock() }
            guard try store.loadCluster(id) != nil else {
                throw CLIError(.local("DB cluster \(id) not found (see `limitless describe-db-clusters`)", status: 2))
            }
            guard try store.loadShardGroup(id) != nil else {
                throw CLIError(.local("DB cluster \(id) has no DB shard group; create one with `limitless create-db-shard-group`", status: 2))
            }
            data = store.dataDirectory(id)
        }
        Console.flush()
        return SQLCommand.run(options, dataDirectory: data)
    }
}

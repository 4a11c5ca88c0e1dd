/// The SQL front end: lexer, parser, AST and printer. See issue 3.
public enum SQLSyntax {}

/// Writes the bash, zsh and fish completion scripts from the command table.
///
/// The scripts stay thin: the command names (with their summaries, for zsh and fish) are written
/// into them, since those never change for a given binary; everything that depends on what is
/// already on the line — options, values, file names, identifiers on disk — comes from
/// `limitless __complete` (see `Completer`), which reads `COMP_LINE` as bash's `complete -C`
/// protocol defines it. The committed files are checked against this generator by a test
/// (`LIMITLESS_RECORD=1` rewrites them).
public enum CompletionScripts {
    /// File name (under completions/) to contents.
    public static func all() -> [(name: String, text: String)] {
        [("limitless.bash", bash()), ("_limitless", zsh()), ("limitless.fish", fish())]
    }

    static var visibleCommands: [CommandSpec] { CommandTable.commands.filter { !$0.hidden } }

    static let notice = "GENERATED from the command table (Sources/LimitlessCLI/Completions); do not edit."

    public static func bash() -> String {
        let names = visibleCommands.map(\.name).joined(separator: " ")
        return """
            # bash completion for limitless -- \(notice)
            # Install as $(PREFIX)/share/bash-completion/completions/limitless, or source it from ~/.bashrc.
            # Options, values and identifiers come from `limitless __complete`, which reads COMP_LINE.

            _limitless() {
                local cur=${COMP_WORDS[COMP_CWORD]}
                local line=${COMP_LINE:0:COMP_POINT}
                local IFS=$'\\n'
                local -a found
                if [[ $COMP_CWORD -eq 1 && $cur != -* ]]; then
                    found=($(IFS=' '; compgen -W "\(names)" -- "$cur"))
                else
                    local bin=${COMP_WORDS[0]}
                    [[ $bin == */* ]] || bin=limitless
                    found=($(COMP_LINE=$line COMP_POINT= "${bin/#\\~/$HOME}" __complete 2>/dev/null))
                    # bash splits words at = and : too (COMP_WORDBREAKS); the candidates are whole
                    # words, so drop what lies before the piece bash is completing.
                    local word=${line##*[[:space:]]}
                    local cut=$(( ${#word} - ${#cur} ))
                    local i
                    for i in "${!found[@]}"; do
                        (( cut > 0 )) && found[i]=${found[i]:cut}
                        [[ ${found[i]} == *[!A-Za-z0-9._/:=@%+,~-]* && $cur != [\\'\\"]* ]] &&
                            printf -v 'found[i]' %q "${found[i]}"
                    done
                fi
                [[ ${#found[@]} -eq 1 && ${found[0]} == */ ]] && compopt -o nospace 2>/dev/null
                COMPREPLY=("${found[@]}")
            }
            complete -F _limitless limitless

            """
    }

    /// `name:description` for zsh's _describe (colons in the name escaped).
    static func zshItem(_ name: String, _ description: String) -> String {
        let n = name.replacing(":", with: "\\:")
        return shellSingleQuoted(n + ":" + description)
    }

    public static func zsh() -> String {
        let items = visibleCommands.map { "        " + zshItem($0.name, $0.summary) }.joined(separator: "\n")
        return """
            #compdef limitless
            # zsh completion for limitless -- \(notice)
            # Install as $(PREFIX)/share/zsh/site-functions/_limitless (a folder on $fpath).
            # Options, values and identifiers come from `limitless __complete`, which reads COMP_LINE.

            _limitless() {
                if (( CURRENT == 2 )) && [[ $PREFIX != -* ]]; then
                    local -a commands
                    commands=(
            \(items)
                    )
                    _describe -t commands 'limitless command' commands
                    return
                fi
                local bin=${words[1]}
                [[ $bin == */* ]] || bin=limitless
                local line="${(j: :)words[1,CURRENT-1]} $PREFIX"
                local -a lines described plain folders
                lines=(${(f)"$(COMP_LINE=$line COMP_POINT= LIMITLESS_COMPLETE_DESCRIPTIONS=1 ${~bin} __complete 2>/dev/null)"})
                (( ${#lines} )) || return 1
                local l word
                for l in $lines; do
                    word=${l%%$'\\t'*}
                    if [[ $word == */ ]]; then
                        folders+=($word)
                    elif [[ $l == *$'\\t'* ]]; then
                        described+=("${word//:/\\\\:}:${l#*$'\\t'}")
                    else
                        plain+=($word)
                    fi
                done
                # (not the tag `options`: zsh offers those only once a `-` is typed)
                (( ${#described} )) && _describe -t candidates 'limitless' described
                (( ${#plain} )) && compadd -U -- $plain
                (( ${#folders} )) && compadd -U -S '' -- $folders
                return 0
            }

            if [[ $funcstack[1] == _limitless ]]; then
                _limitless "$@"
            else
                compdef _limitless limitless
            fi

            """
    }

    public static func fish() -> String {
        let lines = visibleCommands.map {
            "complete -c limitless -n __limitless_first -a \($0.name) -d \(shellSingleQuoted($0.summary))"
        }
        return """
            # fish completion for limitless -- \(notice)
            # Install as $(PREFIX)/share/fish/vendor_completions.d/limitless.fish.
            # Options, values and identifiers come from `limitless __complete`, which reads COMP_LINE.

            # The command name is being typed: no other word yet, and not an option.
            function __limitless_first
                test (count (commandline -opc)) -eq 1; and not string match -q -- '-*' (commandline -ct)
            end

            function __limitless_complete
                set -l bin (commandline -opc)[1]
                string match -q -- '*/*' $bin; or set bin limitless
                COMP_LINE=(commandline -cp) COMP_POINT= LIMITLESS_COMPLETE_DESCRIPTIONS=1 $bin __complete 2>/dev/null
            end

            complete -c limitless -f
            \(lines.joined(separator: "\n"))
            complete -c limitless -n 'not __limitless_first' -a '(__limitless_complete)'

            """
    }

    /// `'text'` for sh, zsh and fish (a `'` inside written as `'\''`; fish reads `\'` in quotes).
    static func shellSingleQuoted(_ s: String) -> String {
        "'" + s.replacing("'", with: "'\\''") + "'"
    }
}

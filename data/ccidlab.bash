# bash completion for ccidlab(1).  Subcommands and their options come
# from the command's own help (`ccidlab --help`, `ccidlab SUB --help`), so
# that they follow the installed version; reader names come from
# `ccidlab list --json` when a control socket answers (the --socket given
# on the line, else $CCIDLAB_CTL_SOCKET as inside a lab, else pcscd's).

# The subcommands: the "  name  description" lines of `ccidlab --help`.
_ccidlab_subcommands()
{
    "$1" --help 2>/dev/null | awk '/^Subcommands:/ { on = 1; next }
        on && /^  [a-z]/ { print $1; next }
        on && !/^  / { on = 0 }'
}

# The long options of a subcommand, "--name" or "--name=" when it takes
# a value (GLib's help: "  -x, --name=ARG   ..." or "  --name   ...").
_ccidlab_options()
{
    "$1" "$2" --help 2>/dev/null | sed -n \
        -e 's/^ *\(-[A-Za-z?], \)\{0,1\}\(--[a-z][a-z0-9-]*\)=.*/\2=/p' \
        -e 's/^ *\(-[A-Za-z?], \)\{0,1\}\(--[a-z][a-z0-9-]*\)\( .*\)\{0,1\}$/\2/p'
}

# What the value of option $3 of subcommand $2 is (its help's ARG):
# PATH, FILE, DIR... or nothing.
_ccidlab_option_arg()
{
    "$1" "$2" --help 2>/dev/null |
        sed -n "s/^ *\(-[A-Za-z?], \)\{0,1\}$3=\([A-Z][A-Z]*\).*/\2/p" | head -n 1
}

# Reader names: each reader's name and number ("name", "reader") from `ccidlab list --json`,
# one bounded try (1 s) on the socket of the line.
_ccidlab_readers()
{
    local cmd=$1 sock=$2
    local args=(list --json --timeout 1)
    [[ -n $sock ]] && args+=(--socket "$sock")
    "$cmd" "${args[@]}" 2>/dev/null |
        grep -o '"\(name\|reader\)" *: *\("[^"]*"\|[0-9][0-9]*\)' |
        sed -e 's/^"[a-z]*" *: *//' -e 's/^"\(.*\)"$/\1/' | sort -u
}

_ccidlab()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -n = || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi
    local cmd=${words[0]} sub="" sock="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        --socket=*) sock=${words[i]#--socket=} ;;
        --socket) sock=${words[i+1]} ;;
        --) [[ -n $sub ]] && { _ccidlab_after_dashdash "$i"; return; } ;;
        -*) ;;
        *) [[ -z $sub ]] && sub=${words[i]} ;;
        esac
    done

    if [[ -z $sub ]]; then
        COMPREPLY=($(compgen -W "$(_ccidlab_subcommands "$cmd") --help --version" -- "$cur"))
        return
    fi
    [[ $sub == help ]] && {
        COMPREPLY=($(compgen -W "$(_ccidlab_subcommands "$cmd")" -- "$cur"))
        return
    }

    # A value: --opt=VALUE in this word, or VALUE after "--opt".
    local opt="" val=$cur
    if [[ $cur == --*=* ]]; then
        opt=${cur%%=*}
        val=${cur#*=}
    elif [[ $prev == --* ]] && _ccidlab_options "$cmd" "$sub" | grep -qx -- "$prev="; then
        opt=$prev
    fi
    if [[ -n $opt ]]; then
        case $(_ccidlab_option_arg "$cmd" "$sub" "$opt") in
        DIR) COMPREPLY=($(compgen -d -- "$val")) ;;
        FILE|PATH|LIBS|F) COMPREPLY=($(compgen -f -- "$val")) ;;
        *) COMPREPLY=() ;;
        esac
        compopt -o filenames 2>/dev/null
        return
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_ccidlab_options "$cmd" "$sub")" -- "$cur"))
        [[ ${COMPREPLY[0]-} == *= ]] && compopt -o nospace 2>/dev/null
        return
    fi

    # Positional words: reader names for subcommands whose usage names a
    # READER, file names for the others.
    if "$cmd" "$sub" --help 2>/dev/null | sed -n '1,3p' | grep -q READER; then
        local IFS=$'\n'
        COMPREPLY=($(compgen -W "$(_ccidlab_readers "$cmd" "$sock")" -- "$cur"))
        [[ $sub == trace ]] && COMPREPLY+=($(compgen -W off -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
        compopt -o filenames 2>/dev/null
    fi
}

# After "--" of lab, vm...: the command to run, completed as bash would.
_ccidlab_after_dashdash()
{
    local skip=$(( $1 + 1 ))
    if declare -F _command_offset >/dev/null 2>&1; then
        _command_offset "$skip"
    elif (( COMP_CWORD == skip )); then
        COMPREPLY=($(compgen -c -- "${COMP_WORDS[COMP_CWORD]}"))
    else
        COMPREPLY=($(compgen -f -- "${COMP_WORDS[COMP_CWORD]}"))
    fi
}

complete -F _ccidlab ccidlab

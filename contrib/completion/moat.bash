# bash completion for moat(8) and moat-runtime(8).
# Installed as bash-completion/completions/moat and .../moat-runtime; or
# source it from ~/.bashrc. Needs no bash-completion helpers.
#
# moat's commands and each command's flags come from the installed binary's
# own --help (`moat --help`, `moat COMMAND --help`), so new commands complete
# without a change here. moat-runtime speaks runc's grammar: its verbs and
# flags are listed below, after shim/argv.cc.

_moat_words() { # _moat_words WORDLIST: COMPREPLY from the words matching $cur
  local IFS=$'\n'
  COMPREPLY=($(compgen -W "$1" -- "$cur"))
}

# The commands `moat --help` lists: lines "  NAME  summary" after "Commands:".
_moat_commands() {
  "$1" --help 2>/dev/null | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }'
}

# The long flags `moat COMMAND [SUB] --help` mentions.
_moat_flags() {
  "$@" --help 2>/dev/null | grep -oE '(^|[[:space:][])--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+' | sort -u
}

_moat() {
  local cur prev cmd i
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD - 1]}"
  COMPREPLY=()
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      -*) ;;
      *) cmd="${COMP_WORDS[i]}"; break ;;
    esac
  done
  if [[ -z "$cmd" ]]; then
    if [[ "$cur" == -* ]]; then
      _moat_words $'--help\n--version'
    else
      _moat_words "$(_moat_commands "${COMP_WORDS[0]}")"
    fi
    return 0
  fi
  case "$prev" in
    --bundle | --dir | --profiles-dir | --policy | --root | --state | --out | --key | --keyring | -b)
      COMPREPLY=($(compgen -d -- "$cur"))
      return 0
      ;;
    --output) _moat_words $'text\njson'; return 0 ;;
  esac
  if [[ "$cur" == -* ]]; then
    # Subcommands with their own verbs (moat profile check): pass the verb on.
    local args=("${COMP_WORDS[0]}" "$cmd")
    if ((i + 1 < COMP_CWORD)) && [[ "${COMP_WORDS[i + 1]}" != -* ]]; then
      args+=("${COMP_WORDS[i + 1]}")
    fi
    _moat_words "$(_moat_flags "${args[@]}")"
    return 0
  fi
  # A verb of the command ("moat profile check"), from its --help's usage lines.
  if ((i + 1 == COMP_CWORD)); then
    local verbs
    verbs="$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null |
      sed -n -E "s/^(usage: +| +)moat $cmd ([a-z][a-z-]*)( .*)?$/\2/p" | sort -u)"
    if [[ -n "$verbs" ]]; then
      _moat_words "$verbs"
      return 0
    fi
  fi
  # moat verify's copies: the transports, then the directory after "dir:" /
  # "oci:" (bash splits the word at ":", COMP_WORDBREAKS, so cur is the path).
  if [[ "$cmd" == verify && "$prev" != : && "$prev" != --* ]]; then
    COMPREPLY=($(compgen -W 'dir: oci:' -- "$cur") $(compgen -f -- "$cur"))
    compopt -o nospace 2>/dev/null || true
    return 0
  fi
  if [[ "$prev" == : ]] && ((COMP_CWORD >= 2)) && [[ "${COMP_WORDS[COMP_CWORD - 2]}" == dir || "${COMP_WORDS[COMP_CWORD - 2]}" == oci ]]; then
    COMPREPLY=($(compgen -d -- "$cur"))
    return 0
  fi
  COMPREPLY=($(compgen -f -- "$cur"))
}

_moat_runtime_verbs='checkpoint create delete events exec features help kill list pause ps restore resume run spec start state update'
_moat_runtime_global='--debug --log --log-format --root --criu --systemd-cgroup --rootless --help --version'

_moat_runtime() {
  local cur prev verb i flags
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD - 1]}"
  COMPREPLY=()
  case "$prev" in
    --root | --bundle | -b | --image-path | --work-path) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
    --log | --pid-file | --process | -p | --console-socket | --criu) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    --log-format) COMPREPLY=($(compgen -W 'text json' -- "$cur")); return 0 ;;
  esac
  verb=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      --root | --log | --log-format | --criu | --rootless) ((i++)) ;; # takes a value
      -*) ;;
      *) verb="${COMP_WORDS[i]}"; break ;;
    esac
  done
  if [[ -z "$verb" ]]; then
    if [[ "$cur" == -* ]]; then
      COMPREPLY=($(compgen -W "$_moat_runtime_global" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$_moat_runtime_verbs" -- "$cur"))
    fi
    return 0
  fi
  case "$verb" in
    create) flags='--bundle --console-socket --pid-file --no-pivot --no-new-keyring --preserve-fds' ;;
    run) flags='--bundle --console-socket --detach --keep --pid-file --no-subreaper --no-pivot --no-new-keyring --preserve-fds' ;;
    exec) flags='--console-socket --cwd --env --tty --user --additional-gids --process --detach --pid-file --process-label --apparmor --no-new-privs --cap --preserve-fds --cgroup --ignore-paused' ;;
    update) flags='--resources --blkio-weight --cpu-period --cpu-quota --cpu-share --cpu-rt-period --cpu-rt-runtime --cpuset-cpus --cpuset-mems --kernel-memory --kernel-memory-tcp --memory --memory-reservation --memory-swap --pids-limit --l3-cache-schema --mem-bw-schema' ;;
    delete) flags='--force' ;;
    kill) flags='--all' ;;
    list) flags='--format --quiet' ;;
    ps) flags='--format' ;;
    restore) flags='--console-socket --image-path --work-path --tcp-established --ext-unix-sk --shell-job --file-locks --manage-cgroups-mode --bundle --detach --pid-file --no-subreaper --no-pivot --empty-ns --auto-dedup --lazy-pages --lsm-profile --lsm-mount-context' ;;
    *) flags='' ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags --help" -- "$cur"))
  fi
  return 0
}

complete -F _moat moat
complete -F _moat_runtime moat-runtime

# Helpers the scripts share; `source` it. Messages name the script that runs (`$0`).

# Prints a progress line to stderr.
say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# Prints a failure, and the last lines of a log file if one is given and exists, then exits 1.
die() {
    printf '%s: FAILED: %s\n' "${0##*/}" "$1" >&2
    if [ $# -gt 1 ] && [ -f "$2" ]; then
        printf -- '--- last lines of %s ---\n' "$2" >&2
        tail -n 40 "$2" >&2
    fi
    exit 1
}

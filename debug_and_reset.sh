#!/usr/bin/env bash
# Reset the connector's local state, run `fivetran debug` on the staged files deploy.sh ships (tools/stage.sh), then
# show sample rows, the operation summary and the next sync state. files/ stays in the project folder.
# `--demo` does all of it against the reference FTS API (tools/fts_api.py) on a free local port.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: debug_and_reset.sh [--configuration FILE] [-y|--yes]
       debug_and_reset.sh --demo [-y|--yes]
       debug_and_reset.sh -h|--help

Resets the connector (deletes files/state.json and files/warehouse.db with `fivetran reset`), runs the connector
with `fivetran debug` on the files deploy.sh ships (staged in a temporary folder; files/ stays in the project), then
prints 5 sample rows, the operation summary and the next sync state.

Options:
  --configuration FILE  configuration JSON for `fivetran debug` (default: configuration.json in the project; the
                        key may be encrypted by `fivetran configuration`)
  --demo                start the reference FTS API on a free local port and sync from it (no real API key needed)
  -y, --yes             do not ask before deleting the local state and warehouse (required when stdin is not a
                        terminal)
  -h, --help            show this help

Environment:
  PYTHON    Python with fivetran-connector-sdk (and duckdb for the sample rows) (default: python3)
  FIVETRAN  fivetran CLI (default: fivetran)

Exit status: that of `fivetran debug`; 2 for a usage or configuration error; 1 when cancelled.
EOF
}

die() {  # die <status> <message...>
    local status=$1
    shift
    printf '✗ %s\n' "$*" >&2
    exit "$status"
}

PYTHON=${PYTHON:-python3}
FIVETRAN=${FIVETRAN:-fivetran}
PROJECT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEMO_RECORDS=750
GET_PREREQUISITES="run it through tox (\`tox exec -e demo -- bash debug_and_reset.sh\`) or \`pip install -r requirements-dev.txt\`"
SERVER_START_TIMEOUT=20  # seconds to wait for the reference API's "listening" line

configuration=""
demo=false
assume_yes=false
while [[ $# -gt 0 ]]; do
    case "$1" in
        --configuration)
            [[ $# -ge 2 && -n "$2" ]] || die 2 "--configuration needs a file name (see --help)"
            configuration=$2
            shift 2
            ;;
        --configuration=*)
            configuration=${1#--configuration=}
            [[ -n "$configuration" ]] || die 2 "--configuration needs a file name (see --help)"
            shift
            ;;
        --demo) demo=true; shift ;;
        -y|--yes) assume_yes=true; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die 2 "unknown argument: $1" ;;
    esac
done
if $demo && [[ -n "$configuration" ]]; then
    die 2 "--demo writes its own configuration; do not combine it with --configuration"
fi
if [[ -n "$configuration" && "$configuration" != /* ]]; then
    configuration="$PWD/$configuration"  # relative to where the script was called from
fi
configuration=${configuration:-$PROJECT_DIR/configuration.json}

# ------------------------------------------------------------------ prerequisites

command -v "$PYTHON" >/dev/null 2>&1 || die 2 "Python not found: '$PYTHON'. Install Python 3, or $GET_PREREQUISITES"
"$PYTHON" -c 'import fivetran_connector_sdk' >/dev/null 2>&1 \
    || die 2 "fivetran-connector-sdk is not installed for $PYTHON: $GET_PREREQUISITES"
command -v "$FIVETRAN" >/dev/null 2>&1 || die 2 "fivetran CLI not found: '$FIVETRAN'. $GET_PREREQUISITES"

cd "$PROJECT_DIR"
for required in connector.py requirements.txt; do
    [[ -f "$required" ]] || die 2 "Required file not found: $PROJECT_DIR/$required"
done
if $demo; then
    [[ -f tools/fts_api.py ]] || die 2 "--demo needs the reference FTS API: $PROJECT_DIR/tools/fts_api.py not found"
else
    [[ -f "$configuration" ]] || die 2 "Configuration file not found: $configuration (run \`fivetran configuration\` to write one, or run with --demo)"
    # Prints nothing but the problem: the file's values (the API key among them) are never shown.
    if ! problem=$("$PYTHON" -m tools.check_configuration "$configuration" 2>&1); then
        die 2 "${problem:-invalid configuration: $configuration}"
    fi
fi

# The table name, from the connector code: `TABLE = "..."`, else a schema entry `"table": "..."`.
detect_table() {
    local sources=(connector.py) file match pattern
    while IFS= read -r file; do sources+=("$file"); done < <(
        find . -mindepth 2 -maxdepth 2 -name '*.py' -not -path './tests/*' -not -path './tools/*' \
            -not -path './.*' -not -path './files/*' | LC_ALL=C sort)
    local q="[\"']" id='[A-Za-z_][A-Za-z0-9_]*'
    for pattern in "^[[:space:]]*TABLE[[:space:]]*=[[:space:]]*${q}${id}${q}" \
                   "${q}table${q}[[:space:]]*:[[:space:]]*${q}${id}${q}"; do
        match=$(grep -hoE "$pattern" "${sources[@]}" 2>/dev/null | head -n 1 || true)
        if [[ -n "$match" ]]; then
            match=${match%[\"\']}
            printf '%s\n' "${match##*[\"\']}"
            return 0
        fi
    done
    return 1
}

table=""
if table=$(detect_table); then
    echo "✓ Detected table name: $table"
else
    table=""
    echo "⚠ Could not detect the table name from the connector code; the sample query will be skipped"
fi

# ------------------------------------------------------------------ confirmation

echo "==========================================================="
echo "         Fivetran Connector Debug & Reset Script          "
echo "==========================================================="
echo
if $demo; then
    echo "Demo mode: syncing $DEMO_RECORDS records from the reference FTS API on a local port."
fi
echo "This will reset your connector, delete current state and warehouse.db files."
if $assume_yes; then
    echo "Do you want to continue? (Y/n): y (--yes)"
elif [[ -t 0 ]]; then
    while true; do
        read -r -p "Do you want to continue? (Y/n): " answer || answer=n
        case "$answer" in
            ""|y|Y|yes|YES|Yes) break ;;
            n|N|no|NO|No) echo "Cancelled: nothing was deleted."; exit 1 ;;
            *) echo "Please answer y or n." ;;
        esac
    done
else
    die 2 "stdin is not a terminal, so the reset cannot be confirmed: nothing was deleted. Re-run with --yes to reset without asking."
fi
echo

# ------------------------------------------------------------------ temporary files, demo server, cleanup

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/fts-debug.XXXXXXXX")
server_pid=""

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        local waited=0
        while kill -0 "$server_pid" 2>/dev/null && [[ $waited -lt 50 ]]; do
            sleep 0.1
            waited=$((waited + 1))
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        echo "✓ Reference FTS API stopped"
    fi
    rm -rf "$work_dir"
    exit "$status"
}
trap cleanup EXIT
trap 'echo; echo "✗ Interrupted" >&2; exit 130' INT
trap 'echo "✗ Terminated" >&2; exit 143' TERM

if $demo; then
    server_log="$work_dir/server.log"
    demo_key="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
    echo "Starting the reference FTS API ($DEMO_RECORDS records)..."
    : >"$server_log"  # exists before the server's own redirection does, for the polling below
    FTS_API_KEY="$demo_key" PYTHONUNBUFFERED=1 \
        "$PYTHON" -m tools.fts_api --host 127.0.0.1 --port 0 --records "$DEMO_RECORDS" >"$server_log" 2>&1 &
    server_pid=$!
    base_url=""
    deadline=$((SECONDS + SERVER_START_TIMEOUT))
    while [[ -z "$base_url" ]]; do
        base_url=$(sed -n '1s/^FTS reference API listening on \(http:\/\/[^ ]*\).*/\1/p' "$server_log")
        [[ -n "$base_url" ]] && break
        if ! kill -0 "$server_pid" 2>/dev/null; then
            sed 's/^/    /' "$server_log" >&2
            die 1 "The reference FTS API exited before it was ready (output above)"
        fi
        if [[ $SECONDS -ge $deadline ]]; then
            sed 's/^/    /' "$server_log" >&2
            die 1 "The reference FTS API did not report its address within ${SERVER_START_TIMEOUT}s"
        fi
        sleep 0.1
    done
    echo "✓ Reference FTS API listening on $base_url (pid $server_pid)"
    configuration="$work_dir/configuration.json"
    (umask 077 && printf '{\n  "api_key": "%s",\n  "base_url": "%s",\n  "page_size": "100"\n}\n' \
        "$demo_key" "$base_url" >"$configuration")
    echo
fi

# ------------------------------------------------------------------ step 1: reset

echo "Step 1: Resetting Fivetran connector..."
had_files=false
[[ -d files ]] && had_files=true
reset_log="$work_dir/reset.log"
if ! "$FIVETRAN" reset "$PROJECT_DIR" --yes >"$reset_log" 2>&1; then
    sed 's/^/    /' "$reset_log" >&2
    die 1 "fivetran reset failed (output above)"
fi
if [[ -e files/state.json || -e files/warehouse.db ]]; then
    sed 's/^/    /' "$reset_log" >&2
    die 1 "fivetran reset did not delete files/state.json and files/warehouse.db (output above)"
fi
if $had_files; then
    echo "✓ Reset successful"
else
    echo "✓ Reset successful (nothing to delete: no files/ folder yet)"
fi
echo

# ------------------------------------------------------------------ step 2: debug

echo "Step 2: Running debug with configuration..."
echo "(Real-time output will be displayed below)"
echo
# What deploy.sh ships, staged; its files/ and crash-reports/ are the project's, so the state, the warehouse and
# any crash report land where they always did.
stage_dir="$work_dir/connector"
mkdir -p "$stage_dir" files crash-reports
bash "$PROJECT_DIR/tools/stage.sh" "$stage_dir" || die 2 "Staging the connector failed (see above)"
ln -s "$PROJECT_DIR/files" "$stage_dir/files"
ln -s "$PROJECT_DIR/crash-reports" "$stage_dir/crash-reports"
debug_log="$work_dir/debug.log"
debug_status=0
# The SDK logs every checkpoint's state whole (22 KB a line at 750 tracked record_ids): on screen such lines are cut
# short; the log keeps them, and the state is summarised at the end.
(cd "$stage_dir" && PYTHONUNBUFFERED=1 "$FIVETRAN" debug "$stage_dir" --configuration "$configuration") 2>&1 \
    | tee "$debug_log" \
    | awk '{
        if (length($0) > 400 && index($0, "checkpoint recorded: ")) {
            print substr($0, 1, 240) "… (" length($0) " characters; the state is summarised at the end)"
        } else {
            print
        }
        fflush()
    }' || debug_status=$?
echo

plain_log="$work_dir/debug.plain.log"
sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$debug_log" >"$plain_log"  # without colours, for the extracts below

print_summary() {
    # The SDK's "Operation | Counts" block: its header line, then every following line with a "|" or a rule.
    local block
    block=$(awk '
        !inside && /Operation[[:space:]]*\|/ { inside = 1 }
        inside {
            if ($0 !~ /\|/ && $0 !~ /^[[:space:]]*-+\+-+[[:space:]]*$/) exit
            sub(/^[[:space:]]+/, ""); sub(/[[:space:]]+$/, ""); print "  " $0
        }' "$plain_log")
    echo "==================== OPERATION SUMMARY ===================="
    if [[ -n "$block" ]]; then
        printf '%s\n' "$block"
    else
        echo "  (no operation summary in the debug output)"
    fi
    echo "==========================================================="
}

print_state() {
    local state_file="$PROJECT_DIR/files/state.json"
    if [[ -f "$state_file" ]]; then
        local state
        state=$(cd "$PROJECT_DIR" && "$PYTHON" -m tools.state_summary "$state_file" 2>/dev/null || cat "$state_file")
        echo "Next sync state: $state"
    else
        echo "Next sync state: (none saved: files/state.json does not exist)"
    fi
}

if [[ $debug_status -ne 0 ]]; then
    echo "✗ Debug failed (fivetran debug exited with status $debug_status)"
    echo
    echo "==================== ERROR ===================="
    errors=$(grep -E 'SYNC FAILED|^[[:space:]]*Error:|SEVERE|[Cc]rash report saved' "$plain_log" \
        | sed 's/^[[:space:]]*//' | awk '!seen[$0]++' || true)
    if [[ -n "$errors" ]]; then
        printf '%s\n' "$errors"
    else
        echo "(no error line recognised; the last lines of the output were:)"
        tail -n 20 "$plain_log"
    fi
    echo "==============================================="
    echo
    print_summary
    echo
    print_state
    exit "$debug_status"
fi
echo "✓ Debug completed"
echo

# ------------------------------------------------------------------ step 3: sample query

if [[ -n "$table" ]]; then
    query="SELECT * FROM tester.$table LIMIT 5"
    echo "Step 3: Querying sample data from DuckDB..."
    echo "Running query: $query;"
    echo
    if [[ ! -f files/warehouse.db ]]; then
        echo "⚠ files/warehouse.db was not written; no sample rows to show"
    elif "$PYTHON" -c 'import duckdb' 2>/dev/null; then
        "$PYTHON" - "$PROJECT_DIR/files/warehouse.db" "$query" <<'PY' || echo "⚠ The sample query failed (see above)"
import shutil, sys
import duckdb
with duckdb.connect(sys.argv[1], read_only=True) as db:
    db.sql(sys.argv[2]).show(max_width=shutil.get_terminal_size((120, 24)).columns)
PY
    elif command -v duckdb >/dev/null 2>&1; then
        duckdb -readonly files/warehouse.db "$query;" || echo "⚠ The sample query failed (see above)"
    else
        echo "⚠ Neither the duckdb Python package ($PYTHON) nor the duckdb CLI is available; skipping the query"
    fi
    echo
fi

print_summary
echo
echo "✓ Debug and reset operations completed."
print_state
exit "$debug_status"

#!/usr/bin/env bash
# Deploy the connector to Fivetran with `fivetran deploy`, from a staging folder that holds only what runs in
# Fivetran (tools/stage.sh: connector.py, requirements.txt, fts_connector/, contracts/): tests, cassettes and tools
# never ship, and the SDK's dependency check sees only shipped code.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: deploy.sh [--configuration FILE] [--python-version VERSION] [--dry-run]
       deploy.sh -h|--help

Asks for the Fivetran account name, destination name and connection name (defaults from the environment), then
runs `fivetran deploy` on a staged copy of connector.py, requirements.txt, fts_connector/ and contracts/.

Options:
  --configuration FILE      configuration JSON sent with the connection (default: configuration.json in the project)
  --python-version VERSION  the Python Fivetran runs the connector on: 3.10, 3.11, 3.12 or 3.13, the versions the
                            tests run on (default 3.11, what `tox` runs here and in CI)
  --dry-run                 print the staged files and the command (API key masked); deploy nothing
  -h, --help                show this help

Environment (used as defaults; when stdin is not a terminal they are used without asking):
  FIVETRAN_ACCOUNT_NAME      default MDS_SNOWFLAKE_HOL
  FIVETRAN_DESTINATION_NAME  default NEW_SALES_ENG_HANDS_ON_LAB
  FIVETRAN_CONNECTION_NAME   no default; lowercase letters, digits and underscores
  FIVETRAN_API_KEY           the base64-encoded Fivetran API key; asked for (hidden) when unset
  PYTHON                     Python with fivetran-connector-sdk, to check the configuration (default: python3)
  FIVETRAN                   fivetran CLI (default: fivetran)

Exit status: that of `fivetran deploy`; 2 for a usage or configuration error.
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
read -ra SUPPORTED_PYTHON_VERSIONS <"$PROJECT_DIR/tools/python-versions"  # the one list: CI tests each
DEFAULT_PYTHON_VERSION=3.11
GET_PREREQUISITES="run it through tox (\`tox exec -e demo -- bash deploy.sh\`) or \`pip install -r requirements-dev.txt\`"

configuration=""
python_version=$DEFAULT_PYTHON_VERSION
dry_run=false
while [[ $# -gt 0 ]]; do
    case "$1" in
        --configuration)
            [[ $# -ge 2 && -n "$2" ]] || die 2 "--configuration needs a file name (see --help)"
            configuration=$2
            shift 2
            ;;
        --configuration=*) configuration=${1#--configuration=}; shift ;;
        --python-version|--python)
            [[ $# -ge 2 && -n "$2" ]] || die 2 "$1 needs a version, e.g. 3.12 (see --help)"
            python_version=$2
            shift 2
            ;;
        --python-version=*) python_version=${1#--python-version=}; shift ;;
        --dry-run) dry_run=true; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die 2 "unknown argument: $1" ;;
    esac
done
if [[ -n "$configuration" && "$configuration" != /* ]]; then
    configuration="$PWD/$configuration"  # relative to where the script was called from
fi
configuration=${configuration:-$PROJECT_DIR/configuration.json}

# ------------------------------------------------------------------ prerequisites, then the configuration check

command -v "$PYTHON" >/dev/null 2>&1 || die 2 "Python not found: '$PYTHON'. Install Python 3, or $GET_PREREQUISITES"
"$PYTHON" -c 'import fivetran_connector_sdk' >/dev/null 2>&1 \
    || die 2 "fivetran-connector-sdk is not installed for $PYTHON: $GET_PREREQUISITES"
if ! $dry_run; then
    command -v "$FIVETRAN" >/dev/null 2>&1 || die 2 "fivetran CLI not found: '$FIVETRAN'. $GET_PREREQUISITES"
fi
supported=" ${SUPPORTED_PYTHON_VERSIONS[*]} "
[[ "$supported" == *" $python_version "* ]] \
    || die 2 "--python-version $python_version is not supported: use one of ${SUPPORTED_PYTHON_VERSIONS[*]} (the tests run on these)"
cd "$PROJECT_DIR"
[[ -f "$configuration" ]] || die 2 "Configuration file not found: $configuration (run \`fivetran configuration\` to write one)"
# Prints nothing but the problem: the file's values (the FTS API key among them) are never shown.
if ! problem=$("$PYTHON" -m tools.check_configuration "$configuration" 2>&1); then
    die 2 "${problem:-invalid configuration: $configuration}"
fi
echo "✓ Configuration check passed: $configuration"

# ------------------------------------------------------------------ account information

interactive=false
[[ -t 0 ]] && interactive=true

ask() {  # ask <prompt> <default>: the answer, or the default when empty or when stdin is not a terminal
    local prompt=$1 default=$2 answer=""
    if $interactive; then
        if [[ -n "$default" ]]; then
            read -r -p "$prompt [$default]: " answer || true
        else
            read -r -p "$prompt: " answer || true
        fi
    fi
    printf '%s\n' "${answer:-$default}"
}

account=$(ask "Enter your Fivetran Account Name" "${FIVETRAN_ACCOUNT_NAME:-MDS_SNOWFLAKE_HOL}")
destination=$(ask "Enter your Fivetran Destination Name" "${FIVETRAN_DESTINATION_NAME:-NEW_SALES_ENG_HANDS_ON_LAB}")
connection=$(ask "Enter a unique Fivetran Connection Name (lowercase letters, digits, _)" \
    "${FIVETRAN_CONNECTION_NAME:-}")

[[ -n "$destination" ]] || die 2 "The destination name is required (set FIVETRAN_DESTINATION_NAME)"
if [[ -z "$connection" ]]; then
    die 2 "The connection name is required: set FIVETRAN_CONNECTION_NAME (e.g. a_new_fts_connector)$($interactive || echo ' when stdin is not a terminal')"
fi
if [[ ! "$connection" =~ ^[a-z0-9_]+$ ]]; then
    die 2 "Invalid connection name '$connection': use only lowercase letters, digits and underscores (e.g. a_new_fts_connector)"
fi

api_key=${FIVETRAN_API_KEY:-}
if [[ -z "$api_key" ]] && $interactive && ! $dry_run; then
    read -r -s -p "Enter your Fivetran API key for account $account (input hidden): " api_key || true
    echo >&2
fi
if [[ -z "$api_key" ]] && ! $dry_run; then
    die 2 "The Fivetran API key is required: set FIVETRAN_API_KEY$($interactive || echo ' (stdin is not a terminal, so it cannot be asked for)')"
fi

# ------------------------------------------------------------------ staging

stage_dir=$(mktemp -d "${TMPDIR:-/tmp}/fts-deploy.XXXXXXXX")
trap 'rm -rf "$stage_dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bash "$PROJECT_DIR/tools/stage.sh" "$stage_dir" || die 2 "Staging the connector failed (see above)"

# The key reaches `fivetran deploy` through its FIVETRAN_API_KEY variable, never on the command line (where `ps`
# would show it).
command=("$FIVETRAN" deploy "$stage_dir" --destination "$destination" \
    --connection "$connection" --configuration "$configuration" --python-version "$python_version")

shown_command() {  # the command as text, the API key shown as ***
    local shown=("FIVETRAN_API_KEY=$([[ -n "$api_key" ]] && echo '***' || echo '<not set>')") word
    for word in "${command[@]}"; do
        shown+=("$(printf '%q' "$word")")
    done
    printf '%s\n' "${shown[*]}"
}

echo "Account: $account | Destination: $destination | Connection: $connection"
echo "Staged files ($stage_dir):"
(cd "$stage_dir" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | sed 's/^/  /')

if $dry_run; then
    echo
    echo "Dry run: would run (from the staging folder):"
    echo "  $(shown_command)"
    exit 0
fi

echo
echo "Deploying connector..."
echo "Running: $(shown_command)"
status=0
(cd "$stage_dir" && FIVETRAN_API_KEY="$api_key" "${command[@]}") || status=$?
if [[ $status -ne 0 ]]; then
    echo "✗ fivetran deploy failed (exit status $status)" >&2
fi
exit "$status"

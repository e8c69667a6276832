#!/usr/bin/env bash
# Copies what Fivetran runs into an empty folder: the one list of shipped files, used by deploy.sh (which deploys
# that folder), debug_and_reset.sh (which runs `fivetran debug` on it) and the tests. The SDK's dependency check
# then sees only shipped code, and there is no pyproject.toml to take for the dependency manifest.
#
#     tools/stage.sh FOLDER
set -euo pipefail

SHIPPED=(connector.py requirements.txt fts_connector contracts)

[[ $# -eq 1 && -d "$1" ]] || { echo "usage: tools/stage.sh FOLDER (an existing folder)" >&2; exit 2; }
project_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for item in "${SHIPPED[@]}"; do
    [[ -e "$project_dir/$item" ]] || { echo "Required file not found: $project_dir/$item" >&2; exit 2; }
    cp -R "$project_dir/$item" "$1/"
done
find "$1" \( -name '__pycache__' -o -name '*.pyc' -o -name '.pytest_cache' -o -name '.DS_Store' \) \
    -prune -exec rm -rf {} +

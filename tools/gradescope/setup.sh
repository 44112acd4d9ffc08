#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu): it installs uv, a Python
# and the locked environment into /autograder/source/.venv, byte-compiled, then sets the permissions so that
# grade.py's worker, which runs the learner's code as another user, can read the grader and the environment but not
# the fixtures, and can change nothing. Written by tools/make_gradescope.py from tools/gradescope/setup.sh.
set -euo pipefail
umask 022

autograder="${AUTOGRADER_ROOT:-/autograder}"  # AUTOGRADER_ROOT: for the self-tests only
source_dir="$autograder/source"
uv_version="@UV_VERSION@"
python_version="@PYTHON_VERSION@"
torch_index="@TORCH_INDEX@"  # empty: torch as uv.lock has it; otherwise its CPU-only build from this index
torch_version="@TORCH_VERSION@"
cuda_only=(@CUDA_ONLY@)  # what only torch's CUDA build needs: left out when torch_index is set

# Python goes where every user can run it (not root's home); the download cache is deleted at the end.
export UV_PYTHON_INSTALL_DIR=/opt/uv/python UV_CACHE_DIR=/tmp/uv-cache UV_LINK_MODE=copy
export UV_PYTHON="$python_version" UV_NO_PROGRESS=1

if ! command -v uv >/dev/null 2>&1; then
    echo "== installing uv $uv_version"
    if ! command -v curl >/dev/null 2>&1; then
        apt-get update -q
        apt-get install -y -q --no-install-recommends curl ca-certificates
    fi
    curl -LsSf "https://astral.sh/uv/$uv_version/install.sh" | env UV_INSTALL_DIR=/usr/local/bin UV_NO_MODIFY_PATH=1 sh
fi
uv --version

cd "$source_dir"
echo "== the locked environment (Python $python_version)"
if [ -z "$torch_index" ]; then
    uv sync --locked --no-dev --compile-bytecode
else
    skip=(--no-install-package torch)
    for package in "${cuda_only[@]}"; do
        skip+=(--no-install-package "$package")
    done
    uv sync --locked --no-dev --compile-bytecode "${skip[@]}"
    uv pip install --python .venv/bin/python --no-deps --compile-bytecode --index-url "$torch_index" \
        "torch==$torch_version"
fi
# the worker cannot write __pycache__ here, so compile the grader now rather than at every import.
.venv/bin/python -m compileall -q course grader trainer tools assignment grade.py
.venv/bin/python -c "import torch, safetensors, rich; print('torch', torch.__version__, 'imports')"

echo "== permissions"
chmod o+x "$autograder"  # the way to the grader, without listing what else is there
chmod -R a+rX,go-w "$source_dir"
chmod -R go= "$source_dir/fixtures" "$source_dir/fixtures-hidden"  # the expected outputs: grade.py's only
if [ -d /opt/uv ]; then
    chmod -R a+rX,go-w /opt/uv
fi
rm -rf "$UV_CACHE_DIR"
echo "== the autograder is ready"

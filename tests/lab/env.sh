# Go environment for the lab: Debian's Go in GOPATH mode, with govmomi and x/crypto from
# Debian packages (/usr/share/gocode) and the lab's own packages under tests/lab/src/labsim.
lab_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export GO111MODULE=off
export GOPATH="$lab_dir:/usr/share/gocode"
export GOFLAGS=-mod=
export GOCACHE="${GOCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vm-capture-go-build}"

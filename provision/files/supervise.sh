#!/bin/sh
# supervise NAME COMMAND...: keep COMMAND running (restart it when it exits) until `supervise-stop NAME`.
# Used where systemd is not the init and so cannot keep a daemon up.
set -u
name=$1; shift
run=/run/labconform; log=/var/log/labconform
mkdir -p "$run" "$log"
echo $$ > "$run/$name.supervisor.pid"
rm -f "$run/$name.stop"
child=
trap 'touch "$run/$name.stop"; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; rm -f "$run/$name.pid" "$run/$name.supervisor.pid"; exit 0' TERM INT
while [ ! -e "$run/$name.stop" ]; do
    echo "$(date -u +%FT%TZ) supervise: starting $*" >> "$log/$name.log"
    "$@" >> "$log/$name.log" 2>&1 &
    child=$!
    echo "$child" > "$run/$name.pid"
    wait "$child"
    echo "$(date -u +%FT%TZ) supervise: $1 exited with $?" >> "$log/$name.log"
    [ -e "$run/$name.stop" ] || sleep 2
done
rm -f "$run/$name.pid" "$run/$name.supervisor.pid"

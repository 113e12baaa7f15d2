#!/usr/bin/env bash
# Entrypoint of Gyre's PostgreSQL image. It follows the official postgres image's contract for
# the parts Gyre relies on, so that a user may swap in that image (GYRE_DB_IMAGE) unchanged:
#   POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE (required), POSTGRES_USER (default postgres),
#   POSTGRES_DB (default $POSTGRES_USER), POSTGRES_INITDB_ARGS, PGDATA,
#   /docker-entrypoint-initdb.d/*.sql and *.sh run once, on first start.
# Host connections need a scram-sha-256 password; local socket connections are trusted.
set -Eeuo pipefail

# Reads VAR or VAR_FILE (for Docker and Compose secrets), refusing both at once.
file_env() {
	local var="$1" file_var="${1}_FILE" default="${2:-}"
	if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
		echo >&2 "error: both $var and $file_var are set; set only one of them"
		exit 1
	fi
	local value="$default"
	if [ -n "${!var:-}" ]; then
		value="${!var}"
	elif [ -n "${!file_var:-}" ]; then
		value="$(< "${!file_var}")"
	fi
	export "$var"="$value"
	unset "$file_var"
}

# As root: own the data directory, then re-run this script as postgres.
prepare_as_root() {
	mkdir -p "$PGDATA" /var/run/postgresql
	chown -R postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	exec gosu postgres "${BASH_SOURCE[0]}" "$@"
}

init_cluster() {
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	if [ -z "$POSTGRES_PASSWORD" ]; then
		echo >&2 "error: the database is uninitialized and POSTGRES_PASSWORD is not set."
		echo >&2 "       Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to the superuser's password."
		exit 1
	fi
	# The password goes through a pipe, never argv, so `ps` cannot show it.
	# shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of flags on purpose
	initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
		--auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
		${POSTGRES_INITDB_ARGS:-} -D "$PGDATA"
	printf '\n# Gyre: accept password connections from every network the container is on.\nhost all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
	printf "\nlisten_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
	run_setup
}

# Creates the database and runs init scripts on a server that listens on the socket only,
# so that nothing can connect before setup has finished.
run_setup() {
	pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
	local psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
	if [ "$POSTGRES_DB" != postgres ]; then
		"${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<-'SQL'
			CREATE DATABASE :"db";
		SQL
	fi
	local f
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
			*.sh) echo "running $f"; . "$f" ;;
			*.sql) echo "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
			*) if [ -e "$f" ]; then echo "ignoring $f"; fi ;;
		esac
	done
	pg_ctl -D "$PGDATA" -m fast -w stop
	echo "PostgreSQL init process complete; ready for start up."
}

main() {
	# `docker run IMAGE -c key=value` passes server options, as with the official image.
	if [ "${1:0:1}" = '-' ]; then
		set -- postgres "$@"
	fi
	if [ "$1" = postgres ]; then
		if [ "$(id -u)" = 0 ]; then
			prepare_as_root "$@"
		fi
		if [ ! -s "$PGDATA/PG_VERSION" ]; then
			init_cluster
		fi
		unset POSTGRES_PASSWORD
	fi
	# exec: postgres becomes PID 1 and receives the stop signal itself.
	exec "$@"
}

main "$@"

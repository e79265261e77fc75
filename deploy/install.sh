#!/bin/sh
# Install or upgrade microblog on a Debian/Ubuntu server, from this checkout:
#
#   sudo deploy/install.sh
#
# 1. a system user `microblog` (no login, home /srv/microblog);
# 2. /etc/microblog/microblog.env from deploy/microblog.env, only when it does not exist
#    (then it stops there: edit the settings and run it again);
# 3. the code in /srv/microblog (root's, read-only to the service), its instance folder
#    (the user's: SQLite database if any, secret key, media), /var/log/microblog;
# 4. a virtualenv /srv/microblog/.venv with `pip install .` (no test tools);
# 5. `flask db upgrade` as the user, which also generates instance/secret_key once;
# 6. the systemd units, the logrotate file, the nginx file (only when absent), and a
#    `microblog` command that runs `flask` as the user with the settings file;
# 7. systemctl daemon-reload, enable --now (restart on an upgrade).
#
# Running it again upgrades: new code, dependencies, migrations, restart; the settings file,
# the nginx file and the instance folder are kept.
#
# --prefix DIR puts every path under DIR and creates no user, changes no owner and starts
# nothing (a dry run on a scratch folder: tests/system/test_install.py).
set -eu

PREFIX=""
SOURCE=$(cd "$(dirname "$0")/.." && pwd)
SERVICE_USER=microblog
PYTHON=${PYTHON:-python3}

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) PREFIX=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
        --prefix=*) PREFIX=$(mkdir -p "${1#*=}" && cd "${1#*=}" && pwd); shift ;;
        --source) SOURCE=$(cd "$2" && pwd); shift 2 ;;
        --python) PYTHON=$2; shift 2 ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1 (--prefix DIR, --source DIR, --python PY)" >&2
           exit 2 ;;
    esac
done

APP=$PREFIX/srv/microblog
ETC=$PREFIX/etc
SETTINGS=$ETC/microblog/microblog.env
LOGS=$PREFIX/var/log/microblog
ACME=$PREFIX/var/www/acme
BIN=$PREFIX/usr/local/bin

say() { printf '==> %s\n' "$*"; }

if [ -z "$PREFIX" ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (sudo), or with --prefix DIR for a scratch install" >&2
    exit 1
fi

# As the service user (a scratch install: as whoever runs this).
as_user() {
    if [ -z "$PREFIX" ]; then runuser -u "$SERVICE_USER" -- "$@"; else "$@"; fi
}

# `flask` in the app folder with the settings file's variables (the way systemd reads it:
# NAME=value lines, spaces allowed, # comments).
with_settings() {
    (
        cd "$APP"
        while IFS= read -r line || [ -n "$line" ]; do
            case "$line" in ''|'#'*) continue ;; esac
            export "$line"
        done < "$SETTINGS"
        as_user "$@"
    )
}

say "user $SERVICE_USER"
if [ -z "$PREFIX" ] && ! id "$SERVICE_USER" >/dev/null 2>&1; then
    useradd --system --home-dir /srv/microblog --no-create-home \
        --shell /usr/sbin/nologin "$SERVICE_USER"
fi

mkdir -p "$ETC/microblog"
FIRST_SETTINGS=""
if [ ! -f "$SETTINGS" ]; then
    cp "$SOURCE/deploy/microblog.env" "$SETTINGS"
    FIRST_SETTINGS=1
else
    say "settings $SETTINGS kept"
fi
if [ -z "$PREFIX" ]; then
    chown "root:$SERVICE_USER" "$SETTINGS"
fi
chmod 0640 "$SETTINGS"

if [ -n "$FIRST_SETTINGS" ]; then
    say "settings written to $SETTINGS: set SITE_URL, TIMEZONE, DATABASE_URL and mail there,"
    say "then run this script again: it installs the code, upgrades the database, starts the blog"
    exit 0
fi

say "code in $APP"
mkdir -p "$APP" "$APP/instance" "$LOGS" "$ACME" "$ETC/microblog" "$BIN"
# Everything but the developer's own state (virtualenv, instance, caches) and the tests.
tar -C "$SOURCE" -cf - \
    --exclude=./.venv --exclude=./instance --exclude=./node_modules --exclude=./.git \
    --exclude=./tests --exclude='*.egg-info' --exclude=__pycache__ --exclude='.*_cache' . \
    | tar -C "$APP" -xf -
if [ -z "$PREFIX" ]; then
    chown -R root:root "$APP"
    chown "$SERVICE_USER:$SERVICE_USER" "$APP/instance"
    chmod 0750 "$APP/instance"
    chown "$SERVICE_USER:adm" "$LOGS"
    chmod 0750 "$LOGS"
fi

say "virtualenv $APP/.venv (pip install . : the app and what it runs on, no test tools)"
[ -x "$APP/.venv/bin/python" ] || "$PYTHON" -m venv "$APP/.venv"
"$APP/.venv/bin/python" -m pip install --upgrade --disable-pip-version-check pip
"$APP/.venv/bin/python" -m pip install --disable-pip-version-check "$APP"
# The service runs this copy (its working directory) and may not write beside it: compile
# it now, or every start would compile every module again.
"$APP/.venv/bin/python" -m compileall -q "$APP/microblog" "$APP/migrations" "$APP/wsgi.py" \
    "$APP/gunicorn.conf.py" >/dev/null

say "the microblog command ($BIN/microblog: flask as $SERVICE_USER with the settings)"
cat > "$BIN/microblog" <<EOF
#!/bin/sh
# flask --app wsgi, in $APP, as $SERVICE_USER, with $SETTINGS: \`microblog doctor\`.
set -eu
cd "$APP"
while IFS= read -r line || [ -n "\$line" ]; do
    case "\$line" in ''|'#'*) continue ;; esac
    export "\$line"
done < "$SETTINGS"
EOF
if [ -z "$PREFIX" ]; then
    echo "exec runuser -u $SERVICE_USER -- $APP/.venv/bin/flask --app wsgi \"\$@\"" \
        >> "$BIN/microblog"
else
    echo "exec $APP/.venv/bin/flask --app wsgi \"\$@\"" >> "$BIN/microblog"
fi
chmod 0755 "$BIN/microblog"

say "database: flask db upgrade (and instance/secret_key, once)"
with_settings "$APP/.venv/bin/flask" --app wsgi db upgrade

say "systemd units, logrotate, nginx"
mkdir -p "$ETC/systemd/system" "$ETC/logrotate.d" "$ETC/nginx/conf.d"
install -m 0644 "$SOURCE/deploy/microblog.service" "$ETC/systemd/system/microblog.service"
install -m 0644 "$SOURCE/deploy/microblog-jobs.service" \
    "$ETC/systemd/system/microblog-jobs.service"
install -m 0644 "$SOURCE/deploy/microblog.logrotate" "$ETC/logrotate.d/microblog"
if [ ! -f "$ETC/nginx/conf.d/microblog.conf" ]; then
    install -m 0644 "$SOURCE/deploy/nginx.conf" "$ETC/nginx/conf.d/microblog.conf"
    mkdir -p "$PREFIX/var/cache/microblog"
    [ -n "$PREFIX" ] || chown www-data "$PREFIX/var/cache/microblog" 2>/dev/null || true
    say "nginx: edit $ETC/nginx/conf.d/microblog.conf (port, TLS), then nginx -t && systemctl reload nginx"
fi

if [ -n "$PREFIX" ]; then
    say "scratch install in $PREFIX: nothing started"
    exit 0
fi
systemctl daemon-reload
systemctl enable microblog.service microblog-jobs.service
systemctl restart microblog.service microblog-jobs.service
say "running: systemctl status microblog microblog-jobs; check the settings: microblog doctor"

/**
 * The remote side of each operation: one small POSIX sh script, passed as the
 * quoted argument of `sh -c`, with its values as quoted positional arguments
 * ($1 is always `<path>`) and file contents on stdin. The remote needs POSIX sh
 * and GNU coreutils (mv -T, sync FILE, stat --printf, sha256sum -z, timeout),
 * plus rsync for uploads; not node.
 *
 * Exit codes: 0 done; 3 and 4 mean what each script says (absent, exists, …);
 * anything else is a failure whose stderr explains it. 255 is ssh's own.
 */

export const ABSENT = 3
export const OTHER = 4

/** mkdir -p of the layout; prints <path> made absolute (a relative one is relative to the login directory). */
export const INIT = `set -eu
if [ -e "$1" ] && [ ! -d "$1" ]; then echo "Input 'path' has invalid value '$1': it is not a directory on this host; expected a directory (or a path to create)" >&2; exit 4; fi
mkdir -p -- "$1"
cd -- "$1"
mkdir -p releases shared .gantry .gantry/manifests
pwd`

/** cat of <path>/<rel>; exit 3 when it does not exist, 4 when it is a directory. */
export const READ = `f=$1/$2
if [ ! -e "$f" ] && [ ! -L "$f" ]; then exit 3; fi
if [ -d "$f" ]; then exit 4; fi
exec cat -- "$f"`

/** Exit 0 when <path> holds Gantry's layout (.gantry/ or releases/), 3 when not. */
export const HAS_LAYOUT = `[ -d "$1/.gantry" ] || [ -d "$1/releases" ] || exit 3`

/** Renames .gantry/history.json to $2 (or $2-2, $2-3, … when taken) without replacing a file; prints the name. */
export const KEEP_ASIDE = `set -eu
cd -- "$1/.gantry"
n=$2; i=1
while [ -e "$n" ] || [ -L "$n" ]; do i=$((i + 1)); n=$2-$i; done
ln -- history.json "$n"
rm -f -- history.json
sync -- .
printf '%s' "$n"`

/**
 * Gives the owner rwx on every directory below $1 that lacks it (a release keeps
 * its source's modes; rm -rf cannot empty a read-only directory). find runs the
 * chmod before it descends. Directories only: a file's mode is shared with every
 * release hard-linked to it, the live one too.
 */
const OPEN_DIRS = `find "./$p" -type d ! -perm -u=rwx -exec chmod u+rwx -- {} \\; 2>/dev/null || :`

/** stdin → <path>/<dir>/<tmp> (all $5 bytes of it), fsync, rename over <name>, fsync the directory. */
export const WRITE_ATOMIC = `set -eu
cd -- "$1/$2"
trap 'rm -f -- "$4"' EXIT
cat > "$4"
# A killed runner ends stdin early: never put a short file in place.
# ($((n)) drops the padding some wc implementations print.)
n=$(wc -c < "$4"); [ $((n)) -eq "$5" ] || { echo "stdin ended after $((n)) of $5 bytes" >&2; exit 1; }
chmod 644 -- "$4"
sync -- "$4"
mv -f -- "$4" "$3"
sync -- .`

/** stdin (all $3 bytes of it) → lock, only when there is none (link(2) fails on EEXIST); exit 3 when one exists. */
export const CREATE_LOCK = `set -u
cd -- "$1/.gantry" || exit 1
trap 'rm -f -- "$2"' EXIT
cat > "$2" || exit 1
n=$(wc -c < "$2") || exit 1
[ $((n)) -eq "$3" ] || { echo "stdin ended after $((n)) of $3 bytes" >&2; exit 1; }
chmod 644 -- "$2"
sync -- "$2" || exit 1
if ln -- "$2" lock 2>/dev/null; then sync -- . || exit 1; exit 0; fi
if [ -e lock ] || [ -L lock ]; then exit 3; fi
ln -- "$2" lock`

/**
 * Removes the lock when it is byte for byte stdin. Moves it aside first and
 * compares what it moved: when another run replaced the lock meanwhile, theirs
 * goes back. Exit 3 when the lock was not (or no longer) the expected one.
 */
export const REMOVE_LOCK = `set -u
cd -- "$1/.gantry" || exit 1
trap 'rm -f -- "$2" "$3"' EXIT
cat > "$3" || exit 1
mv -- lock "$2" 2>/dev/null || exit 3
if cmp -s -- "$2" "$3"; then rm -f -- "$2"; sync -- . || exit 1; exit 0; fi
ln -- "$2" lock 2>/dev/null || :
exit 3`

/** The target of <path>/current; exit 3 when absent, 4 when it is not a symlink. */
export const CURRENT = `c=$1/current
if [ -L "$c" ]; then exec readlink -- "$c"; fi
if [ -e "$c" ]; then exit 4; fi
exit 3`

/**
 * Entries of <path>/<dir> for each dir argument, as '<index>/<name>' NUL-terminated
 * records (a name never holds '/' or NUL, so nothing is ambiguous); a missing
 * directory lists nothing.
 */
export const LIST = `set -u
b=$1; shift; i=0
for d in "$@"; do
  if [ -d "$b/$d" ]; then
    ( cd -- "$b/$d" || exit 1
      for f in * .[!.]* ..?*; do
        if [ -e "$f" ] || [ -L "$f" ]; then printf '%s/%s\\000' "$i" "$f"; fi
      done ) || exit 1
  fi
  i=$((i + 1))
done`

/** rm -rf of each <path>-relative argument (read-only directories too); prints those still there, NUL-terminated. */
export const REMOVE = `set -u
cd -- "$1" || exit 1; shift
for p in "$@"; do
  rm -rf -- "$p" 2>/dev/null || { ${OPEN_DIRS}; rm -rf -- "$p" >&2 || :; }
  if [ -e "$p" ] || [ -L "$p" ]; then printf '%s\\000' "$p"; fi
done
[ "$#" -eq 0 ] || sync -- . releases .gantry .gantry/manifests 2>/dev/null || :`

/** Creates the staging directory; exit 3 when releases/<id> exists. */
export const STAGE = `set -eu
cd -- "$1/releases"
if [ -e "$2" ] || [ -L "$2" ]; then exit 3; fi
mkdir -- "$3"`

/**
 * Shared paths: for each '<rel>' '<link target>' pair, create <path>/shared/<rel>
 * when missing (an empty directory: the runner seeded it from the source
 * before, when the source has it) and link it into the staging release.
 */
export const LINK_SHARED = `set -eu
cd -- "$1"; s=releases/$2; shift 2
while [ "$#" -ge 2 ]; do
  if [ ! -e "shared/$1" ] && [ ! -L "shared/$1" ]; then mkdir -p -- "shared/$1"; fi
  mkdir -p -- "$(dirname -- "$s/$1")"
  ln -s -- "$2" "$s/$1"
  shift 2
done`

/** Which of the shared paths (arguments) are missing under <path>/shared, NUL-terminated. */
export const MISSING_SHARED = `set -u
cd -- "$1" || exit 1; shift
for p in "$@"; do
  if [ ! -e "shared/$p" ] && [ ! -L "shared/$p" ]; then printf '%s\\000' "$p"; mkdir -p -- "$(dirname -- "shared/$p")" || exit 1; fi
done`

/**
 * Every entry below <path>/<dir>: '<raw mode hex> <size> <links> ./<rel>' records,
 * then '#links' and each symlink's path and target, then (deep) '#hashes' and
 * sha256sum -z lines; all NUL-terminated. Exit 3 when the directory is missing.
 */
export const SCAN = `set -u
[ -d "$1/$2" ] || exit 3
cd -- "$1/$2" || exit 1
find . ! -name . -exec stat --printf '%f %s %h %n\\000' -- {} + || exit 1
printf '#links\\000'
find . -type l -exec sh -c 'for f do printf "%s\\000" "$f"; readlink -n -- "$f"; printf "\\000"; done' sh {} + || exit 1
if [ "$3" = deep ]; then
  printf '#hashes\\000'
  find . -type f -exec sha256sum -z -- {} + || exit 1
fi`

/** Renames staging into releases/<id>, fsyncs releases/. */
export const FINISH = `set -eu
cd -- "$1/releases"
mv -T -- "$2" "$3"
sync -- .`

/** Points current at releases/<id>: ln -s to a temp name, mv -T (rename(2)); exit 3 no release, 4 current is a directory. */
export const SWITCH = `set -u
cd -- "$1" || exit 1
[ -d "releases/$2" ] || exit 3
ln -s -- "releases/$2" "$3" || exit 1
if ! mv -T -- "$3" current; then
  rm -f -- "$3"
  if [ -d current ] && [ ! -L current ]; then exit 4; fi
  exit 1
fi
sync -- .`

/** The target of <path>/slots/<name>; exit 3 when absent, 4 when it is not a symlink. */
export const SLOT = `c=$1/slots/$2
if [ -L "$c" ]; then exec readlink -- "$c"; fi
if [ -e "$c" ]; then exit 4; fi
exit 3`

/** Every symlink in <path>/slots: '<name>' NUL '<target>' NUL records; nothing when there is no slots/. */
export const SLOTS = `set -u
[ -d "$1/slots" ] || exit 0
cd -- "$1/slots" || exit 1
for f in * .[!.]* ..?*; do
  if [ -L "$f" ]; then printf '%s\\000' "$f"; readlink -n -- "$f" || exit 1; printf '\\000'; fi
done`

/**
 * Points slots/<name> at ../releases/<id>: '<id>' '<name>' '<temp name>'; ln -s
 * to the temp name, mv -T (rename(2)), as SWITCH does for current; exit 3 no
 * release, 4 the slot is a directory.
 */
export const SWITCH_SLOT = `set -u
cd -- "$1" || exit 1
[ -d "releases/$2" ] || exit 3
mkdir -p slots || exit 1
cd slots || exit 1
ln -s -- "../releases/$2" "$4" || exit 1
if ! mv -T -- "$4" "$3"; then
  rm -f -- "$4"
  if [ -d "$3" ] && [ ! -L "$3" ]; then exit 4; fi
  exit 1
fi
sync -- .`

/** Moves releases/<id> aside (a crash mid-delete leaves a partial, never half a release), then deletes it. */
export const REMOVE_RELEASE = `set -eu
cd -- "$1"
if [ ! -e "releases/$2" ] && [ ! -L "releases/$2" ]; then exit 0; fi
mv -T -- "releases/$2" "releases/$3"
rm -f -- ".gantry/manifests/$2.json"
p=releases/$3
rm -rf -- "$p" 2>/dev/null || { ${OPEN_DIRS}; rm -rf -- "$p"; }`

/** Marker lines: the activate command could not be started (local spawn's ENOENT/EACCES). */
export const CANNOT_RUN = 'gantry: cannot run activate:'

/**
 * Runs the activate command in releases/<id>: '<id>' '<seconds>' NAME=VALUE… '--' argv…
 * bounded by coreutils timeout on the remote side too (killing ssh alone would leave it running).
 */
export const ACTIVATE = `r=$1/releases/$2; t=$3; shift 3
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do export "$1"; shift; done
shift
cd -- "$r" || { echo "${CANNOT_RUN} cannot enter $r" >&2; exit 200; }
case $1 in
  */*) if [ ! -f "$1" ] || [ ! -x "$1" ]; then echo "${CANNOT_RUN} $1 is not an executable file" >&2; exit 200; fi ;;
  *) if ! command -v "$1" >/dev/null 2>&1; then echo "${CANNOT_RUN} $1: command not found" >&2; exit 200; fi ;;
esac
exec timeout -k 5 "$t" "$@"`

/** The last $3 bytes of .gantry/history/$2 (the archive's cursor, history-archive.ts); exit 3 when absent. */
export const ARCHIVE_TAIL = `f=$1/.gantry/history/$2
[ -f "$f" ] || exit 3
exec tail -c "$3" -- "$f"`

/**
 * stdin (all $4 bytes of it, whole lines) appended to .gantry/history/$2 via
 * the temp file $3, so a killed runner never appends a short line; a torn last
 * line (a crash mid-append) is ended with a newline first (history-archive.ts).
 */
export const ARCHIVE_APPEND = `set -eu
mkdir -p -- "$1/.gantry/history"
cd -- "$1/.gantry/history"
trap 'rm -f -- "$3"' EXIT
cat > "$3"
n=$(wc -c < "$3"); [ $((n)) -eq "$4" ] || { echo "stdin ended after $((n)) of $4 bytes" >&2; exit 1; }
if [ -s "$2" ] && [ "$(tail -c 1 -- "$2" | wc -l)" -eq 0 ]; then printf '\\n' >> "$2"; fi
cat -- "$3" >> "$2"
sync -- "$2" .`

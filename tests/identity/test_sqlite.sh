#!/usr/bin/env bash
# tests/identity/test_sqlite.sh GOC BUILD_DIR
# SPEC §1 identity on plain C: the SQLite amalgamation (sqlite3.c, shell.c)
# renamed .gc and built with `goc build` must behave like the plain build on a
# SQL script.  The sources come from the npm package sqlite3@5.1.7, which
# ships sqlite-autoconf-3440200.tar.gz under deps/; the download is cached in
# BUILD_DIR/_deps/sqlite.  Exit 77 (skip) only when the download fails.
# Also prints (informational only) how long `goc translate sqlite3.gc` takes
# against `cc -O0 -c sqlite3.c`.
set -uo pipefail
BUILD=$(realpath "${2:?usage: $0 PATH/TO/goc BUILD_DIR}")
NPM_PKG=sqlite3@5.1.7
AUTOCONF=sqlite-autoconf-3440200

fail() { echo "FAIL: $*" >&2; exit 1; }

cache=$BUILD/_deps/sqlite
mkdir -p "$cache"
if [ ! -f "$cache/$AUTOCONF/sqlite3.c" ] || [ ! -f "$cache/$AUTOCONF/shell.c" ] \
   || [ ! -f "$cache/$AUTOCONF/sqlite3.h" ]; then
    dl=$(mktemp -d "$cache/dl.XXXXXX")
    if ! (cd "$dl" && command -v npm >/dev/null \
          && timeout 300 npm pack "$NPM_PKG" --ignore-scripts >npm.log 2>&1); then
        cat "$dl/npm.log" 2>/dev/null >&2
        rm -rf "$dl"
        echo "SKIP: could not download $NPM_PKG"
        exit 77
    fi
    tgz=$(ls "$dl"/sqlite3-*.tgz | head -1)
    (cd "$dl" && tar xzf "$tgz" package/deps/$AUTOCONF.tar.gz \
        && tar xzf package/deps/$AUTOCONF.tar.gz \
           $AUTOCONF/sqlite3.c $AUTOCONF/sqlite3.h $AUTOCONF/shell.c) \
        || { rm -rf "$dl"; fail "unpacking $NPM_PKG"; }
    rm -rf "$cache/$AUTOCONF"
    mv "$dl/$AUTOCONF" "$cache/$AUTOCONF"
    rm -rf "$dl"
fi
src=$cache/$AUTOCONF

. "$(dirname "$0")/../lib_goc.sh"
set +e   # lib_goc.sh sets -e; this script checks each status itself
cp "$src/sqlite3.c" "$src/sqlite3.h" "$src/shell.c" .
cp sqlite3.c sqlite3.gc
cp shell.c shell.gc

DEFS=(-DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION)

# Timing (informational, never a pass/fail condition).
now() { date +%s.%N; }
t0=$(now)
"$GOC" translate sqlite3.gc -o sqlite3.translated.c 2>translate.err
trc=$?
t1=$(now)
cc -O0 "${DEFS[@]}" -c sqlite3.c -o sqlite3.o
ccrc=$?
t2=$(now)
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
    tr = b - a; cc = c - b;
    printf "timing: goc translate sqlite3.gc %.2fs, cc -O0 -c sqlite3.c %.2fs, ratio %.2f\n",
        tr, cc, (cc > 0 ? tr / cc : 0) }'
[ $ccrc = 0 ] || fail "cc -O0 -c sqlite3.c"
[ $trc = 0 ] || { head -50 translate.err >&2; fail "goc translate sqlite3.gc"; }

cc -O0 "${DEFS[@]}" shell.c sqlite3.c -o plain -lm || fail "building the plain shell"
"$GOC" build -o viagoc shell.gc sqlite3.gc -- "${DEFS[@]}" -lm 2>build.err \
    || { head -50 build.err >&2; fail "goc build shell.gc sqlite3.gc"; }

cat >script.sql <<'SQL'
CREATE TABLE dept(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE emp(id INTEGER PRIMARY KEY, name TEXT, dept INTEGER REFERENCES dept(id),
                 salary REAL, hired TEXT);
INSERT INTO dept VALUES (1,'eng'),(2,'ops'),(3,'sales'),(4,'empty');
INSERT INTO emp(name,dept,salary,hired) VALUES
  ('ann',1,120000.5,'2019-03-01'),('bob',1,95000,'2020-07-15'),
  ('cid',2,70000,'2018-01-20'),('dee',3,65000.25,'2021-11-30'),
  ('eve',3,72000,'2017-05-05'),('fay',1,130000,'2016-09-09'),
  ('gus',NULL,50000,'2022-02-02');
CREATE INDEX emp_dept ON emp(dept);
SELECT e.name, d.name FROM emp e JOIN dept d ON e.dept = d.id ORDER BY e.name;
SELECT d.name, count(e.id), sum(e.salary), avg(e.salary), max(e.name)
  FROM dept d LEFT JOIN emp e ON e.dept = d.id GROUP BY d.id ORDER BY d.name;
SELECT dept, count(*) FROM emp GROUP BY dept HAVING count(*) > 1 ORDER BY dept;
WITH RECURSIVE cnt(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM cnt WHERE x < 20)
  SELECT group_concat(x, ','), sum(x*x), total(x)/count(x) FROM cnt;
WITH RECURSIVE fib(a,b,n) AS (SELECT 0,1,0 UNION ALL SELECT b,a+b,n+1 FROM fib WHERE n<60)
  SELECT n, a FROM fib WHERE n % 10 = 0;
SELECT printf('%5d|%-8s|%.3f|%x|%e|%q', 42, 'hi', 3.14159, 255, 12345.678, 'it''s');
SELECT printf('%,d %s %c', 1234567, upper('abc'), 'xyz'), length('héllo'), hex('goc');
SELECT name, salary, rank() OVER (ORDER BY salary DESC),
       sum(salary) OVER (PARTITION BY dept ORDER BY hired) FROM emp ORDER BY name;
SELECT date('2024-02-28','+1 day'), julianday('2000-01-01'), strftime('%Y-%j','2023-12-31');
SELECT json_object('a', 1, 'b', json_array(1, 2.5, 'x', NULL));
SELECT json_extract('{"k":{"v":[10,20,30]}}', '$.k.v[1]'), json_valid('{bad');
SELECT key, value FROM json_each('{"x":1,"y":"two","z":[3]}') ORDER BY key;
SELECT typeof(1), typeof(1.0), typeof('a'), typeof(x'00'), typeof(NULL);
SELECT 7/2, 7/2.0, 7%3, -7%3, 1<<40, abs(-9223372036854775807), round(2.675, 2);
SELECT substr('goroutine', 3, 4), replace('a-b-c','-','+'), instr('channel','nn'),
       trim('  x  '), ltrim('xxy','x'), like('g%','goc'), glob('*.gc','a.gc');
UPDATE emp SET salary = salary * 1.1 WHERE dept = 1;
DELETE FROM emp WHERE dept IS NULL;
SELECT name, round(salary, 2) FROM emp ORDER BY salary DESC LIMIT 3 OFFSET 1;
BEGIN; INSERT INTO dept VALUES (5,'tmp'); ROLLBACK;
SELECT count(*) FROM dept;
CREATE VIEW v AS SELECT dept, count(*) AS n FROM emp GROUP BY dept;
SELECT * FROM v ORDER BY n DESC, dept;
SELECT sql FROM sqlite_schema ORDER BY name;
SELECT quote(zeroblob(2)), length(randomblob(8)), coalesce(NULL, NULL, 'c'), nullif(1,1), iif(1,'y','n');
PRAGMA integrity_check;
.mode box
SELECT id, name FROM dept ORDER BY id;
.mode csv
SELECT * FROM emp ORDER BY id;
SQL

./plain <script.sql >plain.out 2>&1
prc=$?
./viagoc <script.sql >viagoc.out 2>&1
grc=$?
if [ $prc != $grc ]; then
    fail "exit status differs: plain $prc, viagoc $grc"
fi
if ! diff -u plain.out viagoc.out >out.diff; then
    head -60 out.diff >&2
    fail "output of the goc-built shell differs from the plain one"
fi
[ -s plain.out ] || fail "no output from the plain shell"
echo "ok: $(wc -l <plain.out) lines of identical output (exit $prc)"

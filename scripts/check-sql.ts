/**
 * House rule: every SQL statement lives in the data layer (orm/). Run by `npm run lint` (and so by
 * `npm test`): fails on SQL text, `.execute(` or `getConnection()` in any other source file.
 *
 * PENDING was the list of files that held SQL from before the rule; it is empty since every
 * statement moved into orm/repositories/. Keep it empty: a file listed here that holds no SQL
 * fails the check too.
 *
 * Also fails on a cast of an EntityManager to the SQL one (`as unknown as Sql...`, anywhere,
 * orm/ and tests included): the ORM is opened as a `SqlOrm` (orm/sql.ts), so its `em`, forks and
 * transactions already are the SQL EntityManager the repositories take.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from '../common/paths';

export const PENDING: string[] = [];

const SQL = /\.execute\s*[<(]|getConnection\(\)|getKnex\(\)|[`'"]\s*(select\s[^`'"]*\bfrom\b|insert\s+into\s|update\s+[a-z_]+\s+set\s|delete\s+from\s)/i;
const EXEMPT = /^(orm\/|test\/|web\/|bench\/|docker\/)|\.test\.ts$/;
/** A double cast to the SQL EntityManager (or a SqlRunner): the type it escapes is wrong, fix that. */
const SQL_CAST = /\bas\s+unknown\s+as\s+Sql/;
const CAST_EXEMPT = /^(web\/|docker\/)/;

/** The lines of the tracked (or new, not ignored) .ts files, outside `exempt`, that match `pattern` (comment lines aside). */
function scan(root: string, exempt: RegExp, pattern: RegExp): Map<string, number[]> {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  const found = new Map<string, number[]>();
  for (const f of files) {
    if (exempt.test(f) || !fs.existsSync(path.join(root, f))) continue;
    const lines = fs.readFileSync(path.join(root, f), 'utf8').split('\n');
    const hits = lines.flatMap((l, i) => (pattern.test(l) && !/^\s*(\*|\/\/)/.test(l) ? [i + 1] : []));
    if (hits.length) found.set(f, hits);
  }
  return found;
}

export const findSql = (root = REPO_ROOT) => scan(root, EXEMPT, SQL);
/** Source files (orm/ and tests included) with a double cast to the SQL EntityManager, by line. */
export const findSqlCasts = (root = REPO_ROOT) => scan(root, CAST_EXEMPT, SQL_CAST);

if (require.main === module) {
  const found = findSql();
  const problems: string[] = [];
  for (const [f, lines] of found) if (!PENDING.includes(f)) problems.push(`${f}:${lines.join(',')}: SQL outside the data layer (move it into orm/repositories/)`);
  for (const f of PENDING) if (!found.has(f)) problems.push(`${f}: holds no SQL any more: remove it from PENDING in scripts/check-sql.ts`);
  for (const [f, lines] of findSqlCasts()) problems.push(`${f}:${lines.join(',')}: cast to the SQL EntityManager: type the ORM or manager as SqlOrm / SqlEm / Sql (orm/sql.ts) instead`);
  const pending = PENDING.reduce((s, f) => s + (found.get(f)?.length ?? 0), 0);
  if (problems.length) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  console.log(PENDING.length ? `check-sql: no SQL outside orm/ except ${PENDING.length} files still pending (${pending} lines)` : 'check-sql: no SQL outside orm/');
}

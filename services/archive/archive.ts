/**
 * The e-bill archive (票据档案, issue 15 point 3): bills become archival packages, the packages are
 * checked (四性, four-checks.ts) at archiving and again over the whole archive by the
 * `archive-check` schedule, classified (year, bill kind, billing point), counted, and destroyed only
 * after their retention and with two people (one proposes, another approves).
 *
 * - a bill is archived once the fiscal platform reports it accounted (入账), or at the latest
 *   cfg.archive.afterDays after its issue, when its layout file exists;
 * - its package: the layout PDF, the signed data, the signature, the hospital's public key, the
 *   timeline (bill_event) and a manifest with the SM3 and size of every part; the store is the
 *   archive adapter (local disk by default), written before the row that records it (a crash in
 *   between leaves files that the next run overwrites);
 * - the database keeps the manifest's SM3 and every part's SM3 apart from the package: the security
 *   check compares them, so a package rewritten together with its manifest is still found;
 * - every access of a person to a package (its report, a part's download) and every check run,
 *   proposal and approval is an entry of the operation log; the scheduled run is one entry per run;
 * - retention: from January 1 (China time) of the year after the bill's year, cfg.archive.retentionYears
 *   years (会计档案: counted from the year after the accounting year); destruction is refused before.
 */
import type { CheckRunReport, DestructionView, PackageView } from '../../domain/archive';
export type { CheckRunReport, DestructionView, PackageView };
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { DomainError, fieldError } from '../../common/errors';
import { chinaTime } from '../../common/china-time';
import { SYSTEM_ACTOR } from '../../domain/operation-log';
import { createArchiveStore, type ArchiveStore } from '../../adapters/archive';
import type { Config } from '../../config';
import type { SqlOrm } from '../../orm/sql';
import { retryTransaction } from '../../orm/sql';
import { openIssueTodo, issueTodos } from '../../orm/repositories/todos';
import {
  addCheckCounts, approveDestructionRow, billsDueForArchive, billTimeline, checkRunById, destructionById, failuresOfRun, finishCheckRun, insertCheckFailure,
  insertCheckRun, insertDestruction, insertPackage, keptPackagesAfter, latestCheckRuns, listDestructions, openDestructionOf, packageById, packageCounts,
  recordPackageCheck, rejectDestructionRow, searchPackages, type CheckRunRow, type DestructionRow, type DueBillRow, type PackageFilter, type PackageRow,
} from '../../orm/repositories/archive';
import { logOperation } from '../operation-log';
import { openIn, sealIn } from '../../orm/sealed';
import { buildManifest, CHECK_NAMES, checkPackage, MANIFEST, PART_NAMES, PARTS, sumOf, type CheckName, type PackageVerdict, type PartSum } from './four-checks';

export interface ArchiveDeps {
  cfg: Config;
  orm: SqlOrm;
  masterKey: string;
}

export interface Actor {
  username: string;
  displayName?: string | null;
  address?: string | null;
}

const stores = new WeakMap<object, ArchiveStore>();
/** The archive store of this configuration (cfg.archive.store), made once. */
export function archiveStoreOf(cfg: Pick<Config, 'archive' | 'server'>): ArchiveStore {
  let s = stores.get(cfg);
  if (!s) stores.set(cfg, (s = createArchiveStore(cfg)));
  return s;
}

export const PACKAGE_STATES: Record<string, string> = { archived: '在库', destroyed: '已销毁' };
export const ARCHIVE_REASONS: Record<string, string> = { accounted: '已入账', age: '到期归档', changed: '状态变更（补充归档）' };
export const RUN_TRIGGERS: Record<string, string> = { archive: '归档时检测', schedule: '定期检测' };
export const DESTRUCTION_STATES: Record<string, string> = { proposed: '待审批', approved: '已销毁', rejected: '已驳回' };

/** The first instant (China time) the package may be destroyed: Jan 1 of year + 1 + retentionYears. */
export function retentionEnd(year: number, retentionYears: number): Date {
  return new Date(Date.UTC(year + 1 + retentionYears, 0, 1) - 8 * 3_600_000);
}

export const storeKeyOf = (b: { year: number; kindCode: string; billBatchCode: string; billNo: string }) => `${b.year}/${b.kindCode}/${b.billBatchCode}-${b.billNo}`;

// ---------------------------------------------------------------------------------------------
// Archiving

/** Reads a package's parts from the store and checks it against the checksums the database keeps. */
export async function checkStoredPackage(store: ArchiveStore, p: Pick<PackageRow, 'storeKey' | 'manifestSm3' | 'partsJson'>, openSigned?: (stored: string) => string): Promise<PackageVerdict> {
  const files = new Map<string, Buffer>();
  for (const n of await store.list(p.storeKey)) {
    const data = await store.get(p.storeKey, n);
    if (data) files.set(n, data);
  }
  return checkPackage(files, { manifestSm3: p.manifestSm3, parts: JSON.parse(p.partsJson) as PartSum[] }, { openSigned });
}

const verdictJson = (v: PackageVerdict, at: Date, runId: number) => JSON.stringify({ at: at.toISOString(), runId, ok: v.ok, failed: v.failed, checks: v.checks, pages: v.pages });

async function packBill(deps: ArchiveDeps, store: ArchiveStore, b: DueBillRow, now: Date): Promise<{ row: Omit<PackageRow, 'id' | 'state' | 'lastCheckAt' | 'lastCheckOk' | 'lastCheckJson' | 'destroyedAt'> }> {
  const year = Number(chinaTime(b.issued_at).date.slice(0, 4));
  const pdf = await fs.readFile(path.join(deps.cfg.server.dataDir, b.layout_path));
  const timeline = await billTimeline(deps.orm.em.fork(), b.id);
  const parts = [
    { name: PARTS.pdf, data: pdf },
    // Sealed (SM4, the data key) as in the database: the signed text holds the patient's ID number.
    { name: PARTS.signedData, data: Buffer.from(sealIn(deps.orm.em, b.signed_data), 'utf8') },
    { name: PARTS.signature, data: Buffer.from(b.signature, 'utf8') },
    { name: PARTS.publicKey, data: Buffer.from(b.public_key, 'utf8') },
    { name: PARTS.timeline, data: Buffer.from(JSON.stringify(timeline, null, 2), 'utf8') },
  ];
  // A bill archived before and changed since (reversed): a new version beside the first, never over it.
  const version = (b.archived_version ?? 0) + 1;
  const bill = {
    version,
    hospitalCode: b.hospital_code, hospitalName: b.hospital_name, billBatchCode: b.bill_batch_code, billNo: b.bill_no, busNo: b.bus_no,
    issuedAt: b.issued_at.toISOString(), state: b.state, isScarlet: b.is_scarlet, totalAmt: b.total_amt, kindCode: b.kind_code, kindName: b.kind_name,
    placeCode: b.place_code, placeName: b.place_name, year, accounted: b.accounted, accountedAt: b.accounted_at?.toISOString() ?? null,
  };
  const manifest = buildManifest(bill, parts, now);
  const first = storeKeyOf({ year, kindCode: b.kind_code, billBatchCode: b.bill_batch_code, billNo: b.bill_no });
  const key = version === 1 ? first : `${first}-v${version}`;
  await store.put(key, [...parts, { name: MANIFEST, data: manifest }]);
  return {
    row: {
      billId: b.id, hospitalId: b.hospital_id, billBatchCode: b.bill_batch_code, billNo: b.bill_no, year, kindCode: b.kind_code, kindName: b.kind_name,
      placeCode: b.place_code, placeName: b.place_name, reason: version > 1 ? 'changed' : b.accounted ? 'accounted' : 'age', version, billState: b.state, storeKey: key, manifestSm3: sumOf(MANIFEST, manifest).sm3,
      partsJson: JSON.stringify(parts.map((p) => sumOf(p.name, p.data))), totalBytes: [...parts.map((p) => p.data.length), manifest.length].reduce((a, c) => a + c, 0),
      archivedAt: now, retainUntil: retentionEnd(year, deps.cfg.archive.retentionYears),
    },
  };
}

export interface ArchivePageResult {
  lastId: number;
  /** Bills looked at in this page. */
  count: number;
  archived: number;
  passed: number;
  failed: number;
  /** Bills that could not be packed (their layout file unreadable ...), with why. */
  errors: Array<{ billId: number; error: string }>;
  done: boolean;
}

/**
 * One page of bills due for archiving, after `afterId`: each packed, stored, checked (四性, recorded
 * in the run `runId`) and recorded. Idempotent: a bill whose latest package holds its state is not due again.
 */
export async function archiveDueBills(deps: ArchiveDeps, input: { runId: number; afterId: number; limit: number; now?: Date }): Promise<ArchivePageResult> {
  const now = input.now ?? new Date();
  const store = archiveStoreOf(deps.cfg);
  const db = deps.orm.em.fork();
  const issuedBefore = new Date(now.getTime() - deps.cfg.archive.afterDays * 86_400_000);
  const due = await billsDueForArchive(db, { afterId: input.afterId, limit: input.limit, issuedBefore });
  const r: ArchivePageResult = { lastId: due.length ? due[due.length - 1].id : input.afterId, count: due.length, archived: 0, passed: 0, failed: 0, errors: [], done: due.length < input.limit };
  for (const b of due) {
    let packed;
    try {
      packed = await packBill(deps, store, b, now);
    } catch (e) {
      r.errors.push({ billId: b.id, error: (e as Error).message });
      continue;
    }
    const id = await insertPackage(db, packed.row);
    if (id === undefined) continue;
    r.archived++;
    const v = await checkStoredPackage(store, packed.row, (s) => openIn(deps.orm.em, s));
    await recordVerdict(deps, input.runId, { id, ...packed.row }, v, now);
    if (v.ok) r.passed++;
    else r.failed++;
  }
  await addCheckCounts(db, input.runId, { checked: r.passed + r.failed, passed: r.passed, failed: r.failed });
  return r;
}

async function recordVerdict(deps: ArchiveDeps, runId: number, p: Pick<PackageRow, 'id'>, v: PackageVerdict, now: Date): Promise<void> {
  const db = deps.orm.em.fork();
  await recordPackageCheck(db, p.id, { at: now, ok: v.ok, json: verdictJson(v, now, runId) });
  if (!v.ok) await insertCheckFailure(db, { runId, packageId: p.id, checks: v.failed.join(','), detail: v.detail });
}

// ---------------------------------------------------------------------------------------------
// The 四性 check runs

export async function startCheckRun(deps: ArchiveDeps, r: { trigger: 'archive' | 'schedule'; actor?: string; workflowId?: string; now?: Date }): Promise<number> {
  return insertCheckRun(deps.orm.em.fork(), { trigger: r.trigger, actor: r.actor ?? SYSTEM_ACTOR, workflowId: r.workflowId, at: r.now ?? new Date() });
}

/** Checks one page of the kept packages after `afterId` in the run `runId`. */
export async function checkArchivePage(deps: ArchiveDeps, input: { runId: number; afterId: number; limit: number; now?: Date }): Promise<{ lastId: number; checked: number; failed: number; done: boolean }> {
  const now = input.now ?? new Date();
  const store = archiveStoreOf(deps.cfg);
  const db = deps.orm.em.fork();
  const rows = await keptPackagesAfter(db, input.afterId, input.limit);
  let failed = 0;
  for (const p of rows) {
    let v: PackageVerdict;
    try {
      v = await checkStoredPackage(store, p, (s) => openIn(deps.orm.em, s));
    } catch (e) {
      const problem = `档案包无法读取：${(e as Error).message}`;
      v = { ok: false, failed: ['integrity'], detail: `完整性：${problem}`, checks: [{ check: 'integrity', name: CHECK_NAMES.integrity, ok: false, problems: [problem] }] };
    }
    await recordVerdict(deps, input.runId, p, v, now);
    if (!v.ok) failed++;
  }
  await addCheckCounts(db, input.runId, { checked: rows.length, passed: rows.length - failed, failed });
  return { lastId: rows.length ? rows[rows.length - 1].id : input.afterId, checked: rows.length, failed, done: rows.length < input.limit };
}


const runView = (r: CheckRunRow, failures: CheckRunReport['failures'] = []): CheckRunReport => ({
  id: r.id, trigger: r.trigger, triggerName: RUN_TRIGGERS[r.trigger] ?? r.trigger, actor: r.actor, workflowId: r.workflowId,
  startedAt: r.startedAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null, checked: r.checked, passed: r.passed, failed: r.failed, failures,
});

export async function checkRunReport(deps: ArchiveDeps, runId: number, limit = 500): Promise<CheckRunReport | undefined> {
  const db = deps.orm.em.fork();
  const r = await checkRunById(db, runId);
  if (!r) return undefined;
  const failures = (await failuresOfRun(db, runId, limit)).map((f) => {
    const checks = f.checks.split(',').filter(Boolean) as CheckName[];
    return { packageId: f.packageId, billBatchCode: f.billBatchCode, billNo: f.billNo, checks, checkNames: checks.map((c) => CHECK_NAMES[c] ?? c), detail: f.detail };
  });
  return runView(r, failures);
}

/** The archive check's to-do key in the issuance to-do list (one, reopened by each failed run). */
export const ARCHIVE_TODO = { appid: 'medbill', busNo: 'archive-four-checks' } as const;

/**
 * Ends a run: its finish time, one operation-log entry, and, when a package failed, the to-do
 * (alarm) naming the packages and the failed checks.
 */
export async function finishRun(deps: ArchiveDeps, runId: number, opts: { workflowId: string; now?: Date }): Promise<CheckRunReport> {
  const now = opts.now ?? new Date();
  await finishCheckRun(deps.orm.em.fork(), runId, now);
  const report = (await checkRunReport(deps, runId, 50))!;
  const names = report.failures.slice(0, 5).map((f) => `${f.billBatchCode}-${f.billNo}（${f.checkNames.join('、')}）`).join('、');
  const detail = report.failed
    ? `${report.triggerName}：检测 ${report.checked} 个档案包，通过 ${report.passed} 个，未通过 ${report.failed} 个：${names}${report.failed > 5 ? ' 等' : ''}`
    : `${report.triggerName}：检测 ${report.checked} 个档案包，全部通过四性检测`;
  await logOperation(deps, { username: report.actor, displayName: report.actor === SYSTEM_ACTOR ? '系统（档案检测）' : null, action: 'archive-check', objectType: 'archive-run', objectId: String(runId), result: report.failed ? 'broken' : 'ok', detail, at: now });
  if (report.failed) {
    const first = report.failures[0];
    await openIssueTodo(deps.orm.em.fork(), {
      ...ARCHIVE_TODO,
      placeCode: '',
      workflowId: opts.workflowId,
      title: `票据档案四性检测未通过：${report.failed} 个档案包${first ? `（${first.billBatchCode}-${first.billNo} ${first.checkNames.join('、')}）` : ''}`,
      detail: `${detail}。请在「票据档案」中查看检测报告，核查档案包与存储介质，并保全原始文件。`,
      at: now,
    });
  }
  return report;
}

/** The open to-do of a failed check, if any (shown on the archive page). */
export async function openArchiveTodo(deps: ArchiveDeps): Promise<{ title: string; detail: string | null; createdAt: string } | undefined> {
  const t = (await issueTodos(deps.orm.em.fork(), { state: 'open', placeCode: '' })).find((x) => x.appid === ARCHIVE_TODO.appid && x.busNo === ARCHIVE_TODO.busNo);
  return t && { title: t.title, detail: t.detail, createdAt: t.createdAt.toISOString() };
}

export async function recentRuns(deps: ArchiveDeps, limit = 20): Promise<CheckRunReport[]> {
  return (await latestCheckRuns(deps.orm.em.fork(), limit)).map((r) => runView(r));
}

// ---------------------------------------------------------------------------------------------
// The console: list, statistics, a package, its parts


function packageView(p: PackageRow, now = new Date()): PackageView {
  const last = p.lastCheckJson ? (JSON.parse(p.lastCheckJson) as { failed?: CheckName[] }) : undefined;
  return {
    id: p.id, billId: p.billId, billBatchCode: p.billBatchCode, billNo: p.billNo, year: p.year, kindCode: p.kindCode, kindName: p.kindName, placeCode: p.placeCode,
    placeName: p.placeName, reason: p.reason, reasonName: ARCHIVE_REASONS[p.reason] ?? p.reason, version: p.version, storeKey: p.storeKey, totalBytes: p.totalBytes,
    archivedAt: p.archivedAt.toISOString(), retainUntil: p.retainUntil.toISOString(), retentionEnded: now.getTime() >= p.retainUntil.getTime(), state: p.state,
    stateName: PACKAGE_STATES[p.state] ?? p.state, lastCheckAt: p.lastCheckAt?.toISOString() ?? null, lastCheckOk: p.lastCheckOk,
    failedChecks: (last?.failed ?? []).map((c) => CHECK_NAMES[c] ?? c),
  };
}

export async function searchArchive(deps: ArchiveDeps, f: PackageFilter, page: { page: number; pageSize: number }): Promise<{ total: number; rows: PackageView[] }> {
  const r = await searchPackages(deps.orm.em.fork(), f, { offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
  const now = new Date();
  return { total: r.total, rows: r.rows.map((p) => packageView(p, now)) };
}

export async function archiveStatistics(deps: ArchiveDeps) {
  const classes = await packageCounts(deps.orm.em.fork());
  const sum = (k: 'archived' | 'destroyed' | 'failed' | 'bytes') => classes.reduce((a, c) => a + c[k], 0);
  const by = <K extends string>(key: (c: (typeof classes)[number]) => K, name: (c: (typeof classes)[number]) => string) => {
    const m = new Map<K, { key: K; name: string; archived: number; destroyed: number; failed: number }>();
    for (const c of classes) {
      const e = m.get(key(c)) ?? { key: key(c), name: name(c), archived: 0, destroyed: 0, failed: 0 };
      e.archived += c.archived;
      e.destroyed += c.destroyed;
      e.failed += c.failed;
      m.set(key(c), e);
    }
    return [...m.values()];
  };
  return {
    totals: { archived: sum('archived'), destroyed: sum('destroyed'), failed: sum('failed'), bytes: sum('bytes') },
    byYear: by((c) => String(c.year), (c) => `${c.year} 年`),
    byKind: by((c) => c.kindCode, (c) => c.kindName),
    byPoint: by((c) => c.placeCode, (c) => c.placeName),
    classes,
    retentionYears: deps.cfg.archive.retentionYears,
    afterDays: deps.cfg.archive.afterDays,
    store: archiveStoreOf(deps.cfg).description,
  };
}

const notFound = () => new DomainError('E0030', '档案包不存在');

/** A package with its last check report and its destruction register rows (an access: logged). */
export async function readPackage(deps: ArchiveDeps, actor: Actor, id: number) {
  const db = deps.orm.em.fork();
  const p = await packageById(db, id);
  if (!p) throw notFound();
  await logOperation(deps, { ...actor, action: 'archive-read', objectType: 'archive-package', objectId: String(id), detail: `查阅票据档案 ${p.billBatchCode}-${p.billNo} 的检测报告` });
  const parts = (JSON.parse(p.partsJson) as PartSum[]).map((x) => ({ ...x, label: PART_NAMES[x.name] ?? x.name }));
  const destructions = (await listDestructions(db, { limit: 500 })).filter((d) => d.packageId === id).map(destructionView);
  return {
    ...packageView(p),
    manifestSm3: p.manifestSm3,
    parts: [...parts, { name: MANIFEST, label: PART_NAMES[MANIFEST], sm3: p.manifestSm3, size: null }],
    lastCheck: p.lastCheckJson ? JSON.parse(p.lastCheckJson) : null,
    destructions,
  };
}

/** One part of a package (a download: logged). */
export async function readPackagePart(deps: ArchiveDeps, actor: Actor, id: number, name: string): Promise<{ data: Buffer; fileName: string }> {
  const p = await packageById(deps.orm.em.fork(), id);
  if (!p) throw notFound();
  if (!(name in PART_NAMES)) throw fieldError('part', `档案包没有组成部分「${name}」`);
  if (p.state !== 'archived') throw new DomainError('E0031', '档案包已销毁，不能下载');
  const data = await archiveStoreOf(deps.cfg).get(p.storeKey, name);
  await logOperation(deps, { ...actor, action: 'archive-read', objectType: 'archive-package', objectId: String(id), result: data ? 'ok' : 'failed', detail: `下载票据档案 ${p.billBatchCode}-${p.billNo} 的${PART_NAMES[name]}（${name}）${data ? '' : '：文件缺失'}` });
  if (!data) throw new DomainError('E0030', `档案包的${PART_NAMES[name]}缺失`);
  return { data, fileName: `${p.billBatchCode}-${p.billNo}-${name}` };
}

// ---------------------------------------------------------------------------------------------
// The destruction register (销毁登记)


const destructionView = (d: DestructionRow): DestructionView => ({
  ...d, retainUntil: d.retainUntil.toISOString(), stateName: DESTRUCTION_STATES[d.state] ?? d.state, proposedAt: d.proposedAt.toISOString(), approvedAt: d.approvedAt?.toISOString() ?? null,
});

export async function destructionRegister(deps: ArchiveDeps, f: { state?: string } = {}): Promise<DestructionView[]> {
  return (await listDestructions(deps.orm.em.fork(), { state: f.state, limit: 500 })).map(destructionView);
}

const refused = (message: string) => new DomainError('E0031', message);
const day = (d: Date) => chinaTime(d).date;

function refuseBeforeRetention(p: Pick<PackageRow, 'retainUntil' | 'billBatchCode' | 'billNo'>, now: Date): void {
  if (now.getTime() < p.retainUntil.getTime()) {
    throw refused(`票据档案 ${p.billBatchCode}-${p.billNo} 的保管期限未满（${day(p.retainUntil)} 起方可销毁），不能销毁`);
  }
}

/** Proposes the destruction of a package (its retention ended): a register row for another person to approve. */
export async function proposeDestruction(deps: ArchiveDeps, actor: Actor, input: { packageId: number; reason: string }, now = new Date()): Promise<DestructionView> {
  const reason = input.reason?.trim() ?? '';
  if (!reason) throw fieldError('reason', '请填写销毁理由');
  if (reason.length > 500) throw fieldError('reason', '销毁理由最多 500 个字符');
  const db = deps.orm.em.fork();
  const p = await packageById(db, input.packageId);
  if (!p) throw notFound();
  const log = (result: string, detail: string) => logOperation(deps, { ...actor, action: 'archive-destroy-propose', objectType: 'archive-package', objectId: String(p.id), result, detail });
  try {
    if (p.state !== 'archived') throw refused(`票据档案 ${p.billBatchCode}-${p.billNo} 已销毁`);
    refuseBeforeRetention(p, now);
    if (await openDestructionOf(db, p.id)) throw refused(`票据档案 ${p.billBatchCode}-${p.billNo} 已有待审批的销毁申请`);
  } catch (e) {
    await log('refused', `提出销毁票据档案 ${p.billBatchCode}-${p.billNo}：${(e as Error).message}`);
    throw e;
  }
  const id = await insertDestruction(db, {
    packageId: p.id, billBatchCode: p.billBatchCode, billNo: p.billNo, manifestSm3: p.manifestSm3, retainUntil: p.retainUntil, reason,
    proposedBy: actor.username, proposedByName: actor.displayName ?? null, at: now,
  });
  await log('ok', `提出销毁票据档案 ${p.billBatchCode}-${p.billNo}（保管至 ${day(p.retainUntil)}）：${reason}`);
  return destructionView((await destructionById(db, id))!);
}

/** Approves a proposed destruction (another person than the proposer): the package's files are removed, its rows kept. */
export async function approveDestruction(deps: ArchiveDeps, actor: Actor, destructionId: number, now = new Date()): Promise<DestructionView> {
  const db = deps.orm.em.fork();
  const d = await destructionById(db, destructionId);
  if (!d) throw new DomainError('E0030', '销毁申请不存在');
  const p = (await packageById(db, d.packageId))!;
  const log = (result: string, detail: string) => logOperation(deps, { ...actor, action: 'archive-destroy-approve', objectType: 'archive-package', objectId: String(p.id), result, detail });
  try {
    if (d.state !== 'proposed') throw refused('该销毁申请已审批');
    if (d.proposedBy === actor.username) throw refused('销毁须由另一人审批：提出人不能审批自己的销毁申请');
    refuseBeforeRetention(p, now);
    const ok = await retryTransaction(() => deps.orm.em.fork().transactional((tx) => approveDestructionRow(tx, d.id, { by: actor.username, byName: actor.displayName ?? null, at: now })));
    if (!ok) throw refused('该销毁申请已由他人审批或已不在待审批状态');
  } catch (e) {
    await log('refused', `审批销毁票据档案 ${d.billBatchCode}-${d.billNo}：${(e as Error).message}`);
    throw e;
  }
  await archiveStoreOf(deps.cfg).remove(p.storeKey);
  await log('ok', `审批销毁票据档案 ${d.billBatchCode}-${d.billNo}（提出人 ${d.proposedByName ?? d.proposedBy}，理由：${d.reason}），档案包文件已删除，登记保留`);
  return destructionView((await destructionById(db, d.id))!);
}

/**
 * Rejects a proposed destruction (another person), or withdraws it (its proposer): the register row
 * stays, as 已驳回, and the package may be proposed again later.
 */
export async function rejectDestruction(deps: ArchiveDeps, actor: Actor, destructionId: number, now = new Date()): Promise<DestructionView> {
  const db = deps.orm.em.fork();
  const d = await destructionById(db, destructionId);
  if (!d) throw new DomainError('E0030', '销毁申请不存在');
  const what = d.proposedBy === actor.username ? '撤回' : '驳回';
  const log = (result: string, detail: string) => logOperation(deps, { ...actor, action: 'archive-destroy-approve', objectType: 'archive-package', objectId: String(d.packageId), result, detail });
  if (!(await rejectDestructionRow(db, d.id, { by: actor.username, byName: actor.displayName ?? null, at: now }))) {
    await log('refused', `${what}销毁票据档案 ${d.billBatchCode}-${d.billNo}：该销毁申请已不在待审批状态`);
    throw refused('该销毁申请已不在待审批状态');
  }
  await log('ok', `${what}销毁票据档案 ${d.billBatchCode}-${d.billNo} 的申请（提出人 ${d.proposedByName ?? d.proposedBy}），档案包保留`);
  return destructionView((await destructionById(db, d.id))!);
}

/** 票据档案 (the e-bill archive): packages, statistics, the 四性 check runs, the destruction register. */
import { API_BASE, http } from './http';
import type { CheckOutcome, CheckRunReport, DestructionView, PackageView } from '@domain/archive';

export type { CheckOutcome };
export type ArchivePackage = PackageView;
export type Destruction = DestructionView;
export type CheckRun = CheckRunReport;




export interface PackageDetail extends ArchivePackage {
  manifestSm3: string;
  parts: Array<{ name: string; label: string; sm3: string; size: number | null }>;
  lastCheck: { at: string; runId: number; ok: boolean; failed: string[]; checks: CheckOutcome[]; pages?: number } | null;
  destructions: Destruction[];
}


export interface ClassCount {
  key: string;
  name: string;
  archived: number;
  destroyed: number;
  failed: number;
}

export interface ArchiveStatistics {
  totals: { archived: number; destroyed: number; failed: number; bytes: number };
  byYear: ClassCount[];
  byKind: ClassCount[];
  byPoint: ClassCount[];
  classes: Array<{ year: number; kindCode: string; kindName: string; placeCode: string; placeName: string; archived: number; destroyed: number; failed: number; bytes: number }>;
  retentionYears: number;
  afterDays: number;
  store: string;
  runs: CheckRun[];
  alarm: { title: string; detail: string | null; createdAt: string } | null;
  checkNames: Record<string, string>;
  states: Record<string, string>;
}

export interface PackageQuery {
  year?: number | string;
  kindCode?: string;
  placeCode?: string;
  state?: string;
  check?: string;
  billNo?: string;
  page?: number;
  pageSize?: number;
}

const clean = (q: PackageQuery) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string | number>;

export const fetchPackages = (q: PackageQuery) => http.get<{ total: number; rows: ArchivePackage[] }>('/archive/packages', clean(q));
export const fetchArchiveStatistics = () => http.get<ArchiveStatistics>('/archive/statistics');
/** A package with its last check report (the read is logged). */
export const fetchPackage = (id: number) => http.get<PackageDetail>(`/archive/packages/${id}`);
export const partUrl = (id: number, name: string) => `${API_BASE}/archive/packages/${id}/parts/${encodeURIComponent(name)}`;
export const fetchRuns = () => http.get<{ runs: CheckRun[] }>('/archive/runs');
export const fetchRun = (id: number) => http.get<CheckRun>(`/archive/runs/${id}`);
/** 立即四性检测: archives the due bills and re-checks every package (the archive-check schedule, now). */
export const runArchiveCheck = () => http.post<{ started: boolean }>('/archive/check', {});
export const fetchDestructions = (state?: string) => http.get<{ rows: Destruction[] }>('/archive/destructions', state ? { state } : {});
export const proposeDestruction = (packageId: number, reason: string) => http.post<Destruction>('/archive/destructions', { packageId, reason });
export const approveDestruction = (id: number) => http.post<Destruction>(`/archive/destructions/${id}/approve`, {});
/** Rejects (another person) or withdraws (the proposer) a proposed destruction: the register keeps it as 已驳回. */
export const rejectDestruction = (id: number) => http.post<Destruction>(`/archive/destructions/${id}/reject`, {});

/**
 * 票据档案: the names of the 四性 checks and the views the console reads (packages, check runs,
 * destructions), declared once for the services that build them and the console that shows them.
 * Pure types and tables.
 */
export type CheckName = 'authenticity' | 'integrity' | 'usability' | 'security';
export const CHECK_NAMES: Record<CheckName, string> = { authenticity: '真实性', integrity: '完整性', usability: '可用性', security: '安全性' };
export const CHECK_ORDER: readonly CheckName[] = ['authenticity', 'integrity', 'usability', 'security'];

export interface CheckOutcome {
  check: CheckName;
  name: string;
  ok: boolean;
  problems: string[];
}

export interface PackageView {
  id: number;
  billId: number;
  billBatchCode: string;
  billNo: string;
  year: number;
  kindCode: string;
  kindName: string;
  placeCode: string;
  placeName: string;
  reason: string;
  reasonName: string;
  /** 1, or the next for a bill archived again after its state changed (补充归档). */
  version: number;
  storeKey: string;
  totalBytes: number;
  archivedAt: string;
  retainUntil: string;
  retentionEnded: boolean;
  state: string;
  stateName: string;
  lastCheckAt: string | null;
  lastCheckOk: boolean | null;
  failedChecks: string[];
}

export interface CheckRunReport {
  id: number;
  trigger: string;
  triggerName: string;
  actor: string;
  workflowId: string | null;
  startedAt: string;
  finishedAt: string | null;
  checked: number;
  passed: number;
  failed: number;
  failures: Array<{ packageId: number; billBatchCode: string; billNo: string; checks: CheckName[]; checkNames: string[]; detail: string }>;
}

export interface DestructionView {
  id: number;
  packageId: number;
  billBatchCode: string;
  billNo: string;
  manifestSm3: string;
  retainUntil: string;
  state: string;
  stateName: string;
  reason: string;
  proposedBy: string;
  proposedByName: string | null;
  proposedAt: string;
  approvedBy: string | null;
  approvedByName: string | null;
  approvedAt: string | null;
}

/**
 * The refund approval chain: configuration, not code. A chain is an ordered list of steps, each
 * naming the roles that decide it, its deadline, when to remind before it, and who is copied when
 * it is overdue. The console edits it (`refund_chain`); a payment type without a row uses
 * DEFAULT_CHAINS, seed 002's chains. A refund keeps the chain it started with (a snapshot), so an
 * edit never moves a request that is already on its way.
 */
import { fieldError } from '../../common/errors';

export const REFUND_ROLES = ['doctor', 'department', 'finance', 'cashier'] as const;

export interface ChainStep {
  /** Stable key (doctor, department, finance...): the step `finance` ends the patient's right to withdraw. */
  key: string;
  name: string;
  /** Any user holding one of these roles may decide the step (unless it is transferred to one user). */
  roles: string[];
  /** Hours from the step's start to its deadline (fractions allowed: 0.5 = 30 minutes). */
  deadlineHours: number;
  /** Remind the deciders this many hours before the deadline (default: a quarter of the deadline). */
  remindBeforeHours?: number;
  /** Copied (抄送) when the step is overdue. */
  escalateRoles: string[];
}

export type PayType = 'self' | 'insured';

export interface Chain {
  code: PayType;
  name: string;
  steps: ChainStep[];
  updatedAt?: string;
  updatedBy?: string;
}

/** Seed 002: 患者发起-门诊医生审核-计财科审核-微信退款-发票作废重开 (self-pay); insured adds 已执收科室反确认. */
export const DEFAULT_CHAINS: Record<PayType, Chain> = {
  self: {
    code: 'self',
    name: '自费退费',
    steps: [
      { key: 'doctor', name: '门诊医生审核', roles: ['doctor'], deadlineHours: 24, remindBeforeHours: 4, escalateRoles: ['finance'] },
      { key: 'finance', name: '计财科审核', roles: ['finance'], deadlineHours: 48, remindBeforeHours: 8, escalateRoles: ['finance'] },
    ],
  },
  insured: {
    code: 'insured',
    name: '医保退费',
    steps: [
      { key: 'doctor', name: '门诊医生审核', roles: ['doctor'], deadlineHours: 24, remindBeforeHours: 4, escalateRoles: ['finance'] },
      { key: 'department', name: '执收科室反确认', roles: ['department'], deadlineHours: 24, remindBeforeHours: 4, escalateRoles: ['finance'] },
      { key: 'finance', name: '计财科审核', roles: ['finance'], deadlineHours: 48, remindBeforeHours: 8, escalateRoles: ['finance'] },
    ],
  },
};

const KEY = /^[a-z][a-z0-9_]{0,31}$/;

/** Checks a chain sent by the console; errors name the field (`steps[1].roles`). */
export function parseChainSteps(v: unknown): ChainStep[] {
  if (!Array.isArray(v) || v.length === 0) throw fieldError('steps', '须为非空的审批步骤列表');
  if (v.length > 8) throw fieldError('steps', '至多 8 个步骤');
  const keys = new Set<string>();
  return v.map((raw, i) => {
    const f = `steps[${i}]`;
    if (!raw || typeof raw !== 'object') throw fieldError(f, '须为对象');
    const s = raw as Record<string, unknown>;
    const key = typeof s.key === 'string' ? s.key.trim() : '';
    if (!KEY.test(key)) throw fieldError(`${f}.key`, '须为 1-32 个小写字母、数字或 _，以字母开头');
    if (keys.has(key)) throw fieldError(`${f}.key`, `${key} 被两个步骤使用`);
    keys.add(key);
    const name = typeof s.name === 'string' ? s.name.trim() : '';
    if (!name || name.length > 32) throw fieldError(`${f}.name`, '必填（至多 32 个字符）');
    const roles = (field: string, list: unknown, required: boolean): string[] => {
      if (!Array.isArray(list) || (required && list.length === 0)) throw fieldError(field, required ? '须至少指定一个角色' : '须为角色列表');
      for (const r of list) if (!REFUND_ROLES.includes(r as (typeof REFUND_ROLES)[number])) throw fieldError(field, `未知角色 ${String(r)}（可选：${REFUND_ROLES.join('、')}）`);
      return [...new Set(list as string[])];
    };
    const hours = (field: string, x: unknown, min: number): number => {
      const n = typeof x === 'string' && x.trim() ? Number(x) : x;
      if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > 720) throw fieldError(field, `须为 ${min}-720 的小时数`);
      return Math.round(n * 3600) / 3600; // whole seconds
    };
    const deadlineHours = hours(`${f}.deadlineHours`, s.deadlineHours, 1 / 3600);
    const remindBeforeHours = s.remindBeforeHours === undefined || s.remindBeforeHours === null || s.remindBeforeHours === '' ? undefined : hours(`${f}.remindBeforeHours`, s.remindBeforeHours, 0);
    if (remindBeforeHours !== undefined && remindBeforeHours >= deadlineHours) throw fieldError(`${f}.remindBeforeHours`, '须小于 deadlineHours（办理时限）');
    return { key, name, roles: roles(`${f}.roles`, s.roles, true), deadlineHours, remindBeforeHours, escalateRoles: roles(`${f}.escalateRoles`, s.escalateRoles ?? [], false) };
  });
}

/** When, relative to a step's start, its reminder and its deadline fall (ms). */
export function stepTimes(step: ChainStep): { remindAfterMs: number; deadlineMs: number } {
  const deadlineMs = Math.round(step.deadlineHours * 3_600_000);
  const before = step.remindBeforeHours ?? step.deadlineHours / 4;
  return { remindAfterMs: Math.max(0, deadlineMs - Math.round(before * 3_600_000)), deadlineMs };
}
